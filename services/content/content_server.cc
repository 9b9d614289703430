#include "services/content/content_server.h"

#include "absl/strings/str_cat.h"
#include "services/common/run.h"
#include "services/content/content_service.h"

namespace newsdesk::content {

int RunContentServer(const ServerOptions& options, const std::string& db_path) {
  return RunServerProcess("content-server", options, db_path, [&]() -> absl::StatusOr<ServiceHolder> {
    auto backend = ContentBackend::Open(db_path);
    if (!backend.ok()) return backend.status();
    ServiceHolder holder;
    holder.services = {{v1::ContentService::service_full_name(), (*backend)->service()}};
    holder.owner = std::shared_ptr<void>(std::move(*backend));
    return holder;
  });
}

}  // namespace newsdesk::content
