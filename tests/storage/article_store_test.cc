#include "storage/content/article_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "storage/content/schema.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/proto_time.h"
#include "tests/testing/temp_dir.h"

namespace newsdesk::content {
namespace {

std::unique_ptr<kv::Database> OpenDb(const std::string& path, uint32_t version = kContentSchemaVersion) {
  kv::DatabaseOptions options = ContentDatabaseOptions(path);
  options.schema_version = version;
  auto db = kv::Database::Open(options);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

Article Draft(const std::string& title) {
  Article a;
  a.set_title(title);
  a.set_language("pl");
  a.add_tags("zdrowie");
  return a;
}

// Counts the entries of one index prefix.
int CountIndex(kv::Database* db, char prefix) {
  const std::string p(1, prefix);
  int n = 0;
  auto it = db->Scan(kIndexesCf, p, kv::PrefixSuccessor(p));
  for (; it->Valid(); it->Next()) ++n;
  EXPECT_TRUE(it->status().ok());
  return n;
}

// Every record has exactly its index entries and every index entry a record.
void ExpectIndexesAgreeWithRecords(kv::Database* db) {
  std::map<std::string, Article> records;
  auto it = db->Scan(kRecordsCf, std::string(1, kArticleKind), kv::PrefixSuccessor(std::string(1, kArticleKind)));
  for (; it->Valid(); it->Next()) {
    Article a;
    ASSERT_TRUE(a.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())));
    records[std::string(it->key().substr(1))] = a;
  }
  int live = 0;
  for (const auto& [id, a] : records) {
    EXPECT_EQ(a.name(), ArticleName(id));
    auto slug_owner = db->Get(kIndexesCf, absl::StrCat(std::string(1, kArticleSlugs), a.slug()));
    ASSERT_TRUE(slug_owner.ok());
    ASSERT_TRUE(slug_owner->has_value()) << a.slug();
    EXPECT_EQ(**slug_owner, id);
    if (a.state() != Article::STATE_DELETED) ++live;
  }
  EXPECT_EQ(CountIndex(db, kArticleSlugs), static_cast<int>(records.size()));
  EXPECT_EQ(CountIndex(db, kArticlesAllByCreate), static_cast<int>(records.size()));
  EXPECT_EQ(CountIndex(db, kArticlesLiveByCreate), live);
}

absl::StatusOr<ArticlePage> ListPage(const ArticleStore& store, bool show_deleted, int page_size,
                                     const std::string& cursor) {
  ListQuery q;
  q.show_deleted = show_deleted;
  q.page_size = page_size;
  q.cursor = cursor;
  return store.List(q);
}

class ArticleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenDb(dir_.path());
    ASSERT_NE(db_, nullptr);
    store_ = std::make_unique<ArticleStore>(db_.get(), &clock_);
  }

  testing::TempDir dir_;
  FakeClock clock_{absl::FromUnixSeconds(1525132800)};  // 2018-05-01
  std::unique_ptr<kv::Database> db_;
  std::unique_ptr<ArticleStore> store_;
};

TEST_F(ArticleStoreTest, CreateThenGetReturnsTheStoredArticle) {
  auto created = store_->Create(Draft("Wizyta w obwodzie Ałmatyńskim w Kazachstanie"), "wizyta", "");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name(), "articles/wizyta");
  EXPECT_EQ(created->slug(), "wizyta-w-obwodzie-almatynskim-w-kazachstanie");
  EXPECT_EQ(created->state(), Article::STATE_DRAFT);
  EXPECT_EQ(FromProtoTime(created->create_time()), clock_.Now());
  EXPECT_FALSE(created->etag().empty());
  auto got = store_->Get("wizyta");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->SerializeAsString(), created->SerializeAsString());
  ExpectIndexesAgreeWithRecords(db_.get());
}

TEST_F(ArticleStoreTest, GeneratesValidIdsWhenNoneIsGiven) {
  auto a = store_->Create(Draft("A"), "", "");
  auto b = store_->Create(Draft("B"), "", "");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->name(), b->name());
  EXPECT_EQ(a->name().rfind("articles/", 0), 0u);
}

TEST_F(ArticleStoreTest, TakenIdIsAlreadyExistsAndWritesNothing) {
  ASSERT_TRUE(store_->Create(Draft("Pierwszy"), "x", "").ok());
  auto again = store_->Create(Draft("Drugi"), "x", "");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(again.status().message().find("articles/x"), absl::string_view::npos);
  EXPECT_EQ(CountIndex(db_.get(), kArticleSlugs), 1);
  EXPECT_EQ(store_->Get("x")->title(), "Pierwszy");
  ExpectIndexesAgreeWithRecords(db_.get());
}

TEST_F(ArticleStoreTest, SlugClashesGetNumericSuffixes) {
  const std::string title = "Konferencja w Tałdykorganie";
  std::vector<std::string> slugs;
  for (int i = 0; i < 4; ++i) slugs.push_back(store_->Create(Draft(title), "", "")->slug());
  EXPECT_EQ(slugs, (std::vector<std::string>{"konferencja-w-taldykorganie", "konferencja-w-taldykorganie-2",
                                             "konferencja-w-taldykorganie-3", "konferencja-w-taldykorganie-4"}));
  ExpectIndexesAgreeWithRecords(db_.get());
}

TEST_F(ArticleStoreTest, LongTitlesGetDistinctTrimmedSlugs) {
  const std::string title =
      "Bardzo długi tytuł artykułu o inwestycjach drogowych w województwie lubelskim i obwodnicy miasta";
  std::set<std::string> slugs;
  for (int i = 0; i < 5; ++i) {
    auto a = store_->Create(Draft(title), "", "");
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_LE(a->slug().size(), 80u);
    EXPECT_TRUE(slugs.insert(a->slug()).second) << a->slug();
  }
  ExpectIndexesAgreeWithRecords(db_.get());
}

TEST_F(ArticleStoreTest, SlugsStayReservedByDeletedArticles) {
  ASSERT_TRUE(store_->Create(Draft("Tytuł"), "a", "").ok());
  ASSERT_TRUE(store_->Delete("a", "").ok());
  EXPECT_EQ(store_->Create(Draft("Tytuł"), "b", "")->slug(), "tytul-2");
}

TEST_F(ArticleStoreTest, ConcurrentCreatesWithOneTitleGetDistinctSlugs) {
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> slugs;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto a = store_->Create(Draft("Ten sam tytuł"), "", "");
        ASSERT_TRUE(a.ok()) << a.status();
        std::lock_guard<std::mutex> lock(mu);
        EXPECT_TRUE(slugs.insert(a->slug()).second) << a->slug();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(slugs.size(), 80u);
  ExpectIndexesAgreeWithRecords(db_.get());
}

TEST_F(ArticleStoreTest, RequestIdReturnsTheFirstResponseUntilItExpires) {
  auto first = store_->Create(Draft("Raz"), "", "req-1");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(store_->Update(first->name().substr(9), Draft("Zmieniony"), {"title"}, "").ok());
  auto retry = store_->Create(Draft("Raz"), "", "req-1");
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(CountIndex(db_.get(), kArticlesAllByCreate), 1);

  clock_.Advance(absl::Hours(23));
  EXPECT_EQ(store_->Create(Draft("Raz"), "", "req-1")->name(), first->name());
  clock_.Advance(absl::Hours(2));  // 25 h after the first call: forgotten
  auto fresh = store_->Create(Draft("Raz"), "", "req-1");
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(fresh->name(), first->name());
  EXPECT_EQ(CountIndex(db_.get(), kArticlesAllByCreate), 2);
}

TEST_F(ArticleStoreTest, UpdateChangesOnlyNamedFields) {
  Article a = Draft("Tytuł");
  a.set_lead("Lead");
  ASSERT_TRUE(store_->Create(a, "u", "").ok());
  clock_.Advance(absl::Seconds(5));
  Article patch;
  patch.set_title("Nowy tytuł");
  patch.set_lead("ignored");
  auto updated = store_->Update("u", patch, {"title"}, "");
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->title(), "Nowy tytuł");
  EXPECT_EQ(updated->lead(), "Lead");
  EXPECT_EQ(updated->slug(), "tytul") << "slugs never change";
  EXPECT_EQ(FromProtoTime(updated->update_time()), clock_.Now());
  EXPECT_NE(FromProtoTime(updated->create_time()), clock_.Now());
}

TEST_F(ArticleStoreTest, StaleEtagIsAbortedAndWritesNothing) {
  auto a = store_->Create(Draft("T"), "e", "");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(store_->Update("e", Draft("T2"), {"title"}, a->etag()).ok());
  auto stale = store_->Update("e", Draft("T3"), {"title"}, a->etag());
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_->Get("e")->title(), "T2");
  EXPECT_EQ(store_->Delete("e", a->etag()).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_->Get("e")->state(), Article::STATE_DRAFT);
}

TEST_F(ArticleStoreTest, SoftDeleteHidesFromLiveListingAndUndeleteRestores) {
  ASSERT_TRUE(store_->Create(Draft("T"), "d", "").ok());
  auto deleted = store_->Delete("d", "");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->state(), Article::STATE_DELETED);
  EXPECT_TRUE(deleted->has_delete_time());
  EXPECT_EQ(ListPage(*store_, false, 10, "")->articles.size(), 0u);
  EXPECT_EQ(ListPage(*store_, true, 10, "")->articles.size(), 1u);
  EXPECT_EQ(store_->Get("d")->state(), Article::STATE_DELETED);
  ExpectIndexesAgreeWithRecords(db_.get());

  EXPECT_EQ(store_->Delete("d", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Update("d", Draft("X"), {"title"}, "").status().code(), absl::StatusCode::kFailedPrecondition);

  auto restored = store_->Undelete("d");
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->state(), Article::STATE_DRAFT);
  EXPECT_FALSE(restored->has_delete_time());
  EXPECT_EQ(ListPage(*store_, false, 10, "")->articles.size(), 1u);
  EXPECT_EQ(store_->Undelete("d").status().code(), absl::StatusCode::kAlreadyExists);
  ExpectIndexesAgreeWithRecords(db_.get());
}

TEST_F(ArticleStoreTest, UnknownArticleIsNotFound) {
  EXPECT_EQ(store_->Get("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Update("nope", Draft("x"), {"title"}, "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("nope", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Undelete("nope").status().code(), absl::StatusCode::kNotFound);
}

// Pages through everything with the given page size; returns the ids in order.
std::vector<std::string> ListAll(ArticleStore* store, int page_size, int* pages) {
  std::vector<std::string> ids;
  std::string cursor;
  *pages = 0;
  do {
    auto page = ListPage(*store, false, page_size, cursor);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    ++*pages;
    EXPECT_LE(static_cast<int>(page->articles.size()), page_size);
    for (const auto& a : page->articles) ids.push_back(a.name());
    cursor = page->next_cursor;
    if (!cursor.empty()) {
      EXPECT_EQ(static_cast<int>(page->articles.size()), page_size);
    }
  } while (!cursor.empty() && *pages < 100);
  return ids;
}

class PaginationTest : public ArticleStoreTest, public ::testing::WithParamInterface<int> {};

TEST_P(PaginationTest, PagesCoverEveryItemNewestFirst) {
  const int page_size = 3;
  const int items = GetParam();
  std::vector<std::string> expected;
  for (int i = 0; i < items; ++i) {
    expected.insert(expected.begin(), "articles/a" + std::to_string(i));
    ASSERT_TRUE(store_->Create(Draft("T"), "a" + std::to_string(i), "").ok());
    clock_.Advance(absl::Seconds(1));
  }
  int pages = 0;
  EXPECT_EQ(ListAll(store_.get(), page_size, &pages), expected);
  const int expected_pages = items == 0 ? 1 : (items + page_size - 1) / page_size;
  EXPECT_EQ(pages, expected_pages) << "next_page_token is empty exactly at the end";
}

INSTANTIATE_TEST_SUITE_P(Bounds, PaginationTest, ::testing::Values(0, 1, 3, 4, 7));

TEST_F(ArticleStoreTest, SameCreateTimeIsOrderedById) {
  for (const char* id : {"b", "a", "c"}) ASSERT_TRUE(store_->Create(Draft("T"), id, "").ok());
  int pages = 0;
  EXPECT_EQ(ListAll(store_.get(), 1, &pages),
            (std::vector<std::string>{"articles/a", "articles/b", "articles/c"}));
}

TEST_F(ArticleStoreTest, ListRejectsCursorsOutsideTheCollection) {
  const std::string zeros(8, '\0');
  for (const std::string& bad : {std::string("x"), zeros, absl::StrCat(zeros, "UPPER"),
                                 absl::StrCat(zeros, "a/../b"), std::string(100, 'a')}) {
    EXPECT_EQ(ListPage(*store_, false, 10, bad).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST_F(ArticleStoreTest, ConcurrentEtagCheckedUpdatesNeverLoseAWrite) {
  auto created = store_->Create(Draft("start"), "hot", "");
  ASSERT_TRUE(created.ok());
  struct Success {
    std::string from, to, title;
  };
  std::mutex mu;
  std::vector<Success> successes;
  std::atomic<int> aborted{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto current = store_->Get("hot");
        if (!current.ok()) {
          ++other;
          continue;
        }
        Article patch;
        patch.set_title("t" + std::to_string(t) + "-" + std::to_string(i));
        auto result = store_->Update("hot", patch, {"title"}, current->etag());
        if (result.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          successes.push_back({current->etag(), result->etag(), patch.title()});
        } else if (result.status().code() == absl::StatusCode::kAborted) {
          ++aborted;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(static_cast<int>(successes.size()) + aborted.load(), 8 * 200);
  ASSERT_FALSE(successes.empty());

  // The successes form one chain of etags from the created article to the
  // final one: each success changed the etag exactly once, none was lost.
  std::map<std::string, const Success*> by_from;
  for (const auto& s : successes) {
    EXPECT_TRUE(by_from.emplace(s.from, &s).second) << "two updates succeeded from etag " << s.from;
  }
  std::string etag = created->etag();
  std::string title = "start";
  size_t steps = 0;
  while (by_from.count(etag) > 0) {
    const Success* s = by_from[etag];
    etag = s->to;
    title = s->title;
    ++steps;
  }
  EXPECT_EQ(steps, successes.size());
  auto final_state = store_->Get("hot");
  ASSERT_TRUE(final_state.ok());
  EXPECT_EQ(final_state->etag(), etag);
  EXPECT_EQ(final_state->title(), title);
}

TEST(ArticleStorePersistenceTest, DataSurvivesReopen) {
  testing::TempDir dir;
  {
    auto db = OpenDb(dir.path());
    ArticleStore store(db.get(), Clock::Real());
    ASSERT_TRUE(store.Create(Draft("Zażółć gęślą jaźń"), "trwaly", "").ok());
  }
  auto db = OpenDb(dir.path());
  ArticleStore store(db.get(), Clock::Real());
  auto a = store.Get("trwaly");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->title(), "Zażółć gęślą jaźń");
}

TEST(DatabaseTest, RefusesAnotherSchemaVersion) {
  testing::TempDir dir;
  { ASSERT_NE(OpenDb(dir.path()), nullptr); }
  kv::DatabaseOptions options;
  options.path = dir.path();
  options.column_families = ContentColumnFamilies();
  options.schema_version = kContentSchemaVersion + 1;
  auto db = kv::Database::Open(options);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("schema version"), absl::string_view::npos);
}

TEST(DatabaseTest, RefusesASecondOpenOfTheSameDirectory) {
  testing::TempDir dir;
  auto first = OpenDb(dir.path());
  ASSERT_NE(first, nullptr);
  kv::DatabaseOptions options;
  options.path = dir.path();
  options.column_families = ContentColumnFamilies();
  options.schema_version = kContentSchemaVersion;
  EXPECT_EQ(kv::Database::Open(options).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(DatabaseTest, BatchIsAtomicAcrossColumnFamilies) {
  testing::TempDir dir;
  auto db = OpenDb(dir.path());
  kv::WriteBatch batch(*db);
  batch.Put(kRecordsCf, "k1", "v1");
  batch.Put(kIndexesCf, "k2", "v2");
  batch.Delete(kRecordsCf, "absent");
  EXPECT_EQ(batch.Count(), 3);
  ASSERT_TRUE(db->Write(batch).ok());
  EXPECT_EQ(**db->Get(kRecordsCf, "k1"), "v1");
  EXPECT_EQ(**db->Get(kIndexesCf, "k2"), "v2");
  EXPECT_FALSE(db->Get(kIndexesCf, "k1")->has_value()) << "column families are separate";
}

TEST(DatabaseTest, SnapshotsAndBoundedScans) {
  testing::TempDir dir;
  auto db = OpenDb(dir.path());
  for (const char* k : {"a1", "a2", "b1"}) {
    kv::WriteBatch b(*db);
    b.Put(kRecordsCf, k, "x");
    ASSERT_TRUE(db->Write(b).ok());
  }
  auto snap = db->GetSnapshot();
  kv::WriteBatch later(*db);
  later.Put(kRecordsCf, "a3", "x");
  ASSERT_TRUE(db->Write(later).ok());
  std::vector<std::string> seen;
  for (auto it = db->Scan(kRecordsCf, "a", kv::PrefixSuccessor("a"), snap.get()); it->Valid(); it->Next()) {
    seen.emplace_back(it->key());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(db->Get(kRecordsCf, "a3", snap.get())->has_value(), false);
  EXPECT_EQ(db->Get(kRecordsCf, "a3")->has_value(), true);
}

TEST(DatabaseTest, ExpiringValuesDecodeUntilTheirTime) {
  const absl::Time t = absl::FromUnixSeconds(1000);
  const std::string v = kv::EncodeExpiring(t, "payload");
  EXPECT_EQ(*kv::DecodeExpiring(v, t - absl::Seconds(1)), "payload");
  EXPECT_FALSE(kv::DecodeExpiring(v, t).has_value());
  EXPECT_FALSE(kv::DecodeExpiring("short", t).has_value());
}

TEST(DatabaseTest, SecretsAreStableAcrossReopen) {
  testing::TempDir dir;
  std::string first;
  {
    auto db = OpenDb(dir.path());
    first = *db->GetOrCreateSecret("page_token");
    EXPECT_EQ(first.size(), 32u);
    EXPECT_EQ(*db->GetOrCreateSecret("page_token"), first);
    EXPECT_NE(*db->GetOrCreateSecret("other"), first);
  }
  auto db = OpenDb(dir.path());
  EXPECT_EQ(*db->GetOrCreateSecret("page_token"), first);
}

}  // namespace
}  // namespace newsdesk::content
