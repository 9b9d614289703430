#!/usr/bin/env bash
# Writes the token Secrets components/auth mounts, as directories under $1:
# content-server-auth-tokens/tokens and events-server-auth-tokens/tokens hold
# hashes (an editor token and the events service's token); the events
# service's own token goes in events-server-content-token/token.
set -euo pipefail
dir="$1"
mkdir -p "$dir/content-server-auth-tokens" "$dir/events-server-auth-tokens" "$dir/events-server-content-token"
editor="deploy-test-editor-token"
service="deploy-test-events-service-token"
hash() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
for f in "$dir/content-server-auth-tokens/tokens" "$dir/events-server-auth-tokens/tokens"; do
  printf 'sha256:%s editor deploy-test\nsha256:%s service events-server\n' "$(hash "$editor")" "$(hash "$service")" >"$f"
done
printf '%s\n' "$service" >"$dir/events-server-content-token/token"
