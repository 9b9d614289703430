// The events service when the content service it checks articles with
// fails: retries stop once content has failed repeatedly (gRPC retry
// throttling, a circuit breaker), so creates citing articles fail fast; and
// health stays SERVING, so Kubernetes neither restarts nor unreadies events
// pods for an outage they cannot fix.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/testing/crash_driver.h"
#include "tests/testing/events_fixture.h"
#include "tests/testing/process.h"

namespace newsdesk::events {
namespace {

using grpc::health::v1::HealthCheckResponse;
using v1::Event;

Event Visit(const std::string& article = "") {
  Event e;
  e.set_title("Wizyta delegacji z obwodu ałmatyńskiego w Białej Podlaskiej");
  e.mutable_schedule()->set_precision(v1::Schedule::PRECISION_MONTH);
  e.mutable_schedule()->mutable_start_date()->set_year(2018);
  e.mutable_schedule()->mutable_start_date()->set_month(5);
  if (!article.empty()) e.add_source_articles(article);
  return e;
}

grpc::Status CreateVisit(v1::EventsService::Stub* stub, const std::string& article,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  v1::CreateEventRequest req;
  *req.mutable_event() = Visit(article);
  Event out;
  return stub->CreateEvent(testing::EditorContext(timeout).get(), req, &out);
}

// Creates until one succeeds (the content service came back); false after
// `limit`.
bool CreateSucceedsWithin(v1::EventsService::Stub* stub, const std::string& article, absl::Duration limit) {
  const absl::Time until = absl::Now() + limit;
  for (;;) {
    if (CreateVisit(stub, article).ok()) return true;
    if (absl::Now() > until) return false;
    absl::SleepFor(absl::Milliseconds(100));
  }
}

class RetryThrottlingTest : public testing::EventsServerFixture {};

// Deterministic: the fake counts every attempt that reaches it. The channel's
// service config (ContentServiceConfig) allows 4 attempts and throttles with
// maxTokens 10, tokenRatio 0.1: each failed attempt costs a token, each
// success returns 0.1, and gRPC retries only while more than 5 are left.
TEST_F(RetryThrottlingTest, RetriesStopOnceContentHasFailedRepeatedlyAndComeBackAfterSuccesses) {
  testing::FlakyContentService fake;
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.shutdown_grace = absl::Seconds(1);
  options.auth_tokens_file = testing::TestTokens::Write(events_dir_.Sub("fake-tokens"));
  auto server = GrpcServer::Start(options, {{content::v1::ContentService::service_full_name(), &fake,
                                             content::ContentAccessPolicy()}});
  ASSERT_TRUE(server.ok()) << server.status();
  EventsBackendOptions backend;
  ASSERT_EQ(backend.content.max_attempts, 4);
  StartEvents(backend, (*server)->address());
  const std::string article = "articles/wizyta-w-obwodzie-almatynskim";
  ASSERT_TRUE(CreateVisit(events_stub_.get(), article).ok());
  ASSERT_EQ(fake.calls.load(), 1);

  fake.FailNext(1000000);
  int before = fake.calls.load();
  grpc::Status st = CreateVisit(events_stub_.get(), article);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  EXPECT_EQ(fake.calls.load() - before, 4) << "the first failing check is retried (4 attempts)";
  for (int i = 0; i < 5; ++i) {
    before = fake.calls.load();
    st = CreateVisit(events_stub_.get(), article);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
    EXPECT_EQ(fake.calls.load() - before, 1) << "call " << i + 2 << " was retried although content keeps failing";
  }

  // Content recovers: first attempts go through at once; retries come back
  // once successes have refilled the bucket above half.
  fake.FailNext(0);
  for (int i = 0; i < 70; ++i) ASSERT_TRUE(CreateVisit(events_stub_.get(), article).ok()) << i;
  fake.FailNext(1);
  before = fake.calls.load();
  st = CreateVisit(events_stub_.get(), article);
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(fake.calls.load() - before, 2) << "one UNAVAILABLE answer is retried again after the recovery";
  StopEvents();
  (*server)->Shutdown();
}

// Through the public API only, with the real content service stopped: once
// the retries are throttled, a create citing an article fails in far less
// time than one retry's backoff, let alone the per-call deadline.
TEST_F(RetryThrottlingTest, CreatesFailFastWhileTheContentServiceIsDown) {
  StartContent();
  const std::string article = CreateArticle("wizyta-w-obwodzie-almatynskim", "Wizyta w obwodzie Ałmatyńskim");
  EventsBackendOptions backend;
  backend.content.max_attempts = 4;
  backend.content.initial_backoff = absl::Seconds(1);  // the first retry waits exactly this long
  backend.content.max_backoff = absl::Seconds(2);
  backend.content.deadline_cap = absl::Seconds(20);
  StartEvents(backend);
  ASSERT_TRUE(CreateVisit(events_stub_.get(), article).ok());

  StopContent();
  absl::Time begin = absl::Now();
  grpc::Status st = CreateVisit(events_stub_.get(), article);
  const absl::Duration first = absl::Now() - begin;
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  EXPECT_GE(first, absl::Seconds(1)) << "the first failing check waits for its retries (1 s + ~2 s + ~2 s)";
  absl::Duration slowest;
  for (int i = 0; i < 5; ++i) {
    begin = absl::Now();
    st = CreateVisit(events_stub_.get(), article);
    const absl::Duration took = absl::Now() - begin;
    slowest = std::max(slowest, took);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
    EXPECT_LT(took, absl::Milliseconds(500)) << "call " << i + 2 << " waited for a retry (1 s backoff)";
  }
  // Content back on the same port: the channel reconnects by itself, and the
  // first attempts (never throttled) succeed.
  StartContent();
  EXPECT_TRUE(CreateSucceedsWithin(events_stub_.get(), article, absl::Seconds(10)));
  std::cout << "[throttle] first failing create " << absl::FormatDuration(first)
            << " (retried), the next five at most " << absl::FormatDuration(slowest) << " each (not retried)"
            << std::endl;
}

// Health of the real events-server binary, on its gRPC port and on its
// plaintext --health_listen port, for the whole server ("", what liveness
// asks) and for EventsService (readiness).
class Health {
 public:
  explicit Health(const std::string& address)
      : stub_(grpc::health::v1::Health::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

  HealthCheckResponse::ServingStatus Check(const std::string& service) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    grpc::Status st = stub_->Check(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << service << ": " << st.error_message();
    return resp.status();
  }

  // Every status a Watch stream on `service` delivers, read on its own
  // thread until StopWatching.
  void StartWatching(const std::string& service) {
    watch_ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    reader_ = stub_->Watch(&watch_ctx_, req);
    thread_ = std::thread([this] {
      HealthCheckResponse resp;
      while (reader_->Read(&resp)) {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back(resp.status());
      }
      (void)reader_->Finish();
    });
  }
  std::vector<HealthCheckResponse::ServingStatus> StopWatching() {
    watch_ctx_.TryCancel();
    thread_.join();
    return seen_;
  }

 private:
  std::unique_ptr<grpc::health::v1::Health::Stub> stub_;
  grpc::ClientContext watch_ctx_;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<HealthCheckResponse::ServingStatus> seen_;
};

TEST(EventsHealthTest, HealthStaysServingWhileTheContentServiceIsDown) {
  testing::TempDir dir;
  const testing::TwoServices services(dir);
  if (!services.available()) GTEST_SKIP() << "EVENTS_SERVER or CONTENT_SERVER is not set";
  const auto& [events_binary, content_binary, tokens, content_token] = services;
  const int content_port = testing::PickFreePort();
  const int health_port = testing::PickFreePort();
  ASSERT_TRUE(content_port != 0 && health_port != 0 && content_port != health_port);
  const std::string content_address = absl::StrCat("127.0.0.1:", content_port);
  const std::vector<std::string> content_args = {"--listen=" + content_address, "--db_path=" + dir.Sub("content"),
                                                 "--auth_tokens_file=" + tokens, "--log_calls=false",
                                                 "--shutdown_grace=2s"};

  // events-server starts while content-server is not running (pods start in
  // any order).
  testing::ServerProcess events(events_binary,
                                {"--listen=127.0.0.1:0", "--db_path=" + dir.Sub("events"),
                                 "--auth_tokens_file=" + tokens, "--content_target=" + content_address,
                                 "--content_token_file=" + content_token,
                                 absl::StrCat("--health_listen=127.0.0.1:", health_port), "--log_calls=false",
                                 "--shutdown_grace=2s"},
                                dir.Sub("events.log"));
  ASSERT_TRUE(events.Start()) << events.Log();
  auto stub = v1::EventsService::NewStub(grpc::CreateChannel(events.address(), grpc::InsecureChannelCredentials()));
  Health grpc_port(events.address());
  Health health_only(absl::StrCat("127.0.0.1:", health_port));
  const auto expect_serving = [&](const std::string& when) {
    for (Health* h : {&grpc_port, &health_only}) {
      for (const std::string service : {"", "newsdesk.events.v1.EventsService"}) {
        EXPECT_EQ(h->Check(service), HealthCheckResponse::SERVING)
            << "health of \"" << service << "\" " << (h == &grpc_port ? "on the gRPC port" : "on --health_listen")
            << " " << when;
      }
    }
  };
  const std::string article = "articles/zapowiedz-wizyty";
  EXPECT_EQ(CreateVisit(stub.get(), article).error_code(), grpc::StatusCode::UNAVAILABLE);
  expect_serving("before content-server ever started");

  auto content = std::make_unique<testing::ServerProcess>(content_binary, content_args, dir.Sub("content.log"));
  ASSERT_TRUE(content->Start()) << content->Log();
  {
    auto content_stub =
        content::v1::ContentService::NewStub(grpc::CreateChannel(content_address, grpc::InsecureChannelCredentials()));
    content::v1::CreateArticleRequest req;
    req.set_article_id("zapowiedz-wizyty");
    req.mutable_article()->set_title("Zapowiedź wizyty delegacji z Kazachstanu");
    content::v1::Article out;
    ASSERT_TRUE(content_stub->CreateArticle(testing::EditorContext().get(), req, &out).ok());
  }
  ASSERT_TRUE(CreateSucceedsWithin(stub.get(), article, absl::Seconds(15))) << events.Log();

  // Every status change while content dies and keeps failing is watched.
  grpc_port.StartWatching("");
  health_only.StartWatching("newsdesk.events.v1.EventsService");
  content->Kill();
  for (int i = 0; i < 10; ++i) {
    grpc::Status st = CreateVisit(stub.get(), article);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  }
  expect_serving("after content-server was killed and 10 checks failed");
  // The pod still does its job: reads, and writes that cite no article.
  EXPECT_TRUE(CreateVisit(stub.get(), "").ok());
  v1::ListEventsRequest list;
  v1::ListEventsResponse listed;
  EXPECT_TRUE(stub->ListEvents(testing::EditorContext().get(), list, &listed).ok());
  EXPECT_GE(listed.events_size(), 2);

  // content-server comes back: events-server recovers without a restart.
  content = std::make_unique<testing::ServerProcess>(content_binary, content_args, dir.Sub("content.log"));
  ASSERT_TRUE(content->Start()) << content->Log();
  EXPECT_TRUE(CreateSucceedsWithin(stub.get(), article, absl::Seconds(15)));
  for (Health* h : {&grpc_port, &health_only}) {
    const auto seen = h->StopWatching();
    ASSERT_FALSE(seen.empty()) << "Watch delivers the current status first";
    for (const auto s : seen) EXPECT_EQ(s, HealthCheckResponse::SERVING) << "health changed during the outage";
  }
  auto stopped = events.Stop(SIGTERM);
  ASSERT_TRUE(stopped.has_value());
  EXPECT_EQ(stopped->first, 0);
  EXPECT_EQ(content->Stop(SIGTERM)->first, 0);
}

}  // namespace
}  // namespace newsdesk::events
