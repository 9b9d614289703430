#!/usr/bin/env bash
# buf breaking (FILE rules, buf.yaml) of proto/ against the API as last
# released: proto/released/newsdesk-api.binpb, a buf image committed at each
# release (`buf build -o proto/released/newsdesk-api.binpb`). A change that
# would break existing clients (a removed field or method, a renumbered or
# retyped field, a renamed package ...) fails this test.
# Usage: buf_breaking.sh [BUF] [REPO_ROOT]
set -euo pipefail
root="${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
buf="${1:-${BUF:-$root/.tools/node_modules/.bin/buf}}"
[[ -x "$buf" ]] || { echo "buf not found or not executable: $buf (./scripts/dev.sh installs it)" >&2; exit 1; }
cd "$root"
"$buf" breaking --error-format text --against proto/released/newsdesk-api.binpb
echo "buf breaking: compatible with proto/released/newsdesk-api.binpb"
