#include "services/common/log.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace newsdesk {

std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) out += absl::StrFormat("\\u%04x", c);
        else out.push_back(static_cast<char>(c));
    }
  }
  out += "\"";
  return out;
}

void Log(Severity severity, absl::string_view message,
         std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields) {
  const char* sev = severity == Severity::kInfo ? "INFO" : severity == Severity::kWarning ? "WARNING" : "ERROR";
  std::string line = absl::StrCat(
      "{\"time\":", JsonQuote(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone())),
      ",\"severity\":\"", sev, "\",\"message\":", JsonQuote(message));
  for (const auto& [k, v] : fields) absl::StrAppend(&line, ",", JsonQuote(k), ":", JsonQuote(v));
  line += "}\n";
  // One write per line keeps lines from interleaving between threads.
  (void)!write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace newsdesk
