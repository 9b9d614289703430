// SIGTERM with 50 calls in flight (unary writes and health Watch streams).
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "newsdesk/content/v1/content_service.grpc.pb.h"
#include "tests/testing/content_fixture.h"
#include "tests/testing/process.h"

namespace newsdesk::content {
namespace {

TEST(ShutdownTest, SigtermUnderLoadDrainsCleanlyWithinTheGracePeriod) {
  const char* binary = std::getenv("CONTENT_SERVER");
  if (binary == nullptr) GTEST_SKIP() << "CONTENT_SERVER is not set";
  testing::TempDir dir;
  const std::string tokens = testing::TestTokens::Write(dir.Sub("tokens"));
  const std::vector<std::string> args = {"--listen=127.0.0.1:0", "--db_path=" + dir.Sub("db"),
                                         "--auth_tokens_file=" + tokens, "--shutdown_grace=2s", "--log_calls=false"};
  testing::ServerProcess server(binary, args, dir.Sub("server.log"));
  ASSERT_TRUE(server.Start()) << server.Log();

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::map<grpc::StatusCode, int> unary_codes, stream_codes;
  std::atomic<int> not_serving_seen{0};
  std::atomic<int64_t> not_serving_at_us{0};
  const auto now_us = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  std::vector<std::thread> threads;
  // 40 writers, each with one call in flight at a time.
  for (int w = 0; w < 40; ++w) {
    threads.emplace_back([&, w] {
      auto stub = v1::ContentService::NewStub(
          grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
      for (int i = 0; !stop; ++i) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        ctx.AddMetadata("authorization", std::string("Bearer ") + testing::TestTokens::kEditor);
        v1::CreateArticleRequest req;
        req.set_article_id(absl::StrCat("w", w, "-", i));
        req.mutable_article()->set_title(absl::StrCat("Artykuł ", w, " ", i));
        v1::Article out;
        grpc::Status st = stub->CreateArticle(&ctx, req, &out);
        std::lock_guard<std::mutex> lock(mu);
        ++unary_codes[st.error_code()];
        if (st.ok()) acknowledged.push_back(req.article_id());
        if (!st.ok()) return;
      }
    });
  }
  // 10 health watchers: streams that only end when the server ends them.
  for (int s = 0; s < 10; ++s) {
    threads.emplace_back([&] {
      auto health = grpc::health::v1::Health::NewStub(
          grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
      grpc::health::v1::HealthCheckRequest req;
      auto reader = health->Watch(&ctx, req);
      grpc::health::v1::HealthCheckResponse resp;
      bool seen = false;
      while (reader->Read(&resp)) {
        if (resp.status() == grpc::health::v1::HealthCheckResponse::NOT_SERVING && !seen) {
          seen = true;
          ++not_serving_seen;
          int64_t expected = 0;
          not_serving_at_us.compare_exchange_strong(expected, now_us());
        }
      }
      grpc::Status st = reader->Finish();
      std::lock_guard<std::mutex> lock(mu);
      ++stream_codes[st.error_code()];
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  const int64_t sigterm_at = now_us();
  auto stopped = server.Stop(SIGTERM);
  stop = true;
  for (auto& t : threads) t.join();

  ASSERT_TRUE(stopped.has_value()) << "still running 30 s after SIGTERM";
  EXPECT_EQ(stopped->first, 0) << server.Log();
  EXPECT_LE(stopped->second, 2.0 + 2.0) << "grace 2 s + 2 s";
  EXPECT_EQ(not_serving_seen.load(), 10) << "every watcher saw NOT_SERVING";
  EXPECT_LT(not_serving_at_us.load() - sigterm_at, 500000) << "NOT_SERVING at once";
  for (const auto& [code, n] : stream_codes) {
    EXPECT_TRUE(code == grpc::StatusCode::CANCELLED || code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::OK)
        << "a stream ended with " << code;
  }
  for (const auto& [code, n] : unary_codes) {
    EXPECT_TRUE(code == grpc::StatusCode::OK || code == grpc::StatusCode::CANCELLED ||
                code == grpc::StatusCode::UNAVAILABLE)
        << n << " writes ended with " << code;
  }
  EXPECT_NE(server.Log().find("\"message\":\"stopped\""), std::string::npos);
  ASSERT_GT(acknowledged.size(), 0u);

  // Restarted: nothing to recover but RocksDB's WAL replay, every
  // acknowledged write is there.
  testing::ServerProcess again(binary, args, dir.Sub("server.log"));
  ASSERT_TRUE(again.Start());
  auto stub = v1::ContentService::NewStub(grpc::CreateChannel(again.address(), grpc::InsecureChannelCredentials()));
  for (const auto& id : acknowledged) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", std::string("Bearer ") + testing::TestTokens::kEditor);
    v1::GetArticleRequest get;
    get.set_name("articles/" + id);
    v1::Article out;
    ASSERT_TRUE(stub->GetArticle(&ctx, get, &out).ok()) << id;
  }
  EXPECT_EQ(again.Stop(SIGTERM)->first, 0);
  std::cout << "[shutdown] " << acknowledged.size() << " writes acknowledged before and during the drain, SIGTERM to exit "
            << stopped->second << " s" << std::endl;
}

}  // namespace
}  // namespace newsdesk::content
