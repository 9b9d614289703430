#!/usr/bin/env bash
# Makes a private CA and the certificates components/tls and components/mtls
# mount, as one directory per Secret (file names = Secret keys), for a dev
# cluster or the tests. Production uses cert-manager (docs/DEPLOY.md).
#
#   deploy/k8s/make-tls-secrets.sh OUT_DIR [NAMESPACE]
#   # then, for a cluster:
#   for s in OUT_DIR/*/; do kubectl -n NAMESPACE create secret generic "$(basename "$s")" --from-file="$s"; done
#
# Server certificates name the Service (short, namespaced and cluster-local
# forms), localhost and 127.0.0.1.
set -euo pipefail
out="${1:?usage: make-tls-secrets.sh OUT_DIR [NAMESPACE]}"
ns="${2:-newsdesk}"
days=825
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
  -subj "/CN=newsdesk CA" -keyout "$work/ca.key" -out "$work/ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
mkdir -p "$out/newsdesk-ca"
cp "$work/ca.crt" "$out/newsdesk-ca/ca.crt"

# issue SECRET CN USAGE [SERVICE]
issue() {
  local secret=$1 cn=$2 usage=$3 service=${4:-} san="DNS:localhost,IP:127.0.0.1"
  [[ -n "$service" ]] && san="DNS:$service,DNS:$service.$ns,DNS:$service.$ns.svc,DNS:$service.$ns.svc.cluster.local,$san"
  mkdir -p "$out/$secret"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$cn" \
    -keyout "$out/$secret/tls.key" -out "$work/$secret.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=critical,CA:FALSE\n' "$san" "$usage" > "$work/$secret.ext"
  openssl x509 -req -in "$work/$secret.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
    -days "$days" -extfile "$work/$secret.ext" -out "$out/$secret/tls.crt" 2>/dev/null
  cp "$work/ca.crt" "$out/$secret/ca.crt"
  chmod 0600 "$out/$secret/tls.key"
}
issue content-server-tls content-server serverAuth content-server
issue events-server-tls events-server serverAuth events-server
issue events-server-content-client-tls events-server clientAuth
echo "$out: $(cd "$out" && ls | tr '\n' ' ')"
