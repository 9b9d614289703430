# newsdeskctl: unit tests (no server, no sockets: a fake transport and an
# in-process gRPC server) and the end-to-end test against the real
# content-server.

# The test-only API (galleries, photos, streaming; an events-like service) as
# a descriptor set the tests load at run time into a pool of their own.
set(NEWSDESKCTL_TEST_PROTO_DIR ${PROJECT_SOURCE_DIR}/tools/newsdeskctl/testing)
set(NEWSDESKCTL_TEST_DESCRIPTORS ${CMAKE_CURRENT_BINARY_DIR}/newsdeskctl_test_api.pb)
add_custom_command(
  OUTPUT ${NEWSDESKCTL_TEST_DESCRIPTORS}
  COMMAND protobuf::protoc --include_imports --descriptor_set_out=${NEWSDESKCTL_TEST_DESCRIPTORS}
          -I ${NEWSDESKCTL_TEST_PROTO_DIR} media_test.proto events_test.proto
  DEPENDS ${NEWSDESKCTL_TEST_PROTO_DIR}/media_test.proto ${NEWSDESKCTL_TEST_PROTO_DIR}/events_test.proto
  COMMENT "newsdeskctl test API descriptor set")
add_custom_target(newsdeskctl_test_api DEPENDS ${NEWSDESKCTL_TEST_DESCRIPTORS})

newsdesk_test(NAME ctl_tests LABEL unit
  SOURCES unit/newsdeskctl_args_test.cc unit/newsdeskctl_schema_test.cc unit/newsdeskctl_commands_test.cc
          unit/newsdeskctl_transport_test.cc
  LIBS newsdeskctl_lib)
add_dependencies(ctl_tests newsdeskctl_test_api)
target_compile_definitions(ctl_tests PRIVATE NEWSDESKCTL_TEST_DESCRIPTORS="${NEWSDESKCTL_TEST_DESCRIPTORS}")

# End to end: the built newsdeskctl against the built content-server.
if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 3.9 REQUIRED COMPONENTS Interpreter)
add_test(NAME NewsdeskctlE2E
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/newsdeskctl_e2e.py
          --content-server $<TARGET_FILE:content-server>
          --newsdeskctl $<TARGET_FILE:newsdeskctl>)
set_tests_properties(NewsdeskctlE2E PROPERTIES
  LABELS e2e
  TIMEOUT 300
  ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
