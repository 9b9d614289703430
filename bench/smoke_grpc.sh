#!/usr/bin/env bash
# Smoke run of the gRPC benchmark tools (tests/bench_smoke.cmake): the echo
# server and content-server on 127.0.0.1, each driven briefly by
# bench-grpc-load with every method, and h2load when it is installed. With
# an events-server, also the suite's CreateEvent phase: events-server against
# the content-server, create_event citing corpus articles, and bench/report.py
# filling the CreateEvent row from those results. Fails when a tool fails or
# any call returns a non-OK status.
#
#   bench/smoke_grpc.sh BENCH_BIN_DIR CONTENT_SERVER DB_PATH COUNT [EVENTS_SERVER]
set -euo pipefail
B=$1
SERVER=$2
DB=$3
COUNT=$4
EVENTS_SERVER=${5:-}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/newsdesk-bench-smoke-XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
start() {  # start NAME CMD... → ADDR, PID
  local name=$1; shift
  ADDR="127.0.0.1:$(port)"
  "$@" --listen="$ADDR" >"$WORK/$name.log" 2>&1 &
  PID=$!
  PIDS+=("$PID")
  "$B/bench-grpc-load" --target="$ADDR" --wait_serving=30
}
stop() {  # stop PID
  kill -TERM "$1"
  wait "$1" || true
}
drive() {  # drive METHOD...
  for m in "$@"; do
    "$B/bench-grpc-load" --target="$ADDR" --token="${TOKEN:-}" --method="$m" --count="$COUNT" --deep=$((COUNT / 2)) \
      --connections=2 --streams=2 --seconds=0.3 --warmup_seconds=0.1
  done
}

TOKEN="bench-smoke-editor-token"
SERVICE_TOKEN="bench-smoke-service-token"
sha() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
printf 'sha256:%s editor bench\nsha256:%s service bench-events\n' "$(sha "$TOKEN")" "$(sha "$SERVICE_TOKEN")" \
  >"$WORK/tokens"
printf '%s\n' "$SERVICE_TOKEN" >"$WORK/service-token"

start echo "$B/bench-echo-server" --auth_tokens_file="$WORK/tokens"
drive get list create search
"$B/bench-grpc-load" --target="$ADDR" --method=get --count="$COUNT" --rate=200 --connections=2 --streams=2 \
  --seconds=0.3 --warmup_seconds=0.1
if command -v h2load >/dev/null; then
  "$B/bench-grpc-body" --method=get --id=a0000000001 --out="$WORK/get.bin"
  h2load -n 50 -c 2 -m 2 -d "$WORK/get.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://$ADDR/newsdesk.content.v1.ContentService/GetArticle" | grep -q 'succeeded, 0 failed'
fi
stop "$PID"

start content "$SERVER" --db_path="$DB" --auth_tokens_file="$WORK/tokens" --block_cache_mb=16
CONTENT_PID=$PID
CONTENT_ADDR=$ADDR
drive get list list_deep search

if [[ -n "$EVENTS_SERVER" ]]; then
  # The suite's CreateEvent phase in small: a few events, then GetArticle and
  # CreateEvent from one client each, written where report.py reads them.
  RUN="$WORK/run"
  mkdir -p "$RUN"
  start events "$EVENTS_SERVER" --db_path="$WORK/events-db" --content_target="$CONTENT_ADDR" \
    --auth_tokens_file="$WORK/tokens" --content_token_file="$WORK/service-token"
  EVENTS_PID=$PID
  EVENTS_ADDR=$ADDR
  load1() {  # load1 ADDR LABEL METHOD CONNS [flags...]
    local addr=$1 label=$2 method=$3 conns=$4; shift 4
    "$B/bench-grpc-load" --target="$addr" --token="$TOKEN" --method="$method" --count="$COUNT" \
      --connections="$conns" --streams=1 --seconds=0.3 --warmup_seconds=0.1 --label="$label" --kv="$RUN/results.kv" "$@"
  }
  load1 "$EVENTS_ADDR" events_create_16 create_event 4 --warmup_seconds=0 --seconds=30 --max_calls=20
  load1 "$CONTENT_ADDR" events_get_1 get 1
  load1 "$EVENTS_ADDR" events_create_1 create_event 1
  load1 "$EVENTS_ADDR" events_create_nosource_1 create_event 1 --event_sources=0
  echo "events_dataset=20" >>"$RUN/results.kv"
  echo "suite_count=$COUNT" >>"$RUN/results.kv"
  stop "$EVENTS_PID"
  python3 "$HERE/report.py" --run "$RUN" --dest "$RUN"
  row=$(grep '^| CreateEvent p50' "$RUN/BENCHMARKS.md")
  echo "$row"
  if [[ "$row" == *"not measured"* ]]; then
    echo "report.py did not fill the CreateEvent row" >&2
    exit 1
  fi
fi
stop "$CONTENT_PID"
echo "bench gRPC smoke: OK"
