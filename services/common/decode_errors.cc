#include "services/common/decode_errors.h"

#include <google/protobuf/stubs/logging.h>

#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace newsdesk {
namespace {

thread_local std::string invalid_utf8_field;

void HandleProtobufLog(google::protobuf::LogLevel level, const char* filename, int line, const std::string& message) {
  constexpr absl::string_view kPrefix = "String field '";
  constexpr absl::string_view kUtf8 = "' contains invalid UTF-8 data when parsing";
  if (absl::StartsWith(message, kPrefix)) {
    const size_t end = absl::string_view(message).find(kUtf8);
    if (end != absl::string_view::npos) {
      // Expected for hostile input; the client gets the field name.
      invalid_utf8_field = message.substr(kPrefix.size(), end - kPrefix.size());
      return;
    }
  }
  const Severity severity = level >= google::protobuf::LOGLEVEL_ERROR     ? Severity::kError
                            : level >= google::protobuf::LOGLEVEL_WARNING ? Severity::kWarning
                                                                          : Severity::kInfo;
  Log(severity, "protobuf", {{"detail", message}, {"source", absl::StrCat(filename, ":", line)}});
}

}  // namespace

void InstallProtobufLogHandler() {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(&HandleProtobufLog); });
}

std::string TakeInvalidUtf8Field() {
  std::string field;
  field.swap(invalid_utf8_field);
  return field;
}

std::string DecodeFailureMessage(absl::string_view what, absl::string_view invalid_utf8_field) {
  if (!invalid_utf8_field.empty()) {
    return absl::StrCat("request to ", what, " could not be decoded: string field ", invalid_utf8_field,
                        " holds invalid UTF-8 (use valid UTF-8; string fields are text)");
  }
  return absl::StrCat("request to ", what,
                      " could not be decoded: malformed protobuf, or a string field holds invalid UTF-8");
}

}  // namespace newsdesk
