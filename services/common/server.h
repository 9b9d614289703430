// The server bootstrap both services share: flags, listening, reflection,
// health, request decoding errors, and graceful shutdown.
#pragma once

#include <grpcpp/server.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/auth.h"
#include "services/common/metrics.h"

namespace newsdesk {

struct ServerOptions {
  // host:port; port 0 picks a free port (see GrpcServer::port).
  std::string listen;
  // How long in-flight calls may run after shutdown begins before they are
  // cancelled.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Largest request message accepted; a larger one gets RESOURCE_EXHAUSTED.
  int max_receive_message_bytes = 4 << 20;

  // Bearer tokens (see auth.h); empty: every caller is anonymous, so nobody
  // can write.
  std::string auth_tokens_file;

  // TLS: certificate chain and key (PEM). Both empty: plaintext. With a client
  // CA, clients must present a certificate it signed (mTLS). The files are
  // re-read when they change (gRPC's file-watcher certificate provider).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  absl::Duration tls_refresh_interval = absl::Seconds(60);

  // Hardening limits (docs/SECURITY.md).
  int max_concurrent_streams = 100;             // per HTTP/2 connection
  absl::Duration min_client_ping_interval = absl::Seconds(10);  // faster pings are strikes
  int max_ping_strikes = 2;                     // then the connection is closed
  int64_t memory_quota_bytes = 512 << 20;       // gRPC's buffers for all calls
  int max_threads = 256;                        // gRPC's thread quota

  // A second, plaintext port serving only grpc.health.v1.Health (with the
  // same statuses) for probes that cannot speak TLS, such as the kubelet's
  // native gRPC probes. Empty: none.
  std::string health_listen;

  // Observability: call metrics go to `metrics` (not owned; may be null); one
  // JSON log line per call when `log_calls`; gRPC channelz when `channelz`.
  Metrics* metrics = nullptr;
  bool log_calls = true;
  bool channelz = false;
};

// A service to serve, with its fully-qualified name (e.g.
// v1::ContentService::service_full_name()) under which health reports it.
struct NamedService {
  std::string name;
  grpc::Service* service;  // not owned; must outlive the server
  // Who may call each method. Every method needs a rule: Start refuses to
  // serve a method without one.
  AccessPolicy policy;
};

// A running gRPC server with server reflection, the standard health service
// (grpc.health.v1.Health: SERVING from start, NOT_SERVING from the moment
// shutdown begins) and an interceptor that turns undecodable requests into
// INVALID_ARGUMENT. Thread-safe.
class GrpcServer {
 public:
  // Starts serving `services`. Health reports SERVING for "" (the whole
  // server) and for each service name. Errors: UNAVAILABLE when the address
  // cannot be bound; FAILED_PRECONDITION when a method has no access rule or
  // the TLS files are incomplete.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(const ServerOptions& options,
                                                           const std::vector<NamedService>& services);
  ~GrpcServer();

  int port() const { return port_; }
  // "127.0.0.1:<port>" style address for clients in the same host.
  std::string address() const;

  // Health → NOT_SERVING for the server and every service (and on the
  // --health_listen port), while calls are still served.
  void SetNotServing();

  // Health → NOT_SERVING, stop accepting calls, let in-flight calls finish
  // until the grace period ends, cancel the rest, and wait for handlers to
  // return. Idempotent.
  void Shutdown();

 private:
  GrpcServer() = default;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;
  ServerOptions options_;
  std::string host_;
  int port_ = 0;
  std::vector<std::string> service_names_;
  std::shared_ptr<TokenStore> tokens_;
  bool shut_down_ = false;
};

// Shared flags (--shutdown_grace, --max_receive_message_bytes, --auth_tokens_file,
// --tls_*, limits) applied to `listen`.
ServerOptions ServerOptionsFromFlags(std::string listen);

// --metrics_listen ("" when metrics are off).
std::string MetricsListenFromFlags();
// --backup_dir ("" when backups are off).
std::string BackupDirFromFlags();

// Parses flags (with --help listing every newsdesk flag) and blocks SIGINT and
// SIGTERM so that WaitForShutdownSignal can take them. Call first in main,
// before any thread starts.
void InitServerProgram(int argc, char** argv, absl::string_view usage);

// Blocks until SIGINT or SIGTERM arrives; returns the signal number.
int WaitForShutdownSignal();

}  // namespace newsdesk
