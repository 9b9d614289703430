# Fuzz targets (libFuzzer, clang only) and the regression test that replays
# their committed inputs in every build.
add_library(newsdesk_fuzz_targets STATIC fuzz/targets.cc)
target_include_directories(newsdesk_fuzz_targets PUBLIC ${PROJECT_SOURCE_DIR})
target_compile_options(newsdesk_fuzz_targets PRIVATE ${NEWSDESK_WARNINGS})
target_link_libraries(newsdesk_fuzz_targets PUBLIC newsdesk_content_service newsdesk_text newsdesk_query)
# The iCalendar target needs the events service.
if(TARGET newsdesk_events_service)
  target_link_libraries(newsdesk_fuzz_targets PUBLIC newsdesk_events_service)
  target_compile_definitions(newsdesk_fuzz_targets PRIVATE NEWSDESK_FUZZ_EVENTS)
endif()

newsdesk_test(NAME fuzz_regression_tests LABEL unit SOURCES fuzz/regression_test.cc LIBS newsdesk_fuzz_targets)
target_compile_definitions(fuzz_regression_tests PRIVATE NEWSDESK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

if(NEWSDESK_FUZZ)
  set(NEWSDESK_FUZZ_TARGETS filter page_token article_request search_query image_header entry_set)
  if(TARGET newsdesk_events_service)
    list(APPEND NEWSDESK_FUZZ_TARGETS icalendar)
  endif()
  foreach(target ${NEWSDESK_FUZZ_TARGETS})
    add_executable(fuzz_${target} fuzz/fuzz_main.cc)
    target_compile_definitions(fuzz_${target} PRIVATE NEWSDESK_FUZZ_TARGET="${target}")
    target_link_libraries(fuzz_${target} PRIVATE newsdesk_fuzz_targets)
    target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer)
  endforeach()
endif()
