#include "services/events/events_server.h"

#include "services/common/run.h"
#include "services/events/events_access.h"

namespace newsdesk::events {

int RunEventsServer(const ServerOptions& options, const std::string& db_path, const EventsBackendOptions& backend) {
  return RunServerProcess("events-server", options, db_path, [&]() -> absl::StatusOr<ServiceHolder> {
    auto opened = EventsBackend::Open(db_path, backend);
    if (!opened.ok()) return opened.status();
    ServiceHolder holder;
    holder.services = {{v1::EventsService::service_full_name(), (*opened)->service(), EventsAccessPolicy()}};
    holder.databases = {{"events", (*opened)->database()}};
    EventsBackend* backend = opened->get();
    // Open WatchEvents streams end at once with UNAVAILABLE (clients resume
    // with their token) instead of holding the process for the grace period.
    holder.on_shutdown = [backend] { backend->BeginShutdown(); };
    holder.owner = std::shared_ptr<void>(std::move(*opened));
    return holder;
  });
}

}  // namespace newsdesk::events
