#include "services/content/content_server.h"

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/run.h"
#include "services/content/content_access.h"
#include "services/content/content_service.h"

namespace newsdesk::content {

namespace {

// Room for the rest of an UploadPhotoRequest around a 1 MiB chunk.
constexpr int kChunkMessageOverhead = 64 << 10;

}  // namespace

int RunContentServer(const ServerOptions& options, const ContentServerOptions& content) {
  if (options.max_receive_message_bytes < static_cast<int>(kMaxPhotoChunkBytes) + kChunkMessageOverhead) {
    Log(Severity::kError, "--max_receive_message_bytes is too small for photo uploads",
        {{"max_receive_message_bytes", absl::StrCat(options.max_receive_message_bytes)},
         {"minimum", absl::StrCat(kMaxPhotoChunkBytes + kChunkMessageOverhead)}});
    return 1;
  }
  return RunServerProcess("content-server", options, content.db_path, [&]() -> absl::StatusOr<ServiceHolder> {
    auto backend = ContentBackend::Open(content.db_path, Clock::Real(), content.backend);
    if (!backend.ok()) return backend.status();
    if (content.rebuild_indexes) {
      const absl::Time start = absl::Now();
      if (auto st = (*backend)->articles()->RebuildIndexes(); !st.ok()) return st;
      if (auto st = (*backend)->galleries()->RebuildIndexes(); !st.ok()) return st;
      Log(Severity::kInfo, "indexes rebuilt",
          {{"seconds", absl::StrCat(absl::ToDoubleSeconds(absl::Now() - start))}});
    }
    ServiceHolder holder;
    holder.services = {{v1::ContentService::service_full_name(), (*backend)->service(), ContentAccessPolicy()}};
    holder.databases = {{"content", (*backend)->database()}};
    holder.owner = std::shared_ptr<void>(std::move(*backend));
    return holder;
  });
}

}  // namespace newsdesk::content
