// In-process content and events servers on 127.0.0.1:0 with real storage in
// temp dirs, and client stubs with deadlines. Both are stopped when the
// fixture ends; each can be stopped and restarted inside a test. Also a fake
// content service that fails on demand.
#pragma once

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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
#include "tests/testing/temp_dir.h"

namespace newsdesk::testing {

// A content service whose GetArticle is UNAVAILABLE for the next `failures`
// calls (FailNext sets a new count), then answers that any article exists as
// a draft. Counts every call, retries included. Thread-safe.
class FlakyContentService final : public content::v1::ContentService::CallbackService {
 public:
  explicit FlakyContentService(int failures = 0) : failures_left_(failures) {}
  void FailNext(int failures) { failures_left_ = failures; }
  std::atomic<int> calls{0};

 private:
  grpc::ServerUnaryReactor* GetArticle(grpc::CallbackServerContext* context,
                                       const content::v1::GetArticleRequest* request,
                                       content::v1::Article* response) override {
    auto* reactor = context->DefaultReactor();
    ++calls;
    int left = failures_left_.load();
    while (left > 0 && !failures_left_.compare_exchange_weak(left, left - 1)) {
    }
    if (left > 0) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "warming up"));
    } else {
      response->set_name(request->name());
      response->set_state(content::v1::Article::STATE_DRAFT);
      reactor->Finish(grpc::Status::OK);
    }
    return reactor;
  }
  std::atomic<int> failures_left_;
};

// Stops an in-process events server as events-server does on SIGTERM: end
// the watch streams, then stop serving, then close the backend.
inline void StopEventsServer(std::unique_ptr<events::EventsBackend>* backend, std::unique_ptr<GrpcServer>* server) {
  if (*backend != nullptr) (*backend)->BeginShutdown();
  if (*server != nullptr) (*server)->Shutdown();
  server->reset();
  backend->reset();
}

class EventsServerFixture : public ::testing::Test {
 protected:
  void StartContent() {
    auto backend = content::ContentBackend::Open(content_dir_.path());
    ASSERT_TRUE(backend.ok()) << backend.status();
    content_backend_ = *std::move(backend);
    ServerOptions options;
    // The same port after a restart, so the events service finds it again.
    options.listen = content_port_ == 0 ? "127.0.0.1:0" : "127.0.0.1:" + std::to_string(content_port_);
    options.shutdown_grace = absl::Seconds(1);
    options.auth_tokens_file = TestTokens::Write(content_dir_.Sub("tokens"));
    auto server = GrpcServer::Start(options, {{content::v1::ContentService::service_full_name(),
                                               content_backend_->service(), content::ContentAccessPolicy()}});
    ASSERT_TRUE(server.ok()) << server.status();
    content_server_ = *std::move(server);
    content_port_ = content_server_->port();
    content_stub_ = content::v1::ContentService::NewStub(
        grpc::CreateChannel(content_server_->address(), grpc::InsecureChannelCredentials()));
  }

  void StopContent() {
    if (content_server_ != nullptr) content_server_->Shutdown();
    content_server_.reset();
    content_backend_.reset();
  }

  // `content_target` empty → the in-process content server.
  void StartEvents(events::EventsBackendOptions options = {}, const std::string& content_target = "") {
    options.content.target =
        content_target.empty() ? "127.0.0.1:" + std::to_string(content_port_) : content_target;
    // The events service checks articles with its own (service role) token.
    if (options.content.token_file.empty()) {
      options.content.token_file = events_dir_.Sub("content-token");
      std::ofstream(options.content.token_file) << TestTokens::kService << "\n";
    }
    auto backend = events::EventsBackend::Open(events_dir_.path(), options);
    ASSERT_TRUE(backend.ok()) << backend.status();
    events_backend_ = *std::move(backend);
    ServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    // Long enough that a test notices when open streams hold the shutdown.
    server_options.shutdown_grace = absl::Seconds(5);
    server_options.auth_tokens_file = TestTokens::Write(events_dir_.Sub("tokens"));
    auto server = GrpcServer::Start(server_options, {{events::v1::EventsService::service_full_name(),
                                                      events_backend_->service(), events::EventsAccessPolicy()}});
    ASSERT_TRUE(server.ok()) << server.status();
    events_server_ = *std::move(server);
    events_stub_ = events::v1::EventsService::NewStub(
        grpc::CreateChannel(events_server_->address(), grpc::InsecureChannelCredentials()));
  }

  void StopEvents() { StopEventsServer(&events_backend_, &events_server_); }

  void TearDown() override {
    StopEvents();
    StopContent();
  }

  // A call context with a deadline and the editor's bearer token.
  static std::unique_ptr<grpc::ClientContext> Context(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + timeout);
    ctx->AddMetadata("authorization", std::string("Bearer ") + TestTokens::kEditor);
    return ctx;
  }

  // Creates an article in the content service; returns its name.
  std::string CreateArticle(const std::string& id, const std::string& title) {
    content::v1::CreateArticleRequest req;
    req.set_article_id(id);
    req.mutable_article()->set_title(title);
    req.mutable_article()->set_body("Szpitale zorganizują wspólną konferencję w maju 2018 roku.");
    content::v1::Article out;
    grpc::Status st = content_stub_->CreateArticle(Context().get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.name();
  }

  TempDir content_dir_;
  TempDir events_dir_;
  int content_port_ = 0;
  std::unique_ptr<content::ContentBackend> content_backend_;
  std::unique_ptr<GrpcServer> content_server_;
  std::unique_ptr<content::v1::ContentService::Stub> content_stub_;
  std::unique_ptr<events::EventsBackend> events_backend_;
  std::unique_ptr<GrpcServer> events_server_;
  std::unique_ptr<events::v1::EventsService::Stub> events_stub_;
};

}  // namespace newsdesk::testing
