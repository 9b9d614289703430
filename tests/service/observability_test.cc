// Metrics scraped over HTTP, request ids, and the storage figures.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <sstream>

#include "tests/testing/content_fixture.h"
#include "tests/testing/generic_call.h"

namespace newsdesk::content {
namespace {

// GET http://127.0.0.1:port/metrics with a plain socket.
std::string Scrape(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  (void)!write(fd, request.data(), request.size());
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) response.append(buf, static_cast<size_t>(n));
  close(fd);
  return response;
}

// The value of the first sample line that contains every fragment.
double Sample(const std::string& text, const std::vector<std::string>& fragments) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    bool all = true;
    for (const auto& f : fragments) all = all && line.find(f) != std::string::npos;
    if (all) return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

class ObservabilityTest : public testing::ContentServerFixture {
 protected:
  void SetUp() override {
    ASSERT_TRUE(metrics_.Serve("127.0.0.1:0").ok());
    ServerOptions options;
    options.metrics = &metrics_;
    StartServer(options);
    metrics_.AddDatabase("content", backend_->database());
  }
  Metrics metrics_;
};

TEST_F(ObservabilityTest, CountsMoveWithCalls) {
  const std::vector<std::string> created = {"grpc_method=\"CreateArticle\"", "grpc_code=\"OK\"",
                                            "newsdesk_grpc_server_handled_total"};
  const std::vector<std::string> missing = {"grpc_method=\"GetArticle\"", "grpc_code=\"NOT_FOUND\"",
                                            "newsdesk_grpc_server_handled_total"};
  const std::string before = Scrape(metrics_.port());
  ASSERT_NE(before.find("200 OK"), std::string::npos) << before.substr(0, 200);
  EXPECT_EQ(Sample(before, created), -1);

  for (int i = 0; i < 3; ++i) {
    v1::CreateArticleRequest req;
    req.mutable_article()->set_title("Licznik");
    v1::Article out;
    ASSERT_TRUE(stub_->CreateArticle(Context().get(), req, &out).ok());
  }
  v1::GetArticleRequest get;
  get.set_name("articles/brak");
  v1::Article out;
  EXPECT_EQ(stub_->GetArticle(Context().get(), get, &out).error_code(), grpc::StatusCode::NOT_FOUND);

  const std::string after = Scrape(metrics_.port());
  EXPECT_EQ(Sample(after, created), 3);
  EXPECT_EQ(Sample(after, missing), 1);
  EXPECT_EQ(Sample(after, {"newsdesk_grpc_server_handling_seconds_count", "grpc_method=\"CreateArticle\""}), 3);
  EXPECT_EQ(Sample(after, {"newsdesk_grpc_server_in_flight", "grpc_method=\"CreateArticle\""}), 0);
  EXPECT_GE(Sample(after, {"newsdesk_rocksdb_live_data_bytes", "database=\"content\""}), 0);
  EXPECT_GE(Sample(after, {"newsdesk_rocksdb_block_cache_hit_ratio", "database=\"content\""}), 0);
  EXPECT_GE(Sample(after, {"newsdesk_rocksdb_pending_compaction_bytes", "database=\"content\""}), 0);
  EXPECT_GE(Sample(after, {"newsdesk_rocksdb_blob_files", "database=\"content\""}), 0);
}

TEST_F(ObservabilityTest, RequestIdsAreReturned) {
  v1::GetArticleRequest get;
  get.set_name("articles/brak");
  v1::Article out;
  auto ctx = Context();
  ctx->AddMetadata("x-request-id", "wizyta-2018-05");
  (void)stub_->GetArticle(ctx.get(), get, &out);
  auto it = ctx->GetServerTrailingMetadata().find("x-request-id");
  ASSERT_NE(it, ctx->GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(it->second.data(), it->second.size()), "wizyta-2018-05");

  auto generated = Context();
  (void)stub_->GetArticle(generated.get(), get, &out);
  it = generated->GetServerTrailingMetadata().find("x-request-id");
  ASSERT_NE(it, generated->GetServerTrailingMetadata().end());
  EXPECT_TRUE(std::regex_match(std::string(it->second.data(), it->second.size()), std::regex("[0-9a-f]{16}")));
}

class ChannelzTest : public testing::ContentServerFixture {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.channelz = true;
    StartServer(options);
  }
};

TEST_F(ChannelzTest, ChannelzIsServedToAdminsOnly) {
  const std::string method = "/grpc.channelz.v1.Channelz/GetServers";
  auto admin = Context(Role::kAdmin);
  grpc::Status st = testing::CallWithEmptyRequest(channel_, method, admin.get());
  EXPECT_TRUE(st.ok()) << st.error_code() << " " << st.error_message();
  auto editor = Context(Role::kEditor);
  EXPECT_EQ(testing::CallWithEmptyRequest(channel_, method, editor.get()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto anonymous = Context(Role::kAnonymous);
  EXPECT_EQ(testing::CallWithEmptyRequest(channel_, method, anonymous.get()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace newsdesk::content
