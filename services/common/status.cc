#include "services/common/status.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace newsdesk {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown: {
      static std::atomic<uint64_t> next_ref{1};
      const std::string ref = absl::StrCat(next_ref.fetch_add(1));
      Log(Severity::kError, "internal error", {{"detail", status.ToString()}, {"ref", ref}});
      return grpc::Status(code, absl::StrCat("internal error (logged as ref ", ref, ")"));
    }
    case absl::StatusCode::kDataLoss:
      // Storage's message names the resource and nothing internal.
      Log(Severity::kError, "data loss", {{"detail", status.ToString()}});
      return grpc::Status(code, std::string(status.message()));
    default:
      return grpc::Status(code, std::string(status.message()));
  }
}

}  // namespace newsdesk
