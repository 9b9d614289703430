#!/usr/bin/env bash
# Assembles the newsdesk container images as an OCI image layout, without a
# container engine: the built binaries, the shared libraries they load (their
# ldd closure, copied from this Debian 12 machine), the data files they read,
# and a non-root user, in one layer added with Debian's umoci. One tag per
# binary, each the same layer with its own entrypoint, like the Dockerfile's
# targets beside this script:
#
#   <out>:content-server   entrypoint /usr/local/bin/content-server   (image newsdesk/content-server)
#   <out>:events-server    entrypoint /usr/local/bin/events-server    (image newsdesk/events-server)
#   <out>:newsdeskctl      entrypoint /usr/local/bin/newsdeskctl      (image newsdesk/newsdeskctl, once it is built)
#
# Usage: deploy/container/build-oci-image.sh [--build-dir DIR] [--binary NAME=PATH]... [--out DIR] [--version V]
#   --build-dir  CMake build directory to find the binaries in (./build)
#   --binary     a binary's path, instead of searching the build directory
#   --out        OCI layout to write; replaced if it exists (./build/oci/newsdesk)
#   --version    org.opencontainers.image.version label (the project version)
#
# Needs: umoci, GNU tar, ldd, ldconfig, dpkg-query (Debian). Runs as any user:
# ownership inside the image comes from tar options, not from the files here.
# Push or load the result with skopeo, e.g.
#   skopeo copy oci:build/oci/newsdesk:content-server docker://REGISTRY/newsdesk/content-server:0.1.0
# The entrypoint, user and layout are checked by tests/deploy (DeployImage*).
set -euo pipefail

readonly RUN_UID=10001
readonly RUN_GID=10001
readonly RUN_USER=newsdesk
readonly BIN_DIR=/usr/local/bin
readonly LIB_DIR=/usr/lib/x86_64-linux-gnu
# Read at run time by content-server (storage/text: Polish stemming).
readonly DATA_FILES=(/usr/share/hunspell/pl_PL.aff /usr/share/hunspell/pl_PL.dic)
# binary name -> exposed ports (space separated)
declare -A PORTS=([content-server]="50051/tcp" [events-server]="50052/tcp" [newsdeskctl]="")
readonly BINARIES=(content-server events-server newsdeskctl)
readonly REQUIRED_BINARIES=(content-server)

die() { printf 'build-oci-image.sh: error: %s\n' "$*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="$ROOT/build"
OUT=""
declare -A GIVEN=()
VERSION="$(sed -n 's/^project(newsdesk VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")"
while (($#)); do
  case "$1" in
    --build-dir) BUILD_DIR="$2"; shift 2 ;;
    --binary) GIVEN[${2%%=*}]="${2#*=}"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --version) VERSION="$2"; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
OUT="${OUT:-$BUILD_DIR/oci/newsdesk}"
VERSION="${VERSION:-0.0.0}"

for tool in umoci tar ldd ldconfig dpkg-query sha256sum; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "$tool not found (Debian: apt-get install umoci tar libc-bin dpkg coreutils)"
done

# A fixed timestamp keeps the layer reproducible: the last commit's time, or
# SOURCE_DATE_EPOCH when set.
if [[ -z "${SOURCE_DATE_EPOCH:-}" ]]; then
  SOURCE_DATE_EPOCH="$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)"
fi
CREATED="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"

# --- the binaries ------------------------------------------------------------
declare -A FOUND=()
for name in "${BINARIES[@]}"; do
  if [[ -n "${GIVEN[$name]:-}" ]]; then
    [[ -x "${GIVEN[$name]}" ]] || die "--binary $name=${GIVEN[$name]}: not an executable"
    FOUND[$name]="${GIVEN[$name]}"
    continue
  fi
  path="$(find "$BUILD_DIR" -type f -name "$name" -perm -u+x -not -path '*/CMakeFiles/*' -print -quit 2>/dev/null || true)"
  if [[ -n "$path" ]]; then
    FOUND[$name]="$path"
  fi
done
for name in "${REQUIRED_BINARIES[@]}"; do
  [[ -n "${FOUND[$name]:-}" ]] || die "$name not found under $BUILD_DIR (build it first, or pass --binary $name=PATH)"
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ROOTFS="$WORK/rootfs"

# Debian 12 is merged-/usr: /lib, /lib64, /bin and /sbin are links into /usr.
mkdir -p "$ROOTFS"/{usr/bin,usr/sbin,usr/lib64,"$LIB_DIR","$BIN_DIR",etc/ssl/certs,usr/share/doc,data,tmp,proc,dev,sys}
ln -s usr/lib "$ROOTFS/lib"
ln -s usr/lib64 "$ROOTFS/lib64"
ln -s usr/bin "$ROOTFS/bin"
ln -s usr/sbin "$ROOTFS/sbin"

for name in "${!FOUND[@]}"; do
  log "adding $name (${FOUND[$name]})"
  install -m 0755 "${FOUND[$name]}" "$ROOTFS$BIN_DIR/$name"
done

# --- their shared libraries --------------------------------------------------
declare -A LIBS=()
for name in "${!FOUND[@]}"; do
  while read -r lib; do
    [[ -n "$lib" ]] && LIBS[$lib]=1
  done < <(ldd "${FOUND[$name]}" | awk '
    /not found/ { print "MISSING " $1; next }
    /=>/ && $3 ~ /^\// { print $3; next }
    $1 ~ /^\// { print $1 }')
done
for lib in "${!LIBS[@]}"; do
  [[ "$lib" != MISSING* ]] || die "ldd cannot resolve ${lib#MISSING } for the binaries"
done

declare -A PACKAGES=()
for lib in "${!LIBS[@]}"; do
  base="$(basename "$lib")"
  if [[ "$base" == ld-linux-* ]]; then
    # The ELF interpreter: /lib64/ld-linux-x86-64.so.2.
    cp -L "$lib" "$ROOTFS/usr/lib64/$base"
  else
    cp -L "$lib" "$ROOTFS$LIB_DIR/$base"
  fi
done
# The Debian packages they come from: what the Dockerfile's runtime stage
# installs (the same script).
while read -r pkg; do
  PACKAGES[$pkg]=1
done < <("$ROOT/deploy/container/runtime-packages.sh" "${FOUND[@]}")
# glibc finds them through the cache, as on Debian.
printf '%s\n' "$LIB_DIR" > "$ROOTFS/etc/ld.so.conf"
ldconfig -r "$ROOTFS" -f /etc/ld.so.conf -C /etc/ld.so.cache

# --- data files --------------------------------------------------------------
if [[ -n "${FOUND[content-server]:-}" ]]; then
  for f in "${DATA_FILES[@]}"; do
    [[ -f "$f" ]] || die "$f is missing: content-server needs it (apt-get install hunspell-pl)"
    mkdir -p "$ROOTFS$(dirname "$f")"
    cp -L "$f" "$ROOTFS$f"
    pkg="$(dpkg-query -S "$f" 2>/dev/null || true)"
    pkg="${pkg%%:*}"
    [[ -n "$pkg" ]] && PACKAGES[$pkg]=1
  done
fi
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
  cp -L /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
  PACKAGES[ca-certificates]=1
fi
# The licences of everything copied from Debian.
for pkg in "${!PACKAGES[@]}"; do
  if [[ -f "/usr/share/doc/$pkg/copyright" ]]; then
    mkdir -p "$ROOTFS/usr/share/doc/$pkg"
    cp -L "/usr/share/doc/$pkg/copyright" "$ROOTFS/usr/share/doc/$pkg/copyright"
  fi
done
printf '%s\n' "${!PACKAGES[@]}" | sort > "$ROOTFS/usr/share/doc/newsdesk-image-packages.txt"

# --- users and name resolution -----------------------------------------------
cat > "$ROOTFS/etc/passwd" <<EOF
root:x:0:0:root:/root:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
$RUN_USER:x:$RUN_UID:$RUN_GID:newsdesk:/nonexistent:/usr/sbin/nologin
EOF
cat > "$ROOTFS/etc/group" <<EOF
root:x:0:
nogroup:x:65534:
$RUN_USER:x:$RUN_GID:
EOF
printf 'hosts: files dns\n' > "$ROOTFS/etc/nsswitch.conf"

# --- the layer ---------------------------------------------------------------
# Everything root-owned and read-only to the service user, except /data (its
# own, for `docker run` without a volume) and /tmp (sticky, world-writable).
chmod 0755 "$ROOTFS" "$ROOTFS"/{usr,etc,data}
chmod 1777 "$ROOTFS/tmp"
chmod 0750 "$ROOTFS/data"
LAYER="$WORK/layer.tar"
TAR_OPTS=(--sort=name --mtime="@$SOURCE_DATE_EPOCH" --numeric-owner --format=posix
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime)
tar -C "$ROOTFS" "${TAR_OPTS[@]}" --owner=0 --group=0 --exclude=./data -cf "$LAYER" .
tar -C "$ROOTFS" "${TAR_OPTS[@]}" --owner="$RUN_UID" --group="$RUN_GID" --no-recursion -rf "$LAYER" ./data

# --- the image layout --------------------------------------------------------
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
umoci init --layout "$OUT"
umoci new --image "$OUT:base"
umoci config --image "$OUT:base" --no-history --os linux --architecture amd64 --created "$CREATED" \
  --author "newsdesk" --config.user "$RUN_UID:$RUN_GID" --config.workingdir / \
  --config.env PATH=/usr/local/bin:/usr/bin \
  --config.label "org.opencontainers.image.version=$VERSION" \
  --config.label "org.opencontainers.image.licenses=see /usr/share/doc" \
  --config.label "org.opencontainers.image.base.name=scratch"
umoci raw add-layer --image "$OUT:base" --history.created "$CREATED" \
  --history.created_by "deploy/container/build-oci-image.sh" "$LAYER"

for name in "${!FOUND[@]}"; do
  args=(--image "$OUT:base" --tag "$name" --no-history --created "$CREATED"
    --config.entrypoint "$BIN_DIR/$name"
    --config.label "org.opencontainers.image.title=$name"
    --config.label "org.opencontainers.image.description=newsdesk $name")
  for p in ${PORTS[$name]}; do args+=(--config.exposedports "$p"); done
  [[ "$name" == newsdeskctl ]] || args+=(--config.stopsignal SIGTERM)
  umoci config "${args[@]}"
  log "tagged $OUT:$name"
done
umoci rm --image "$OUT:base"
umoci gc --layout "$OUT"

log "OCI layout $OUT: tags $(umoci ls --layout "$OUT" | sort | tr '\n' ' ')"
log "layer: $(du -h "$LAYER" | cut -f1) uncompressed; packages: $(tr '\n' ' ' < "$ROOTFS/usr/share/doc/newsdesk-image-packages.txt")"
