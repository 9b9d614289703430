// Publishing, revisions, filtered listing and search through the gRPC API.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "storage/content/article_search.h"
#include "storage/content/schema.h"
#include "storage/kv/proto_time.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/content_fixture.h"

namespace newsdesk::content {
namespace {

using v1::Article;

class ContentWorkflowTest : public testing::ContentServerFixture {
 protected:
  // Twelve concurrent searches, and a write among them, on a server with
  // the given search workers and helpers: every search answers with every
  // match.
  void SearchConcurrently(int workers, int helpers) {
    TearDown();
    StartServer({}, {.search_workers = workers, .search_helpers = helpers});
    for (int i = 0; i < 3; ++i) {
      Create("k" + std::to_string(i), "Konferencja " + std::to_string(i), "Ochrona zdrowia w Ałmaty.");
      Article out;
      ASSERT_TRUE(Publish("k" + std::to_string(i), std::nullopt, &out).ok());
    }
    std::vector<std::thread> clients;
    std::atomic<int> answered{0};
    for (int c = 0; c < 12; ++c) {
      clients.emplace_back([&, c] {
        v1::SearchArticlesRequest req;
        req.set_query(c % 2 == 0 ? "konferencja" : "almaty");
        v1::SearchArticlesResponse resp;
        grpc::Status st = stub_->SearchArticles(Context().get(), req, &resp);
        EXPECT_TRUE(st.ok()) << st.error_message();
        EXPECT_EQ(resp.results_size(), 3);
        answered += st.ok() ? 1 : 0;
      });
    }
    Create("k3", "Konferencja 3", "Wpis w trakcie wyszukiwania.");
    for (auto& t : clients) t.join();
    EXPECT_EQ(answered, 12);
  }

  Article Create(const std::string& id, const std::string& title, const std::string& body,
                 std::vector<std::string> tags = {}) {
    v1::CreateArticleRequest req;
    req.set_article_id(id);
    req.mutable_article()->set_title(title);
    req.mutable_article()->set_body(body);
    for (auto& t : tags) req.mutable_article()->add_tags(t);
    Article out;
    grpc::Status st = stub_->CreateArticle(Context().get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  grpc::Status Publish(const std::string& id, std::optional<absl::Time> at, Article* out) {
    v1::PublishArticleRequest req;
    req.set_name("articles/" + id);
    if (at.has_value()) ToProtoTime(*at, req.mutable_publish_time());
    return stub_->PublishArticle(Context().get(), req, out);
  }

  std::vector<std::string> List(const std::string& filter, const std::string& order_by = "") {
    v1::ListArticlesRequest req;
    req.set_filter(filter);
    req.set_order_by(order_by);
    v1::ListArticlesResponse resp;
    grpc::Status st = stub_->ListArticles(Context().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::vector<std::string> names;
    for (const auto& a : resp.articles()) names.push_back(a.name());
    return names;
  }

  v1::SearchArticlesResponse Search(const std::string& q, grpc::Status* status = nullptr) {
    v1::SearchArticlesRequest req;
    req.set_query(q);
    v1::SearchArticlesResponse resp;
    grpc::Status st = stub_->SearchArticles(Context().get(), req, &resp);
    if (status != nullptr) *status = st;
    else EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }
};

TEST_F(ContentWorkflowTest, PublishScheduleAndUnpublish) {
  Create("now", "Teraz", "treść");
  Create("later", "Później", "treść");
  Article out;
  ASSERT_TRUE(Publish("now", std::nullopt, &out).ok());
  EXPECT_EQ(out.state(), Article::STATE_PUBLISHED);
  ASSERT_TRUE(Publish("later", clock_.Now() + absl::Minutes(30), &out).ok());
  EXPECT_EQ(out.state(), Article::STATE_SCHEDULED);
  EXPECT_EQ(List("state = PUBLISHED"), std::vector<std::string>{"articles/now"});
  clock_.Advance(absl::Minutes(30) + absl::Seconds(1));
  EXPECT_EQ(List("state = PUBLISHED"), (std::vector<std::string>{"articles/later", "articles/now"}))
      << "newest publish_time first by default";

  grpc::Status st = Publish("now", std::nullopt, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(st.error_message().find("STATE_PUBLISHED"), std::string::npos) << st.error_message();

  v1::UnpublishArticleRequest un;
  un.set_name("articles/now");
  ASSERT_TRUE(stub_->UnpublishArticle(Context().get(), un, &out).ok());
  EXPECT_EQ(out.state(), Article::STATE_DRAFT);
  EXPECT_FALSE(out.has_publish_time());
  st = stub_->UnpublishArticle(Context().get(), un, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(st.error_message().find("STATE_DRAFT"), std::string::npos);
}

TEST_F(ContentWorkflowTest, RevisionsThroughTheApi) {
  Article a = Create("rev", "Pierwszy", "jeden");
  v1::UpdateArticleRequest upd;
  upd.mutable_article()->set_name("articles/rev");
  upd.mutable_article()->set_body("dwa");
  upd.mutable_update_mask()->add_paths("body");
  Article updated;
  ASSERT_TRUE(stub_->UpdateArticle(Context().get(), upd, &updated).ok());
  EXPECT_EQ(updated.revision_id(), "r2");

  v1::GetArticleRequest get;
  get.set_name("articles/rev@r1");
  Article r1;
  ASSERT_TRUE(stub_->GetArticle(Context().get(), get, &r1).ok());
  EXPECT_EQ(r1.body(), "jeden");
  EXPECT_EQ(r1.name(), "articles/rev@r1");
  get.set_name("articles/rev@r5");
  EXPECT_EQ(stub_->GetArticle(Context().get(), get, &r1).error_code(), grpc::StatusCode::NOT_FOUND);
  get.set_name("articles/rev@R1!");
  EXPECT_EQ(stub_->GetArticle(Context().get(), get, &r1).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::ListArticleRevisionsRequest list;
  list.set_name("articles/rev");
  list.set_page_size(1);
  v1::ListArticleRevisionsResponse page;
  ASSERT_TRUE(stub_->ListArticleRevisions(Context().get(), list, &page).ok());
  ASSERT_EQ(page.articles_size(), 1);
  EXPECT_EQ(page.articles(0).revision_id(), "r2");
  list.set_page_token(page.next_page_token());
  ASSERT_TRUE(stub_->ListArticleRevisions(Context().get(), list, &page).ok());
  EXPECT_EQ(page.articles(0).revision_id(), "r1");
  EXPECT_TRUE(page.next_page_token().empty());
  list.set_name("articles/other");
  EXPECT_EQ(stub_->ListArticleRevisions(Context().get(), list, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "a token of one article's revisions is refused for another";

  v1::RollbackArticleRequest rb;
  rb.set_name("articles/rev");
  rb.set_revision_id("r1");
  rb.set_etag(a.etag());
  Article rolled;
  EXPECT_EQ(stub_->RollbackArticle(Context().get(), rb, &rolled).error_code(), grpc::StatusCode::ABORTED);
  rb.clear_etag();
  ASSERT_TRUE(stub_->RollbackArticle(Context().get(), rb, &rolled).ok());
  EXPECT_EQ(rolled.revision_id(), "r3");
  EXPECT_EQ(rolled.body(), "jeden");
  rb.clear_revision_id();
  EXPECT_EQ(stub_->RollbackArticle(Context().get(), rb, &rolled).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ContentWorkflowTest, FilterAndOrderErrorsPointAtTheProblem) {
  v1::ListArticlesRequest req;
  v1::ListArticlesResponse resp;
  req.set_filter("tags:zdrowie AND colour = red");
  grpc::Status st = stub_->ListArticles(Context().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("unknown field \"colour\""), std::string::npos) << st.error_message();
  EXPECT_NE(st.error_message().find("position 17"), std::string::npos) << st.error_message();
  req.set_filter("publish_time > soon");
  st = stub_->ListArticles(Context().get(), req, &resp);
  EXPECT_NE(st.error_message().find("RFC 3339"), std::string::npos) << st.error_message();
  req.set_filter("(state = DRAFT");
  EXPECT_EQ(stub_->ListArticles(Context().get(), req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.set_filter("");
  req.set_order_by("title");
  st = stub_->ListArticles(Context().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("order_by"), std::string::npos);
}

TEST_F(ContentWorkflowTest, PageTokensAreBoundToFilterAndOrder) {
  for (int i = 0; i < 4; ++i) {
    Create("t" + std::to_string(i), "T", "x", {"zdrowie"});
    clock_.Advance(absl::Seconds(1));
  }
  v1::ListArticlesRequest req;
  req.set_filter("tags:zdrowie");
  req.set_page_size(1);
  v1::ListArticlesResponse resp;
  ASSERT_TRUE(stub_->ListArticles(Context().get(), req, &resp).ok());
  ASSERT_FALSE(resp.next_page_token().empty());
  req.set_page_token(resp.next_page_token());
  ASSERT_TRUE(stub_->ListArticles(Context().get(), req, &resp).ok());
  EXPECT_EQ(resp.articles(0).name(), "articles/t2");

  v1::ListArticlesRequest changed = req;
  changed.set_filter("tags:kultura");
  EXPECT_EQ(stub_->ListArticles(Context().get(), changed, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  changed = req;
  changed.set_order_by("create_time");
  EXPECT_EQ(stub_->ListArticles(Context().get(), changed, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  changed = req;
  changed.set_filter("tags:zdrowie ");  // the same filter, written differently
  EXPECT_TRUE(stub_->ListArticles(Context().get(), changed, &resp).ok());
}

TEST_F(ContentWorkflowTest, OrderByAscendingAndUpdateTime) {
  for (int i = 0; i < 3; ++i) {
    Create("o" + std::to_string(i), "T", "x");
    clock_.Advance(absl::Seconds(1));
  }
  EXPECT_EQ(List("", "create_time"), (std::vector<std::string>{"articles/o0", "articles/o1", "articles/o2"}));
  EXPECT_EQ(List("", "create_time desc"), (std::vector<std::string>{"articles/o2", "articles/o1", "articles/o0"}));
  v1::UpdateArticleRequest upd;
  upd.mutable_article()->set_name("articles/o0");
  upd.mutable_article()->set_lead("nowy");
  Article out;
  ASSERT_TRUE(stub_->UpdateArticle(Context().get(), upd, &out).ok());
  EXPECT_EQ(List("", "update_time desc").front(), "articles/o0");
}

TEST_F(ContentWorkflowTest, SearchWithAndWithoutDiacritics) {
  Create("k", "Wizyta w obwodzie Ałmatyńskim w Kazachstanie", "Szpital miejski (Tałdykorgan) podpisał umowę.",
         {"zdrowie"});
  Article out;
  ASSERT_TRUE(Publish("k", std::nullopt, &out).ok());
  Create("plain", "Festiwal almatynski", "Tekst pisany bez polskich znakow.");
  ASSERT_TRUE(Publish("plain", std::nullopt, &out).ok());
  for (const char* q : {"ałmatyński", "ALMATYNSKI"}) {
    auto resp = Search(q);
    ASSERT_EQ(resp.results_size(), 1) << q;
    EXPECT_EQ(resp.results(0).article().name(), "articles/plain");
  }
  for (const char* q : {"Tałdykorgan", "taldykorgan", "TAŁDYKORGAN", "Ałmatyńskim", "almatynskim", "Kazachstan",
                        "Kazachstanie", "\"w Kazachstanie\"", "kazach*"}) {
    auto resp = Search(q);
    ASSERT_EQ(resp.results_size(), 1) << q;
    EXPECT_EQ(resp.results(0).article().name(), "articles/k");
    EXPECT_GT(resp.results(0).score(), 0);
  }
  EXPECT_EQ(Search("Kazachstan -szpital").results_size(), 0);
  grpc::Status st;
  Search("\"open", &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("query"), std::string::npos);
  Search("", &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ContentWorkflowTest, SearchPagesWithBoundTokens) {
  for (int i = 0; i < 3; ++i) {
    Create("s" + std::to_string(i), "Konferencja " + std::to_string(i), "Ochrona zdrowia.");
    Article out;
    ASSERT_TRUE(Publish("s" + std::to_string(i), std::nullopt, &out).ok());
    clock_.Advance(absl::Seconds(1));
  }
  v1::SearchArticlesRequest req;
  req.set_query("konferencja");
  req.set_page_size(2);
  v1::SearchArticlesResponse resp;
  ASSERT_TRUE(stub_->SearchArticles(Context().get(), req, &resp).ok());
  ASSERT_EQ(resp.results_size(), 2);
  EXPECT_EQ(resp.results(0).article().name(), "articles/s2") << "equal scores: newer publish_time first";
  req.set_page_token(resp.next_page_token());
  ASSERT_TRUE(stub_->SearchArticles(Context().get(), req, &resp).ok());
  ASSERT_EQ(resp.results_size(), 1);
  EXPECT_TRUE(resp.next_page_token().empty());
  req.set_query("zdrowie");
  EXPECT_EQ(stub_->SearchArticles(Context().get(), req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Searches run on their own work queue: with one search worker, searches
// sent at once wait their turn and all answer, while writes go on.
TEST_F(ContentWorkflowTest, SearchesWaitTheirTurnOnOneSearchWorker) { SearchConcurrently(1, 0); }

TEST_F(ContentWorkflowTest, ConcurrentSearchesShareTheHelpers) { SearchConcurrently(4, 2); }

TEST(ContentBackendOptionsTest, NegativeSearchWorkersAreRefused) {
  testing::TempDir dir;
  auto backend = ContentBackend::Open(dir.path(), Clock::Real(), {.search_workers = -1});
  ASSERT_EQ(backend.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(backend.status().message().find("--search_workers"), std::string::npos) << backend.status();
  backend = ContentBackend::Open(dir.path(), Clock::Real(), {.search_helpers = -2});
  ASSERT_EQ(backend.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(backend.status().message().find("--search_helpers"), std::string::npos) << backend.status();
}

// Databases written before the current posting format (schema versions 2
// and 3): opening one regenerates every index from the records, and only
// then is it marked current.
TEST(ContentSchemaUpgradeTest, OpeningAnOlderDatabaseRebuildsItsIndexes) {
  for (uint32_t version : {2u, 3u}) {
    SCOPED_TRACE(absl::StrCat("schema version ", version));
    testing::TempDir dir;
    // Keys of the older layouts: version 3's one posting per (term, article),
    // version 2's per-document search entries.
    const std::string old_posting = std::string(1, '\x10') + "taldykorgan" + std::string(1, '\0') + "stara";
    const std::string old_entry = std::string(1, '\x11') + "stara";
    {
      kv::DatabaseOptions older = ContentDatabaseOptions(dir.path());
      older.schema_version = version;
      older.rebuildable_from.clear();
      auto db = kv::Database::Open(older);
      ASSERT_TRUE(db.ok()) << db.status();
      Article a;
      a.set_name("articles/stara");
      a.set_title("Wizyta w Kazachstanie");
      a.set_body("Delegacja odwiedziła Tałdykorgan.");
      a.set_slug("wizyta-w-kazachstanie");
      a.set_state(Article::STATE_PUBLISHED);
      ToProtoTime(absl::FromUnixSeconds(1525132800), a.mutable_create_time());
      ToProtoTime(absl::FromUnixSeconds(1525132800), a.mutable_update_time());
      ToProtoTime(absl::FromUnixSeconds(1525132800), a.mutable_publish_time());
      kv::WriteBatch batch(**db);
      batch.Put(kRecordsCf, "astara", a.SerializeAsString());
      batch.Put(kIndexesCf, old_posting, "a posting of the old layout");
      batch.Put(kIndexesCf, old_entry, "an entry of the old layout");
      ASSERT_TRUE((*db)->Write(batch).ok());
    }
    auto backend = ContentBackend::Open(dir.path());
    ASSERT_TRUE(backend.ok()) << backend.status();
    kv::Database& db = *(*backend)->database();
    EXPECT_EQ(db.stored_schema_version(), kContentSchemaVersion);
    EXPECT_FALSE((*db.Get(kIndexesCf, old_posting)).has_value());
    EXPECT_FALSE((*db.Get(kIndexesCf, old_entry)).has_value());
    for (const char* query : {"taldykorgan", "Kazachstan", "wizyt*"}) {
      SearchRequest req;
      req.query = query;
      auto page = SearchArticles(db, Clock::Real(), req);
      ASSERT_TRUE(page.ok()) << page.status();
      ASSERT_EQ(page->hits.size(), 1u) << query;
      EXPECT_EQ(page->hits[0].article.name(), "articles/stara");
    }
    auto by_slug = (*backend)->articles()->List(ListQuery{});
    ASSERT_TRUE(by_slug.ok()) << by_slug.status();
    EXPECT_EQ(by_slug->articles.size(), 1u);
  }
}

}  // namespace
}  // namespace newsdesk::content
