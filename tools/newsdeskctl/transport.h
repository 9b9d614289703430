// Sending serialized messages to a method: an interface the verbs use, and
// its gRPC implementation (grpc::GenericStub: any method, any streaming
// kind, no generated stubs).
#pragma once

#include <map>
#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace newsdesk::ctl {

// One call in progress. Messages are serialized protobuf. Not thread-safe:
// one caller drives it, in the order Write* → WritesDone → Read* → Finish.
class Stream {
 public:
  virtual ~Stream() = default;
  // False when the call has ended (Finish tells why).
  virtual bool Write(const std::string& message) = 0;
  // Half-closes the request stream.
  virtual bool WritesDone() = 0;
  // False when there are no more responses.
  virtual bool Read(std::string* message) = 0;
  // The call's status (the server's, or a client-side one such as
  // DEADLINE_EXCEEDED or UNAVAILABLE). Call once, after the last Read.
  virtual absl::Status Finish() = 0;
};

// Opens calls. Implementations are used from one thread.
class Transport {
 public:
  virtual ~Transport() = default;
  // `method` is the gRPC path, "/package.Service/Method"; `target` the
  // address to call.
  virtual absl::StatusOr<std::unique_ptr<Stream>> Open(const std::string& target, const std::string& method) = 0;
};

// How to reach the servers.
struct ConnectionOptions {
  std::string token;  // bearer token; empty: anonymous
  absl::Duration timeout = absl::Seconds(30);  // deadline of each call; infinite: none
  // TLS: off unless `tls` is set. CA file empty: the system's roots.
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_cert_file;  // with tls_key_file: a client certificate (mTLS)
  std::string tls_key_file;
  std::string tls_server_name;  // overrides the name checked in the server's certificate
};

// Calls over gRPC channels, one per target, created on first use.
class GrpcTransport : public Transport {
 public:
  // Errors: NO_INPUT when a TLS file cannot be read.
  static absl::StatusOr<std::unique_ptr<GrpcTransport>> Create(const ConnectionOptions& options);
  // Calls over `channel` whatever the target (tests: an in-process channel).
  GrpcTransport(const ConnectionOptions& options, std::shared_ptr<grpc::Channel> channel);

  absl::StatusOr<std::unique_ptr<Stream>> Open(const std::string& target, const std::string& method) override;

 private:
  explicit GrpcTransport(const ConnectionOptions& options);
  std::shared_ptr<grpc::Channel> ChannelFor(const std::string& target);

  ConnectionOptions options_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::shared_ptr<grpc::Channel> fixed_channel_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
};

}  // namespace newsdesk::ctl
