// A full data volume: writes fail cleanly, reads continue, writes resume
// when space comes back, and nothing acknowledged is lost.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "storage/content/article_store.h"
#include "storage/content/schema.h"
#include "tests/testing/content_db.h"
#include "tests/testing/temp_dir.h"

namespace newsdesk::content {
namespace {

std::unique_ptr<kv::Database> Open(const std::string& path) { return testing::OpenContentDatabase(path); }

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mount_point_ = dir_.Sub("volume");
    std::filesystem::create_directories(mount_point_);
    if (mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=64m") != 0) {
      GTEST_SKIP() << "cannot mount a small tmpfs here (needs root): " << std::strerror(errno);
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) umount2(mount_point_.c_str(), MNT_DETACH);
  }

  testing::TempDir dir_;
  std::string mount_point_;
  bool mounted_ = false;
};

TEST_F(DiskFullTest, WritesFailCleanlyReadsContinueAndWritesResume) {
  const std::string ballast = mount_point_ + "/ballast";
  std::ofstream(ballast) << std::string(40 << 20, 'x');
  auto db = Open(mount_point_ + "/db");
  ASSERT_NE(db, nullptr);
  ArticleStore store(db.get(), Clock::Real());
  std::vector<std::string> acknowledged;
  absl::Status failure;
  const std::string body(256 << 10, 'z');
  for (int i = 0; i < 400; ++i) {
    Article a;
    a.set_title(absl::StrCat("Duży artykuł ", i));
    a.set_body(body);
    auto created = store.Create(a, absl::StrCat("a", i), "");
    if (!created.ok()) {
      failure = created.status();
      break;
    }
    acknowledged.push_back(absl::StrCat("a", i));
  }
  ASSERT_FALSE(failure.ok()) << "the volume never filled";
  EXPECT_TRUE(failure.code() == absl::StatusCode::kResourceExhausted || failure.code() == absl::StatusCode::kUnavailable)
      << failure;
  EXPECT_EQ(failure.message().find("/"), absl::string_view::npos) << "no paths in the message: " << failure;
  ASSERT_FALSE(acknowledged.empty());
  // Reads continue.
  EXPECT_EQ(store.Get(acknowledged.front())->title(), "Duży artykuł 0");
  // Space comes back: writes resume (RocksDB is resumed by the next write).
  std::filesystem::remove(ballast);
  bool resumed = false;
  for (int attempt = 0; attempt < 100 && !resumed; ++attempt) {
    Article a;
    a.set_title("Po odzyskaniu miejsca");
    resumed = store.Create(a, "po-odzyskaniu", "").ok();
    if (!resumed) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(resumed);
  db.reset();
  auto reopened = Open(mount_point_ + "/db");
  ArticleStore again(reopened.get(), Clock::Real());
  for (const auto& id : acknowledged) EXPECT_TRUE(again.Get(id).ok()) << id;
  EXPECT_TRUE(again.Get("po-odzyskaniu").ok());
}

}  // namespace
}  // namespace newsdesk::content
