// The life of a server process, shared by every newsdesk binary.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/server.h"

namespace newsdesk {

// What a binary opens before serving: the services to register, and the
// object that owns them (and their database), destroyed after the server
// stops.
struct ServiceHolder {
  std::vector<NamedService> services;
  std::shared_ptr<void> owner;
  // Databases whose figures the metrics endpoint exports, by name.
  // Optional. Called once when shutdown begins, after health turned
  // NOT_SERVING and before calls in flight are drained: e.g. to end server
  // streams that would otherwise hold the process for the grace period.
  std::function<void()> on_shutdown;
  // The first one is also what AdminService backs up.
  std::vector<std::pair<std::string, kv::Database*>> databases;
};

// The process's metrics (served when --metrics_listen is set). Binaries may
// record their own figures here, e.g. outbound calls.
Metrics& ProcessMetrics();

// Opens the backend, serves it until SIGINT/SIGTERM, shuts down gracefully
// (health NOT_SERVING, grace period, cancel), closes the backend and returns
// the exit code: 0 after a clean shutdown, 1 on a start-up error (logged).
int RunServerProcess(const std::string& name, const ServerOptions& options, const std::string& db_path,
                     const std::function<absl::StatusOr<ServiceHolder>()>& open);

}  // namespace newsdesk
