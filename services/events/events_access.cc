#include "services/events/events_access.h"

#include "newsdesk/events/v1/events_service.pb.h"

namespace newsdesk::events {

AccessPolicy EventsAccessPolicy() {
  // Taking the descriptor from a generated message also links it in.
  const auto* service = v1::CreateEventRequest::descriptor()->file()->FindServiceByName("EventsService");
  return AccessPolicy::ByConvention(*service);
}

}  // namespace newsdesk::events
