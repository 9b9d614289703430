#!/usr/bin/env bash
# buf lint (STANDARD rules, buf.yaml at the repository root) on proto/.
# Usage: buf_lint.sh [BUF] [REPO_ROOT]; BUF defaults to $BUF, then to
# .tools/node_modules/.bin/buf under the repository root.
set -euo pipefail
root="${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
buf="${1:-${BUF:-$root/.tools/node_modules/.bin/buf}}"
[[ -x "$buf" ]] || { echo "buf not found or not executable: $buf (./scripts/dev.sh installs it)" >&2; exit 1; }
cd "$root"
"$buf" lint --error-format text
echo "buf lint: no issues"
