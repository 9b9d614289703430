// How newsdeskctl reports failures: gRPC status codes as exit codes, plus a
// few sysexits(3) codes for mistakes that never reach a server.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace newsdesk::ctl {

// Exit codes outside gRPC's 0..16 (sysexits.h numbers).
inline constexpr int kExitUsage = 64;       // EX_USAGE: a command-line mistake
inline constexpr int kExitNoInput = 66;     // EX_NOINPUT: an input file cannot be read
inline constexpr int kExitCantCreate = 73;  // EX_CANTCREAT: an output file cannot be written

// A command-line mistake (unknown verb, flag, service, method or collection;
// a missing argument). Exit code 64, "code": "USAGE".
absl::Status UsageError(absl::string_view message);
// An input file that cannot be read. Exit code 66, "code": "NO_INPUT".
absl::Status NoInputError(absl::string_view message);
// An output file that cannot be written. Exit code 73, "code": "CANT_CREATE".
absl::Status CantCreateError(absl::string_view message);

// `status` with "line N: " before its message and the line number attached,
// so ErrorJson reports it as "line": N.
absl::Status AtLine(const absl::Status& status, int line);

// The process exit code for `status`: 0 for OK, the gRPC code (1..16) for
// errors from a server or their client-side equivalents, 64/66/73 for the
// errors above.
int ExitCodeFor(const absl::Status& status);

// The name printed as "code": "NOT_FOUND", "USAGE", ...
std::string CodeName(const absl::Status& status);

// One line of JSON for stderr: {"code": "...", "message": "..."} (plus
// "line": N when the error names an input line).
std::string ErrorJson(const absl::Status& status);

// A JSON string literal (with quotes) for `text`, UTF-8 kept as is.
std::string JsonQuote(absl::string_view text);

}  // namespace newsdesk::ctl
