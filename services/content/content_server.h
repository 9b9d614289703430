// The content-server process: open, serve until SIGTERM/SIGINT, close.
#pragma once

#include <string>

#include "services/common/server.h"

namespace newsdesk::content {

// Returns the process exit code: 0 after a clean shutdown, 1 when the
// database cannot be opened or the address cannot be bound.
int RunContentServer(const ServerOptions& options, const std::string& db_path);

}  // namespace newsdesk::content
