# newsdesk_proto_library(NAME <target> PROTOS <files...> [IMPORT_DIRS <dirs...>] [GRPC])
#
# The one helper that turns .proto files into a C++ library. Files are given
# relative to the first import dir. Without GRPC the library holds only the
# messages (storage/ links that); with GRPC it also holds the service stubs.
function(newsdesk_proto_library)
  cmake_parse_arguments(ARG "GRPC" "NAME" "PROTOS;IMPORT_DIRS;DEPS" ${ARGN})
  set(out_dir ${CMAKE_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${out_dir})
  list(GET ARG_IMPORT_DIRS 0 root)
  set(abs_protos)
  foreach(p ${ARG_PROTOS})
    list(APPEND abs_protos ${root}/${p})
  endforeach()
  # protobuf_generate names its outputs relative to CMAKE_CURRENT_SOURCE_DIR;
  # point it at the import root so protos from outside the tree (grpc-proto)
  # land at their import paths too. The change is local to this function.
  set(CMAKE_CURRENT_SOURCE_DIR ${root})
  add_library(${ARG_NAME} STATIC)
  target_include_directories(${ARG_NAME} PUBLIC ${out_dir})
  target_link_libraries(${ARG_NAME} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  protobuf_generate(TARGET ${ARG_NAME} LANGUAGE cpp PROTOS ${abs_protos}
                    IMPORT_DIRS ${ARG_IMPORT_DIRS} PROTOC_OUT_DIR ${out_dir})
  if(ARG_GRPC)
    target_link_libraries(${ARG_NAME} PUBLIC gRPC::grpc++)
    protobuf_generate(TARGET ${ARG_NAME} LANGUAGE grpc PROTOS ${abs_protos}
                      IMPORT_DIRS ${ARG_IMPORT_DIRS} PROTOC_OUT_DIR ${out_dir}
                      GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
                      PLUGIN protoc-gen-grpc=${GRPC_CPP_PLUGIN})
  endif()
endfunction()
