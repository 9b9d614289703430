// The events-server process: open, serve until SIGTERM/SIGINT, close.
#pragma once

#include <string>

#include "services/common/server.h"
#include "services/events/events_service.h"

namespace newsdesk::events {

// Returns the process exit code: 0 after a clean shutdown, 1 when the
// database cannot be opened or the address cannot be bound.
int RunEventsServer(const ServerOptions& options, const std::string& db_path, const EventsBackendOptions& backend);

}  // namespace newsdesk::events
