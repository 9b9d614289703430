// bench-echo-server: the gRPC baseline. It serves newsdesk.content.v1.
// ContentService through the same plumbing as content-server
// (newsdesk::GrpcServer: reflection, health, the decode interceptor, the
// callback API) but answers from responses built in memory at start-up,
// never touching storage:
//   - GetArticle: article `i % 1000` of the benchmark corpus (as stored by
//     bench-load-corpus, with its output fields), so response sizes follow
//     the real distribution;
//   - ListArticles: a page of 50 such articles;
//   - CreateArticle: the request's article with output fields set;
//   - SearchArticles: a page of 20 hits with snippets.
// Whatever content-server adds on top of these figures is the cost of the
// service and its storage.
//
//   bench-echo-server --listen=127.0.0.1:50100
#include <cstdio>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/corpus.h"
#include "newsdesk/content/v1/content_service.grpc.pb.h"
#include "services/common/server.h"
#include "services/content/content_access.h"
#include "storage/kv/proto_time.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "Address to serve on (keep it on 127.0.0.1)");
ABSL_FLAG(uint64_t, seed, 42, "Corpus seed of the stored responses");

namespace v1 = newsdesk::content::v1;
namespace nb = newsdesk::bench;

namespace {

constexpr int kStored = 1000;

v1::Article Stored(const nb::Corpus& corpus, uint64_t i) {
  v1::Article a = corpus.Make(i);
  a.set_name(absl::StrCat("articles/", nb::Corpus::IdOf(i)));
  a.set_slug(absl::StrCat("artykul-", i));
  a.set_state(v1::Article::STATE_PUBLISHED);
  const absl::Time t = absl::FromUnixSeconds(1600000000 + static_cast<int64_t>(i) * 60);
  newsdesk::ToProtoTime(t, a.mutable_create_time());
  newsdesk::ToProtoTime(t, a.mutable_update_time());
  newsdesk::ToProtoTime(t + absl::Seconds(30), a.mutable_publish_time());
  newsdesk::ToProtoTime(t, a.mutable_revision_create_time());
  a.set_etag("0123456789abcdef");
  a.set_revision_id("r1");
  return a;
}

// Index of "articles/a0000001234" → 1234 (0 when it does not parse).
uint64_t IndexOf(const std::string& name) {
  uint64_t i = 0;
  const size_t at = name.rfind("/a");
  if (at == std::string::npos || !absl::SimpleAtoi(name.substr(at + 2), &i)) return 0;
  return i;
}

class EchoContentService final : public v1::ContentService::CallbackService {
 public:
  explicit EchoContentService(const nb::Corpus& corpus) {
    for (uint64_t i = 0; i < kStored; ++i) articles_.push_back(Stored(corpus, i));
    for (int i = 0; i < 50; ++i) *page_.add_articles() = articles_[static_cast<size_t>(i)];
    page_.set_next_page_token(std::string(120, 'x'));
    for (int i = 0; i < 20; ++i) {
      auto* r = search_.add_results();
      *r->mutable_article() = articles_[static_cast<size_t>(i)];
      r->set_score(12.5 - i * 0.25);
      r->set_snippet(articles_[static_cast<size_t>(i)].body().substr(0, 240));
    }
  }

  grpc::ServerUnaryReactor* GetArticle(grpc::CallbackServerContext* context, const v1::GetArticleRequest* request,
                                       v1::Article* response) override {
    *response = articles_[IndexOf(request->name()) % kStored];
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* ListArticles(grpc::CallbackServerContext* context,
                                         const v1::ListArticlesRequest* /*request*/,
                                         v1::ListArticlesResponse* response) override {
    *response = page_;
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* CreateArticle(grpc::CallbackServerContext* context,
                                          const v1::CreateArticleRequest* request, v1::Article* response) override {
    *response = request->article();
    response->set_name(absl::StrCat("articles/", request->article_id()));
    response->set_state(v1::Article::STATE_DRAFT);
    response->set_etag("0123456789abcdef");
    response->set_revision_id("r1");
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* SearchArticles(grpc::CallbackServerContext* context,
                                           const v1::SearchArticlesRequest* /*request*/,
                                           v1::SearchArticlesResponse* response) override {
    *response = search_;
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  std::vector<v1::Article> articles_;
  v1::ListArticlesResponse page_;
  v1::SearchArticlesResponse search_;
};

}  // namespace

int main(int argc, char** argv) {
  newsdesk::InitServerProgram(argc, argv, "bench-echo-server: ContentService answering from memory (gRPC baseline)");
  nb::Corpus corpus(absl::GetFlag(FLAGS_seed));
  EchoContentService service(corpus);
  auto server = newsdesk::GrpcServer::Start(newsdesk::ServerOptionsFromFlags(absl::GetFlag(FLAGS_listen)),
                                            {{v1::ContentService::service_full_name(), &service,
                                              newsdesk::content::ContentAccessPolicy()}});
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on %s\n", (*server)->address().c_str());
  std::fflush(stdout);
  newsdesk::WaitForShutdownSignal();
  (*server)->Shutdown();
  return 0;
}
