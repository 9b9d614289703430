// The content-server process: open, serve until SIGTERM/SIGINT, close.
#pragma once

#include <string>

#include "services/common/server.h"
#include "services/content/content_service.h"

namespace newsdesk::content {

struct ContentServerOptions {
  std::string db_path;
  // Regenerate every index from the records before serving (after an
  // upgrade that changes index layout or text analysis).
  bool rebuild_indexes = false;
  // Galleries and photos: limits, privacy, worker threads.
  ContentBackendOptions backend;
};

// Returns the process exit code: 0 after a clean shutdown, 1 when the
// database cannot be opened, the indexes cannot be rebuilt, the address
// cannot be bound, or --max_receive_message_bytes is too small for 1 MiB
// photo chunks.
int RunContentServer(const ServerOptions& options, const ContentServerOptions& content);

}  // namespace newsdesk::content
