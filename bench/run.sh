#!/usr/bin/env bash
# The newsdesk benchmark suite (issues 3 and 8): one command that measures the
# content and events services beside their baselines in the same run and
# writes docs/BENCHMARKS.md and docs/bench-*.png.
#
#   bench/run.sh                  # the recorded configuration (100,000 articles)
#   bench/run.sh --count 2000 --quick --no-docs   # a few minutes, for trying changes
#
# Options:
#   --build-dir DIR   where the binaries are (default: build-bench); built first
#                     unless --no-build
#   --count N         articles in the corpus (default 100000)
#   --fresh           rebuild the cached corpus and Xapian index
#   --quick           shorter measurements (for smoke runs; figures are noisy)
#   --no-docs         write results under var/bench/ only, not docs/
#   --block-cache-mb N
#                     content-server --block_cache_mb for the servers under
#                     load (default 64, the server's default)
#
# The corpus (bench-load-corpus: Create + Publish through ArticleStore, synced)
# and its Xapian index are cached in var/bench/ and reused by later runs: a
# fresh 100,000-article corpus takes longer to load than the 15-minute budget
# of the rest (see docs/BENCHMARKS.md for the load rate). Every server started
# here listens on 127.0.0.1 only and is stopped by this script, also on error.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=build-bench
COUNT=100000
FRESH=0
QUICK=0
DOCS=1
BUILD_FIRST=1
BLOCK_CACHE_MB=64
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) BUILD=$2; shift 2 ;;
    --count) COUNT=$2; shift 2 ;;
    --fresh) FRESH=1; shift ;;
    --quick) QUICK=1; shift ;;
    --no-docs) DOCS=0; shift ;;
    --no-build) BUILD_FIRST=0; shift ;;
    --block-cache-mb) BLOCK_CACHE_MB=$2; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
cd "$ROOT"
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
B="$BUILD/bench"
SERVER="$BUILD/services/content/content-server"
EVENTS_SERVER="$BUILD/services/events/events-server"
PHOTOS="$B/media/bench-photos"
CACHE="$ROOT/var/bench"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$CACHE/run-$STAMP"
KV="$OUT/results.kv"
mkdir -p "$OUT"
SUITE_START=$(date +%s)

log() { printf '[%s +%ds] %s\n' "$(date +%H:%M:%S)" $(( $(date +%s) - SUITE_START )) "$*" >&2; }
kv() { echo "$1=$2" >> "$KV"; }
# Records the command line of a measurement for the report.
cmd() { printf '%s\n' "$*" >> "$OUT/commands.txt"; }

if [[ $BUILD_FIRST = 1 ]]; then
  log "building benchmark targets in $BUILD"
  # The CreateEvent figure needs events-server (NEWSDESK_EVENTS, on by
  # default); a build directory configured without it is switched on.
  if [[ ! -f "$BUILD/build.ninja" ]] || grep -q '^NEWSDESK_EVENTS:BOOL=OFF' "$BUILD/CMakeCache.txt" 2>/dev/null; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNEWSDESK_EVENTS=ON >/dev/null
  fi
  cmake --build "$BUILD" -j2 --target content-server events-server bench-load-corpus bench-search bench-storage \
    bench-echo-server bench-grpc-load bench-startup bench-grpc-body bench-photos >/dev/null
fi

# ---- servers: started here, always stopped here ---------------------------------
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  done
  PIDS=()
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# start_server NAME CMD... → sets SERVER_PID and SERVER_ADDR (the address
# `load` drives)
# Every server gets a token file with the editor token the load client sends
# (creates need it; reads work either way) and the service token events-server
# checks source articles with (role service, as deployed).
BENCH_TOKEN="bench-editor-token"
BENCH_SERVICE_TOKEN="bench-events-service-token"
sha() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
printf 'sha256:%s editor bench\nsha256:%s service bench-events-server\n' "$(sha "$BENCH_TOKEN")" \
  "$(sha "$BENCH_SERVICE_TOKEN")" >"$OUT/tokens"
printf '%s\n' "$BENCH_SERVICE_TOKEN" >"$OUT/service-token"
start_server() {
  local name=$1; shift
  local port; port=$(free_port)
  SERVER_ADDR="127.0.0.1:$port"
  "$@" --listen="$SERVER_ADDR" --auth_tokens_file="$OUT/tokens" >"$OUT/$name.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  "$B/bench-grpc-load" --target="$SERVER_ADDR" --wait_serving=60 >/dev/null
}
stop_server() {
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}
rss_kib() { awk -v k="$2:" '$1==k {print $2}' "/proc/$1/status"; }

# ---- measurement sizes ---------------------------------------------------------------
if [[ $QUICK = 1 ]]; then
  SECS=2; WARM=0.5; QUERIES=40; QSECS=15; REPEATS=30; STORE_SECS=2; SWEEP="1 16 128"
  PHOTO_RUNS="--small_iterations=5 --large_iterations=2"
else
  SECS=8; WARM=2; QUERIES=300; QSECS=60; REPEATS=200; STORE_SECS=5; SWEEP="1 4 16 64 256 512"
  PHOTO_RUNS="--small_iterations=20 --large_iterations=5"
fi
# Events created before CreateEvent's latency is measured (issue 8's 1k events).
EVENTS_DATASET=1000
kv suite_count "$COUNT"
kv suite_quick "$QUICK"
kv content_block_cache_mb "$BLOCK_CACHE_MB"
kv machine_cpus "$(nproc)"
kv machine_load_start "$(cut -d' ' -f1 /proc/loadavg)"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "kernel: $(uname -sr)"
  echo "cpu: $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "gRPC: $(dpkg-query -W -f '${Version}' libgrpc++-dev 2>/dev/null), RocksDB: $(dpkg-query -W -f '${Version}' librocksdb-dev 2>/dev/null), Xapian: $(dpkg-query -W -f '${Version}' libxapian-dev 2>/dev/null), h2load: $(dpkg-query -W -f '${Version}' nghttp2-client 2>/dev/null)"
  echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
} > "$OUT/machine.txt"

# ---- 1. corpus ------------------------------------------------------------------------
DB="$CACHE/corpus-$COUNT-s42"
XAP="$CACHE/xapian-$COUNT-s42"
if [[ $FRESH = 1 ]]; then rm -rf "$DB" "$DB.done" "$XAP" "$XAP.done"; fi
if [[ ! -f "$DB.done" ]]; then
  rm -rf "$DB"
  log "loading $COUNT articles into $DB (cached for later runs)"
  cmd "$B/bench-load-corpus --db_path=$DB --count=$COUNT --threads=16"
  "$B/bench-load-corpus" --db_path="$DB" --count="$COUNT" --threads=16 >/dev/null
  kv corpus_loaded_this_run 1
else
  log "reusing the corpus in $DB"
  kv corpus_loaded_this_run 0
fi
# count= seed= threads= seconds= articles_per_second= db_bytes=
for pair in $(cat "$DB.done"); do kv "corpus_${pair%%=*}" "${pair#*=}"; done

# ---- 2. search, listing, GetArticle in process (+ Xapian) ---------------------------------
log "bench-search (in process, with Xapian)"
cmd "$B/bench-search --db_path=$DB --count=$COUNT --xapian_path=$XAP --queries=$QUERIES --query_seconds=$QSECS --repeats=$REPEATS"
"$B/bench-search" --db_path="$DB" --count="$COUNT" --xapian_path="$XAP" --queries="$QUERIES" \
  --query_seconds="$QSECS" --repeats="$REPEATS" --kv="$KV" --csv="$OUT/search.csv" > "$OUT/search.md"

# The same with a 256 MiB block cache (what content-server --block_cache_mb=256
# would give): what the cache size does to listing and search.
log "bench-search with a 256 MiB block cache (tuning what-if)"
cmd "$B/bench-search --db_path=$DB --count=$COUNT --xapian_path=$XAP --queries=$((QUERIES / 3)) --query_seconds=$((QSECS / 2)) --repeats=$((REPEATS / 2)) --block_cache_mb=256"
"$B/bench-search" --db_path="$DB" --count="$COUNT" --xapian_path="$XAP" --queries=$((QUERIES / 3)) \
  --query_seconds=$((QSECS / 2)) --repeats=$((REPEATS / 2)) --block_cache_mb=256 --kv="$KV" --kv_prefix=cache256_ \
  > "$OUT/search_cache256.md"

# ---- 3. storage limits: our store, db_bench -----------------------------------------------
log "bench-storage (CreateArticle 1 and 32 threads, in process)"
cmd "$B/bench-storage --threads=1,32 --seconds=$STORE_SECS"
"$B/bench-storage" --threads=1,32 --seconds="$STORE_SECS" --kv="$KV" > "$OUT/storage.md"

log "db_bench fillsync (1 and 32 threads) and readrandom"
DBB="$OUT/db_bench"
# fillsync: each thread writes --num synced values. 16 KiB values: about the
# size of one CreateArticle batch (record, revision, index and search entries).
for t in 1 32; do
  n=1000  # fillsync needs --num >= 1000
  cmd "db_bench --benchmarks=fillsync --threads=$t --num=$n --value_size=16384 --compression_type=lz4 --db=$DBB-$t"
  db_bench --benchmarks=fillsync --threads=$t --num=$n --value_size=16384 --compression_type=lz4 \
    --db="$DBB-$t" > "$OUT/db_bench_fillsync_$t.txt" 2>&1
  ops=$(awk '/^fillsync/ {for (i=1;i<=NF;i++) if ($i=="ops/sec") print $(i-1)}' "$OUT/db_bench_fillsync_$t.txt")
  kv "dbbench_fillsync_t${t}_per_s" "${ops:-0}"
  rm -rf "$DBB-$t"
done
n=$(( QUICK == 1 ? 5000 : 25000 ))
cmd "db_bench --benchmarks=fillrandom --threads=2 --num=$n --value_size=4096 --compression_type=lz4 --db=$DBB-r"
cmd "db_bench --benchmarks=readrandom --use_existing_db --threads=2 --num=$n --duration=$STORE_SECS --cache_size=67108864 --db=$DBB-r"
db_bench --benchmarks=fillrandom --threads=2 --num=$n --value_size=4096 --compression_type=lz4 \
  --db="$DBB-r" > "$OUT/db_bench_fillrandom.txt" 2>&1
db_bench --benchmarks=readrandom --use_existing_db --threads=2 --num=$n --duration="$STORE_SECS" \
  --cache_size=67108864 --db="$DBB-r" > "$OUT/db_bench_readrandom.txt" 2>&1
ops=$(awk '/^readrandom/ {for (i=1;i<=NF;i++) if ($i=="ops/sec") print $(i-1)}' "$OUT/db_bench_readrandom.txt")
kv dbbench_readrandom_t2_per_s "${ops:-0}"
rm -rf "$DBB-r"

# ---- 4. gRPC: echo baseline vs content-server ------------------------------------------------
LOADH="| label | method | conns×streams | rate | calls | calls/s | p50 | p90 | p99 | p99.9 | errors | bytes/resp |"
echo "$LOADH" > "$OUT/grpc.md"
echo "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|" >> "$OUT/grpc.md"
load() {  # load LABEL METHOD CONNS STREAMS [extra flags...]
  local label=$1 method=$2 c=$3 s=$4; shift 4
  cmd "$B/bench-grpc-load --target=\$ADDR --method=$method --count=$COUNT --connections=$c --streams=$s --seconds=$SECS --warmup_seconds=$WARM $*"
  "$B/bench-grpc-load" --target="$SERVER_ADDR" --token="$BENCH_TOKEN" --method="$method" --count="$COUNT" --connections="$c" \
    --streams="$s" --seconds="$SECS" --warmup_seconds="$WARM" --label="$label" --kv="$KV" "$@" \
    >> "$OUT/grpc.md" 2>> "$OUT/grpc_errors.txt" || true  # non-OK statuses are in the errors column
}
h2() {  # h2 LABEL BODY PATH
  local label=$1 body=$2 path=$3
  cmd "h2load -D $SECS -c 16 -m 32 -t 1 -d $body -H 'content-type: application/grpc' -H 'te: trailers' http://\$ADDR$path"
  h2load -D "$SECS" -c 16 -m 32 -t 1 -d "$body" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://$SERVER_ADDR$path" > "$OUT/h2load_$label.txt" 2>&1 || true
  local rps; rps=$(awk '/^finished in/ {for (i=1;i<=NF;i++) if ($i=="req/s,") print $(i-1)}' "$OUT/h2load_$label.txt")
  kv "h2load_${label}_qps" "${rps:-0}"
  local ok; ok=$(awk '/^status codes:/ {print $3}' "$OUT/h2load_$label.txt")
  kv "h2load_${label}_2xx" "${ok:-0}"
}
"$B/bench-grpc-body" --method=get --id="$(printf 'a%010d' $((COUNT / 2)))" --out="$OUT/get.bin"
"$B/bench-grpc-body" --method=list --out="$OUT/list.bin"
GET_PATH=/newsdesk.content.v1.ContentService/GetArticle
LIST_PATH=/newsdesk.content.v1.ContentService/ListArticles

log "echo baseline server"
start_server echo "$B/bench-echo-server"
ECHO_PID=$SERVER_PID
kv echo_rss_idle_kib "$(rss_kib "$ECHO_PID" VmRSS)"
for n in $SWEEP; do
  c=$(( n < 16 ? n : 16 )); s=$(( n / c ))
  load "sweep_echo_get_$n" get "$c" "$s"
done
load echo_get get 16 32
load echo_list list 16 32
load echo_create create 32 1
h2 echo_get "$OUT/get.bin" "$GET_PATH"
kv echo_rss_hwm_kib "$(rss_kib "$ECHO_PID" VmHWM)"
stop_server "$ECHO_PID"

log "content-server start-up with $COUNT articles"
echo "| server | runs | start → SERVING p50 | max | RSS at SERVING | RSS idle (1 s later) | SIGTERM → exit p50 | failures |" > "$OUT/startup.md"
echo "|---|---:|---:|---:|---:|---:|---:|---:|" >> "$OUT/startup.md"
cmd "$B/bench-startup --server=$SERVER --db_path=$DB --runs=3 --label=startup_content"
"$B/bench-startup" --server="$SERVER" --db_path="$DB" --runs=3 --label=startup_content --kv="$KV" >> "$OUT/startup.md" || true
cmd "$B/bench-startup --server=$B/bench-echo-server --runs=3 --label=startup_echo"
"$B/bench-startup" --server="$B/bench-echo-server" --runs=3 --label=startup_echo --kv="$KV" >> "$OUT/startup.md" || true

log "content-server with $COUNT articles under load (block cache $BLOCK_CACHE_MB MiB)"
cmd "$SERVER --listen=\$ADDR --db_path=$DB --block_cache_mb=$BLOCK_CACHE_MB"
start_server content "$SERVER" --db_path="$DB" --block_cache_mb="$BLOCK_CACHE_MB"
CONTENT_PID=$SERVER_PID
CONTENT_ADDR=$SERVER_ADDR
kv content_rss_idle_kib "$(rss_kib "$CONTENT_PID" VmRSS)"
for n in $SWEEP; do
  c=$(( n < 16 ? n : 16 )); s=$(( n / c ))
  load "sweep_content_get_$n" get "$c" "$s"
done
load content_get get 16 32
# p99 at half of the peak just measured (open loop).
PEAK=$(awk -F= '$1=="content_get_qps" {print $2}' "$KV" | tail -1)
HALF=$(python3 -c "print(max(1, int(float('${PEAK:-0}') / 2)))")
kv content_get_half_rate "$HALF"
load content_get_half get 16 32 --rate="$HALF"
load content_list list 16 32
load content_list_deep list_deep 16 32
kv content_rss_before_search_kib "$(rss_kib "$CONTENT_PID" VmHWM)"
# Search throughput: a search takes ~10 ms of CPU at 100k articles and runs
# on the server's search workers (one per core), so 4 calls in flight keep both cores busy
# (more only queue: 16 in flight gave the same rate at a p99.9 near 4 s on a
# busy machine); a 5 s deadline still catches a search that regressed to
# seconds (it counts as an error).
load content_search search 2 2 --deadline_seconds=5
kv content_rss_after_search_kib "$(rss_kib "$CONTENT_PID" VmHWM)"
h2 content_get "$OUT/get.bin" "$GET_PATH"
h2 content_list "$OUT/list.bin" "$LIST_PATH"
kv content_rss_load_kib "$(rss_kib "$CONTENT_PID" VmRSS)"
kv content_rss_hwm_kib "$(rss_kib "$CONTENT_PID" VmHWM)"

# CreateEvent with one source article checked over gRPC: events-server (fresh
# database) asks this content-server for the cited article (GetArticle with
# the service token), then writes the event (synced). First the 1k-event data
# set (16 clients, exactly $EVENTS_DATASET creates: also the throughput at 16
# clients), then one client each: GetArticle straight to content-server, then
# CreateEvent, so the two p50s compare like for like, and CreateEvent citing
# no article (validation and the synced write alone) to split the difference.
if [[ -x "$EVENTS_SERVER" ]]; then
  log "events-server against this content-server: $EVENTS_DATASET events, then CreateEvent vs GetArticle (1 client)"
  EVENTS_DB="$OUT/events-db"
  cmd "$EVENTS_SERVER --listen=\$ADDR --db_path=$EVENTS_DB --content_target=\$CONTENT_ADDR --content_token_file=$OUT/service-token"
  start_server events "$EVENTS_SERVER" --db_path="$EVENTS_DB" --content_target="$CONTENT_ADDR" \
    --content_token_file="$OUT/service-token"
  EVENTS_PID=$SERVER_PID
  EVENTS_ADDR=$SERVER_ADDR
  sleep 1
  kv events_rss_idle_kib "$(rss_kib "$EVENTS_PID" VmRSS)"
  load events_create_16 create_event 16 1 --warmup_seconds=0 --seconds=300 --max_calls="$EVENTS_DATASET"
  kv events_dataset "$EVENTS_DATASET"
  SERVER_ADDR=$CONTENT_ADDR
  load events_get_1 get 1 1
  SERVER_ADDR=$EVENTS_ADDR
  load events_create_1 create_event 1 1
  load events_create_nosource_1 create_event 1 1 --event_sources=0
  kv events_rss_hwm_kib "$(rss_kib "$EVENTS_PID" VmHWM)"
  kv events_db_bytes "$(du -sb "$EVENTS_DB" | cut -f1)"
  stop_server "$EVENTS_PID"
  rm -rf "$EVENTS_DB"
else
  log "no $EVENTS_SERVER (a build without NEWSDESK_EVENTS): CreateEvent not measured"
fi
stop_server "$CONTENT_PID"

log "content-server, fresh database: durable CreateArticle"
FRESH_DB="$OUT/create-db"
start_server content-create "$SERVER" --db_path="$FRESH_DB" --block_cache_mb="$BLOCK_CACHE_MB"
CREATE_PID=$SERVER_PID
load content_create_1 create 1 1
load content_create_32 create 32 1
stop_server "$CREATE_PID"
rm -rf "$FRESH_DB"

# ---- 5. photos: UploadPhoto / DownloadPhoto vs a plain gRPC byte stream ------------------------
# bench-photos starts its own content-server (fresh database) and byte-stream
# echo, one call at a time.
if [[ -x "$PHOTOS" ]]; then
  log "bench-photos (1 MiB and 10 MiB, against a plain gRPC byte stream)"
  cmd "$PHOTOS --content_server=$SERVER $PHOTO_RUNS"
  # shellcheck disable=SC2086  # PHOTO_RUNS is two flags
  "$PHOTOS" --content_server="$SERVER" $PHOTO_RUNS --kv="$KV" > "$OUT/photos.md" \
    2> "$OUT/photos_errors.txt" || log "bench-photos failed (see $OUT/photos_errors.txt)"
else
  log "no $PHOTOS: photos not measured"
fi

kv machine_load_end "$(cut -d' ' -f1 /proc/loadavg)"
kv suite_seconds $(( $(date +%s) - SUITE_START ))
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"

# ---- 6. report ---------------------------------------------------------------------------------
DEST="$ROOT/docs"
[[ $DOCS = 1 ]] || DEST="$OUT"
log "writing $DEST/BENCHMARKS.md and charts"
/usr/bin/python3 "$ROOT/bench/report.py" --run "$OUT" --dest "$DEST"
log "done in $(( $(date +%s) - SUITE_START )) s; raw results in $OUT"
