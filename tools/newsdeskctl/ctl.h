// newsdeskctl: the verbs, run against any Transport so the whole command
// line can be tested without a server. main.cc only wires in the real
// streams, environment and gRPC transport.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/newsdeskctl/schema.h"
#include "tools/newsdeskctl/transport.h"

namespace newsdesk::ctl {

struct Environment {
  const Schema* schema = nullptr;
  // Makes the transport from the connection flags (GrpcTransport::Create in
  // the binary, a fake in tests).
  std::function<absl::StatusOr<std::unique_ptr<Transport>>(const ConnectionOptions&)> make_transport;
  std::istream* in = nullptr;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  bool stderr_is_tty = false;  // draw progress bars
  // Environment variables (NEWSDESK_TOKEN, NEWSDESK_*_TARGET).
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

// Runs one command line (without the program name) and returns the process
// exit code: 0, a gRPC status code (1..16), or 64 (usage), 66 (unreadable
// input file), 73 (unwritable output file). Errors are printed to `err` as
// one JSON line {"code": "...", "message": "..."}.
int Run(const std::vector<std::string>& argv, const Environment& env);

// The --help text.
std::string HelpText();

}  // namespace newsdesk::ctl
