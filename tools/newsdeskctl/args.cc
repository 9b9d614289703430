#include "tools/newsdeskctl/args.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tools/newsdeskctl/errors.h"

namespace newsdesk::ctl {
namespace {

absl::StatusOr<bool> ParseBool(absl::string_view name, absl::string_view value) {
  if (value == "true" || value == "1" || value == "yes") return true;
  if (value == "false" || value == "0" || value == "no") return false;
  return UsageError(absl::StrCat("--", name, " takes true or false, not \"", value, "\""));
}

}  // namespace

std::string Args::Get(absl::string_view name, absl::string_view fallback) const {
  auto it = flags.find(std::string(name));
  return it == flags.end() ? std::string(fallback) : it->second;
}

absl::StatusOr<bool> Args::GetBool(absl::string_view name, bool fallback) const {
  auto it = flags.find(std::string(name));
  if (it == flags.end()) return fallback;
  return ParseBool(name, it->second);
}

absl::StatusOr<int64_t> Args::GetInt(absl::string_view name, int64_t fallback, int64_t min, int64_t max) const {
  auto it = flags.find(std::string(name));
  if (it == flags.end()) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(it->second, &value) || value < min || value > max) {
    return UsageError(absl::StrCat("--", name, " takes an integer from ", min, " to ", max, ", not \"", it->second,
                                   "\""));
  }
  return value;
}

const std::map<std::string, FlagKind>& KnownFlags() {
  static const auto* flags = new std::map<std::string, FlagKind>{
      // Connection and output (every verb).
      {"target", FlagKind::kString},
      {"content_target", FlagKind::kString},
      {"events_target", FlagKind::kString},
      {"token", FlagKind::kString},
      {"token_file", FlagKind::kString},
      {"tls", FlagKind::kBool},
      {"tls_ca_file", FlagKind::kString},
      {"tls_cert_file", FlagKind::kString},
      {"tls_key_file", FlagKind::kString},
      {"tls_server_name", FlagKind::kString},
      {"timeout", FlagKind::kString},
      {"proto_names", FlagKind::kBool},
      {"emit_defaults", FlagKind::kBool},
      {"help", FlagKind::kBool},
      // Per verb.
      {"request", FlagKind::kString},
      {"filter", FlagKind::kString},
      {"order_by", FlagKind::kString},
      {"page_size", FlagKind::kString},
      {"page_token", FlagKind::kString},
      {"all", FlagKind::kBool},
      {"show_deleted", FlagKind::kBool},
      {"id", FlagKind::kString},
      {"parent", FlagKind::kString},
      {"update_mask", FlagKind::kString},
      {"etag", FlagKind::kString},
      {"skip_existing", FlagKind::kBool},
      {"restore_state", FlagKind::kBool},
      {"alt_text", FlagKind::kString},
      {"caption", FlagKind::kString},
      {"content_type", FlagKind::kString},
      {"metadata", FlagKind::kString},
      {"chunk_size", FlagKind::kString},
      {"method", FlagKind::kString},
      {"rendition", FlagKind::kString},
  };
  return *flags;
}

const std::set<std::string>& GlobalFlags() {
  static const auto* flags = new std::set<std::string>{
      "target",        "content_target", "events_target", "token",   "token_file",    "tls", "tls_ca_file",
      "tls_cert_file", "tls_key_file",   "tls_server_name", "timeout", "proto_names", "emit_defaults", "help"};
  return *flags;
}

absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv) {
  Args args;
  bool flags_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (flags_done || arg == "-" || !absl::StartsWith(arg, "-")) {
      args.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "-h") {
      args.flags["help"] = "true";
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      return UsageError(absl::StrCat("unknown flag ", arg, " (flags start with --; see newsdeskctl --help)"));
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    // --page-size and --page_size are the same flag.
    for (char& c : name) {
      if (c == '-') c = '_';
    }
    auto known = KnownFlags().find(name);
    if (known == KnownFlags().end()) {
      return UsageError(absl::StrCat("unknown flag --", name, " (see newsdeskctl --help)"));
    }
    if (known->second == FlagKind::kBool) {
      if (!has_value) value = "true";
      auto parsed = ParseBool(name, value);
      if (!parsed.ok()) return parsed.status();
      value = *parsed ? "true" : "false";
    } else if (!has_value) {
      if (i + 1 >= argv.size()) return UsageError(absl::StrCat("--", name, " needs a value"));
      value = argv[++i];
    }
    args.flags[name] = value;
  }
  return args;
}

absl::Status CheckFlags(const Args& args, absl::string_view verb, const std::set<std::string>& allowed) {
  for (const auto& [name, value] : args.flags) {
    if (GlobalFlags().count(name) || allowed.count(name)) continue;
    return UsageError(absl::StrCat("--", name, " does not apply to `", verb, "` (see newsdeskctl --help)"));
  }
  return absl::OkStatus();
}

}  // namespace newsdesk::ctl
