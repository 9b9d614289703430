// TLS and mutual TLS, with certificates made by openssl at test time.
#include <grpcpp/create_channel.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/server.h"
#include "services/content/content_access.h"
#include "services/content/content_service.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_certs.h"

namespace newsdesk {
namespace {

std::string Read(const std::string& path) { return testing::ReadFile(path); }

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_.MakeCa();
    Issue("server", "localhost");
    Issue("client", "events-service");
  }

  std::string Path(const std::string& name) const { return dir_.Sub(name); }

  // A key and a certificate signed by the test CA.
  void Issue(const std::string& name, const std::string& cn) { certs_.Issue(name, cn); }

  void Start(bool mutual, const std::string& health_listen = "") {
    auto backend = content::ContentBackend::Open(Path("db"));
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *std::move(backend);
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.tls_cert_file = Path("server.pem");
    options.tls_key_file = Path("server.key");
    if (mutual) options.tls_client_ca_file = Path("ca.pem");
    options.tls_refresh_interval = absl::Seconds(1);
    options.health_listen = health_listen;
    auto server = GrpcServer::Start(options, {{content::v1::ContentService::service_full_name(), backend_->service(),
                                               content::ContentAccessPolicy()}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // A health check over a fresh connection; `peer_cn` gets the server
  // certificate's common name.
  grpc::Status Check(std::shared_ptr<grpc::ChannelCredentials> creds, std::string* peer_cn = nullptr) {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    args.SetInt("grpc.use_local_subchannel_pool", 1);  // a new connection per channel
    auto channel = grpc::CreateCustomChannel(server_->address(), creds, args);
    auto stub = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status st = stub->Check(&ctx, req, &resp);
    if (peer_cn != nullptr && ctx.auth_context() != nullptr) {
      for (const auto& v : ctx.auth_context()->FindPropertyValues("x509_common_name")) {
        *peer_cn = std::string(v.data(), v.size());
      }
    }
    return st;
  }

  std::shared_ptr<grpc::ChannelCredentials> Tls(bool with_client_cert) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = Read(Path("ca.pem"));
    if (with_client_cert) {
      o.pem_private_key = Read(Path("client.key"));
      o.pem_cert_chain = Read(Path("client.pem"));
    }
    return grpc::SslCredentials(o);
  }

  testing::TempDir dir_;
  testing::TestCertificates certs_{dir_};
  std::unique_ptr<content::ContentBackend> backend_;
  std::unique_ptr<GrpcServer> server_;
};

TEST_F(TlsTest, ServesTlsAndRefusesPlaintext) {
  Start(/*mutual=*/false);
  std::string cn;
  grpc::Status st = Check(Tls(false), &cn);
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(cn, "localhost");
  EXPECT_EQ(Check(grpc::InsecureChannelCredentials()).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MutualTlsNeedsAClientCertificateFromTheCa) {
  Start(/*mutual=*/true);
  EXPECT_TRUE(Check(Tls(true)).ok());
  EXPECT_EQ(Check(Tls(false)).error_code(), grpc::StatusCode::UNAVAILABLE) << "handshake fails without a certificate";
  // A certificate from another CA is refused too.
  certs_.SelfSigned("intruder", "intruder");
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = Read(Path("ca.pem"));
  o.pem_private_key = Read(Path("intruder.key"));
  o.pem_cert_chain = Read(Path("intruder.pem"));
  EXPECT_EQ(Check(grpc::SslCredentials(o)).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, RotatedCertificateIsServedWithoutRestart) {
  Start(/*mutual=*/false);
  std::string cn;
  ASSERT_TRUE(Check(Tls(false), &cn).ok());
  ASSERT_EQ(cn, "localhost");
  Issue("rotated", "newsdesk-rotated");
  // Replace key and certificate the way cert-manager does (new files renamed in).
  std::rename(Path("rotated.key").c_str(), Path("server.key").c_str());
  std::rename(Path("rotated.pem").c_str(), Path("server.pem").c_str());
  bool rotated = false;
  for (int i = 0; i < 50 && !rotated; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cn.clear();
    rotated = Check(Tls(false), &cn).ok() && cn == "newsdesk-rotated";
  }
  EXPECT_TRUE(rotated) << "last seen: " << cn;
}

TEST_F(TlsTest, PlaintextHealthPortForProbesServesOnlyHealth) {
  // A free port for the health listener.
  int port = 0;
  {
    grpc::ServerBuilder probe;
    probe.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    auto s = probe.BuildAndStart();
    s->Shutdown();
  }
  const std::string health_address = absl::StrCat("127.0.0.1:", port);
  Start(/*mutual=*/true, health_address);
  auto channel = grpc::CreateChannel(health_address, grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(content::v1::ContentService::service_full_name());
  grpc::health::v1::HealthCheckResponse resp;
  ASSERT_TRUE(health->Check(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  auto content = content::v1::ContentService::NewStub(channel);
  grpc::ClientContext ctx2;
  content::v1::GetArticleRequest get;
  get.set_name("articles/x");
  content::v1::Article out;
  EXPECT_EQ(content->GetArticle(&ctx2, get, &out).error_code(), grpc::StatusCode::UNIMPLEMENTED)
      << "the probe port serves health only";
}

TEST(TlsOptionsTest, IncompleteTlsConfigurationIsRefused) {
  testing::TempDir dir;
  auto backend = content::ContentBackend::Open(dir.Sub("db"));
  ASSERT_TRUE(backend.ok());
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.tls_cert_file = dir.Sub("missing.pem");
  std::vector<NamedService> services = {
      {content::v1::ContentService::service_full_name(), (*backend)->service(), content::ContentAccessPolicy()}};
  EXPECT_EQ(GrpcServer::Start(options, services).status().code(), absl::StatusCode::kFailedPrecondition);
  options.tls_key_file = dir.Sub("missing.key");
  auto st = GrpcServer::Start(options, services).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("missing.pem"), absl::string_view::npos);
}

}  // namespace
}  // namespace newsdesk
