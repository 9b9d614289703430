#include "tools/newsdeskctl/errors.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace newsdesk::ctl {
namespace {

// Payloads that mark our own error kinds on an absl::Status.
constexpr char kKindPayload[] = "type.newsdesk.dev/newsdeskctl.kind";
constexpr char kLinePayload[] = "type.newsdesk.dev/newsdeskctl.line";

absl::Status WithKind(absl::StatusCode code, absl::string_view message, absl::string_view kind) {
  absl::Status status(code, message);
  status.SetPayload(kKindPayload, absl::Cord(kind));
  return status;
}

std::string KindOf(const absl::Status& status) {
  auto kind = status.GetPayload(kKindPayload);
  return kind ? std::string(*kind) : std::string();
}

const char* GrpcCodeName(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk: return "OK";
    case absl::StatusCode::kCancelled: return "CANCELLED";
    case absl::StatusCode::kUnknown: return "UNKNOWN";
    case absl::StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case absl::StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case absl::StatusCode::kNotFound: return "NOT_FOUND";
    case absl::StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case absl::StatusCode::kPermissionDenied: return "PERMISSION_DENIED";
    case absl::StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case absl::StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case absl::StatusCode::kAborted: return "ABORTED";
    case absl::StatusCode::kOutOfRange: return "OUT_OF_RANGE";
    case absl::StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case absl::StatusCode::kInternal: return "INTERNAL";
    case absl::StatusCode::kUnavailable: return "UNAVAILABLE";
    case absl::StatusCode::kDataLoss: return "DATA_LOSS";
    case absl::StatusCode::kUnauthenticated: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

}  // namespace

absl::Status UsageError(absl::string_view message) {
  return WithKind(absl::StatusCode::kInvalidArgument, message, "USAGE");
}

absl::Status NoInputError(absl::string_view message) {
  return WithKind(absl::StatusCode::kNotFound, message, "NO_INPUT");
}

absl::Status CantCreateError(absl::string_view message) {
  return WithKind(absl::StatusCode::kPermissionDenied, message, "CANT_CREATE");
}

absl::Status AtLine(const absl::Status& status, int line) {
  absl::Status out(status.code(), absl::StrCat("line ", line, ": ", status.message()));
  status.ForEachPayload([&](absl::string_view key, const absl::Cord& value) { out.SetPayload(key, value); });
  out.SetPayload(kLinePayload, absl::Cord(absl::StrCat(line)));
  return out;
}

int ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return 0;
  const std::string kind = KindOf(status);
  if (kind == "USAGE") return kExitUsage;
  if (kind == "NO_INPUT") return kExitNoInput;
  if (kind == "CANT_CREATE") return kExitCantCreate;
  const int code = static_cast<int>(status.code());
  return code >= 1 && code <= 16 ? code : static_cast<int>(absl::StatusCode::kUnknown);
}

std::string CodeName(const absl::Status& status) {
  const std::string kind = KindOf(status);
  if (!kind.empty()) return kind;
  return GrpcCodeName(status.code());
}

std::string ErrorJson(const absl::Status& status) {
  std::string out = absl::StrCat("{\"code\": ", JsonQuote(CodeName(status)), ", \"message\": ",
                                 JsonQuote(status.message()));
  if (auto line = status.GetPayload(kLinePayload)) {
    int n = 0;
    if (absl::SimpleAtoi(std::string(*line), &n)) absl::StrAppend(&out, ", \"line\": ", n);
  }
  out += "}";
  return out;
}

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

}  // namespace newsdesk::ctl
