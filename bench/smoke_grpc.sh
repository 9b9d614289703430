#!/usr/bin/env bash
# Smoke run of the gRPC benchmark tools (tests/bench_smoke.cmake): the echo
# server and content-server on 127.0.0.1, each driven briefly by
# bench-grpc-load with every method, and h2load when it is installed. Fails
# when a tool fails or any call returns a non-OK status.
#
#   bench/smoke_grpc.sh BENCH_BIN_DIR CONTENT_SERVER DB_PATH COUNT
set -euo pipefail
B=$1
SERVER=$2
DB=$3
COUNT=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/newsdesk-bench-smoke-XXXXXX")
PID=""
cleanup() {
  if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
start() {
  ADDR="127.0.0.1:$(port)"
  "$@" --listen="$ADDR" >"$WORK/server.log" 2>&1 &
  PID=$!
  "$B/bench-grpc-load" --target="$ADDR" --wait_serving=30
}
stop() {
  kill -TERM "$PID"
  wait "$PID" || true
  PID=""
}
drive() {  # drive METHOD...
  for m in "$@"; do
    "$B/bench-grpc-load" --target="$ADDR" --token="${TOKEN:-}" --method="$m" --count="$COUNT" --deep=$((COUNT / 2)) \
      --connections=2 --streams=2 --seconds=0.3 --warmup_seconds=0.1
  done
}

TOKEN="bench-smoke-editor-token"
printf 'sha256:%s editor bench\n' "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)" >"$WORK/tokens"
start "$B/bench-echo-server" --auth_tokens_file="$WORK/tokens"
drive get list create search
"$B/bench-grpc-load" --target="$ADDR" --method=get --count="$COUNT" --rate=200 --connections=2 --streams=2 \
  --seconds=0.3 --warmup_seconds=0.1
if command -v h2load >/dev/null; then
  "$B/bench-grpc-body" --method=get --id=a0000000001 --out="$WORK/get.bin"
  h2load -n 50 -c 2 -m 2 -d "$WORK/get.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://$ADDR/newsdesk.content.v1.ContentService/GetArticle" | grep -q 'succeeded, 0 failed'
fi
stop

start "$SERVER" --db_path="$DB" --auth_tokens_file="$WORK/tokens"
drive get list list_deep search
stop
echo "bench gRPC smoke: OK"
