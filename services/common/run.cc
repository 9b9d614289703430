#include "services/common/run.h"

#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/admin_service.h"
#include "services/common/log.h"

namespace newsdesk {

Metrics& ProcessMetrics() {
  static Metrics* metrics = new Metrics();
  return *metrics;
}

int RunServerProcess(const std::string& name, const ServerOptions& options, const std::string& db_path,
                     const std::function<absl::StatusOr<ServiceHolder>()>& open) {
  Log(Severity::kInfo, "starting",
      {{"server", name},
       {"listen", options.listen},
       {"db_path", db_path},
       {"shutdown_grace", absl::FormatDuration(options.shutdown_grace)},
       {"max_receive_message_bytes", absl::StrCat(options.max_receive_message_bytes)},
       {"auth_tokens_file", options.auth_tokens_file.empty() ? "(none: read-only for everyone)" : options.auth_tokens_file},
       {"tls", options.tls_cert_file.empty() ? "off" : (options.tls_client_ca_file.empty() ? "tls" : "mtls")},
       {"max_concurrent_streams", absl::StrCat(options.max_concurrent_streams)},
       {"memory_quota_bytes", absl::StrCat(options.memory_quota_bytes)},
       {"metrics_listen", MetricsListenFromFlags()},
       {"channelz", options.channelz ? "on" : "off"},
       {"backup_dir", BackupDirFromFlags()}});
  auto holder = open();
  if (!holder.ok()) {
    Log(Severity::kError, "cannot open the database", {{"server", name}, {"error", holder.status().ToString()}});
    return 1;
  }
  Metrics& metrics = ProcessMetrics();
  for (const auto& [db_name, db] : holder->databases) metrics.AddDatabase(db_name, db);
  const std::string metrics_listen = MetricsListenFromFlags();
  if (!metrics_listen.empty()) {
    if (auto st = metrics.Serve(metrics_listen); !st.ok()) {
      Log(Severity::kError, "cannot serve metrics", {{"server", name}, {"error", st.ToString()}});
      return 1;
    }
    Log(Severity::kInfo, "serving metrics", {{"server", name}, {"port", absl::StrCat(metrics.port())}});
  }
  ServerOptions with_metrics = options;
  with_metrics.metrics = &metrics;
  std::unique_ptr<AdminService> admin;
  if (!holder->databases.empty()) {
    admin = std::make_unique<AdminService>(holder->databases[0].first, holder->databases[0].second,
                                           BackupDirFromFlags());
    holder->services.push_back(
        {admin::v1::AdminService::service_full_name(), admin.get(), AdminService::Policy()});
  }
  auto server = GrpcServer::Start(with_metrics, holder->services);
  if (!server.ok()) {
    Log(Severity::kError, "cannot start serving", {{"server", name}, {"error", server.status().ToString()}});
    return 1;
  }
  Log(Severity::kInfo, "serving", {{"server", name}, {"address", (*server)->address()}});

  const int sig = WaitForShutdownSignal();
  const absl::Time begin = absl::Now();
  Log(Severity::kInfo, "shutting down", {{"server", name}, {"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*server)->SetNotServing();
  if (holder->on_shutdown) holder->on_shutdown();
  (*server)->Shutdown();
  server->reset();
  admin.reset();
  holder->owner.reset();  // closes the database
  holder->services.clear();
  Log(Severity::kInfo, "stopped",
      {{"server", name}, {"shutdown_seconds", absl::StrCat(absl::ToDoubleSeconds(absl::Now() - begin))}});
  return 0;
}

}  // namespace newsdesk
