// kill -9 loop for content-server: no acknowledged write is lost, nothing
// unacknowledged is half-visible, and every index agrees with the records.
//
//   NEWSDESK_CRASH_CYCLES (default 20) cycles of: start the real binary on the
//   same data directory, run 4 clients (creates, etag-checked updates,
//   publishes, unpublishes, deletes, undeletes) for a random 0.2–2 s, kill -9,
//   restart, check every acknowledged operation and the indexes.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "newsdesk/content/v1/content_service.grpc.pb.h"
#include "tests/testing/content_fixture.h"
#include "tests/testing/crash_driver.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace newsdesk::content {
namespace {

using testing::EditorContext;
using testing::OutcomeUnknown;
using v1::Article;

std::string Binary() { return testing::BinaryFromEnv("CONTENT_SERVER"); }

// What the clients know about one article: its last acknowledged state and,
// if a call was cut off by the kill, what that call would have made of it.
struct Knowledge {
  std::optional<Article> acked;
  bool create_in_flight = false;
  std::optional<std::string> title_in_flight;
  std::optional<Article::State> state_in_flight;
};

class Client {
 public:
  // Ids this client creates are c<index>-<first_id>, c<index>-<first_id + 1>, ...
  Client(std::shared_ptr<grpc::Channel> channel, int index, std::map<std::string, Knowledge>* model,
         std::mutex* mu, uint32_t seed, int first_id)
      : stub_(v1::ContentService::NewStub(channel)), index_(index), model_(model), mu_(mu), rng_(seed),
        next_(first_id) {}

  // Runs operations until `stop` or the server goes away.
  void Run(const std::atomic<bool>& stop) {
    while (!stop) {
      if (!Step()) return;
    }
  }

 private:
  static std::unique_ptr<grpc::ClientContext> Ctx() { return EditorContext(); }

  // Returns false once a call's outcome is unknown (the server was killed).
  bool Step() {
    std::vector<std::string> mine;
    {
      std::lock_guard<std::mutex> lock(*mu_);
      for (const auto& [id, k] : *model_) {
        if (k.acked.has_value() && id.rfind(absl::StrCat("c", index_, "-"), 0) == 0) mine.push_back(id);
      }
    }
    const int op = mine.empty() ? 0 : static_cast<int>(rng_() % 6);
    if (op == 0) {
      const std::string id = absl::StrCat("c", index_, "-", next_++);
      v1::CreateArticleRequest req;
      req.set_article_id(id);
      req.mutable_article()->set_title(absl::StrCat("Wizyta ", Word(id), " wersja 0"));
      req.mutable_article()->add_tags("crash");
      req.mutable_article()->add_tags(absl::StrCat("klient", index_));
      Article out;
      {
        std::lock_guard<std::mutex> lock(*mu_);
        (*model_)[id].create_in_flight = true;
        (*model_)[id].title_in_flight = req.article().title();
      }
      grpc::Status st = stub_->CreateArticle(Ctx().get(), req, &out);
      std::lock_guard<std::mutex> lock(*mu_);
      auto& k = (*model_)[id];
      if (st.ok()) {
        k = Knowledge{out};
      } else if (!OutcomeUnknown(st)) {
        ADD_FAILURE() << "create " << id << ": " << st.error_message();
        model_->erase(id);
      }
      return st.ok() || !OutcomeUnknown(st);
    }
    const std::string id = mine[rng_() % mine.size()];
    Article current;
    {
      std::lock_guard<std::mutex> lock(*mu_);
      current = *(*model_)[id].acked;
    }
    grpc::Status st;
    Article out;
    std::optional<std::string> title;
    std::optional<Article::State> state;
    const bool deleted = current.state() == Article::STATE_DELETED;
    if (deleted) {
      state = Article::STATE_DRAFT;  // or what it was: checked loosely below
      v1::UndeleteArticleRequest req;
      req.set_name(current.name());
      Record(id, title, state);
      st = stub_->UndeleteArticle(Ctx().get(), req, &out);
    } else if (op <= 2) {
      title = absl::StrCat("Wizyta ", Word(id), " wersja ", ++version_);
      v1::UpdateArticleRequest req;
      req.mutable_article()->set_name(current.name());
      req.mutable_article()->set_title(*title);
      req.mutable_article()->set_etag(current.etag());
      req.mutable_update_mask()->add_paths("title");
      Record(id, title, state);
      st = stub_->UpdateArticle(Ctx().get(), req, &out);
    } else if (op == 3) {
      if (current.state() == Article::STATE_PUBLISHED) {
        state = Article::STATE_DRAFT;
        v1::UnpublishArticleRequest req;
        req.set_name(current.name());
        req.set_etag(current.etag());
        Record(id, title, state);
        st = stub_->UnpublishArticle(Ctx().get(), req, &out);
      } else {
        state = Article::STATE_PUBLISHED;
        v1::PublishArticleRequest req;
        req.set_name(current.name());
        req.set_etag(current.etag());
        Record(id, title, state);
        st = stub_->PublishArticle(Ctx().get(), req, &out);
      }
    } else {
      state = Article::STATE_DELETED;
      v1::DeleteArticleRequest req;
      req.set_name(current.name());
      req.set_etag(current.etag());
      Record(id, title, state);
      st = stub_->DeleteArticle(Ctx().get(), req, &out);
    }
    std::lock_guard<std::mutex> lock(*mu_);
    auto& k = (*model_)[id];
    if (st.ok()) {
      k = Knowledge{out};
    } else if (!OutcomeUnknown(st)) {
      ADD_FAILURE() << id << ": " << st.error_code() << " " << st.error_message();
      k.title_in_flight.reset();
      k.state_in_flight.reset();
    }
    return st.ok() || !OutcomeUnknown(st);
  }

  void Record(const std::string& id, std::optional<std::string> title, std::optional<Article::State> state) {
    std::lock_guard<std::mutex> lock(*mu_);
    (*model_)[id].title_in_flight = std::move(title);
    (*model_)[id].state_in_flight = state;
  }

  // A search word unique to the article ("x0y12"): its id without punctuation.
 public:
  static std::string Word(const std::string& id) {
    std::string w = "x";
    for (char c : id) {
      if (c >= '0' && c <= '9') w.push_back(c);
      if (c == '-') w.push_back('y');
    }
    return w;
  }

  std::unique_ptr<v1::ContentService::Stub> stub_;
  int index_;
  std::map<std::string, Knowledge>* model_;
  std::mutex* mu_;
  std::mt19937 rng_;
  int next_ = 0;
  int version_ = 0;

};

class ContentCrashTest : public ::testing::Test {
 protected:
  static std::unique_ptr<grpc::ClientContext> Ctx() { return EditorContext(std::chrono::seconds(10)); }

  std::vector<Article> ListAll(v1::ContentService::Stub* stub, const std::string& filter, bool show_deleted) {
    return testing::AllPages<Article>([&](const std::string& token, std::vector<Article>* out, std::string* next) {
      v1::ListArticlesRequest req;
      req.set_page_size(100);
      req.set_filter(filter);
      req.set_show_deleted(show_deleted);
      req.set_page_token(token);
      v1::ListArticlesResponse resp;
      grpc::Status st = stub->ListArticles(Ctx().get(), req, &resp);
      out->insert(out->end(), resp.articles().begin(), resp.articles().end());
      *next = resp.next_page_token();
      return st;
    });
  }

  // Checks the restarted server against what the clients were told.
  void Verify(v1::ContentService::Stub* stub, std::map<std::string, Knowledge>* model) {
    std::map<std::string, Article> listed;
    for (auto& a : ListAll(stub, "tags:\"crash\"", true)) listed[a.name().substr(9)] = a;
    std::set<std::string> slugs;
    std::vector<std::string> never_created;
    for (auto& [id, k] : *model) {
      v1::GetArticleRequest get;
      get.set_name(ArticleName(id));
      Article got;
      grpc::Status st = stub->GetArticle(Ctx().get(), get, &got);
      if (!k.acked.has_value()) {
        // Created by a call the kill cut off: absent, or there completely.
        if (st.ok()) {
          EXPECT_EQ(got.title(), k.title_in_flight.value_or("")) << id;
          EXPECT_EQ(listed.count(id), 1u) << id << " exists but is missing from the listing index";
          k = Knowledge{got};
        } else {
          EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << id << ": " << st.error_message();
          EXPECT_EQ(listed.count(id), 0u) << id << " is listed but cannot be read";
          never_created.push_back(id);
        }
        continue;
      }
      ASSERT_TRUE(st.ok()) << "acknowledged article " << id << " lost: " << st.error_message();
      if (got.etag() != k.acked->etag()) {
        // Only the cut-off call may have changed it, and only as it asked.
        const bool title_ok = k.title_in_flight.has_value() && got.title() == *k.title_in_flight;
        const bool state_ok = k.state_in_flight.has_value() &&
                              (got.state() == *k.state_in_flight ||
                               (*k.state_in_flight == Article::STATE_DRAFT && k.acked->state() == Article::STATE_DELETED));
        EXPECT_TRUE(title_ok || state_ok) << id << ": changed without an acknowledgement: " << got.ShortDebugString()
                                          << " vs acked " << k.acked->ShortDebugString();
      }
      ASSERT_EQ(listed.count(id), 1u) << id << " missing from the listing index";
      EXPECT_EQ(listed[id].etag(), got.etag()) << id;
      EXPECT_TRUE(slugs.insert(got.slug()).second) << "duplicate slug " << got.slug();
      k = Knowledge{got};
    }
    for (const auto& id : never_created) model->erase(id);
    EXPECT_EQ(listed.size(), static_cast<size_t>(std::count_if(model->begin(), model->end(), [](const auto& e) {
                return e.second.acked.has_value();
              })));
    // Index paths agree with the records: tags, state, publish order.
    std::set<std::string> live, published;
    for (const auto& [id, k] : *model) {
      if (k.acked->state() != Article::STATE_DELETED) live.insert(id);
      if (k.acked->state() == Article::STATE_PUBLISHED) published.insert(id);
    }
    std::set<std::string> by_tag, by_state;
    for (const auto& a : ListAll(stub, "tags:\"crash\"", false)) by_tag.insert(a.name().substr(9));
    for (const auto& a : ListAll(stub, "state = PUBLISHED", false)) by_state.insert(a.name().substr(9));
    const auto diff = [](const std::set<std::string>& a, const std::set<std::string>& b) {
      std::string out;
      for (const auto& x : a) {
        if (b.count(x) == 0) absl::StrAppend(&out, x, " ");
      }
      return out;
    };
    EXPECT_EQ(by_tag, live) << "listed by tag only: " << diff(by_tag, live) << "; live only: " << diff(live, by_tag);
    EXPECT_EQ(by_state, published) << "listed as published only: " << diff(by_state, published)
                                   << "; published only: " << diff(published, by_state);
    // The search index: a sample of articles found by their own word.
    int checked = 0;
    for (const auto& [id, k] : *model) {
      if (k.acked->state() == Article::STATE_DELETED || ++checked > 10) continue;
      v1::SearchArticlesRequest search;
      search.set_query(Client::Word(id));
      search.set_filter("state = DRAFT OR state = PUBLISHED");
      v1::SearchArticlesResponse found;
      ASSERT_TRUE(stub->SearchArticles(Ctx().get(), search, &found).ok());
      std::string names;
      for (const auto& r : found.results()) absl::StrAppend(&names, r.article().name(), " ");
      ASSERT_EQ(found.results_size(), 1) << id << " found: " << names << " query " << search.query();
      EXPECT_EQ(found.results(0).article().name(), ArticleName(id));
    }
  }
};

TEST_F(ContentCrashTest, KillNineLoopLosesNoAcknowledgedWrite) {
  if (Binary().empty()) GTEST_SKIP() << "CONTENT_SERVER is not set";
  testing::TempDir dir;
  const std::string tokens = testing::TestTokens::Write(dir.Sub("tokens"));
  std::map<std::string, Knowledge> model;
  std::mutex mu;
  std::mt19937 rng(20180501);
  int acknowledged = 0;
  const int cycles = testing::CrashCycles();
  for (int cycle = 0; cycle < cycles; ++cycle) {
    SCOPED_TRACE(absl::StrCat("cycle ", cycle));
    testing::ServerProcess server(Binary(),
                                  {"--listen=127.0.0.1:0", "--db_path=" + dir.Sub("db"), "--auth_tokens_file=" + tokens,
                                   "--log_calls=false"},
                                  dir.Sub("server.log"));
    ASSERT_TRUE(server.Start()) << server.Log();
    auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
    auto stub = v1::ContentService::NewStub(channel);
    Verify(stub.get(), &model);
    if (HasFailure()) return;

    testing::LoadThenKill(server, 4, rng, [&](int c, uint32_t seed, const std::atomic<bool>& stop) {
      Client client(grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()), c, &model, &mu, seed,
                    cycle * 1000);
      client.Run(stop);
    });
    for (const auto& [id, k] : model) acknowledged += k.acked.has_value();
  }
  testing::ServerProcess last(Binary(),
                              {"--listen=127.0.0.1:0", "--db_path=" + dir.Sub("db"), "--auth_tokens_file=" + tokens},
                              dir.Sub("server.log"));
  ASSERT_TRUE(last.Start());
  auto stub = v1::ContentService::NewStub(grpc::CreateChannel(last.address(), grpc::InsecureChannelCredentials()));
  Verify(stub.get(), &model);
  auto stopped = last.Stop(SIGTERM);
  ASSERT_TRUE(stopped.has_value());
  EXPECT_EQ(stopped->first, 0);
  std::cout << "[crash] " << cycles << " kill -9 cycles, " << model.size() << " articles, "
            << acknowledged << " acknowledged states checked: all present" << std::endl;
}

}  // namespace
}  // namespace newsdesk::content
