# The events service's tests: unit (pure functions), storage (a real RocksDB
# in a temp dir), service (in-process servers on 127.0.0.1:0) and the
# end-to-end test of the built binaries through `buf curl`.
newsdesk_test(NAME events_unit_tests LABEL unit
  SOURCES unit/events_schedule_test.cc unit/events_lifecycle_test.cc unit/events_icalendar_test.cc
          unit/events_validation_test.cc
  LIBS newsdesk_events_service)

if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/storage/events_store_test.cc)
  newsdesk_test(NAME events_storage_tests LABEL storage
    SOURCES storage/events_store_test.cc
    LIBS newsdesk_events_storage)
endif()

if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/service/events_service_test.cc)
  newsdesk_test(NAME events_service_tests LABEL service
    SOURCES service/events_service_test.cc service/events_access_test.cc service/events_tls_test.cc
    LIBS newsdesk_events_service newsdesk_content_service)
endif()

# End-to-end: both binaries, called with `buf curl`; the .ics is parsed with
# Debian's python3-icalendar, so the test runs on /usr/bin/python3.
if(DEFINED BUF_EXECUTABLE)
  set(NEWSDESK_EVENTS_E2E_BUF "${BUF_EXECUTABLE}")
else()
  set(NEWSDESK_EVENTS_E2E_BUF "${PROJECT_SOURCE_DIR}/.tools/node_modules/.bin/buf")
endif()
add_test(NAME EventsServerE2E
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/e2e/events_e2e.py
          --content-server $<TARGET_FILE:content-server>
          --events-server $<TARGET_FILE:events-server>
          --buf ${NEWSDESK_EVENTS_E2E_BUF})
set_tests_properties(EventsServerE2E PROPERTIES
  LABELS e2e
  TIMEOUT 300
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")

# Hostile input to every method of both services (in-process content and
# events servers); checks codes, messages and that neither database changed.
newsdesk_test(NAME adversarial_tests LABEL service
  SOURCES service/adversarial_test.cc
  LIBS newsdesk_events_service newsdesk_content_service newsdesk_health_grpc)
