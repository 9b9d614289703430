// The server bootstrap both services share: flags, listening, reflection,
// health, request decoding errors, and graceful shutdown.
#pragma once

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace newsdesk {

struct ServerOptions {
  // host:port; port 0 picks a free port (see GrpcServer::port).
  std::string listen;
  // How long in-flight calls may run after shutdown begins before they are
  // cancelled.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Largest request message accepted; a larger one gets RESOURCE_EXHAUSTED.
  int max_receive_message_bytes = 4 << 20;
};

// A service to serve, with its fully-qualified name (e.g.
// v1::ContentService::service_full_name()) under which health reports it.
struct NamedService {
  std::string name;
  grpc::Service* service;  // not owned; must outlive the server
};

// A running gRPC server with server reflection, the standard health service
// (grpc.health.v1.Health: SERVING from start, NOT_SERVING from the moment
// shutdown begins) and an interceptor that turns undecodable requests into
// INVALID_ARGUMENT. Thread-safe.
class GrpcServer {
 public:
  // Starts serving `services`. Health reports SERVING for "" (the whole
  // server) and for each service name. Errors: UNAVAILABLE when the address
  // cannot be bound.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const ServerOptions& options,
                                                           const std::vector<NamedService>& services);
  ~GrpcServer();

  int port() const { return port_; }
  // "127.0.0.1:<port>" style address for clients in the same host.
  std::string address() const;

  // Health → NOT_SERVING, stop accepting calls, let in-flight calls finish
  // until the grace period ends, cancel the rest, and wait for handlers to
  // return. Idempotent.
  void Shutdown();

 private:
  GrpcServer() = default;
  std::unique_ptr<grpc::Server> server_;
  ServerOptions options_;
  std::string host_;
  int port_ = 0;
  std::vector<std::string> service_names_;
  bool shut_down_ = false;
};

// Shared flags (--shutdown_grace, --max_receive_message_bytes) applied to
// `listen`.
ServerOptions ServerOptionsFromFlags(std::string listen);

// Parses flags (with --help listing every newsdesk flag) and blocks SIGINT and
// SIGTERM so that WaitForShutdownSignal can take them. Call first in main,
// before any thread starts.
void InitServerProgram(int argc, char** argv, absl::string_view usage);

// Blocks until SIGINT or SIGTERM arrives; returns the signal number.
int WaitForShutdownSignal();

}  // namespace newsdesk
