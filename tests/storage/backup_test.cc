// Online backups under write load, restored into a fresh directory.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "storage/content/article_store.h"
#include "storage/content/schema.h"
#include "storage/kv/key_codec.h"
#include "tests/testing/content_db.h"
#include "tests/testing/temp_dir.h"

namespace newsdesk::content {
namespace {

std::unique_ptr<kv::Database> Open(const std::string& path) { return testing::OpenContentDatabase(path); }

// Every record's index entries are exactly the indexes: nothing torn.
void ExpectConsistent(kv::Database* db) {
  std::map<std::string, std::string> expected;
  const std::string kind(1, kArticleKind);
  int records = 0;
  for (auto it = db->Scan(kRecordsCf, kind, kv::PrefixSuccessor(kind)); it->Valid(); it->Next()) {
    Article a;
    ASSERT_TRUE(a.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())));
    for (auto& [k, v] : ArticleIndexEntries(a)) expected[k] = v;
    ++records;
  }
  auto read = ReadArticleIndexEntries(*db);
  ASSERT_TRUE(read.ok()) << read.status();
  const std::map<std::string, std::string>& actual = *read;
  EXPECT_GT(records, 0);
  EXPECT_EQ(actual.size(), expected.size());
  EXPECT_TRUE(actual == expected) << "indexes differ from what the records imply";
}

TEST(BackupTest, OnlineBackupUnderWritesRestoresAConsistentState) {
  testing::TempDir dir;
  auto db = Open(dir.Sub("live"));
  ArticleStore store(db.get(), Clock::Real());
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; !stop && i < 5000; ++i) {
      Article a;
      a.set_title(absl::StrCat("Artykuł numer ", i));
      a.set_body("Szpital w Białej Podlaskiej i szpital w Tałdykorganie.");
      a.add_tags(i % 2 ? "zdrowie" : "kultura");
      auto created = store.Create(a, "", "");
      ASSERT_TRUE(created.ok()) << created.status();
      if (i % 3 == 0) {
        ASSERT_TRUE(store.Publish(created->name().substr(9), "", std::nullopt).ok());
      }
      ++written;
    }
  });
  while (written < 50) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto first = db->CreateBackup(dir.Sub("backups"));
  ASSERT_TRUE(first.ok()) << first.status();
  while (written < 150) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto second = db->CreateBackup(dir.Sub("backups"));
  stop = true;
  writer.join();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_GT(second->backup_id, first->backup_id);

  auto listed = kv::Database::ListBackups(dir.Sub("backups"));
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);

  // Each backup restores into a fresh directory as a consistent database.
  for (uint32_t id : {first->backup_id, second->backup_id}) {
    const std::string target = dir.Sub(absl::StrCat("restored-", id));
    ASSERT_TRUE(kv::Database::RestoreBackup(dir.Sub("backups"), id, target).ok());
    auto restored = Open(target);
    ASSERT_NE(restored, nullptr);
    ExpectConsistent(restored.get());
  }
  ExpectConsistent(db.get());
}

TEST(BackupTest, RestoreErrors) {
  testing::TempDir dir;
  EXPECT_EQ(kv::Database::RestoreBackup(dir.Sub("empty"), 0, dir.Sub("x")).code(), absl::StatusCode::kNotFound);
  auto db = Open(dir.Sub("live"));
  ArticleStore store(db.get(), Clock::Real());
  Article a;
  a.set_title("Jeden");
  ASSERT_TRUE(store.Create(a, "jeden", "").ok());
  ASSERT_TRUE(db->CreateBackup(dir.Sub("backups")).ok());
  EXPECT_EQ(kv::Database::RestoreBackup(dir.Sub("backups"), 99, dir.Sub("x")).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(kv::Database::RestoreBackup(dir.Sub("backups"), 0, dir.Sub("latest")).ok());
  auto restored = Open(dir.Sub("latest"));
  ArticleStore restored_store(restored.get(), Clock::Real());
  EXPECT_EQ(restored_store.Get("jeden")->title(), "Jeden");
}

TEST(CorruptionTest, AnUnreadableRecordIsDataLossAndTheRestIsServed) {
  testing::TempDir dir;
  auto db = Open(dir.path());
  ArticleStore store(db.get(), Clock::Real());
  Article a;
  a.set_title("Zdrowy");
  ASSERT_TRUE(store.Create(a, "zdrowy", "").ok());
  a.set_title("Uszkodzony");
  ASSERT_TRUE(store.Create(a, "uszkodzony", "").ok());
  kv::WriteBatch corrupt(*db);
  corrupt.Put(kRecordsCf, absl::StrCat(std::string(1, kArticleKind), "uszkodzony"), "\xff\xff\xff not a protobuf");
  ASSERT_TRUE(db->Write(corrupt).ok());
  auto bad = store.Get("uszkodzony");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("articles/uszkodzony"), absl::string_view::npos);
  EXPECT_EQ(store.Get("zdrowy")->title(), "Zdrowy");
}

}  // namespace
}  // namespace newsdesk::content

namespace newsdesk::content {
namespace {

int CountPrefix(kv::Database* db, kv::CfId cf, const std::string& prefix) {
  int n = 0;
  for (auto it = db->Scan(cf, prefix, kv::PrefixSuccessor(prefix)); it->Valid(); it->Next()) ++n;
  return n;
}

TEST(KillTest, AProcessKilledAfterItsWritesLosesNoIndexEntry) {
  testing::TempDir dir;
  const pid_t child = fork();
  if (child == 0) {
    auto db = Open(dir.path());
    ArticleStore store(db.get(), Clock::Real());
    for (int i = 0; i < 20; ++i) {
      Article a;
      a.set_title(absl::StrCat("Tytuł ", i));
      a.add_tags("crash");
      if (!store.Create(a, "", "").ok()) _exit(3);
    }
    raise(SIGKILL);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto db = Open(dir.path());
  EXPECT_EQ(CountPrefix(db.get(), kRecordsCf, std::string(1, kArticleKind)), 20);
  EXPECT_EQ(CountPrefix(db.get(), kIndexesCf, std::string(1, kArticlesLiveByCreate)), 20);
  EXPECT_EQ(CountPrefix(db.get(), kIndexesCf, std::string(1, kArticlesLiveByTag)), 20);
  ExpectConsistent(db.get());
}

}  // namespace
}  // namespace newsdesk::content
