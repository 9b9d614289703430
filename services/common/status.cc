#include "services/common/status.h"

#include <algorithm>
#include <atomic>

#include <unicode/utf8.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/log.h"

namespace newsdesk {

std::string ClientMessage(absl::string_view message) {
  std::string out;
  out.reserve(std::min(message.size(), kMaxClientMessageBytes) + 8);
  const auto* p = reinterpret_cast<const uint8_t*>(message.data());
  const auto length = static_cast<int32_t>(message.size());
  int32_t i = 0;
  while (i < length) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(p, i, length, c);
    std::string piece;
    if (c < 0) {
      // Escape the first byte only and look at the next one afresh.
      i = start + 1;
      piece = absl::StrFormat("\\x%02x", p[start]);
    } else if (c < 0x20 || c == 0x7f) {
      piece = absl::StrFormat("\\x%02x", c);
    } else {
      piece.assign(message.data() + start, static_cast<size_t>(i - start));
    }
    if (out.size() + piece.size() > kMaxClientMessageBytes) {
      out += "\xe2\x80\xa6";  // …
      break;
    }
    out += piece;
  }
  return out;
}

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
      return grpc::Status(code, ClientMessage(status.message()));
    default:
      return grpc::Status(code, ClientMessage(status.message()));
  }
}

}  // namespace newsdesk
