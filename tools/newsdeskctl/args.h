// The command line: a verb, positional arguments and --flags in any order.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace newsdesk::ctl {

// A parsed command line. Flags are `--name=value`, `--name value` or, for
// boolean flags, `--name` / `--name=false`; `--` ends the flags; `-` is a
// positional argument (standard input or output).
struct Args {
  std::vector<std::string> positional;       // the verb first
  std::map<std::string, std::string> flags;  // by name, without dashes; the last one given wins

  bool Has(absl::string_view name) const { return flags.count(std::string(name)) > 0; }
  std::string Get(absl::string_view name, absl::string_view fallback = "") const;
  // Errors: USAGE when the value is not a boolean.
  absl::StatusOr<bool> GetBool(absl::string_view name, bool fallback) const;
  // Errors: USAGE when the value is not an integer in [min, max].
  absl::StatusOr<int64_t> GetInt(absl::string_view name, int64_t fallback, int64_t min, int64_t max) const;
};

// Whether a flag takes a value (string) or not (bool).
enum class FlagKind { kString, kBool };

// Every flag newsdeskctl knows (global and per-verb).
const std::map<std::string, FlagKind>& KnownFlags();

// The flags every verb accepts (connection, output, --help).
const std::set<std::string>& GlobalFlags();

// Splits `argv` (without the program name). Errors: USAGE for an unknown
// flag, a missing value or a malformed boolean.
absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv);

// USAGE unless every flag in `args` is global or in `allowed`.
absl::Status CheckFlags(const Args& args, absl::string_view verb, const std::set<std::string>& allowed);

}  // namespace newsdesk::ctl
