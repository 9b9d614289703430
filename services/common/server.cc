#include "services/common/server.h"

#include <grpcpp/ext/channelz_service_plugin.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/server_interceptor.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "grpc/health/v1/health.pb.h"
#include "services/common/decode_errors.h"
#include "services/common/log.h"

ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM/SIGINT, how long in-flight calls may finish before they are cancelled");
ABSL_FLAG(int32_t, max_receive_message_bytes, 4 << 20,
          "Largest request message accepted; larger requests get RESOURCE_EXHAUSTED");
ABSL_FLAG(std::string, auth_tokens_file, "",
          "Bearer tokens: lines of 'sha256:<hex> <role> <subject>' (roles service, editor, admin); reloaded when "
          "the file changes. Unset: every caller is anonymous and nobody can write");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM certificate chain to serve TLS with (re-read when it changes)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key for --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle: when set, clients must present a certificate signed by it (mTLS)");
ABSL_FLAG(int32_t, max_concurrent_streams, 100, "Concurrent calls per HTTP/2 connection");
ABSL_FLAG(absl::Duration, min_client_ping_interval, absl::Seconds(10),
          "Client keepalive pings more frequent than this count as strikes");
ABSL_FLAG(int32_t, max_ping_strikes, 2, "Ping strikes before a connection is closed");
ABSL_FLAG(int64_t, memory_quota_bytes, int64_t{512} << 20, "Memory gRPC may use for all calls' buffers");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port to serve Prometheus metrics on at /metrics (e.g. 0.0.0.0:9090); unset: no metrics endpoint");
ABSL_FLAG(bool, log_calls, true, "Log one JSON line per call (method, peer, status, latency, request id)");
ABSL_FLAG(std::string, health_listen, "",
          "host:port of a plaintext port serving only grpc.health.v1.Health, for probes that cannot use TLS");
ABSL_FLAG(std::string, backup_dir, "",
          "Directory for AdminService.CreateBackup (incremental, verified RocksDB backups); unset: backups off");
ABSL_FLAG(bool, channelz, false, "Serve gRPC channelz (grpc.channelz.v1.Channelz, admin role only)");

namespace newsdesk {
namespace {

using grpc::experimental::InterceptionHookPoints;

// Runs around every call:
// - identity: after the AuthProcessor has accepted the call, puts the
//   caller's role and subject into the call's metadata under
//   kPrincipalRoleKey / kPrincipalSubjectKey (client-sent values under those
//   keys are dropped first), where CallerOf finds them. gRPC's AuthContext
//   cannot carry this: properties the processor adds are shared by every call
//   on a connection.
// - decoding errors: gRPC answers a request it cannot decode (malformed
//   protobuf, or a proto3 string field holding invalid UTF-8) with an empty
//   UNIMPLEMENTED status; this turns that into INVALID_ARGUMENT with a message
//   saying what was wrong (naming the string field, see decode_errors.h),
//   the code clients get for any other bad input. Client streams parse their
//   messages themselves (a failed read there looks like the end of the
//   stream), e.g. UploadPhoto.
// - observability: counts and times the call (Metrics), logs one JSON line
//   when it ends, and returns its request id (the client's x-request-id, or
//   a generated one) in the response trailers.
class CallInterceptor : public grpc::experimental::Interceptor {
 public:
  CallInterceptor(grpc::experimental::ServerRpcInfo* info, const TokenStore* tokens, const ServerOptions* options)
      : info_(info), tokens_(tokens), options_(options), method_(info->method() ? info->method() : "") {}

  ~CallInterceptor() override {
    // A call cancelled before its status was sent still leaves its traces.
    if (started_ && !finished_) Finish(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* metadata = methods->GetRecvInitialMetadata();
      SetPrincipal(metadata);
      SetRequestId(metadata);
      started_ = true;
      start_ = absl::Now();
      if (options_->metrics != nullptr) options_->metrics->ServerCallStarted(method_);
    }

    // A receive without a message is a decode failure only where the client
    // sends exactly one message; on a client stream it also marks the
    // client's half-close, which is no error.
    const auto type = info_->type();
    const bool single_request = type == grpc::experimental::ServerRpcInfo::Type::UNARY ||
                                type == grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      // The parse just ran on this thread: a UTF-8 failure left its field.
      std::string invalid_utf8_field = TakeInvalidUtf8Field();
      if (single_request && methods->GetRecvMessage() == nullptr) {
        decode_failed_ = true;
        invalid_utf8_field_ = std::move(invalid_utf8_field);
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      if (decode_failed_) {
        methods->ModifySendStatus(
            grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, DecodeFailureMessage(method_, invalid_utf8_field_)));
      }
      // In the trailers, not the headers: a failed call whose response has no
      // headers stays retryable by the client's gRPC retry policy.
      methods->GetSendTrailingMetadata()->emplace("x-request-id", request_id_);
      Finish(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void SetPrincipal(std::multimap<grpc::string_ref, grpc::string_ref>* metadata) {
    if (metadata == nullptr) return;
    for (auto it = metadata->begin(); it != metadata->end();) {
      const bool ours = it->first == kPrincipalRoleKey || it->first == kPrincipalSubjectKey;
      it = ours ? metadata->erase(it) : std::next(it);
    }
    Principal principal;
    auto auth = metadata->find("authorization");
    if (auth != metadata->end()) {
      absl::string_view value(auth->second.data(), auth->second.size());
      if (absl::ConsumePrefix(&value, "Bearer ")) {
        if (auto p = tokens_->Lookup(value); p.has_value()) principal = *std::move(p);
      }
    }
    subject_ = principal.subject;
    metadata->emplace(kPrincipalRoleKey, RoleName(principal.role));
    metadata->emplace(kPrincipalSubjectKey, grpc::string_ref(subject_.data(), subject_.size()));
  }

  void SetRequestId(std::multimap<grpc::string_ref, grpc::string_ref>* metadata) {
    if (metadata != nullptr) {
      auto it = metadata->find("x-request-id");
      if (it != metadata->end() && it->second.size() > 0 && it->second.size() <= 128 &&
          std::all_of(it->second.begin(), it->second.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
        request_id_ = std::string(it->second.data(), it->second.size());
      }
    }
    if (request_id_.empty()) {
      thread_local absl::BitGen gen;
      request_id_ = absl::StrFormat("%016x", absl::Uniform<uint64_t>(gen));
    }
  }

  void Finish(grpc::StatusCode code) {
    if (finished_ || !started_) return;
    finished_ = true;
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    if (options_->metrics != nullptr) options_->metrics->ServerCallFinished(method_, static_cast<int>(code), seconds);
    if (options_->log_calls) {
      Log(Severity::kInfo, "rpc",
          {{"method", method_},
           {"peer", info_->server_context() != nullptr ? info_->server_context()->peer() : ""},
           {"code", absl::StrCat(static_cast<int>(code))},
           {"latency_ms", absl::StrFormat("%.3f", seconds * 1000)},
           {"request_id", request_id_},
           {"principal", subject_}});
    }
  }

  grpc::experimental::ServerRpcInfo* info_;
  const TokenStore* tokens_;
  const ServerOptions* options_;
  const std::string method_;
  std::string subject_;  // backs the subject metadata value for the call's life
  std::string request_id_;
  absl::Time start_;
  bool started_ = false;
  bool finished_ = false;
  bool decode_failed_ = false;
  std::string invalid_utf8_field_;
};

class CallInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  CallInterceptorFactory(std::shared_ptr<const TokenStore> tokens, const ServerOptions* options)
      : tokens_(std::move(tokens)), options_(options) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new CallInterceptor(info, tokens_.get(), options_);
  }

 private:
  std::shared_ptr<const TokenStore> tokens_;
  const ServerOptions* options_;
};

bool Readable(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

// TLS (optionally mutual) from files that are watched for rotation, or
// plaintext. Both kinds support the AuthMetadataProcessor: plaintext goes
// through XdsServerCredentials with an insecure fallback, because gRPC's
// plain InsecureServerCredentials cannot run one.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const ServerOptions& options) {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::FailedPreconditionError("--tls_cert_file and --tls_key_file must be given together");
  }
  if (options.tls_cert_file.empty()) {
    if (!options.tls_client_ca_file.empty()) {
      return absl::FailedPreconditionError("--tls_client_ca_file needs --tls_cert_file and --tls_key_file");
    }
    return grpc::XdsServerCredentials(grpc::InsecureServerCredentials());
  }
  for (const auto* path : {&options.tls_cert_file, &options.tls_key_file, &options.tls_client_ca_file}) {
    if (!path->empty() && !Readable(*path)) {
      return absl::FailedPreconditionError(absl::StrCat("cannot read TLS file ", *path));
    }
  }
  const unsigned refresh = static_cast<unsigned>(std::max<int64_t>(1, absl::ToInt64Seconds(options.tls_refresh_interval)));
  std::shared_ptr<grpc::experimental::CertificateProviderInterface> provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          options.tls_key_file, options.tls_cert_file, options.tls_client_ca_file, refresh);
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_identity_key_cert_pairs();
  if (options.tls_client_ca_file.empty()) {
    tls.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    tls.watch_root_certs();
    tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(tls);
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const ServerOptions& options,
                                                              const std::vector<NamedService>& services) {
  // Linking health.proto's descriptor into the binary lets reflection clients
  // describe and call grpc.health.v1.Health (gRPC issue 36665).
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  InstallProtobufLogHandler();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  if (options.channelz) grpc::channelz::experimental::InitChannelzService();

  auto server = std::unique_ptr<GrpcServer>(new GrpcServer());
  server->options_ = options;

  AccessPolicy policy = AccessPolicy::Standard();
  // Channelz shows peers and internals: admins only.
  for (const char* m : {"GetTopChannels", "GetServers", "GetServer", "GetServerSockets", "GetChannel",
                        "GetSubchannel", "GetSocket"}) {
    policy.Add("grpc.channelz.v1.Channelz", m, Access::kAdmin);
  }
  for (const auto& s : services) {
    policy.Merge(s.policy);
    auto missing = s.policy.Missing(s.name);
    if (!missing.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("no access rule for ", absl::StrJoin(missing, ", ")));
    }
  }
  server->tokens_ = std::make_shared<TokenStore>(options.auth_tokens_file);

  auto credentials = MakeServerCredentials(options);
  if (!credentials.ok()) return credentials.status();
  (*credentials)->SetAuthMetadataProcessor(std::make_shared<AuthProcessor>(server->tokens_, std::move(policy)));

  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, *credentials, &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  // gRPC sets SO_REUSEPORT by default, which would let a second server start
  // on a port that is already taken; it must fail instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(options.min_client_ping_interval)));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, options.max_ping_strikes);
  grpc::ResourceQuota quota("newsdesk");
  quota.Resize(static_cast<size_t>(options.memory_quota_bytes));
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  for (const auto& s : services) {
    builder.RegisterService(s.service);
    server->service_names_.push_back(s.name);
  }
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<CallInterceptorFactory>(server->tokens_, &server->options_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  server->host_ = options.listen.substr(0, options.listen.rfind(':'));
  if (!options.health_listen.empty()) {
    grpc::ServerBuilder health_builder;
    int health_port = 0;
    health_builder.AddListeningPort(options.health_listen, grpc::InsecureServerCredentials(), &health_port);
    health_builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    server->health_server_ = health_builder.BuildAndStart();
    if (server->health_server_ == nullptr || health_port == 0) {
      server->server_->Shutdown();
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options.health_listen, " (--health_listen)"));
    }
  }
  for (grpc::Server* s : {server->server_.get(), server->health_server_.get()}) {
    if (s == nullptr) continue;
    auto* health = s->GetHealthCheckService();
    health->SetServingStatus("", true);
    for (const auto& name : server->service_names_) health->SetServingStatus(name, true);
  }
  return server;
}

GrpcServer::~GrpcServer() { Shutdown(); }

std::string GrpcServer::address() const {
  std::string host = host_;
  if (host.empty() || host == "0.0.0.0" || host == "[::]") host = "127.0.0.1";
  return absl::StrCat(host, ":", port_);
}

void GrpcServer::SetNotServing() {
  if (server_ == nullptr) return;
  server_->GetHealthCheckService()->SetServingStatus(false);
  if (health_server_ != nullptr) health_server_->GetHealthCheckService()->SetServingStatus(false);
}

void GrpcServer::Shutdown() {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  server_->GetHealthCheckService()->SetServingStatus(false);
  if (health_server_ != nullptr) health_server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(options_.shutdown_grace));
  server_->Wait();
  if (health_server_ != nullptr) {
    health_server_->Shutdown(std::chrono::system_clock::now());
    health_server_->Wait();
  }
}

std::string MetricsListenFromFlags() { return absl::GetFlag(FLAGS_metrics_listen); }
std::string BackupDirFromFlags() { return absl::GetFlag(FLAGS_backup_dir); }

ServerOptions ServerOptionsFromFlags(std::string listen) {
  ServerOptions options;
  options.listen = std::move(listen);
  options.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  options.max_receive_message_bytes = absl::GetFlag(FLAGS_max_receive_message_bytes);
  options.auth_tokens_file = absl::GetFlag(FLAGS_auth_tokens_file);
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  options.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  options.min_client_ping_interval = absl::GetFlag(FLAGS_min_client_ping_interval);
  options.max_ping_strikes = absl::GetFlag(FLAGS_max_ping_strikes);
  options.memory_quota_bytes = absl::GetFlag(FLAGS_memory_quota_bytes);
  options.log_calls = absl::GetFlag(FLAGS_log_calls);
  options.health_listen = absl::GetFlag(FLAGS_health_listen);
  options.channelz = absl::GetFlag(FLAGS_channelz);
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
#ifdef NDEBUG
  // Debian's Abseil checks every mutex acquisition for lock-order cycles
  // (a graph update per lock): a few percent of a GetArticle. Debug builds
  // keep the check.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif

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
