// The events service checks an event's source articles with the content
// service over TLS and mutual TLS (--content_tls_ca_file,
// --content_tls_cert_file, --content_tls_key_file), with certificates made
// by openssl at test time.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

#include "newsdesk/content/v1/content_service.grpc.pb.h"
#include "newsdesk/events/v1/events_service.grpc.pb.h"
#include "services/common/server.h"
#include "services/content/content_access.h"
#include "services/content/content_service.h"
#include "services/events/events_access.h"
#include "services/events/events_service.h"
#include "tests/testing/content_fixture.h"
#include "tests/testing/events_fixture.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_certs.h"

namespace newsdesk::events {
namespace {

using grpc::StatusCode;

class EventsContentTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    certs_.MakeCa();
    certs_.Issue("content", "localhost");
    certs_.Issue("events", "events-service");
    certs_.SelfSigned("intruder", "intruder");
    std::ofstream(dir_.Sub("service-token")) << testing::TestTokens::kService << "\n";

    // The content service: TLS, client certificates required (mTLS).
    auto backend = content::ContentBackend::Open(dir_.Sub("content-db"));
    ASSERT_TRUE(backend.ok()) << backend.status();
    content_backend_ = *std::move(backend);
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.shutdown_grace = absl::Seconds(1);
    options.auth_tokens_file = testing::TestTokens::Write(dir_.Sub("content-tokens"));
    options.tls_cert_file = certs_.Path("content.pem");
    options.tls_key_file = certs_.Path("content.key");
    options.tls_client_ca_file = certs_.Path("ca.pem");
    auto server = GrpcServer::Start(options, {{content::v1::ContentService::service_full_name(),
                                               content_backend_->service(), content::ContentAccessPolicy()}});
    ASSERT_TRUE(server.ok()) << server.status();
    content_server_ = *std::move(server);

    // A draft: only the service role (not an anonymous caller) may see it.
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = testing::ReadFile(certs_.Path("ca.pem"));
    tls.pem_cert_chain = testing::ReadFile(certs_.Path("events.pem"));
    tls.pem_private_key = testing::ReadFile(certs_.Path("events.key"));
    auto content = content::v1::ContentService::NewStub(
        grpc::CreateChannel(content_server_->address(), grpc::SslCredentials(tls)));
    content::v1::CreateArticleRequest req;
    req.set_article_id("szkic");
    req.mutable_article()->set_title("Konferencja szpitali w maju");
    content::v1::Article out;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", std::string("Bearer ") + testing::TestTokens::kEditor);
    grpc::Status st = content->CreateArticle(&ctx, req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  void TearDown() override {
    StopEvents();
    if (content_server_ != nullptr) content_server_->Shutdown();
  }

  // An events server (plaintext, in-process) whose content channel uses
  // `content` (target, token and TLS files).
  void StartEvents(ContentClientOptions content) {
    StopEvents();
    content.target = content_server_->address();
    content.token_file = dir_.Sub("service-token");
    content.max_attempts = 2;
    EventsBackendOptions options;
    options.content = content;
    auto backend = EventsBackend::Open(dir_.Sub("events-db"), options);
    ASSERT_TRUE(backend.ok()) << backend.status();
    events_backend_ = *std::move(backend);
    ServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    server_options.shutdown_grace = absl::Seconds(1);
    server_options.auth_tokens_file = testing::TestTokens::Write(dir_.Sub("events-tokens"));
    auto server = GrpcServer::Start(server_options, {{v1::EventsService::service_full_name(),
                                                      events_backend_->service(), EventsAccessPolicy()}});
    ASSERT_TRUE(server.ok()) << server.status();
    events_server_ = *std::move(server);
    events_ = v1::EventsService::NewStub(
        grpc::CreateChannel(events_server_->address(), grpc::InsecureChannelCredentials()));
  }

  void StopEvents() { testing::StopEventsServer(&events_backend_, &events_server_); }

  grpc::Status CreateEvent(const std::string& id, const std::string& article, v1::Event* out) {
    v1::CreateEventRequest req;
    req.set_event_id(id);
    req.mutable_event()->set_title("Wspólna konferencja szpitali");
    req.mutable_event()->mutable_schedule()->set_precision(v1::Schedule::PRECISION_MONTH);
    req.mutable_event()->mutable_schedule()->mutable_start_date()->set_year(2018);
    req.mutable_event()->mutable_schedule()->mutable_start_date()->set_month(5);
    req.mutable_event()->add_source_articles(article);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", std::string("Bearer ") + testing::TestTokens::kEditor);
    return events_->CreateEvent(&ctx, req, out);
  }

  // No event was stored under `id`.
  void ExpectNoEvent(const std::string& id) {
    v1::GetEventRequest get;
    get.set_name("events/" + id);
    v1::Event out;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", std::string("Bearer ") + testing::TestTokens::kEditor);
    EXPECT_EQ(events_->GetEvent(&ctx, get, &out).error_code(), StatusCode::NOT_FOUND) << id;
  }

  ContentClientOptions Mutual() const {
    ContentClientOptions o;
    o.tls_ca_file = certs_.Path("ca.pem");
    o.tls_cert_file = certs_.Path("events.pem");
    o.tls_key_file = certs_.Path("events.key");
    return o;
  }

  testing::TempDir dir_;
  testing::TestCertificates certs_{dir_};
  std::unique_ptr<content::ContentBackend> content_backend_;
  std::unique_ptr<GrpcServer> content_server_;
  std::unique_ptr<EventsBackend> events_backend_;
  std::unique_ptr<GrpcServer> events_server_;
  std::unique_ptr<v1::EventsService::Stub> events_;
};

TEST_F(EventsContentTlsTest, EventWithASourceArticleIsCreatedOverMutualTls) {
  StartEvents(Mutual());
  v1::Event event;
  grpc::Status st = CreateEvent("konferencja", "articles/szkic", &event);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(event.source_articles_size(), 1);
  EXPECT_EQ(event.source_articles(0), "articles/szkic");
  // The check really reached the content service: a missing article is
  // refused by it, and nothing is stored.
  st = CreateEvent("brak", "articles/brak", &event);
  EXPECT_EQ(st.error_code(), StatusCode::FAILED_PRECONDITION) << st.error_message();
  EXPECT_NE(st.error_message().find("does not exist in the content service"), std::string::npos)
      << st.error_message();
  ExpectNoEvent("brak");
}

TEST_F(EventsContentTlsTest, ContentChannelWithoutTheRightCredentialsStoresNothing) {
  struct Variant {
    const char* what;
    ContentClientOptions options;
  };
  ContentClientOptions no_client_cert = Mutual();
  no_client_cert.tls_cert_file.clear();
  no_client_cert.tls_key_file.clear();
  ContentClientOptions foreign_client_cert = Mutual();
  foreign_client_cert.tls_cert_file = certs_.Path("intruder.pem");
  foreign_client_cert.tls_key_file = certs_.Path("intruder.key");
  ContentClientOptions wrong_ca = Mutual();
  wrong_ca.tls_ca_file = certs_.Path("intruder.pem");
  const Variant variants[] = {
      {"plaintext to a TLS port", ContentClientOptions()},
      {"TLS without a client certificate", no_client_cert},
      {"a client certificate from another CA", foreign_client_cert},
      {"a CA that did not sign the server certificate", wrong_ca},
  };
  int n = 0;
  for (const auto& v : variants) {
    StartEvents(v.options);
    v1::Event event;
    const std::string id = absl::StrCat("wydarzenie-", n++);
    grpc::Status st = CreateEvent(id, "articles/szkic", &event);
    EXPECT_EQ(st.error_code(), StatusCode::UNAVAILABLE) << v.what << ": " << st.error_message();
    ExpectNoEvent(id);
  }
}

TEST_F(EventsContentTlsTest, ContentTlsSettingsThatCannotWorkAreRefusedAtStart) {
  const auto refused = [&](const ContentClientOptions& content, const std::string& flag) {
    EventsBackendOptions options;
    options.content = content;
    auto backend = EventsBackend::Open(dir_.Sub("refused-db"), options);
    EXPECT_EQ(backend.status().code(), absl::StatusCode::kFailedPrecondition) << flag;
    EXPECT_NE(backend.status().message().find(flag), absl::string_view::npos) << backend.status();
  };
  ContentClientOptions o = Mutual();
  o.tls_ca_file = dir_.Sub("missing-ca.pem");
  refused(o, "--content_tls_ca_file");  // not the system's roots instead
  o = Mutual();
  o.tls_ca_file.clear();
  refused(o, "--content_tls_ca_file");  // not plaintext with a certificate unused
  o = Mutual();
  o.tls_key_file.clear();
  refused(o, "--content_tls_key_file");
  o = Mutual();
  o.tls_key_file = dir_.Sub("missing.key");
  refused(o, "--content_tls_key_file");
  EXPECT_TRUE(CheckContentClientOptions(Mutual()).ok());
  EXPECT_TRUE(CheckContentClientOptions(ContentClientOptions()).ok()) << "plaintext stays possible";
}

}  // namespace
}  // namespace newsdesk::events
