// newsdeskctl: wires the real streams, environment and gRPC transport into
// ctl::Run (tools/newsdeskctl/ctl.h).
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "tools/newsdeskctl/ctl.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  auto schema = newsdesk::ctl::Schema::FromGeneratedPool();
  newsdesk::ctl::Environment env;
  env.schema = schema.get();
  env.make_transport = [](const newsdesk::ctl::ConnectionOptions& options)
      -> absl::StatusOr<std::unique_ptr<newsdesk::ctl::Transport>> {
    auto transport = newsdesk::ctl::GrpcTransport::Create(options);
    if (!transport.ok()) return transport.status();
    return std::unique_ptr<newsdesk::ctl::Transport>(std::move(*transport));
  };
  env.in = &std::cin;
  env.out = &std::cout;
  env.err = &std::cerr;
  env.stderr_is_tty = isatty(STDERR_FILENO) == 1;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
  return newsdesk::ctl::Run(std::vector<std::string>(argv + 1, argv + argc), env);
}
