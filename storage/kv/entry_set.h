// Entry sets: a value that is a sorted set of (member → payload) entries,
// changed one member at a time by merge operands instead of read-modify-write.
//
// An entry_sets column family (ColumnFamilySpec::entry_sets) keeps such
// values. A writer adds, replaces or removes one member of the set under a
// key with WriteBatch::PutSetEntry / RemoveSetEntry, in the same atomic batch
// as everything else; RocksDB combines the operands with the stored set when
// the key is read or compacted. Concurrent writers of different members of one
// key need no lock and never read. Readers see a canonical encoding (members
// ascending, no removals), so two sets with the same entries are the same
// bytes; a set whose last member was removed reads as absent.
//
// Encoding (values and operands alike):
//   set   := entry*            members strictly ascending (bytewise)
//   entry := varint(member length) member varint(tag) payload
//   tag   := 0 for a removal (operands only), payload length + 1 otherwise
//
// Pure functions of bytes: no RocksDB here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace newsdesk::kv {

// Appends one entry (a removal when `payload` is nullptr) to `out`. Entries
// of one set must be appended in ascending member order.
void AppendSetEntry(std::string* out, absl::string_view member, const absl::string_view* payload);

// Reads the entries of an encoded set in order. Stops (Next() false) at the
// end or at malformed input (then ok() is false).
class SetEntryReader {
 public:
  explicit SetEntryReader(absl::string_view set) : p_(set.data()), end_(set.data() + set.size()) {}
  // The next entry; `removal` is true for a removal (payload then empty).
  bool Next(absl::string_view* member, absl::string_view* payload, bool* removal);
  bool ok() const { return ok_; }
  // Where the entry the next call of Next() reads begins.
  const char* position() const { return p_; }

 private:
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

// Combines `sets` (oldest first): for each member the newest entry wins.
// With `keep_removals` (combining operands) winning removals stay in the
// result; without (a full merge onto the stored set) they are dropped. False
// on malformed input or members out of order.
bool MergeSets(const std::vector<absl::string_view>& sets, bool keep_removals, std::string* out);

}  // namespace newsdesk::kv
