# The EventsService API: messages only (what storage/events links) and the
# messages + gRPC stubs (what services/events links).
newsdesk_proto_library(NAME newsdesk_events_messages
  IMPORT_DIRS ${NEWSDESK_PROTO_ROOT}
  PROTOS newsdesk/events/v1/event.proto)

newsdesk_proto_library(NAME newsdesk_events_grpc GRPC
  IMPORT_DIRS ${NEWSDESK_PROTO_ROOT}
  PROTOS newsdesk/events/v1/events_service.proto
  DEPS newsdesk_events_messages)
