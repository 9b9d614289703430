#include "tools/newsdeskctl/transport.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/str_cat.h"
#include "tools/newsdeskctl/errors.h"

namespace newsdesk::ctl {
namespace {

// Responses (photo chunks, long listings) may be larger than gRPC's 4 MiB
// default.
constexpr int kMaxReceiveMessageBytes = 64 << 20;

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NoInputError(absl::StrCat("--", flag, ": cannot read ", path));
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

// A generic call driven synchronously through its own completion queue: one
// operation in flight at a time, so each Next() returns that operation.
class GrpcStream : public Stream {
 public:
  GrpcStream(std::shared_ptr<grpc::Channel> channel, const std::string& method, const ConnectionOptions& options)
      : channel_(std::move(channel)) {
    if (options.timeout != absl::InfiniteDuration()) {
      context_.set_deadline(std::chrono::system_clock::now() +
                            std::chrono::milliseconds(absl::ToInt64Milliseconds(options.timeout)));
    }
    if (!options.token.empty()) context_.AddMetadata("authorization", absl::StrCat("Bearer ", options.token));
    grpc::GenericStub stub(channel_);
    call_ = stub.PrepareCall(&context_, method, &cq_);
    call_->StartCall(this);
    alive_ = Wait();
  }

  ~GrpcStream() override {
    if (!finished_) {
      context_.TryCancel();
      Finish().IgnoreError();
    }
    call_.reset();
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  bool Write(const std::string& message) override {
    if (!alive_) return false;
    grpc::Slice slice(message);
    grpc::ByteBuffer buffer(&slice, 1);
    call_->Write(buffer, this);
    return alive_ = Wait();
  }

  bool WritesDone() override {
    if (!alive_) return false;
    call_->WritesDone(this);
    return alive_ = Wait();
  }

  bool Read(std::string* message) override {
    // A failed write means the server finished; its responses may still be
    // readable, so reads are tried regardless.
    grpc::ByteBuffer buffer;
    call_->Read(&buffer, this);
    if (!Wait()) return false;
    std::vector<grpc::Slice> slices;
    if (!buffer.Dump(&slices).ok()) return false;
    message->clear();
    for (const grpc::Slice& s : slices) message->append(reinterpret_cast<const char*>(s.begin()), s.size());
    return true;
  }

  absl::Status Finish() override {
    if (finished_) return absl::FailedPreconditionError("Finish called twice");
    finished_ = true;
    grpc::Status status;
    call_->Finish(&status, this);
    Wait();
    return FromGrpc(status);
  }

 private:
  bool Wait() {
    void* tag;
    bool ok = false;
    if (!cq_.Next(&tag, &ok)) return false;
    return ok;
  }

  std::shared_ptr<grpc::Channel> channel_;
  grpc::CompletionQueue cq_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  bool alive_ = false;
  bool finished_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcTransport>> GrpcTransport::Create(const ConnectionOptions& options) {
  std::unique_ptr<GrpcTransport> transport(new GrpcTransport(options));
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.tls_ca_file.empty()) {
      auto ca = ReadFile(options.tls_ca_file, "tls_ca_file");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *std::move(ca);
    }
    if (!options.tls_cert_file.empty()) {
      auto cert = ReadFile(options.tls_cert_file, "tls_cert_file");
      if (!cert.ok()) return cert.status();
      auto key = ReadFile(options.tls_key_file, "tls_key_file");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *std::move(cert);
      ssl.pem_private_key = *std::move(key);
    }
    transport->credentials_ = grpc::SslCredentials(ssl);
  } else {
    transport->credentials_ = grpc::InsecureChannelCredentials();
  }
  return transport;
}

GrpcTransport::GrpcTransport(const ConnectionOptions& options) : options_(options) {}

GrpcTransport::GrpcTransport(const ConnectionOptions& options, std::shared_ptr<grpc::Channel> channel)
    : options_(options), fixed_channel_(std::move(channel)) {}

std::shared_ptr<grpc::Channel> GrpcTransport::ChannelFor(const std::string& target) {
  if (fixed_channel_) return fixed_channel_;
  auto& channel = channels_[target];
  if (!channel) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
    args.SetString(GRPC_ARG_PRIMARY_USER_AGENT_STRING, "newsdeskctl");
    if (options_.tls && !options_.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options_.tls_server_name);
    }
    channel = grpc::CreateCustomChannel(target, credentials_, args);
  }
  return channel;
}

absl::StatusOr<std::unique_ptr<Stream>> GrpcTransport::Open(const std::string& target, const std::string& method) {
  std::shared_ptr<grpc::Channel> channel = ChannelFor(target);
  return std::unique_ptr<Stream>(new GrpcStream(std::move(channel), method, options_));
}

}  // namespace newsdesk::ctl
