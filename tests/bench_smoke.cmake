# Smoke runs of every benchmark binary with tiny sizes (label `bench`): they
# check that the tools work, not how fast anything is. The figures come from
# bench/run.sh (docs/BENCHMARKS.md).
#   ctest -L bench
# tests/ is added before bench/, so the targets are named through generator
# expressions (resolved once every directory is read).
if(EXISTS ${PROJECT_SOURCE_DIR}/bench/CMakeLists.txt)
  set(NEWSDESK_BENCH_SMOKE_DIR ${CMAKE_CURRENT_BINARY_DIR}/bench-smoke)
  set(NEWSDESK_BENCH_SMOKE_DB ${NEWSDESK_BENCH_SMOKE_DIR}/corpus)
  set(NEWSDESK_BENCH_SMOKE_COUNT 300)

  # A 300-article corpus shared by the tests below (a fixture).
  add_test(NAME bench_smoke_load_corpus
    COMMAND sh -c "rm -rf '${NEWSDESK_BENCH_SMOKE_DIR}' && mkdir -p '${NEWSDESK_BENCH_SMOKE_DIR}' && \
'$<TARGET_FILE:bench-load-corpus>' --db_path='${NEWSDESK_BENCH_SMOKE_DB}' --count=${NEWSDESK_BENCH_SMOKE_COUNT} --threads=4")
  set_tests_properties(bench_smoke_load_corpus PROPERTIES
    LABELS bench FIXTURES_SETUP bench_corpus TIMEOUT 120)

  add_test(NAME bench_smoke_search
    COMMAND $<TARGET_FILE:bench-search> --db_path=${NEWSDESK_BENCH_SMOKE_DB} --count=${NEWSDESK_BENCH_SMOKE_COUNT}
            --xapian_path=${NEWSDESK_BENCH_SMOKE_DIR}/xapian --queries=10 --query_seconds=10 --repeats=5
            --deep=200)
  set_tests_properties(bench_smoke_search PROPERTIES
    LABELS bench FIXTURES_REQUIRED bench_corpus RESOURCE_LOCK bench_corpus_db TIMEOUT 180)

  add_test(NAME bench_smoke_storage
    COMMAND $<TARGET_FILE:bench-storage> --threads=1,4 --seconds=0.5 --max_creates=40)
  set_tests_properties(bench_smoke_storage PROPERTIES LABELS bench TIMEOUT 120)

  add_test(NAME bench_smoke_grpc_body
    COMMAND $<TARGET_FILE:bench-grpc-body> --method=get --id=a0000000001 --out=${CMAKE_CURRENT_BINARY_DIR}/bench-smoke-get.bin)
  set_tests_properties(bench_smoke_grpc_body PROPERTIES LABELS bench TIMEOUT 30)

  add_test(NAME bench_smoke_startup
    COMMAND $<TARGET_FILE:bench-startup> --server=$<TARGET_FILE:bench-echo-server> --runs=1 --idle_ms=50 --timeout_seconds=30)
  set_tests_properties(bench_smoke_startup PROPERTIES LABELS bench TIMEOUT 60)

  # With the events service built, also the suite's CreateEvent phase
  # (events-server against that content-server) and its row in report.py.
  set(NEWSDESK_BENCH_SMOKE_EVENTS "")
  if(TARGET events-server)
    set(NEWSDESK_BENCH_SMOKE_EVENTS $<TARGET_FILE:events-server>)
  endif()
  add_test(NAME bench_smoke_grpc
    COMMAND ${PROJECT_SOURCE_DIR}/bench/smoke_grpc.sh $<TARGET_FILE_DIR:bench-grpc-load>
            $<TARGET_FILE:content-server> ${NEWSDESK_BENCH_SMOKE_DB} ${NEWSDESK_BENCH_SMOKE_COUNT}
            ${NEWSDESK_BENCH_SMOKE_EVENTS})
  set_tests_properties(bench_smoke_grpc PROPERTIES
    LABELS bench FIXTURES_REQUIRED bench_corpus RESOURCE_LOCK bench_corpus_db TIMEOUT 180)

  # bench-photos with small photos and one run each, then report.py filling
  # the DownloadPhoto row from its results (as bench/run.sh does).
  set(NEWSDESK_BENCH_SMOKE_PHOTOS ${CMAKE_CURRENT_BINARY_DIR}/bench-smoke-photos)
  add_test(NAME bench_smoke_photos
    COMMAND sh -c "rm -rf '${NEWSDESK_BENCH_SMOKE_PHOTOS}' && mkdir -p '${NEWSDESK_BENCH_SMOKE_PHOTOS}' && \
'$<TARGET_FILE:bench-photos>' --small_bytes=131072 --large_bytes=524288 --small_iterations=1 --large_iterations=1 \
--kv='${NEWSDESK_BENCH_SMOKE_PHOTOS}/results.kv' > '${NEWSDESK_BENCH_SMOKE_PHOTOS}/photos.md' && \
python3 '${PROJECT_SOURCE_DIR}/bench/report.py' --run '${NEWSDESK_BENCH_SMOKE_PHOTOS}' --dest '${NEWSDESK_BENCH_SMOKE_PHOTOS}' && \
grep '^| DownloadPhoto' '${NEWSDESK_BENCH_SMOKE_PHOTOS}/BENCHMARKS.md' | grep -v 'not measured' && \
grep -q '^| 512 KiB |' '${NEWSDESK_BENCH_SMOKE_PHOTOS}/BENCHMARKS.md'")
  set_tests_properties(bench_smoke_photos PROPERTIES LABELS bench TIMEOUT 180)
endif()
