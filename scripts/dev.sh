#!/usr/bin/env bash
# newsdesk developer commands, for a fresh Debian 12 machine (as root) or a
# machine that already has the packages below.
#
#   ./scripts/dev.sh run     install what is missing, build (Release), start the
#                            content service in the foreground with its RocksDB
#                            under ./var/, load the demo articles, Ctrl-C stops it
#   ./scripts/dev.sh test    install what is missing, build, run every test
#                            (extra arguments go to ctest, e.g. `test -L unit`)
#   ./scripts/dev.sh sanitize  build and run the unit, storage and service tests
#                            under AddressSanitizer + UndefinedBehaviorSanitizer,
#                            the concurrency tests under ThreadSanitizer, and
#                            each libFuzzer target for NEWSDESK_FUZZ_SECONDS (10)
#   ./scripts/dev.sh build   install what is missing and build
#
# Environment (all optional):
#   NEWSDESK_CONTENT_LISTEN          content-server --listen   (127.0.0.1:50051)
#   NEWSDESK_CONTENT_DB_PATH         content-server --db_path  (./var/content)
#   NEWSDESK_CONTENT_SHUTDOWN_GRACE  content-server --shutdown_grace (10s)
#   NEWSDESK_DEMO_DATA               0 skips loading the demo articles (1)
#   NEWSDESK_BUILD_DIR               build directory (./build)
#   NEWSDESK_BUILD_JOBS              parallel build jobs (ninja's default)
#   NEWSDESK_TEST_JOBS               parallel test jobs (2)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

readonly BUF_VERSION="1.75.0"
readonly BUF="./.tools/node_modules/.bin/buf"
readonly BUILD_DIR="${NEWSDESK_BUILD_DIR:-./build}"
# Where services/content/CMakeLists.txt puts the binary.
readonly CONTENT_SERVER="$BUILD_DIR/services/content/content-server"
readonly CONTENT_LISTEN="${NEWSDESK_CONTENT_LISTEN:-127.0.0.1:50051}"
readonly CONTENT_DB_PATH="${NEWSDESK_CONTENT_DB_PATH:-./var/content}"
readonly CONTENT_SHUTDOWN_GRACE="${NEWSDESK_CONTENT_SHUTDOWN_GRACE:-10s}"
readonly HEALTH_TIMEOUT_SECONDS=30
# Development credentials, made on the first run: the token file holds only the
# SHA-256 of the editor token; the token itself is printed and kept beside it.
readonly DEV_TOKEN_FILE="${NEWSDESK_AUTH_TOKENS_FILE:-./var/dev-tokens}"
readonly DEV_EDITOR_TOKEN_FILE="./var/dev-editor-token"

# Debian 12 packages the build, the tests and this script need.
# When a module starts needing another package, add it here.
readonly APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev librocksdb-dev libgtest-dev grpc-proto libicu-dev libssl-dev
  python3
  # storage/text: hunspell stemming with the Polish dictionary (read at run time).
  libhunspell-dev hunspell-pl
  # services/common: Prometheus metrics; tests make TLS certificates with openssl.
  prometheus-cpp-dev openssl
  # sanitize: libFuzzer targets are built with clang.
  clang libclang-rt-14-dev
)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'dev.sh: error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,/^set -euo pipefail/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# ---------------------------------------------------------------------------
# Installing
# ---------------------------------------------------------------------------

package_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == "installed" ]]
}

install_apt_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    log "not a Debian system (no dpkg-query): skipping package installation; install the equivalents of: ${APT_PACKAGES[*]} nodejs npm"
    return
  fi
  local wanted=("${APT_PACKAGES[@]}")
  # Node may come from elsewhere (nvm, NodeSource); only ask apt when absent.
  command -v node >/dev/null 2>&1 || wanted+=(nodejs)
  command -v npm >/dev/null 2>&1 || wanted+=(npm)

  local missing=() p
  for p in "${wanted[@]}"; do
    package_installed "$p" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    return
  fi

  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "missing Debian packages (${missing[*]}); run as root or install them first"
    sudo=(sudo)
  fi
  log "installing Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

install_buf() {
  if [[ -x "$BUF" ]] && [[ "$("$BUF" --version 2>/dev/null || true)" == "$BUF_VERSION" ]]; then
    return
  fi
  command -v npm >/dev/null 2>&1 || die "npm is not installed; cannot install buf"
  log "installing buf ${BUF_VERSION} into ./.tools (npm @bufbuild/buf)"
  npm install --prefix ./.tools --save-exact --ignore-scripts --no-audit --no-fund "@bufbuild/buf@${BUF_VERSION}"
  [[ -x "$BUF" ]] || die "npm did not install $BUF"
}

install_all() {
  install_apt_packages
  install_buf
}

# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------

build() {
  if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
    log "configuring $BUILD_DIR (Release, Ninja)"
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  log "building $BUILD_DIR"
  cmake --build "$BUILD_DIR" ${NEWSDESK_BUILD_JOBS:+-j "$NEWSDESK_BUILD_JOBS"}
}

# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

SERVER_PID=""
STOP_REQUESTED=0

# SIGINT (Ctrl-C reaches the whole process group) and SIGTERM: ask the server
# to shut down gracefully; the main loop then waits for it to exit.
on_stop_signal() {
  STOP_REQUESTED=1
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    log "stopping content-server (pid $SERVER_PID)"
    kill -TERM "$SERVER_PID" 2>/dev/null || true
  fi
}

# If this script fails while the server runs, do not leave the server behind.
on_exit() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}

server_alive() { kill -0 "$SERVER_PID" 2>/dev/null; }

# buf curl over plaintext HTTP/2 with the schema from server reflection.
call() { "$BUF" curl --protocol grpc --http2-prior-knowledge "$@"; }
# The same, as the development editor.
call_as_editor() { call -H "authorization: Bearer $(cat "$DEV_EDITOR_TOKEN_FILE")" "$@"; }

# Creates a random editor token and a token file with its hash, once.
ensure_dev_tokens() {
  mkdir -p ./var
  if [[ ! -s "$DEV_EDITOR_TOKEN_FILE" ]]; then
    (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DEV_EDITOR_TOKEN_FILE")
  fi
  if [[ ! -s "$DEV_TOKEN_FILE" ]]; then
    local hash
    hash="$(sha256sum <"$DEV_EDITOR_TOKEN_FILE" | cut -d' ' -f1)"
    printf '# newsdesk development tokens: sha256:<hash> <role> <subject>\nsha256:%s editor dev-editor\n' \
      "$hash" >"$DEV_TOKEN_FILE"
  fi
}

wait_until_serving() {
  local url="$1" deadline=$((SECONDS + HEALTH_TIMEOUT_SECONDS)) reply
  while ((SECONDS < deadline)); do
    ((STOP_REQUESTED == 0)) || return 1
    server_alive || return 1
    reply="$(call --connect-timeout 1 --timeout 2s "$url/grpc.health.v1.Health/Check" 2>/dev/null || true)"
    [[ "$reply" == *'"SERVING"'* ]] && return 0
    sleep 0.3
  done
  return 1
}

# Creates and publishes the articles in scripts/demo/ (file name order, so
# the last one is the newest and heads the listing). Each has a fixed
# article_id: on every start after the first the server answers ALREADY_EXISTS
# and nothing changes, even if the article has since been edited, unpublished
# or soft-deleted.
load_demo_data() {
  local url="$1" file out name created=0 present=0 failed=0
  local service="$url/newsdesk.content.v1.ContentService"
  for file in ./scripts/demo/*.json; do
    ((STOP_REQUESTED == 0)) || return 0
    if out="$(call_as_editor --timeout 10s -d "@$file" "$service/CreateArticle" 2>&1)"; then
      created=$((created + 1))
      # Published, so that SearchArticles (published articles by default)
      # finds them too.
      name="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["name"])' <<<"$out" 2>/dev/null || true)"
      if [[ -z "$name" ]]; then
        printf 'dev.sh: warning: no article name in the response for %s:\n%s\n' "$file" "$out" >&2
      elif ! out="$(call_as_editor --timeout 10s -d "{\"name\": \"$name\"}" "$service/PublishArticle" 2>&1)"; then
        printf 'dev.sh: warning: demo article %s was not published:\n%s\n' "$name" "$out" >&2
      fi
    elif [[ "$out" == *'"already_exists"'* ]]; then
      present=$((present + 1))
    else
      failed=$((failed + 1))
      printf 'dev.sh: warning: demo article %s was not loaded:\n%s\n' "$file" "$out" >&2
    fi
  done
  log "demo data: ${created} article(s) created and published, ${present} already present, ${failed} failed"
}

print_usage_hint() {
  local address="$1" url="http://$1"
  cat >&2 <<EOF

content-server is serving on ${address} (database: ${CONTENT_DB_PATH}).
Writes need a bearer token; the development editor token is:

  TOKEN=$(cat "$DEV_EDITOR_TOKEN_FILE")

Call it through reflection (reads are public and show published articles only):

  ${BUF} curl --protocol grpc --http2-prior-knowledge --list-services ${url}
  ${BUF} curl --protocol grpc --http2-prior-knowledge --list-methods ${url}
  ${BUF} curl --protocol grpc --http2-prior-knowledge ${url}/grpc.health.v1.Health/Check
  ${BUF} curl --protocol grpc --http2-prior-knowledge -H "authorization: Bearer \$TOKEN" \\
      -d '{"article": {"title": "Zażółć gęślą jaźń", "tags": ["test"]}}' \\
      ${url}/newsdesk.content.v1.ContentService/CreateArticle
  ${BUF} curl --protocol grpc --http2-prior-knowledge \\
      -d '{"name": "articles/wizyta-w-obwodzie-almatynskim"}' \\
      ${url}/newsdesk.content.v1.ContentService/GetArticle
  ${BUF} curl --protocol grpc --http2-prior-knowledge \\
      -d '{"page_size": 10}' \\
      ${url}/newsdesk.content.v1.ContentService/ListArticles
  ${BUF} curl --protocol grpc --http2-prior-knowledge \\
      -d '{"query": "Kazachstan"}' \\
      ${url}/newsdesk.content.v1.ContentService/SearchArticles

More in README.md and docs/API.md. Press Ctrl-C to stop.

EOF
}

run() {
  local host="${CONTENT_LISTEN%:*}" port="${CONTENT_LISTEN##*:}"
  [[ "$port" =~ ^[0-9]+$ && "$port" != 0 && "$host" != "$CONTENT_LISTEN" ]] ||
    die "NEWSDESK_CONTENT_LISTEN must be host:port with a fixed port, got '$CONTENT_LISTEN'"
  # A wildcard listen address is reached through the loopback interface.
  case "$host" in "" | 0.0.0.0 | "[::]" | "::") host=127.0.0.1 ;; esac
  local address="$host:$port" url="http://$host:$port"

  [[ -x "$CONTENT_SERVER" ]] || die "$CONTENT_SERVER was not built (did the build layout change?)"
  mkdir -p "$(dirname "$CONTENT_DB_PATH")"
  trap on_exit EXIT
  trap on_stop_signal INT TERM

  log "starting content-server on $CONTENT_LISTEN (database $CONTENT_DB_PATH)"
  ensure_dev_tokens
  "$CONTENT_SERVER" \
    --listen "$CONTENT_LISTEN" \
    --db_path "$CONTENT_DB_PATH" \
    --auth_tokens_file "$DEV_TOKEN_FILE" \
    --shutdown_grace "$CONTENT_SHUTDOWN_GRACE" &
  SERVER_PID=$!

  local healthy=0
  if wait_until_serving "$url"; then
    healthy=1
    if [[ "${NEWSDESK_DEMO_DATA:-1}" != 0 ]]; then
      load_demo_data "$url"
    fi
    ((STOP_REQUESTED)) || print_usage_hint "$address"
  elif ((STOP_REQUESTED == 0)) && server_alive; then
    printf 'dev.sh: error: content-server did not report SERVING within %ss; stopping it\n' \
      "$HEALTH_TIMEOUT_SECONDS" >&2
    kill -TERM "$SERVER_PID" 2>/dev/null || true
  fi

  # Wait for the server in the foreground. A trapped signal interrupts `wait`
  # (status > 128) while the server is still shutting down, so wait again
  # until it is gone; the last `wait` returns the server's own exit status.
  local rc
  set +e
  while server_alive; do
    wait "$SERVER_PID"
  done
  wait "$SERVER_PID"
  rc=$?
  set -e
  SERVER_PID=""
  if ((rc != 0)); then
    log "content-server exited with status $rc"
    exit "$rc"
  fi
  log "content-server stopped cleanly"
  # Stopped by a signal before it was healthy: not an error. Never healthy
  # otherwise (timeout): an error, even though the server itself exited 0.
  if ((healthy == 0 && STOP_REQUESTED == 0)); then
    exit 1
  fi
  exit 0
}

# ---------------------------------------------------------------------------
# Testing
# ---------------------------------------------------------------------------

# Sanitizer and fuzz runs, each in its own build directory.
run_sanitizers() {
  local asan="${BUILD_DIR}-asan" tsan="${BUILD_DIR}-tsan" fuzz="${BUILD_DIR}-fuzz"
  log "AddressSanitizer + UndefinedBehaviorSanitizer: unit, storage and service tests"
  [[ -f "$asan/build.ninja" ]] || cmake -S . -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DNEWSDESK_SANITIZE=address,undefined -DNEWSDESK_TOOLS=OFF
  cmake --build "$asan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$asan" --output-on-failure --no-tests=error -j "${NEWSDESK_TEST_JOBS:-2}" -L 'unit|storage|service'

  log "ThreadSanitizer: concurrency tests"
  [[ -f "$tsan/build.ninja" ]] || cmake -S . -B "$tsan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DNEWSDESK_SANITIZE=thread -DNEWSDESK_TOOLS=OFF
  cmake --build "$tsan" --target storage_tests
  TSAN_OPTIONS="suppressions=$ROOT/tests/tsan.supp halt_on_error=1 second_deadlock_stack=1" \
    "$tsan/tests/storage_tests" --gtest_filter='*Concurrent*'

  log "libFuzzer targets, ${NEWSDESK_FUZZ_SECONDS:-10} s each"
  [[ -f "$fuzz/build.ninja" ]] || CC=clang CXX=clang++ cmake -S . -B "$fuzz" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEWSDESK_FUZZ=ON -DNEWSDESK_TOOLS=OFF
  local targets=() t
  for t in ./tests/fuzz/corpus/*/; do targets+=("fuzz_$(basename "$t")"); done
  cmake --build "$fuzz" --target "${targets[@]}"
  for t in ./tests/fuzz/corpus/*/; do
    t="$(basename "$t")"
    local work
    work="$(mktemp -d)"
    cp -r "./tests/fuzz/corpus/$t/." "$work/"
    if ! (cd "$work" && "$ROOT/$fuzz/tests/fuzz_$t" -max_total_time="${NEWSDESK_FUZZ_SECONDS:-10}" \
          -rss_limit_mb=2048 -artifact_prefix="$work/crash-" "$work" >"$work/log" 2>&1); then
      tail -n 40 "$work/log" >&2
      die "fuzz target $t failed; the input is in $work (commit it under tests/fuzz/corpus/$t/ with the fix)"
    fi
    log "fuzz_$t: $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$work/log" || echo 'done')"
    rm -rf "$work"
  done
}

run_tests() {
  log "running tests"
  ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j "${NEWSDESK_TEST_JOBS:-2}" "$@"
}

main() {
  local command="${1:-}"
  (($# == 0)) || shift
  case "$command" in
    run)
      install_all
      build
      run
      ;;
    test)
      install_all
      build
      run_tests "$@"
      ;;
    build)
      install_all
      build
      ;;
    sanitize)
      install_all
      run_sanitizers
      ;;
    -h | --help | help)
      usage
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
