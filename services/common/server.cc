#include "services/common/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/server_interceptor.h>
#include <signal.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.pb.h"
#include "services/common/log.h"

ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM/SIGINT, how long in-flight calls may finish before they are cancelled");
ABSL_FLAG(int32_t, max_receive_message_bytes, 4 << 20,
          "Largest request message accepted; larger requests get RESOURCE_EXHAUSTED");

namespace newsdesk {
namespace {

using grpc::experimental::InterceptionHookPoints;

// gRPC answers a request it cannot decode (malformed protobuf, or a proto3
// string field holding invalid UTF-8) with an empty UNIMPLEMENTED status. This
// interceptor turns that into INVALID_ARGUMENT with a message saying what was
// wrong, so clients see the same code as for any other bad input.
class RequestDecodeInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit RequestDecodeInterceptor(grpc::experimental::ServerRpcInfo* info) : info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      decode_failed_ = true;
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      if (decode_failed_) {
        methods->ModifySendStatus(grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("request to ", info_->method() ? info_->method() : "?",
                         " could not be decoded: malformed protobuf, or a string field holds invalid UTF-8")));
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  bool decode_failed_ = false;
};

class RequestDecodeInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new RequestDecodeInterceptor(info);
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const ServerOptions& options,
                                                              const std::vector<NamedService>& services) {
  // Linking health.proto's descriptor into the binary lets reflection clients
  // describe and call grpc.health.v1.Health (gRPC issue 36665).
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  auto server = std::unique_ptr<GrpcServer>(new GrpcServer());
  server->options_ = options;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  for (const auto& s : services) {
    builder.RegisterService(s.service);
    server->service_names_.push_back(s.name);
  }
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<RequestDecodeInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  server->host_ = options.listen.substr(0, options.listen.rfind(':'));
  auto* health = server->server_->GetHealthCheckService();
  health->SetServingStatus("", true);
  for (const auto& name : server->service_names_) health->SetServingStatus(name, true);
  return server;
}

GrpcServer::~GrpcServer() { Shutdown(); }

std::string GrpcServer::address() const {
  std::string host = host_;
  if (host.empty() || host == "0.0.0.0" || host == "[::]") host = "127.0.0.1";
  return absl::StrCat(host, ":", port_);
}

void GrpcServer::Shutdown() {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(options_.shutdown_grace));
  server_->Wait();
}

ServerOptions ServerOptionsFromFlags(std::string listen) {
  ServerOptions options;
  options.listen = std::move(listen);
  options.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  options.max_receive_message_bytes = absl::GetFlag(FLAGS_max_receive_message_bytes);
  return options;
}

void InitServerProgram(int argc, char** argv, absl::string_view usage) {
  absl::FlagsUsageConfig config;
  // --help lists every newsdesk flag, not only those defined in main.cc.
  config.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "services/") || absl::StrContains(file, "storage/");
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  absl::SetFlagsUsageConfig(config);
  absl::SetProgramUsageMessage(usage);
  absl::ParseCommandLine(argc, argv);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForShutdownSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

}  // namespace newsdesk
