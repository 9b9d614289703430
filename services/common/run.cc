#include "services/common/run.h"

#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/log.h"

namespace newsdesk {

int RunServerProcess(const std::string& name, const ServerOptions& options, const std::string& db_path,
                     const std::function<absl::StatusOr<ServiceHolder>()>& open) {
  Log(Severity::kInfo, "starting",
      {{"server", name},
       {"listen", options.listen},
       {"db_path", db_path},
       {"shutdown_grace", absl::FormatDuration(options.shutdown_grace)},
       {"max_receive_message_bytes", absl::StrCat(options.max_receive_message_bytes)}});
  auto holder = open();
  if (!holder.ok()) {
    Log(Severity::kError, "cannot open the database", {{"server", name}, {"error", holder.status().ToString()}});
    return 1;
  }
  auto server = GrpcServer::Start(options, holder->services);
  if (!server.ok()) {
    Log(Severity::kError, "cannot start serving", {{"server", name}, {"error", server.status().ToString()}});
    return 1;
  }
  Log(Severity::kInfo, "serving", {{"server", name}, {"address", (*server)->address()}});

  const int sig = WaitForShutdownSignal();
  const absl::Time begin = absl::Now();
  Log(Severity::kInfo, "shutting down", {{"server", name}, {"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*server)->Shutdown();
  server->reset();
  holder->owner.reset();  // closes the database
  holder->services.clear();
  Log(Severity::kInfo, "stopped",
      {{"server", name}, {"shutdown_seconds", absl::StrCat(absl::ToDoubleSeconds(absl::Now() - begin))}});
  return 0;
}

}  // namespace newsdesk
