#include "storage/kv/entry_set.h"

#include <algorithm>

namespace newsdesk::kv {
namespace {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(const char** p, const char* end, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 64 && *p != end; shift += 7) {
    const auto b = static_cast<uint8_t>(*(*p)++);
    r |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *v = r;
      return true;
    }
  }
  return false;
}

// One input set being merged.
struct Cursor {
  SetEntryReader reader;
  absl::string_view member, payload;
  bool removal = false;
  bool valid = false;
  size_t age = 0;  // index in the input: larger is newer

  bool Advance() {
    absl::string_view previous = member;
    const bool had = valid;
    valid = reader.Next(&member, &payload, &removal);
    // Members must be strictly ascending within one set.
    return reader.ok() && (!valid || !had || previous < member);
  }
};

}  // namespace

void AppendSetEntry(std::string* out, absl::string_view member, const absl::string_view* payload) {
  PutVarint(out, member.size());
  out->append(member.data(), member.size());
  PutVarint(out, payload == nullptr ? 0 : payload->size() + 1);
  if (payload != nullptr) out->append(payload->data(), payload->size());
}

bool SetEntryReader::Next(absl::string_view* member, absl::string_view* payload, bool* removal) {
  if (!ok_ || p_ == end_) return false;
  uint64_t length = 0, tag = 0;
  if (!GetVarint(&p_, end_, &length) || length > static_cast<uint64_t>(end_ - p_)) return ok_ = false;
  *member = absl::string_view(p_, length);
  p_ += length;
  if (!GetVarint(&p_, end_, &tag) || (tag > 0 && tag - 1 > static_cast<uint64_t>(end_ - p_))) return ok_ = false;
  *removal = tag == 0;
  const size_t size = tag == 0 ? 0 : tag - 1;
  *payload = absl::string_view(p_, size);
  p_ += size;
  return true;
}

bool MergeSets(const std::vector<absl::string_view>& sets, bool keep_removals, std::string* out) {
  out->clear();
  size_t total = 0;
  for (absl::string_view s : sets) total += s.size();
  out->reserve(total);
  const auto emit = [&](const Cursor& c) {
    if (!c.removal || keep_removals) AppendSetEntry(out, c.member, c.removal ? nullptr : &c.payload);
  };
  if (sets.size() > 8) {
    // Many operands (a memtable full of single-entry writes): sort every
    // entry by member, oldest first among equals, and keep the last of each.
    std::vector<Cursor> entries;
    for (size_t i = 0; i < sets.size(); ++i) {
      Cursor c{.reader = SetEntryReader(sets[i]), .age = i};
      for (;;) {
        if (!c.Advance()) return false;
        if (!c.valid) break;
        entries.push_back(c);
      }
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Cursor& x, const Cursor& y) { return x.member < y.member; });
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i + 1 == entries.size() || entries[i + 1].member != entries[i].member) emit(entries[i]);
    }
    return true;
  }
  // A few sets (the stored set and the operands written since the last
  // compaction): a k-way merge with a linear pick of the smallest member.
  std::vector<Cursor> cursors;
  cursors.reserve(sets.size());
  for (size_t i = 0; i < sets.size(); ++i) {
    cursors.push_back(Cursor{.reader = SetEntryReader(sets[i]), .age = i});
    if (!cursors.back().Advance()) return false;
  }
  for (;;) {
    Cursor* best = nullptr;
    for (Cursor& c : cursors) {
      if (!c.valid) continue;
      if (best == nullptr || c.member < best->member || (c.member == best->member && c.age > best->age)) best = &c;
    }
    if (best == nullptr) return true;
    emit(*best);
    const absl::string_view member = best->member;
    for (Cursor& c : cursors) {
      if (c.valid && c.member == member && &c != best && !c.Advance()) return false;
    }
    if (!best->Advance()) return false;
  }
}

}  // namespace newsdesk::kv
