// kv::Database behaviour that is not about one value type: how scans use
// the block cache.
#include "storage/kv/database.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/testing/temp_dir.h"

namespace newsdesk::kv {
namespace {

TEST(DatabaseScanTest, ScansOfABypassColumnFamilyLeaveTheBlockCacheAlone) {
  testing::TempDir dir;
  DatabaseOptions options;
  options.path = dir.path();
  options.schema_version = 1;
  options.block_cache_bytes = size_t{32} << 20;
  options.column_families = {{.name = "bulk", .scans_bypass_cache = true}, {.name = "plain"}};
  constexpr CfId kBulk = 0, kPlain = 1;
  auto db = Database::Open(options);
  ASSERT_TRUE(db.ok()) << db.status();
  // 4 MiB of incompressible values in each column family, in files.
  std::mt19937_64 rng(7);
  WriteBatch batch(**db);
  for (int i = 0; i < 256; ++i) {
    std::string value(16 << 10, '\0');
    for (char& c : value) c = static_cast<char>(rng());
    batch.Put(kBulk, absl::StrCat("k", 1000 + i), value);
    batch.Put(kPlain, absl::StrCat("k", 1000 + i), value);
  }
  ASSERT_TRUE((*db)->Write(batch).ok());
  ASSERT_TRUE((*db)->CompactAll(kBulk).ok());
  ASSERT_TRUE((*db)->CompactAll(kPlain).ok());

  auto usage = [&] {
    auto u = (*db)->GetIntProperty(kPlain, "rocksdb.block-cache-usage");
    EXPECT_TRUE(u.ok()) << u.status();
    return u.ok() ? *u : 0;
  };
  auto scan = [&](CfId cf) {
    size_t bytes = 0;
    auto it = (*db)->Scan(cf, "", "");
    for (; it->Valid(); it->Next()) bytes += it->value().size();
    EXPECT_TRUE(it->status().ok()) << it->status();
    return bytes;
  };
  const uint64_t before = usage();
  ASSERT_EQ(scan(kBulk), size_t{256} * (16 << 10));
  const uint64_t after_bulk = usage();
  ASSERT_EQ(scan(kPlain), size_t{256} * (16 << 10));
  const uint64_t after_plain = usage();
  // Index and filter blocks may be cached; the 4 MiB of data blocks are not.
  EXPECT_LT(after_bulk - before, uint64_t{512} << 10) << before << " → " << after_bulk;
  EXPECT_GT(after_plain - after_bulk, uint64_t{3} << 20) << after_bulk << " → " << after_plain;
}

}  // namespace
}  // namespace newsdesk::kv
