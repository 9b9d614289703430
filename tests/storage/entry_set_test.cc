// Entry sets (storage/kv/entry_set.h): the codec and merge rules, and an
// entry_sets column family written with merge operands and read back through
// memtables, flushed files and compactions.
#include "storage/kv/entry_set.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/kv/database.h"
#include "tests/testing/temp_dir.h"

namespace newsdesk::kv {
namespace {

using Entries = std::map<std::string, std::optional<std::string>>;  // nullopt: a removal

std::string Encode(const Entries& entries) {
  std::string out;
  for (const auto& [member, payload] : entries) {
    if (payload.has_value()) {
      const absl::string_view p = *payload;
      AppendSetEntry(&out, member, &p);
    } else {
      AppendSetEntry(&out, member, nullptr);
    }
  }
  return out;
}

std::optional<Entries> Decode(absl::string_view set) {
  Entries out;
  SetEntryReader r(set);
  absl::string_view member, payload;
  bool removal = false;
  while (r.Next(&member, &payload, &removal)) {
    out[std::string(member)] = removal ? std::nullopt : std::optional<std::string>(std::string(payload));
  }
  if (!r.ok()) return std::nullopt;
  return out;
}

std::string Merge(const std::vector<std::string>& sets, bool keep_removals) {
  std::vector<absl::string_view> views(sets.begin(), sets.end());
  std::string out;
  EXPECT_TRUE(MergeSets(views, keep_removals, &out));
  return out;
}

TEST(EntrySetTest, EncodingRoundTripsWithEmptyAndBinaryPayloads) {
  const Entries entries = {{"a", ""}, {std::string("b\0c", 3), std::string("\x00\xff", 2)}, {"d", std::nullopt},
                           {std::string(200, 'z'), std::string(300, 'p')}};
  EXPECT_EQ(Decode(Encode(entries)), entries);
  EXPECT_EQ(Decode(""), Entries{});
}

TEST(EntrySetTest, PositionIsWhereTheNextEntryBegins) {
  const Entries entries = {{"a", "x"}, {std::string(200, 'b'), std::string(300, 'y')}, {"c", std::nullopt}};
  const std::string set = Encode(entries);
  SetEntryReader r(set);
  absl::string_view member, payload;
  bool removal = false;
  for (const auto& [m, p] : entries) {
    const char* begin = r.position();
    // The entry that begins there, re-encoded alone, is those bytes.
    const std::string alone = Encode(Entries{{m, p}});
    ASSERT_TRUE(r.Next(&member, &payload, &removal));
    EXPECT_EQ(absl::string_view(begin, alone.size()), alone);
    EXPECT_EQ(r.position(), begin + alone.size());
  }
  EXPECT_FALSE(r.Next(&member, &payload, &removal));
  EXPECT_EQ(r.position(), set.data() + set.size());
}

TEST(EntrySetTest, NewestEntryWinsAndAFullMergeDropsRemovals) {
  const std::string stored = Encode({{"a", "1"}, {"b", "1"}, {"c", "1"}});
  const std::string op1 = Encode({{"b", std::nullopt}, {"d", "2"}});
  const std::string op2 = Encode({{"a", "3"}, {"d", std::nullopt}, {"e", "3"}});
  EXPECT_EQ(Merge({stored, op1, op2}, false), Encode({{"a", "3"}, {"c", "1"}, {"e", "3"}}));
  // Combining operands keeps their removals: they still have to cancel
  // older entries below them.
  EXPECT_EQ(Merge({op1, op2}, true), Encode({{"a", "3"}, {"b", std::nullopt}, {"d", std::nullopt}, {"e", "3"}}));
  // Merging the combined operand onto the stored set gives the same set.
  EXPECT_EQ(Merge({stored, Merge({op1, op2}, true)}, false), Merge({stored, op1, op2}, false));
  EXPECT_EQ(Merge({Encode({{"a", std::nullopt}})}, false), "") << "the last member removed";
}

TEST(EntrySetTest, ManyOperandsMergeLikeAFewAtATime) {
  // More than eight inputs take the sorting path; it must agree with folding
  // the same operands in pairs.
  std::mt19937 rng(7);
  std::vector<std::string> ops;
  for (int i = 0; i < 300; ++i) {
    Entries e;
    for (int k = 0; k < 3; ++k) {
      const std::string member = absl::StrCat("m", rng() % 40);
      e[member] = rng() % 4 == 0 ? std::nullopt : std::optional<std::string>(absl::StrCat("v", i));
    }
    ops.push_back(Encode(e));
  }
  std::string folded;
  for (const std::string& op : ops) folded = Merge({folded, op}, true);
  EXPECT_EQ(Merge(ops, true), folded);
  EXPECT_EQ(Merge(ops, false), Merge({folded}, false));
}

TEST(EntrySetTest, MalformedInputIsRefused) {
  std::string out;
  const std::string good = Encode({{"a", "1"}, {"b", "2"}});
  std::vector<absl::string_view> truncated = {absl::string_view(good).substr(0, good.size() - 1)};
  EXPECT_FALSE(MergeSets(truncated, false, &out));
  const std::string unordered = Encode({{"b", "2"}}) + Encode({{"a", "1"}});
  EXPECT_FALSE(MergeSets({unordered}, false, &out)) << "members out of order";
  const std::string duplicate = Encode({{"a", "2"}}) + Encode({{"a", "1"}});
  EXPECT_FALSE(MergeSets({duplicate}, false, &out)) << "a member twice";
  std::string huge_length;
  huge_length.push_back('\x7f');  // a member of 127 bytes in a 3-byte input
  huge_length.append("ab");
  EXPECT_FALSE(MergeSets({huge_length}, false, &out));
  EXPECT_FALSE(Decode(huge_length).has_value());
}

// An entry_sets column family beside a plain one.
class EntrySetDatabaseTest : public ::testing::Test {
 protected:
  static constexpr CfId kSets = 0;
  static constexpr CfId kPlain = 1;

  void Open() {
    db_.reset();
    DatabaseOptions options;
    options.path = dir_.path();
    options.column_families = {{.name = "sets", .entry_sets = true}, {.name = "plain"}};
    auto db = Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  // Every set as the model says it should be, and every key a scan shows.
  void ExpectMatchesModel(const std::string& when) {
    std::map<std::string, Entries> seen;
    auto it = db_->Scan(kSets, "", "");
    for (; it->Valid(); it->Next()) {
      auto decoded = Decode(it->value());
      ASSERT_TRUE(decoded.has_value()) << when;
      ASSERT_FALSE(decoded->empty()) << when << ": an empty set is absent";
      for (const auto& [m, p] : *decoded) ASSERT_TRUE(p.has_value()) << when << ": a removal in a stored set";
      seen[std::string(it->key())] = *decoded;
      EXPECT_EQ(**db_->Get(kSets, it->key()), std::string(it->value())) << when;
    }
    ASSERT_TRUE(it->status().ok()) << it->status();
    std::map<std::string, Entries> expected;
    for (const auto& [key, entries] : model_) {
      if (!entries.empty()) expected[key] = entries;
    }
    EXPECT_EQ(seen, expected) << when;
    for (const auto& [key, entries] : model_) {
      if (entries.empty()) {
        EXPECT_FALSE(db_->Get(kSets, key)->has_value()) << when << " " << key;
      }
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  std::map<std::string, Entries> model_;
};

TEST_F(EntrySetDatabaseTest, WritesMergeThroughMemtablesFilesAndCompactions) {
  Open();
  std::mt19937 rng(42);
  for (int round = 0; round < 6; ++round) {
    for (int b = 0; b < 40; ++b) {
      WriteBatch batch(*db_);
      for (int k = 0; k < 8; ++k) {
        const std::string bucket(1, static_cast<char>(rng() % 3));
        const std::string key = absl::StrCat("term", rng() % 6, std::string(1, '\0'), bucket);
        const std::string member = absl::StrCat("id", rng() % 25);
        if (rng() % 3 == 0) {
          batch.RemoveSetEntry(kSets, key, member);
          model_[key].erase(member);
        } else {
          const std::string payload = absl::StrCat("p", round, "-", b, "-", k);
          batch.PutSetEntry(kSets, key, member, payload);
          model_[key][member] = payload;
        }
      }
      batch.Put(kPlain, absl::StrCat("plain", b), "");
      ASSERT_TRUE(db_->Write(batch).ok());
    }
    ExpectMatchesModel(absl::StrCat("round ", round, " in the memtable"));
    if (round % 3 == 1) {
      ASSERT_TRUE(db_->CompactAll(kSets).ok());
      ExpectMatchesModel(absl::StrCat("round ", round, " compacted"));
    } else {
      Open();  // the memtable is flushed to a file of combined operands
      ExpectMatchesModel(absl::StrCat("round ", round, " reopened"));
    }
  }
  EXPECT_TRUE((*db_->Get(kPlain, "plain0")).has_value()) << "an empty plain value is a value";
}

TEST_F(EntrySetDatabaseTest, AnEmptiedSetIsAbsentInBothScanDirections) {
  Open();
  WriteBatch put(*db_);
  for (const char* key : {"a", "b", "c"}) put.PutSetEntry(kSets, key, "m", "v");
  ASSERT_TRUE(db_->Write(put).ok());
  WriteBatch remove(*db_);
  remove.RemoveSetEntry(kSets, "b", "m");
  remove.RemoveSetEntry(kSets, "c", "m");
  ASSERT_TRUE(db_->Write(remove).ok());
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<std::string> forward, backward;
    auto it = db_->Scan(kSets, "", "");
    for (; it->Valid(); it->Next()) forward.emplace_back(it->key());
    for (it->SeekToLast(); it->Valid(); it->Prev()) backward.emplace_back(it->key());
    EXPECT_EQ(forward, std::vector<std::string>{"a"});
    EXPECT_EQ(backward, std::vector<std::string>{"a"});
    it->Seek("b");
    EXPECT_FALSE(it->Valid());
    it->SeekForPrev("c");
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), "a");
    EXPECT_FALSE(db_->Get(kSets, "b")->has_value());
    ASSERT_TRUE(db_->CompactAll(kSets).ok());  // second pass: the filter has dropped them
  }
}

}  // namespace
}  // namespace newsdesk::kv
