// Publishing, revisions, filtered listing and search in the article store.
#include <gtest/gtest.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "storage/content/article_search.h"
#include "storage/content/article_store.h"
#include "storage/content/gallery_usage.h"
#include "storage/content/schema.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/proto_time.h"
#include "storage/text/text_analysis.h"
#include "tests/testing/temp_dir.h"

namespace newsdesk::content {
namespace {

constexpr absl::StatusCode kOk = absl::StatusCode::kOk;
constexpr absl::StatusCode kPrecondition = absl::StatusCode::kFailedPrecondition;

class WorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    store_.reset();
    db_.reset();
    kv::DatabaseOptions options;
    options.path = dir_.path();
    options.column_families = ContentColumnFamilies();
    options.schema_version = kContentSchemaVersion;
    auto db = kv::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    store_ = std::make_unique<ArticleStore>(db_.get(), &clock_);
  }

  Article MustCreate(const std::string& id, const std::string& title, std::vector<std::string> tags = {},
                     const std::string& body = "", std::vector<std::string> authors = {}) {
    Article a;
    a.set_title(title);
    a.set_body(body);
    a.set_language("pl");
    for (auto& t : tags) a.add_tags(t);
    for (auto& author : authors) a.add_authors(author);
    auto created = store_->Create(a, id, "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : Article();
  }

  std::vector<std::string> Names(const std::string& filter, OrderField order = OrderField::kCreateTime,
                                 bool desc = true, bool scan = false, int page_size = 2) {
    auto node = query::ParseFilter(filter, ArticleFilterSchema());
    EXPECT_TRUE(node.ok()) << node.status();
    ListQuery q;
    q.filter = &*node;
    q.order = order;
    q.descending = desc;
    q.page_size = page_size;
    q.force_scan = scan;
    std::vector<std::string> names;
    for (int pages = 0; pages < 100; ++pages) {
      auto page = store_->List(q);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const auto& a : page->articles) names.push_back(a.name().substr(9));
      if (page->next_cursor.empty()) break;
      q.cursor = page->next_cursor;
    }
    return names;
  }

  // The first page of a search without a filter.
  absl::StatusOr<SearchPage> FirstPage(const std::string& q) {
    SearchRequest req;
    req.query = q;
    return SearchArticles(*db_, &clock_, req);
  }

  std::vector<std::string> Search(const std::string& q, const std::string& filter = "") {
    auto node = query::ParseFilter(filter, ArticleFilterSchema());
    EXPECT_TRUE(node.ok());
    SearchRequest req;
    req.query = q;
    req.filter = &*node;
    req.page_size = 100;
    auto page = SearchArticles(*db_, &clock_, req);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> names;
    if (page.ok()) {
      for (const auto& h : page->hits) names.push_back(h.article.name().substr(9));
    }
    return names;
  }

  testing::TempDir dir_;
  FakeClock clock_{absl::FromUnixSeconds(1525132800)};  // 2018-05-01T00:00:00Z
  std::unique_ptr<kv::Database> db_;
  std::unique_ptr<ArticleStore> store_;
};

TEST_F(WorkflowTest, PublishNowSetsPublishTime) {
  MustCreate("a", "Tytuł");
  auto published = store_->Publish("a", "", std::nullopt);
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_EQ(published->state(), Article::STATE_PUBLISHED);
  EXPECT_EQ(FromProtoTime(published->publish_time()), clock_.Now());
  auto past = store_->Create(Article(), "b", "");  // title validation is the service's job
  ASSERT_TRUE(past.ok());
  auto with_past_time = store_->Publish("b", "", clock_.Now() - absl::Hours(5));
  EXPECT_EQ(with_past_time->state(), Article::STATE_PUBLISHED);
  EXPECT_EQ(FromProtoTime(with_past_time->publish_time()), clock_.Now()) << "a past time publishes now";
}

TEST_F(WorkflowTest, ScheduledArticleBecomesPublishedAtItsTimeWithoutAnyCall) {
  MustCreate("s", "Zaplanowany", {"zdrowie"}, "Konferencja: Tałdykorgan, maj 2018");
  const absl::Time at = clock_.Now() + absl::Hours(1);
  auto scheduled = store_->Publish("s", "", at);
  ASSERT_TRUE(scheduled.ok());
  EXPECT_EQ(scheduled->state(), Article::STATE_SCHEDULED);
  EXPECT_TRUE(Names("state = PUBLISHED").empty());
  EXPECT_EQ(Names("state = SCHEDULED"), std::vector<std::string>{"s"});
  EXPECT_TRUE(Search("Tałdykorgan").empty());

  clock_.Advance(absl::Hours(1) - absl::Seconds(1));
  EXPECT_EQ(store_->Get("s")->state(), Article::STATE_SCHEDULED);
  Open();  // a restart in between changes nothing
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(store_->Get("s")->state(), Article::STATE_PUBLISHED);
  EXPECT_EQ(Names("state = PUBLISHED"), std::vector<std::string>{"s"});
  EXPECT_EQ(Names("state = PUBLISHED", OrderField::kCreateTime, true, /*scan=*/true), std::vector<std::string>{"s"});
  EXPECT_TRUE(Names("state = SCHEDULED").empty());
  EXPECT_EQ(Search("Tałdykorgan"), std::vector<std::string>{"s"});
}

struct Transition {
  const char* name;
  // Brings a fresh article "t" into the starting state.
  void (*setup)(ArticleStore*, FakeClock*);
  const char* action;  // publish, schedule, unpublish, delete, undelete, update
  absl::StatusCode code;
  Article::State after;
};

class StateMachineTest : public WorkflowTest, public ::testing::WithParamInterface<Transition> {};

TEST_P(StateMachineTest, FollowsTheTable) {
  MustCreate("t", "Tytuł");
  GetParam().setup(store_.get(), &clock_);
  const std::string action = GetParam().action;
  absl::StatusOr<Article> result = absl::UnknownError("no action");
  if (action == "publish") result = store_->Publish("t", "", std::nullopt);
  if (action == "schedule") result = store_->Publish("t", "", clock_.Now() + absl::Hours(2));
  if (action == "unpublish") result = store_->Unpublish("t", "");
  if (action == "delete") result = store_->Delete("t", "");
  if (action == "undelete") result = store_->Undelete("t");
  if (action == "update") {
    Article patch;
    patch.set_title("Nowy");
    result = store_->Update("t", patch, {"title"}, "");
  }
  EXPECT_EQ(result.status().code(), GetParam().code) << result.status();
  if (GetParam().code == absl::StatusCode::kFailedPrecondition) {
    EXPECT_NE(result.status().message().find("in state STATE_"), absl::string_view::npos) << result.status();
  }
  EXPECT_EQ(store_->Get("t")->state(), GetParam().after);
}

void Draft(ArticleStore*, FakeClock*) {}
void Published(ArticleStore* s, FakeClock*) { ASSERT_TRUE(s->Publish("t", "", std::nullopt).ok()); }
void Scheduled(ArticleStore* s, FakeClock* c) { ASSERT_TRUE(s->Publish("t", "", c->Now() + absl::Hours(1)).ok()); }
void Deleted(ArticleStore* s, FakeClock*) { ASSERT_TRUE(s->Delete("t", "").ok()); }
void DeletedPublished(ArticleStore* s, FakeClock* c) {
  Published(s, c);
  Deleted(s, c);
}

INSTANTIATE_TEST_SUITE_P(
    Table, StateMachineTest,
    ::testing::Values(
        Transition{"draft_publish", Draft, "publish", kOk, Article::STATE_PUBLISHED},
        Transition{"draft_schedule", Draft, "schedule", kOk, Article::STATE_SCHEDULED},
        Transition{"draft_unpublish", Draft, "unpublish", kPrecondition, Article::STATE_DRAFT},
        Transition{"draft_delete", Draft, "delete", kOk, Article::STATE_DELETED},
        Transition{"draft_undelete", Draft, "undelete", absl::StatusCode::kAlreadyExists, Article::STATE_DRAFT},
        Transition{"published_publish", Published, "publish", kPrecondition, Article::STATE_PUBLISHED},
        Transition{"published_unpublish", Published, "unpublish", kOk, Article::STATE_DRAFT},
        Transition{"published_update_stays_published", Published, "update", kOk, Article::STATE_PUBLISHED},
        Transition{"published_delete", Published, "delete", kOk, Article::STATE_DELETED},
        Transition{"scheduled_reschedule", Scheduled, "schedule", kOk, Article::STATE_SCHEDULED},
        Transition{"scheduled_publish_now", Scheduled, "publish", kOk, Article::STATE_PUBLISHED},
        Transition{"scheduled_unpublish_cancels", Scheduled, "unpublish", kOk, Article::STATE_DRAFT},
        Transition{"deleted_publish", Deleted, "publish", kPrecondition, Article::STATE_DELETED},
        Transition{"deleted_unpublish", Deleted, "unpublish", kPrecondition, Article::STATE_DELETED},
        Transition{"deleted_update", Deleted, "update", kPrecondition, Article::STATE_DELETED},
        Transition{"deleted_delete", Deleted, "delete", absl::StatusCode::kNotFound, Article::STATE_DELETED},
        Transition{"deleted_undelete", Deleted, "undelete", kOk, Article::STATE_DRAFT},
        Transition{"deleted_published_undelete_restores", DeletedPublished, "undelete", kOk,
                   Article::STATE_PUBLISHED}),
    [](const ::testing::TestParamInfo<Transition>& info) { return std::string(info.param.name); });

TEST_F(WorkflowTest, StaleEtagBlocksStateChanges) {
  Article a = MustCreate("e", "T");
  ASSERT_TRUE(store_->Publish("e", a.etag(), std::nullopt).ok());
  EXPECT_EQ(store_->Unpublish("e", a.etag()).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_->Rollback("e", "r1", a.etag()).status().code(), absl::StatusCode::kAborted);
}

TEST_F(WorkflowTest, RevisionsRecordEveryContentChangeAndRollbackMakesANewOne) {
  Article a = MustCreate("r", "Pierwsza wersja", {}, "treść 1");
  EXPECT_EQ(a.revision_id(), "r1");
  Article patch;
  patch.set_body("treść 2");
  clock_.Advance(absl::Minutes(1));
  ASSERT_EQ(store_->Update("r", patch, {"body"}, "")->revision_id(), "r2");
  ASSERT_TRUE(store_->Publish("r", "", std::nullopt).ok());  // not a content change
  patch.set_title("Trzecia wersja");
  clock_.Advance(absl::Minutes(1));
  ASSERT_EQ(store_->Update("r", patch, {"title"}, "")->revision_id(), "r3");

  auto page = store_->ListRevisions("r", 2, "");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->articles.size(), 2u);
  EXPECT_EQ(page->articles[0].name(), "articles/r@r3");
  EXPECT_EQ(page->articles[1].name(), "articles/r@r2");
  auto rest = store_->ListRevisions("r", 2, page->next_cursor);
  ASSERT_EQ(rest->articles.size(), 1u);
  EXPECT_EQ(rest->articles[0].name(), "articles/r@r1");
  EXPECT_TRUE(rest->next_cursor.empty());

  auto r1 = store_->GetRevision("r", "r1");
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->body(), "treść 1");
  EXPECT_EQ(r1->title(), "Pierwsza wersja");
  EXPECT_EQ(FromProtoTime(r1->revision_create_time()), absl::FromUnixSeconds(1525132800));
  EXPECT_EQ(store_->GetRevision("r", "r9").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetRevision("r", "zzz").status().code(), absl::StatusCode::kNotFound);

  auto rolled = store_->Rollback("r", "r1", "");
  ASSERT_TRUE(rolled.ok());
  EXPECT_EQ(rolled->revision_id(), "r4");
  EXPECT_EQ(rolled->title(), "Pierwsza wersja");
  EXPECT_EQ(rolled->body(), "treść 1");
  EXPECT_EQ(rolled->state(), Article::STATE_PUBLISHED) << "rollback keeps the article published";
  EXPECT_EQ(store_->GetRevision("r", "r3")->title(), "Trzecia wersja") << "revisions are immutable";
  EXPECT_EQ(store_->Rollback("r", "r7", "").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(WorkflowTest, IndexPathAndScanPathAgreeForEveryFilterAndOrder) {
  // A small collection with varied states, tags and times.
  const std::vector<std::string> tags = {"zdrowie", "kultura", "gospodarka"};
  for (int i = 0; i < 14; ++i) {
    std::vector<std::string> authors = {i % 5 == 0 ? "Anna Nowak" : "Jan Kowalski"};
    if (i % 6 == 0) authors.push_back("Redakcja");
    MustCreate(absl::StrCat("a", i), absl::StrCat("Artykuł ", i), {tags[i % 3], i % 4 == 0 ? "Kazachstan" : "Lublin"},
               "", authors);
    clock_.Advance(absl::Minutes(7));
    if (i % 3 != 1) { ASSERT_TRUE(store_->Publish(absl::StrCat("a", i), "", std::nullopt).ok()); }
    if (i == 10) { ASSERT_TRUE(store_->Publish("a10", "", clock_.Now() + absl::Hours(1)).ok()); }
    if (i == 3 || i == 8) { ASSERT_TRUE(store_->Unpublish(absl::StrCat("a", i), "").ok()); }
    if (i == 8) { ASSERT_TRUE(store_->Publish("a8", "", clock_.Now() + absl::Hours(3)).ok()); }
    if (i == 9) { ASSERT_TRUE(store_->Delete("a9", "").ok()); }
    if (i % 4 == 2) {
      Article patch;
      patch.set_lead("poprawka");
      clock_.Advance(absl::Seconds(30));
      ASSERT_TRUE(store_->Update(absl::StrCat("a", i), patch, {"lead"}, "").ok());
    }
  }
  const std::vector<std::string> filters = {
      "",
      "state = PUBLISHED",
      "state = DRAFT",
      "state = SCHEDULED",
      "state = DELETED",
      "tags:zdrowie",
      "tags:\"Kazachstan\" AND state = PUBLISHED",
      "tags:zdrowie OR tags:kultura",
      "-tags:Lublin",
      "NOT state = DRAFT AND tags:gospodarka",
      "create_time >= \"2018-05-01T00:30:00Z\" AND create_time < \"2018-05-01T01:10:00Z\"",
      "publish_time < \"2018-05-01T01:00:00Z\"",
      "publish_time >= 2018-05-01 AND state = PUBLISHED",
      "update_time > \"2018-05-01T00:20:00Z\"",
      "language = \"pl\" AND slug = \"artykul-3\"",
      "authors:\"nikt\"",
      "authors:\"Anna Nowak\"",
      "authors:\"Redakcja\" AND state = PUBLISHED",
      "authors:\"Jan Kowalski\" AND tags:zdrowie",
      "authors:\"Anna Nowak\" OR authors:Redakcja",
      "authors:\"Jan Kowalski\" AND publish_time >= 2018-05-01",
  };
  for (const auto& f : filters) {
    for (OrderField order : {OrderField::kCreateTime, OrderField::kUpdateTime, OrderField::kPublishTime}) {
      for (bool desc : {true, false}) {
        const auto by_index = Names(f, order, desc, false);
        const auto by_scan = Names(f, order, desc, true);
        EXPECT_EQ(by_index, by_scan) << "filter: " << f << " order " << static_cast<int>(order) << " desc " << desc;
      }
    }
  }
  EXPECT_EQ(Names("tags:zdrowie", OrderField::kCreateTime, true, false, 100).size(), 4u)
      << "a0 a3 a6 a12 (a9 is deleted)";
  EXPECT_EQ(Names("authors:\"Anna Nowak\"", OrderField::kCreateTime, true, false, 100),
            (std::vector<std::string>{"a10", "a5", "a0"}));
}

TEST_F(WorkflowTest, DeepPagesResumeBySeek) {
  for (int i = 0; i < 30; ++i) {
    MustCreate(absl::StrCat("p", i), "T", {"x"});
    clock_.Advance(absl::Seconds(1));
  }
  const auto all = Names("tags:x", OrderField::kCreateTime, true, false, 7);
  ASSERT_EQ(all.size(), 30u);
  EXPECT_EQ(all.front(), "p29");
  EXPECT_EQ(all.back(), "p0");
}

TEST_F(WorkflowTest, SearchFollowsEveryChange) {
  MustCreate("k", "Wizyta w obwodzie Ałmatyńskim w Kazachstanie", {"zdrowie"},
             "Delegacja odwiedziła Tałdykorgan i podpisała memorandum o ochronie zdrowia.");
  MustCreate("l", "Targi w Lublinie", {"gospodarka"}, "Wystawcy z regionu pokazali maszyny rolnicze.");
  EXPECT_TRUE(Search("Kazachstan").empty()) << "drafts are not searched by default";
  EXPECT_EQ(Search("Kazachstan", "state = DRAFT"), std::vector<std::string>{"k"});
  ASSERT_TRUE(store_->Publish("k", "", std::nullopt).ok());
  ASSERT_TRUE(store_->Publish("l", "", std::nullopt).ok());
  EXPECT_EQ(Search("Kazachstan"), std::vector<std::string>{"k"}) << "stem: Kazachstanie";
  EXPECT_EQ(Search("TAŁDYKORGAN"), std::vector<std::string>{"k"});
  EXPECT_EQ(Search("taldykorgan"), std::vector<std::string>{"k"});
  EXPECT_EQ(Search("almatynskim"), std::vector<std::string>{"k"});
  EXPECT_EQ(Search("almat*"), std::vector<std::string>{"k"});
  EXPECT_EQ(Search("\"ochronie zdrowia\""), std::vector<std::string>{"k"});
  EXPECT_TRUE(Search("\"zdrowia ochronie\"").empty());
  EXPECT_EQ(Search("maszyny -Kazachstan"), std::vector<std::string>{"l"});
  EXPECT_TRUE(Search("maszyny -rolnicze").empty());

  Article patch;
  patch.set_body("Delegacja wróciła do Lublina.");
  ASSERT_TRUE(store_->Update("k", patch, {"body"}, "").ok());
  EXPECT_TRUE(Search("Tałdykorgan").empty()) << "old body words drop out";
  EXPECT_EQ(Search("Kazachstan"), std::vector<std::string>{"k"}) << "title still matches";
  ASSERT_TRUE(store_->Rollback("k", "r1", "").ok());
  EXPECT_EQ(Search("Tałdykorgan"), std::vector<std::string>{"k"}) << "rollback restores them";
  ASSERT_TRUE(store_->Unpublish("k", "").ok());
  EXPECT_TRUE(Search("Kazachstan").empty());
  ASSERT_TRUE(store_->Publish("k", "", std::nullopt).ok());
  ASSERT_TRUE(store_->Delete("k", "").ok());
  EXPECT_TRUE(Search("Kazachstan").empty());
  EXPECT_TRUE(Search("Kazachstan", "state = DRAFT OR state = PUBLISHED").empty());
  ASSERT_TRUE(store_->Undelete("k").ok());
  EXPECT_EQ(Search("Kazachstan"), std::vector<std::string>{"k"});
}

TEST_F(WorkflowTest, SearchRanksTitleMatchesFirstAndMarksSnippets) {
  MustCreate("body", "Targi rolnicze", {}, "Na targach był też Kazachstan i jego wystawcy.");
  MustCreate("title", "Kazachstan i Lubelszczyzna", {}, "Współpraca regionów.");
  ASSERT_TRUE(store_->Publish("body", "", std::nullopt).ok());
  ASSERT_TRUE(store_->Publish("title", "", std::nullopt).ok());
  EXPECT_EQ(Search("Kazachstan"), (std::vector<std::string>{"title", "body"}));
  SearchRequest req;
  req.query = "Kazachstan";
  auto page = SearchArticles(*db_, &clock_, req);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->hits.size(), 2u);
  EXPECT_GT(page->hits[0].score, page->hits[1].score);
  EXPECT_NE(page->hits[1].snippet.find("<mark>Kazachstan</mark>"), std::string::npos) << page->hits[1].snippet;
  req.page_size = 1;
  page = SearchArticles(*db_, &clock_, req);
  EXPECT_EQ(page->hits.size(), 1u);
  EXPECT_EQ(page->next_offset, 1);
  req.offset = 1;
  page = SearchArticles(*db_, &clock_, req);
  EXPECT_EQ(page->hits[0].article.name(), "articles/body");
  EXPECT_EQ(page->next_offset, 0);
}

TEST_F(WorkflowTest, SearchRejectsBadQueries) {
  SearchRequest req;
  req.query = "\"unbalanced";
  auto st = SearchArticles(*db_, &clock_, req).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("query"), absl::string_view::npos);
}

TEST_F(WorkflowTest, SearchFollowsSchedulesAndFiltersWithoutAndWithRecords) {
  const std::string body = "Szpital w mieście Tałdykorgan podpisał umowę.";
  MustCreate("s1", "Umowa szpitali", {"zdrowie"}, body);
  MustCreate("s2", "Umowa szpitali", {"sport"}, body);
  MustCreate("s3", "Umowa szpitali", {"zdrowie"}, body);
  ASSERT_TRUE(store_->Publish("s2", "", std::nullopt).ok());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(store_->Publish("s3", "", std::nullopt).ok());
  ASSERT_TRUE(store_->Publish("s1", "", clock_.Now() + absl::Hours(1)).ok());
  // Equal scores: newer publish time first.
  EXPECT_EQ(Search("Tałdykorgan"), (std::vector<std::string>{"s3", "s2"}));
  EXPECT_EQ(Search("Tałdykorgan", "state = SCHEDULED"), std::vector<std::string>{"s1"});
  // The schedule comes due with no write: the posting's publish time decides.
  clock_.Advance(absl::Hours(1) + absl::Seconds(1));
  EXPECT_EQ(Search("Tałdykorgan"), (std::vector<std::string>{"s1", "s3", "s2"}));
  EXPECT_TRUE(Search("Tałdykorgan", "state = SCHEDULED").empty());
  // A filter on what the postings carry, and one that needs the records.
  EXPECT_EQ(Search("Tałdykorgan", "publish_time > \"2018-05-01T00:30:00Z\""), std::vector<std::string>{"s1"});
  EXPECT_EQ(Search("Tałdykorgan", "tags:\"zdrowie\""), (std::vector<std::string>{"s1", "s3"}));
  EXPECT_EQ(Search("Tałdykorgan", "tags:\"zdrowie\" AND publish_time < \"2018-05-01T00:30:00Z\""),
            std::vector<std::string>{"s3"});
  // Pages of a record filter: the offset counts matching articles only.
  auto node = query::ParseFilter("tags:\"zdrowie\"", ArticleFilterSchema());
  ASSERT_TRUE(node.ok());
  SearchRequest req;
  req.query = "szpitali";
  req.filter = &*node;
  req.page_size = 1;
  auto first = SearchArticles(*db_, &clock_, req);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->hits.size(), 1u);
  EXPECT_EQ(first->hits[0].article.name(), "articles/s1");
  EXPECT_EQ(first->hits[0].article.state(), Article::STATE_PUBLISHED);
  EXPECT_EQ(first->next_offset, 1);
  req.offset = first->next_offset;
  auto second = SearchArticles(*db_, &clock_, req);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->hits.size(), 1u);
  EXPECT_EQ(second->hits[0].article.name(), "articles/s3");
  EXPECT_EQ(second->next_offset, 0);
}

TEST_F(WorkflowTest, SearchCountsATokenOnceWhenSeveralOfItsFormsMatch) {
  // "szpitalem" is indexed as itself and as its stem "szpital"; the query
  // word "szpitalem" has both as variants. One occurrence each, so both
  // articles score the same and the newer one comes first.
  MustCreate("one", "Nowy sprzęt", {}, "Rozmowa ze szpitalem.");
  MustCreate("two", "Nowy sprzęt", {}, "Rozmowa ze szpitalem.");
  ASSERT_TRUE(store_->Publish("one", "", std::nullopt).ok());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(store_->Publish("two", "", std::nullopt).ok());
  auto page = FirstPage("szpitalem");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->hits.size(), 2u);
  EXPECT_EQ(page->hits[0].score, page->hits[1].score);
  EXPECT_EQ(page->hits[0].article.name(), "articles/two");
  // BM25 of one occurrence in the body (3 tokens, as every body here), not two.
  EXPECT_DOUBLE_EQ(page->hits[0].score, text::Bm25(1, 2, 2, 3, 3.0, text::kBodyWeight));
}

TEST_F(WorkflowTest, SearchCountsEachPositionOnceAcrossThePostingsOfAWord) {
  // The query word "województwa" has the variants "wojewodztwa" (its folded
  // form) and "wojewodztwo" (its stem). "Wojewodztwa", typed without
  // diacritics, is no dictionary word: only the first. "województwo" is
  // only the second, the last token both: positions {0, 4} and {2, 4}, three
  // distinct occurrences (not four, not two).
  MustCreate("one", "Nowy sprzęt", {}, "Wojewodztwa i województwo oraz województwa.");
  ASSERT_TRUE(store_->Publish("one", "", std::nullopt).ok());
  auto page = FirstPage("województwa");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->hits.size(), 1u);
  EXPECT_DOUBLE_EQ(page->hits[0].score, text::Bm25(3, 1, 1, 5, 5.0, text::kBodyWeight));
}

TEST_F(WorkflowTest, SearchFindsEveryDocumentWhateverItsIdLooksLike) {
  // Ids that share long prefixes, differ only past the tenth character,
  // are prefixes of one another, or hold '-' and digits: every word and
  // two-word query must still find each of them (documents are merged and
  // intersected in id order).
  std::vector<std::string> ids;
  for (const char* stem : {"a", "aaaaaaaaaa", "aaaaaaaaa-", "0000000000", "z-9", "konferencja-2018-05-0"}) {
    for (const char* tail : {"", "0", "1", "-", "a", "z", "00", "0-", "a-z", "zz"}) {
      ids.push_back(absl::StrCat(stem, tail));
    }
  }
  for (const auto& id : ids) {
    Article a;
    a.set_title("Sprzęt");
    a.set_body("Rozmowa ze szpitalem o ochronie zdrowia.");
    a.set_language("pl");
    ASSERT_TRUE(store_->Create(a, id, "").ok()) << id;
    ASSERT_TRUE(store_->Publish(id, "", std::nullopt).ok()) << id;
  }
  std::sort(ids.begin(), ids.end());
  for (const std::string q : {"szpitalem", "szpitalem zdrowia", "zdrowia ochronie szpitalem", "\"ochronie zdrowia\"",
                              "szpital* sprzęt"}) {
    auto found = Search(q);
    std::sort(found.begin(), found.end());
    EXPECT_EQ(found, ids) << q;
  }
}

TEST_F(WorkflowTest, SlicedSearchOnHelpersEqualsOneThread) {
  // Forms of a few words, so that queries have several variants, prefixes
  // and phrases to match.
  const std::vector<std::string> words = {
      "szpital",   "szpitala",     "szpitalem", "szpitale",   "Kazachstan", "Kazachstanie", "Ałmaty",
      "ałmatyński", "almatynski",  "zdrowie",   "zdrowia",    "ochrona",    "ochronie",     "konferencja",
      "konferencji", "delegacja",  "delegacji", "Tałdykorgan", "Lublin",    "Lublinie",     "targi",
      "targach",   "rolnicze",     "maszyny",   "współpraca", "regionów",   "umowa",        "umowę"};
  const std::vector<std::string> tags = {"zdrowie", "gospodarka", "sport", "kultura"};
  uint64_t state = 12345;
  auto next = [&](uint64_t n) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    return (state >> 33) % n;
  };
  auto text = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) absl::StrAppend(&s, i == 0 ? "" : (next(7) == 0 ? ". " : " "), words[next(words.size())]);
    return s;
  };
  for (int i = 0; i < 160; ++i) {
    const std::string id = absl::StrCat("a", i);
    Article a;
    a.set_title(text(2 + static_cast<int>(next(4))));
    if (next(3) != 0) a.set_lead(text(5 + static_cast<int>(next(10))));
    a.set_body(text(10 + static_cast<int>(next(60))));
    a.set_language("pl");
    a.add_tags(tags[next(tags.size())]);
    ASSERT_TRUE(store_->Create(a, id, "").ok());
    // Drafts, published ones (several in the same second: equal publish
    // times), scheduled ones, deleted ones.
    switch (next(6)) {
      case 0: break;
      case 1: ASSERT_TRUE(store_->Publish(id, "", clock_.Now() + absl::Hours(1)).ok()); break;
      case 2:
        ASSERT_TRUE(store_->Publish(id, "", std::nullopt).ok());
        ASSERT_TRUE(store_->Delete(id, "").ok());
        break;
      default: ASSERT_TRUE(store_->Publish(id, "", std::nullopt).ok()); break;
    }
    if (next(4) == 0) clock_.Advance(absl::Seconds(1));
  }
  kv::ForkJoinPool pool(3);
  const std::vector<std::string> queries = {
      "szpital",           "Kazachstan",          "zdrowie",         "ALMATYNSKI",     "ałmatyński",
      "Tałdykorgan umowa", "szpitalem zdrowia",   "targi rolnicze",  "szpit*",         "almat* konferencja",
      "\"ochronie zdrowia\"", "\"targi rolnicze\"", "szpital -Kazachstan", "zdrowie -targ*", "umowa -\"ochrona zdrowia\"",
      "nieobecne",         "maszyny regionów Lublin"};
  const std::vector<std::string> filters = {"", "state = DRAFT OR state = PUBLISHED", "state = SCHEDULED",
                                            "tags:\"zdrowie\"", "publish_time > \"2018-05-01T00:00:20Z\"",
                                            "tags:\"sport\" OR tags:\"kultura\""};
  int compared = 0;
  for (const auto& q : queries) {
    for (const auto& f : filters) {
      auto node = query::ParseFilter(f, ArticleFilterSchema());
      ASSERT_TRUE(node.ok()) << node.status();
      SearchRequest req;
      req.query = q;
      req.filter = &*node;
      req.page_size = 7;
      for (int pages = 0; pages < 50; ++pages) {
        req.pool = nullptr;
        auto one = SearchArticles(*db_, &clock_, req);
        req.pool = &pool;
        auto sliced = SearchArticles(*db_, &clock_, req);
        ASSERT_TRUE(one.ok()) << one.status();
        ASSERT_TRUE(sliced.ok()) << sliced.status();
        ASSERT_EQ(one->hits.size(), sliced->hits.size()) << q << " | " << f << " @" << req.offset;
        for (size_t i = 0; i < one->hits.size(); ++i) {
          EXPECT_EQ(one->hits[i].article.name(), sliced->hits[i].article.name()) << q << " | " << f << " #" << i;
          EXPECT_EQ(one->hits[i].score, sliced->hits[i].score) << q << " | " << f << " #" << i;
          EXPECT_EQ(one->hits[i].snippet, sliced->hits[i].snippet) << q << " | " << f << " #" << i;
          ++compared;
        }
        ASSERT_EQ(one->next_offset, sliced->next_offset) << q << " | " << f;
        if (one->next_offset == 0) break;
        req.offset = one->next_offset;
      }
    }
  }
  EXPECT_GT(compared, 1000) << "the corpus should make most queries match";
}

std::map<std::string, std::string> Dump(kv::Database* db, kv::CfId cf) {
  std::map<std::string, std::string> out;
  for (auto it = db->Scan(cf, "", ""); it->Valid(); it->Next()) out[std::string(it->key())] = std::string(it->value());
  return out;
}

TEST_F(WorkflowTest, RebuiltIndexesEqualTheLiveOnes) {
  // As ContentBackend::Open does on a new database: the gallery usage index
  // starts complete (its marker is written).
  ASSERT_TRUE(EnsureGalleryUsageIndex(db_.get()).ok());
  for (int i = 0; i < 8; ++i) {
    Article a;
    a.set_title(absl::StrCat("Konferencja w Ałmaty ", i));
    a.set_body("Szpitale współpracują.");
    a.add_tags("zdrowie");
    // Galleries: g0 for even articles, g1 for odd ones, none for b7.
    if (i != 7) a.set_gallery(absl::StrCat("galleries/g", i % 2));
    ASSERT_TRUE(store_->Create(a, absl::StrCat("b", i), "").ok());
    clock_.Advance(absl::Seconds(3));
    if (i % 2 == 0) { ASSERT_TRUE(store_->Publish(absl::StrCat("b", i), "", std::nullopt).ok()); }
    if (i == 3) { ASSERT_TRUE(store_->Delete("b3", "").ok()); }
    if (i == 5) {
      Article patch;
      patch.set_body("Zmieniona treść o ochronie zdrowia.");
      patch.set_gallery("galleries/g2");
      ASSERT_TRUE(store_->Update("b5", patch, {"body", "gallery"}, "").ok());
    }
  }
  // A scheduled one, and a published one taken back to draft.
  ASSERT_TRUE(store_->Publish("b1", "", clock_.Now() + absl::Hours(1)).ok());
  ASSERT_TRUE(store_->Unpublish("b2", "").ok());
  const auto used = [&](const std::string& gallery) { return *ArticlesUsingGallery(*db_, gallery); };
  const auto published = [&](const std::string& gallery) {
    return *GalleryHasPublishedArticle(*db_, gallery, clock_.Now());
  };
  EXPECT_EQ(used("g0"), (std::vector<std::string>{"articles/b0", "articles/b4", "articles/b6", "articles/b2"}));
  EXPECT_EQ(used("g1"), (std::vector<std::string>{"articles/b1"})) << "b3 is deleted, b5 moved, b7 has none";
  EXPECT_EQ(used("g2"), (std::vector<std::string>{"articles/b5"}));
  EXPECT_TRUE(published("g0"));
  EXPECT_FALSE(published("g1"));
  EXPECT_FALSE(published("g2"));

  const auto indexes = Dump(db_.get(), kIndexesCf);
  const auto search_blocks = Dump(db_.get(), kSearchCf);
  std::map<std::string, int64_t> counters;
  for (const auto& [k, v] : Dump(db_.get(), kCountersCf)) counters[k] = *db_->GetInt64(kCountersCf, k);
  ASSERT_FALSE(indexes.empty());
  ASSERT_EQ(indexes.count(GalleryUsageMarkerKey()), 1u);
  ASSERT_TRUE(store_->RebuildIndexes().ok());
  EXPECT_EQ(Dump(db_.get(), kIndexesCf), indexes);
  EXPECT_EQ(Dump(db_.get(), kSearchCf), search_blocks) << "search blocks are canonical: same entries, same bytes";
  ASSERT_FALSE(search_blocks.empty());
  for (const auto& [k, v] : counters) EXPECT_EQ(*db_->GetInt64(kCountersCf, k), v) << k;
  EXPECT_EQ(counters["search/docs"], 7);
  EXPECT_EQ(used("g0"), (std::vector<std::string>{"articles/b0", "articles/b4", "articles/b6", "articles/b2"}));
}

TEST_F(WorkflowTest, ScheduledArticlePublishesItsGalleryAtPublishTime) {
  Article a;
  a.set_title("Zapowiedź");
  a.set_gallery("galleries/almaty");
  ASSERT_TRUE(store_->Create(a, "zapowiedz", "").ok());
  const absl::Time at = clock_.Now() + absl::Minutes(10);
  ASSERT_TRUE(store_->Publish("zapowiedz", "", at).ok());
  EXPECT_FALSE(*GalleryHasPublishedArticle(*db_, "almaty", at - absl::Microseconds(1)));
  EXPECT_TRUE(*GalleryHasPublishedArticle(*db_, "almaty", at));
  EXPECT_TRUE(*GalleryHasPublishedArticle(*db_, "almaty", absl::InfiniteFuture()));
  EXPECT_FALSE(*GalleryHasPublishedArticle(*db_, "almat", at)) << "a prefix of the id is another gallery";
  EXPECT_FALSE(*GalleryHasPublishedArticle(*db_, "almaty2", at));
}

TEST_F(WorkflowTest, GalleryUsageIndexIsBuiltForADatabaseWrittenWithoutIt) {
  Article a;
  a.set_title("Wizyta");
  a.set_gallery("galleries/almaty");
  ASSERT_TRUE(store_->Create(a, "wizyta", "").ok());
  ASSERT_TRUE(store_->Publish("wizyta", "", std::nullopt).ok());
  // What a version 2 database holds: no gallery usage entries, no marker.
  const std::string prefix(1, kGalleryArticles);
  {
    kv::WriteBatch strip(*db_);
    for (auto it = db_->Scan(kIndexesCf, prefix, kv::PrefixSuccessor(prefix)); it->Valid(); it->Next()) {
      strip.Delete(kIndexesCf, it->key());
    }
    ASSERT_TRUE(db_->Write(strip).ok());
  }
  ASSERT_FALSE(*GalleryHasPublishedArticle(*db_, "almaty", clock_.Now()));
  ASSERT_TRUE(EnsureGalleryUsageIndex(db_.get()).ok());
  EXPECT_TRUE(*GalleryHasPublishedArticle(*db_, "almaty", clock_.Now()));
  EXPECT_TRUE(db_->Get(kIndexesCf, GalleryUsageMarkerKey())->has_value());
  // With the marker present it changes nothing: live writes keep the index.
  ASSERT_TRUE(store_->Unpublish("wizyta", "").ok());
  ASSERT_TRUE(EnsureGalleryUsageIndex(db_.get()).ok());
  EXPECT_FALSE(*GalleryHasPublishedArticle(*db_, "almaty", clock_.Now()));
}

}  // namespace
}  // namespace newsdesk::content
