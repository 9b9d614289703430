#!/usr/bin/env bash
# newsdesk developer commands, for a fresh Debian 12 machine (as root) or a
# machine that already has the packages below.
#
#   ./scripts/dev.sh run     install what is missing, build (Release), start the
#                            content and events services in the foreground with
#                            their RocksDB under ./var/, load the demo articles
#                            and the demo event, Ctrl-C stops both
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
#   NEWSDESK_EVENTS_LISTEN           events-server --listen    (127.0.0.1:50052)
#   NEWSDESK_EVENTS_DB_PATH          events-server --db_path   (./var/events)
#   NEWSDESK_EVENTS_SHUTDOWN_GRACE   events-server --shutdown_grace (10s)
#   NEWSDESK_DEMO_DATA               0 skips loading the demo articles and events (1)
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
# Where services/events/CMakeLists.txt puts the binary.
readonly EVENTS_SERVER="$BUILD_DIR/services/events/events-server"
readonly EVENTS_LISTEN="${NEWSDESK_EVENTS_LISTEN:-127.0.0.1:50052}"
readonly EVENTS_DB_PATH="${NEWSDESK_EVENTS_DB_PATH:-./var/events}"
readonly EVENTS_SHUTDOWN_GRACE="${NEWSDESK_EVENTS_SHUTDOWN_GRACE:-10s}"
readonly HEALTH_TIMEOUT_SECONDS=30
# Development credentials, made on the first run: the token file holds only the
# SHA-256 of the editor token; the token itself is printed and kept beside it.
readonly DEV_TOKEN_FILE="${NEWSDESK_AUTH_TOKENS_FILE:-./var/dev-tokens}"
readonly DEV_EDITOR_TOKEN_FILE="./var/dev-editor-token"
# The events service checks article links with a token of its own (role service).
readonly DEV_SERVICE_TOKEN_FILE="./var/dev-service-token"

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
  # services/events: the IANA time zone database (schedules, iCalendar
  # VTIMEZONE), and the independent iCalendar parser of the events e2e test.
  tzdata python3-icalendar
  # the photos e2e test calls the server with Debian's gRPC for Python.
  python3-grpcio
  # content photos: libvips decodes, checks and scales images.
  libvips-dev
  # deploy tests: the OCI image is assembled with umoci.
  umoci
  # bench/: Xapian is the search peer, h2load and db_bench the protocol and storage baselines.
  libxapian-dev nghttp2-client rocksdb-tools
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
  # The deploy tests render the manifests with `kubectl kustomize` (kustomize
  # v5: components). Debian 12's own kubernetes-client is too old; use the
  # kubectl package where the machine's apt sources provide one.
  if ! command -v kubectl >/dev/null 2>&1 &&
     apt-cache policy kubectl 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    wanted+=(kubectl)
  fi

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

# The deploy tests validate rendered manifests with the Kubernetes schemas of
# kubernetes-models 4.5.1 (5.x needs Node 22) and read YAML with `yaml`.
install_deploy_tools() {
  if [[ -f ./.tools/node_modules/kubernetes-models/package.json && -f ./.tools/node_modules/yaml/package.json ]]; then
    return
  fi
  command -v npm >/dev/null 2>&1 || die "npm is not installed; cannot install kubernetes-models"
  log "installing kubernetes-models 4.5.1 and yaml into ./.tools"
  npm install --prefix ./.tools --save-exact --ignore-scripts --no-audit --no-fund \
    "@bufbuild/buf@${BUF_VERSION}" kubernetes-models@4.5.1 yaml@2.9.1
}

install_all() {
  install_apt_packages
  install_buf
  install_deploy_tools
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
EVENTS_PID=""
STOP_REQUESTED=0

alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# SIGINT (Ctrl-C reaches the whole process group) and SIGTERM: ask the servers
# to shut down gracefully; the main loop then waits for them to exit.
on_stop_signal() {
  STOP_REQUESTED=1
  if alive "$EVENTS_PID"; then
    log "stopping events-server (pid $EVENTS_PID)"
    kill -TERM "$EVENTS_PID" 2>/dev/null || true
  fi
  if alive "$SERVER_PID"; then
    log "stopping content-server (pid $SERVER_PID)"
    kill -TERM "$SERVER_PID" 2>/dev/null || true
  fi
}

# If this script fails while a server runs, do not leave it behind.
on_exit() {
  local pid
  for pid in "$EVENTS_PID" "$SERVER_PID"; do
    if alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
}

server_alive() { alive "$SERVER_PID"; }

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
  if [[ ! -s "$DEV_SERVICE_TOKEN_FILE" ]]; then
    (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DEV_SERVICE_TOKEN_FILE")
  fi
  if [[ ! -s "$DEV_TOKEN_FILE" ]]; then
    local editor service
    editor="$(sha256sum <"$DEV_EDITOR_TOKEN_FILE" | cut -d' ' -f1)"
    service="$(sha256sum <"$DEV_SERVICE_TOKEN_FILE" | cut -d' ' -f1)"
    printf '# newsdesk development tokens: sha256:<hash> <role> <subject>\nsha256:%s editor dev-editor\nsha256:%s service events-server\n' \
      "$editor" "$service" >"$DEV_TOKEN_FILE"
  fi
}

# wait_until_serving URL [PID]: PID defaults to the content server's.
wait_until_serving() {
  local url="$1" pid="${2:-$SERVER_PID}" deadline=$((SECONDS + HEALTH_TIMEOUT_SECONDS)) reply
  while ((SECONDS < deadline)); do
    ((STOP_REQUESTED == 0)) || return 1
    alive "$pid" || return 1
    reply="$(call --connect-timeout 1 --timeout 2s "$url/grpc.health.v1.Health/Check" 2>/dev/null || true)"
    [[ "$reply" == *'"SERVING"'* ]] && return 0
    sleep 0.3
  done
  return 1
}

# Checks a --listen value (a fixed port) and prints the host:port to call it
# on (a wildcard host is reached through the loopback interface).
reachable_address() {
  local name="$1" listen="$2" host="${2%:*}" port="${2##*:}"
  [[ "$port" =~ ^[0-9]+$ && "$port" != 0 && "$host" != "$listen" ]] ||
    die "$name must be host:port with a fixed port, got '$listen'"
  case "$host" in "" | 0.0.0.0 | "[::]" | "::") host=127.0.0.1 ;; esac
  printf '%s:%s' "$host" "$port"
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

More in README.md and docs/API.md.

EOF
}

# Creates the events in scripts/demo/events/ (after the demo articles they
# cite). Each has a fixed event_id: on every start after the first the server
# answers ALREADY_EXISTS and nothing changes.
load_demo_events() {
  local url="$1" file out created=0 present=0 failed=0
  for file in ./scripts/demo/events/*.json; do
    [[ -e "$file" ]] || continue
    ((STOP_REQUESTED == 0)) || return 0
    if out="$(call_as_editor --timeout 10s -d "@$file" "$url/newsdesk.events.v1.EventsService/CreateEvent" 2>&1)"; then
      created=$((created + 1))
    elif [[ "$out" == *'"already_exists"'* ]]; then
      present=$((present + 1))
    else
      failed=$((failed + 1))
      printf 'dev.sh: warning: demo event %s was not loaded:\n%s\n' "$file" "$out" >&2
    fi
  done
  log "demo data: ${created} event(s) created, ${present} already present, ${failed} failed"
}

print_events_hint() {
  local address="$1" url="http://$1/newsdesk.events.v1.EventsService"
  cat >&2 <<EOF
events-server is serving on ${address} (database: ${EVENTS_DB_PATH}, content service: ${CONTENT_LISTEN}):

  ${BUF} curl --protocol grpc --http2-prior-knowledge \\
      -d '{"filter": "start < \"2018-06-01\" AND end >= \"2018-05-01\""}' ${url}/ListEvents
  ${BUF} curl --protocol grpc --http2-prior-knowledge \\
      -d '{"names": ["events/konferencja-szpitali-maj-2018"]}' ${url}/ExportEvents
  ${BUF} curl --protocol grpc --http2-prior-knowledge -d '{}' ${url}/WatchEvents

More in docs/EVENTS.md. Press Ctrl-C to stop both servers.

EOF
}


run() {
  local address url events_address events_url
  address="$(reachable_address NEWSDESK_CONTENT_LISTEN "$CONTENT_LISTEN")"
  events_address="$(reachable_address NEWSDESK_EVENTS_LISTEN "$EVENTS_LISTEN")"
  url="http://$address"
  events_url="http://$events_address"

  [[ -x "$CONTENT_SERVER" ]] || die "$CONTENT_SERVER was not built (did the build layout change?)"
  [[ -x "$EVENTS_SERVER" ]] || die "$EVENTS_SERVER was not built (did the build layout change?)"
  mkdir -p "$(dirname "$CONTENT_DB_PATH")" "$(dirname "$EVENTS_DB_PATH")"
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
    if [[ "${NEWSDESK_DEMO_DATA:-1}" != 0 ]]; then
      load_demo_data "$url"
    fi
    if ((STOP_REQUESTED == 0)); then
      log "starting events-server on $EVENTS_LISTEN (database $EVENTS_DB_PATH, content service $address)"
      "$EVENTS_SERVER" \
        --listen "$EVENTS_LISTEN" \
        --db_path "$EVENTS_DB_PATH" \
        --auth_tokens_file "$DEV_TOKEN_FILE" \
        --content_token_file "$DEV_SERVICE_TOKEN_FILE" \
        --content_target "$address" \
        --shutdown_grace "$EVENTS_SHUTDOWN_GRACE" &
      EVENTS_PID=$!
      if wait_until_serving "$events_url" "$EVENTS_PID"; then
        healthy=1
        # After the demo articles: the demo event cites one of them.
        if [[ "${NEWSDESK_DEMO_DATA:-1}" != 0 ]]; then
          load_demo_events "$events_url"
        fi
        if ((STOP_REQUESTED == 0)); then
          print_usage_hint "$address"
          print_events_hint "$events_address"
        fi
      fi
    fi
  fi
  local timed_out=0
  if ((healthy == 0 && STOP_REQUESTED == 0)); then
    timed_out=1
    printf 'dev.sh: error: a server did not report SERVING within %ss; stopping\n' "$HEALTH_TIMEOUT_SECONDS" >&2
    on_stop_signal
  fi

  # Wait for the servers in the foreground. A trapped signal interrupts
  # `wait` (status > 128) while a server is still shutting down, so wait
  # again until each is gone; the last `wait` returns its own exit status.
  local rc=0 events_rc=0 content_rc=0
  set +e
  while alive "$EVENTS_PID" || alive "$SERVER_PID"; do
    wait -n 2>/dev/null || sleep 0.2
    # One server gone by itself: stop the other too.
    if ((STOP_REQUESTED == 0)) && ! { alive "$SERVER_PID" && { [[ -z "$EVENTS_PID" ]] || alive "$EVENTS_PID"; }; }; then
      log "a server stopped; stopping the other"
      on_stop_signal
    fi
  done
  if [[ -n "$EVENTS_PID" ]]; then
    wait "$EVENTS_PID"
    events_rc=$?
  fi
  wait "$SERVER_PID"
  content_rc=$?
  set -e
  SERVER_PID=""
  EVENTS_PID=""
  if ((events_rc != 0)); then
    log "events-server exited with status $events_rc"
    rc=$events_rc
  fi
  if ((content_rc != 0)); then
    log "content-server exited with status $content_rc"
    rc=$content_rc
  fi
  ((rc == 0)) || exit "$rc"
  log "servers stopped cleanly"
  # Stopped by a signal before they were healthy: not an error. Never
  # healthy otherwise (timeout): an error, even though the servers exited 0.
  ((timed_out == 0)) || exit 1
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
    "$tsan/tests/storage_tests" --gtest_filter='*Concurrent*:ForkJoinPool*:*Sliced*'

  # One target per directory of tests/fuzz/corpus/ (filter, page_token,
  # article_request, search_query, image_header, entry_set, icalendar).
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
