# Galleries and photos: unit (no disk, no server), storage (real RocksDB in a
# temporary directory), service (in-process server) and end-to-end (the
# built content-server, killed with SIGKILL mid-upload) tests. The images are
# made by the tests with libvips (Debian libvips-dev).
newsdesk_test(NAME media_unit_tests LABEL unit
  SOURCES unit/media_test.cc
  LIBS newsdesk_content_service)

newsdesk_test(NAME media_storage_tests LABEL storage
  SOURCES storage/photo_store_test.cc
  LIBS newsdesk_content_storage)

newsdesk_test(NAME media_service_tests LABEL service
  SOURCES service/photo_service_test.cc service/gallery_visibility_test.cc
  LIBS newsdesk_content_service)

# The e2e test talks to the real binary with Python grpcio (Debian
# python3-grpcio), message classes built at run time from a descriptor set
# that protoc makes of proto/.
if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 3.9 COMPONENTS Interpreter)
find_program(NEWSDESK_PROTOC protoc)
if(Python3_Interpreter_FOUND AND NEWSDESK_PROTOC)
  add_test(NAME PhotosE2E
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/e2e/photos_e2e.py
            --content-server $<TARGET_FILE:content-server>
            --protoc ${NEWSDESK_PROTOC}
            --proto-root ${PROJECT_SOURCE_DIR}/proto)
  set_tests_properties(PhotosE2E PROPERTIES
    LABELS e2e
    TIMEOUT 300
    ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
endif()
