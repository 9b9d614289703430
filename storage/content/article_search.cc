#include "storage/content/article_search.h"

#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "storage/content/article_store.h"
#include "storage/content/schema.h"
#include "storage/kv/entry_set.h"
#include "storage/kv/fork_join.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/proto_time.h"
#include "storage/text/text_analysis.h"

namespace newsdesk::content {
namespace {

constexpr int kFields = 4;  // title, lead, body, tags
constexpr double kFieldWeights[kFields] = {text::kTitleWeight, text::kLeadWeight, text::kBodyWeight,
                                           text::kTagsWeight};
constexpr const char* kFieldNames[kFields] = {"title", "lead", "body", "tags"};
constexpr char kDocsCounter[] = "search/docs";
// A posting's state: the stored state of a live article, in the low two
// bits of its first varint.
constexpr uint64_t kPostingDraft = 0;
constexpr uint64_t kPostingScheduled = 1;
constexpr uint64_t kPostingPublished = 2;
// No document has this many tokens in one field (request limits are far lower).
constexpr uint32_t kMaxPositions = 1u << 24;

std::string LengthCounter(int field) { return absl::StrCat("search/length/", kFieldNames[field]); }

std::string IdOf(const Article& a) { return a.name().substr(sizeof("articles/") - 1); }

// The bucket of an article id: 32-bit FNV-1a modulo kSearchBuckets. It is
// part of every block key, so it never changes.
uint8_t BucketOf(absl::string_view id) {
  uint32_t h = 2166136261u;
  for (char c : id) {
    h ^= static_cast<uint8_t>(c);
    h *= 16777619u;
  }
  return static_cast<uint8_t>(h % kSearchBuckets);
}

// The entry key of a posting (see AppendSearchEntries):
// kSearchPostings + term + 0x00 + bucket + id.
std::string PostingKey(absl::string_view term, absl::string_view id) {
  std::string k(1, kSearchPostings);
  k.append(term.data(), term.size());
  k.push_back('\0');
  k.push_back(static_cast<char>(BucketOf(id)));
  k.append(id.data(), id.size());
  return k;
}

// Splits a posting's entry key into its block key (term + 0x00 + bucket) and
// article id; false for any other key.
bool SplitPostingKey(absl::string_view key, absl::string_view* block, absl::string_view* id) {
  if (key.empty() || key[0] != kSearchPostings) return false;
  const size_t nul = key.find('\0', 1);
  if (nul == absl::string_view::npos || nul + 2 > key.size()) return false;
  *block = key.substr(1, nul + 1);
  *id = key.substr(nul + 2);
  return true;
}

std::string TagsText(const Article& a) {
  std::string s;
  for (const auto& t : a.tags()) absl::StrAppend(&s, s.empty() ? "" : "\n", t);
  return s;
}

// The analysed fields of an article.
std::array<text::AnalyzedText, kFields> Analyze(const Article& a) {
  return {text::AnalyzeForIndex(a.title()), text::AnalyzeForIndex(a.lead()), text::AnalyzeForIndex(a.body()),
          text::AnalyzeForIndex(TagsText(a))};
}

int64_t PublishMicros(const Article& a) {
  return a.has_publish_time() ? absl::ToUnixMicros(FromProtoTime(a.publish_time())) : 0;
}

// ---------------------------------------------------------------------------
// Posting coding

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

class VarintReader {
 public:
  VarintReader() = default;
  explicit VarintReader(absl::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}
  bool Read(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && p_ != end_; shift += 7) {
      const auto b = static_cast<uint8_t>(*p_++);
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *v = r;
        return true;
      }
    }
    return false;
  }
  bool Read32(uint32_t* v) {
    uint64_t x = 0;
    if (!Read(&x) || x > kMaxPositions) return false;
    *v = static_cast<uint32_t>(x);
    return true;
  }
  bool Byte(char* c) {
    if (p_ == end_) return false;
    *c = *p_++;
    return true;
  }
  absl::string_view rest() const { return absl::string_view(p_, static_cast<size_t>(end_ - p_)); }

 private:
  const char* p_ = nullptr;
  const char* end_ = nullptr;
};

// What a posting says about its document.
struct DocInfo {
  Article::State state = Article::STATE_DRAFT;  // stored (not effective) state
  bool has_publish = false;
  int64_t publish = 0;  // µs since the epoch
  uint32_t length[kFields] = {0, 0, 0, 0};
};

struct PostingHeader {
  DocInfo doc;
  uint32_t all[kFields] = {0, 0, 0, 0};
  uint32_t surface[kFields] = {0, 0, 0, 0};
  absl::string_view positions;
};

std::string EncodePosting(const DocInfo& doc, const std::array<const text::IndexTerm*, kFields>& terms) {
  std::string v;
  const uint64_t state = doc.state == Article::STATE_PUBLISHED   ? kPostingPublished
                         : doc.state == Article::STATE_SCHEDULED ? kPostingScheduled
                                                                 : kPostingDraft;
  PutVarint(&v, (doc.has_publish ? ZigZag(doc.publish) + 1 : 0) << 2 | state);
  for (uint32_t l : doc.length) PutVarint(&v, l);
  uint8_t fields = 0;
  for (int f = 0; f < kFields; ++f) {
    const text::IndexTerm* t = terms[f];
    if (t == nullptr || t->positions.empty()) continue;
    fields |= 1u << f;
    if (t->surface_positions.size() == t->positions.size()) fields |= 1u << (kFields + f);
  }
  v.push_back(static_cast<char>(fields));
  for (int f = 0; f < kFields; ++f) {
    if ((fields >> f & 1) == 0) continue;
    PutVarint(&v, terms[f]->positions.size());
    if ((fields >> (kFields + f) & 1) == 0) PutVarint(&v, terms[f]->surface_positions.size());
  }
  for (const text::IndexTerm* t : terms) {
    if (t == nullptr) continue;
    uint32_t last = 0;
    for (uint32_t p : t->positions) {
      PutVarint(&v, p - last);
      last = p;
    }
  }
  return v;
}

bool DecodeHeader(absl::string_view value, PostingHeader* out) {
  VarintReader r(value);
  uint64_t first = 0;
  char fields = 0;
  if (!r.Read(&first)) return false;
  switch (first & 3) {
    case kPostingDraft: out->doc.state = Article::STATE_DRAFT; break;
    case kPostingScheduled: out->doc.state = Article::STATE_SCHEDULED; break;
    case kPostingPublished: out->doc.state = Article::STATE_PUBLISHED; break;
    default: return false;
  }
  const uint64_t publish = first >> 2;
  out->doc.has_publish = publish != 0;
  out->doc.publish = publish == 0 ? 0 : UnZigZag(publish - 1);
  for (auto& l : out->doc.length) {
    if (!r.Read32(&l)) return false;
  }
  if (!r.Byte(&fields)) return false;
  const auto mask = static_cast<uint8_t>(fields);
  for (int f = 0; f < kFields; ++f) {
    out->all[f] = out->surface[f] = 0;
    if ((mask >> f & 1) == 0) {
      if ((mask >> (kFields + f) & 1) != 0) return false;
      continue;
    }
    if (!r.Read32(&out->all[f]) || out->all[f] == 0) return false;
    if ((mask >> (kFields + f) & 1) != 0) {
      out->surface[f] = out->all[f];
    } else if (!r.Read32(&out->surface[f]) || out->surface[f] >= out->all[f]) {
      return false;
    }
  }
  out->positions = r.rest();
  return true;
}

// Appends the positions of every field of a posting to `into`.
bool AppendPositions(const PostingHeader& h, std::array<std::vector<uint32_t>, kFields>* into) {
  VarintReader r(h.positions);
  for (int f = 0; f < kFields; ++f) {
    uint32_t at = 0;
    for (uint32_t n = 0; n < h.all[f]; ++n) {
      uint32_t delta = 0;
      if (!r.Read32(&delta)) return false;
      at += delta;
      (*into)[f].push_back(at);
    }
  }
  return true;
}

void SortUnique(std::vector<uint32_t>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

absl::Status Unreadable() { return absl::DataLossError("a search posting is unreadable; rebuild the indexes"); }

// ---------------------------------------------------------------------------
// Matching

// Stable storage for the blocks read during one search.
class Arena {
 public:
  absl::string_view Copy(absl::string_view s) {
    if (blocks_.empty() || blocks_.back().capacity() - blocks_.back().size() < s.size()) {
      blocks_.emplace_back();
      blocks_.back().reserve(std::max<size_t>(s.size(), 256 << 10));
    }
    std::string& b = blocks_.back();
    const size_t at = b.size();
    b.append(s.data(), s.size());
    return absl::string_view(b.data() + at, s.size());
  }

 private:
  std::deque<std::string> blocks_;
};

// A document, in the order every term lists them: (bucket, id). `order`
// holds the bucket and the id's first kOrderChars characters as digits of
// base 39 (0 past the end; an id character's rank among [-0-9a-z], so ids
// of those characters, all that ids may hold, keep their bytewise order).
// Most comparisons of different documents are one integer comparison; equal
// orders fall back to the ids.
struct DocKey {
  uint64_t order = 0;
  absl::string_view id;
};

constexpr int kOrderChars = 10;  // 39^10 < 2^58: the bucket takes the top 6 bits
constexpr uint64_t kDigits5 = uint64_t{39} * 39 * 39 * 39 * 39;  // 39^(kOrderChars / 2)
static_assert(kSearchBuckets <= 64);

constexpr bool IsIdByte(uint8_t c) { return c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); }

// The digit of a byte: 1 + the number of id characters ([-0-9a-z]) below
// it, so the map never decreases. A byte that is no id character maps like
// the next one that is, and ends the digits (see DocOrder); kNotId marks
// it in the table.
constexpr uint8_t kNotId = 0x80;
constexpr std::array<uint8_t, 256> kOrderDigits = [] {
  std::array<uint8_t, 256> d{};
  int below = 0;
  for (int b = 0; b < 256; ++b) {
    const bool id = IsIdByte(static_cast<uint8_t>(b));
    d[b] = static_cast<uint8_t>((1 + below) | (id ? 0 : kNotId));
    if (id) ++below;
  }
  return d;
}();

// The order of a document key (see DocKey).
uint64_t DocOrder(uint8_t bucket, absl::string_view id) {
  const auto* p = reinterpret_cast<const uint8_t*>(id.data());
  uint64_t digits = 0;
  if (id.size() >= kOrderChars) {
    // The common case, ten id characters: two independent halves.
    uint8_t any_not_id = 0;
    uint64_t high = 0, low = 0;
    for (int i = 0; i < kOrderChars / 2; ++i) {
      const uint8_t h = kOrderDigits[p[i]], l = kOrderDigits[p[i + kOrderChars / 2]];
      any_not_id |= h | l;
      high = high * 39 + h;
      low = low * 39 + l;
    }
    if ((any_not_id & kNotId) == 0) return (static_cast<uint64_t>(bucket) << 58) | (high * kDigits5 + low);
  }
  size_t i = 0;
  bool stop = false;
  for (; i < kOrderChars && i < id.size() && !stop; ++i) {
    const uint8_t d = kOrderDigits[p[i]];
    digits = digits * 39 + (d & ~kNotId);
    // After a byte that is no id character, two ids with equal digits so
    // far may still differ either way: no further digits.
    stop = (d & kNotId) != 0;
  }
  for (; i < kOrderChars; ++i) digits *= 39;
  return (static_cast<uint64_t>(bucket) << 58) | digits;
}


uint8_t BucketOfKey(const DocKey& doc) { return static_cast<uint8_t>(doc.order >> 58); }

bool operator<(const DocKey& x, const DocKey& y) { return x.order != y.order ? x.order < y.order : x.id < y.id; }
bool operator==(const DocKey& x, const DocKey& y) { return x.order == y.order && x.id == y.id; }

// A varint of an entry already read once by kv::SetEntryReader (so it ends
// within the entry).
uint64_t ReadCheckedVarint(const char** p) {
  uint64_t r = 0;
  for (int shift = 0;; shift += 7) {
    const auto b = static_cast<uint8_t>(*(*p)++);
    r |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return r;
  }
}

// One posting read from the index: its document's order (see DocKey) and
// where its set entry (id and value, see kv/entry_set.h) begins in the
// search's arena. 16 bytes: a search writes and walks tens of thousands of
// postings, and reads the id only when two orders are equal and the value
// only for the documents it ranks.
struct Posting {
  uint64_t order = 0;
  const char* entry = nullptr;

  absl::string_view id() const {
    const char* p = entry;
    const auto size = static_cast<size_t>(ReadCheckedVarint(&p));
    return {p, size};
  }
  absl::string_view value() const {
    const char* p = entry;
    p += ReadCheckedVarint(&p);
    const auto size = static_cast<size_t>(ReadCheckedVarint(&p) - 1);  // never a removal
    return {p, size};
  }
  DocKey doc() const { return {order, id()}; }
};

// Orders postings, and postings and documents, by document.
struct ByDoc {
  bool operator()(const Posting& x, const Posting& y) const {
    return x.order != y.order ? x.order < y.order : x.id() < y.id();
  }
  bool operator()(const Posting& x, const DocKey& y) const {
    return x.order != y.order ? x.order < y.order : x.id() < y.id;
  }
  bool operator()(const DocKey& x, const Posting& y) const {
    return x.order != y.order ? x.order < y.order : x.id < y.id();
  }
};

bool SameDoc(const Posting& x, const Posting& y) { return x.order == y.order && x.id() == y.id(); }
bool IsDoc(const Posting& x, const DocKey& y) { return x.order == y.order && x.id() == y.id; }

// The end of the postings of the document at postings[i].
size_t GroupEnd(const std::vector<Posting>& postings, size_t i) {
  size_t j = i + 1;
  while (j < postings.size() && SameDoc(postings[j], postings[i])) ++j;
  return j;
}

// One document matching one clause.
struct Match {
  DocKey doc;
  uint32_t first = 0, count = 0;  // its postings in the clause's words[0]
  bool has_tf = false;            // tf is set (prefix and phrase clauses)
  uint32_t tf[kFields] = {0, 0, 0, 0};
};

bool MatchBefore(const Match& m, const DocKey& doc) { return m.doc < doc; }

// One query clause: the postings of each of its words (one word for a word
// or prefix clause), and the documents it matches, in document order: for a
// word clause the documents of words[0] (frequencies are read only for the
// documents ranked), for prefix and phrase clauses `matches`.
struct Clause {
  bool plain_word = false;
  std::vector<std::vector<Posting>> words;
  std::vector<Match> matches;
  size_t docs = 0;  // documents matched
};

// std::lower_bound for a search that moves forward through a sorted list:
// steps of 1, 2, 4 … from `first`, then a binary search in the last step.
// Finding the next of a few thousand documents in a list of tens of
// thousands takes a few comparisons instead of a full binary search.
template <typename It, typename T, typename Less>
It GallopLowerBound(It first, It last, const T& value, Less less) {
  const std::ptrdiff_t n = last - first;
  std::ptrdiff_t bound = 1;
  while (bound <= n && less(first[bound - 1], value)) bound *= 2;
  return std::lower_bound(first + bound / 2, first + std::min(bound, n), value, less);
}

// Walks the documents of one clause in document order, or finds them.
class ClauseCursor {
 public:
  explicit ClauseCursor(const Clause& c) : c_(c) {}

  // The next document; false at the end.
  bool Next(Match* m) {
    if (!c_.plain_word) {
      if (at_ >= c_.matches.size()) return false;
      *m = c_.matches[at_++];
      return true;
    }
    const auto& postings = c_.words[0];
    if (at_ >= postings.size()) return false;
    const size_t end = GroupEnd(postings, at_);
    SetWordMatch(postings[at_].doc(), end, m);
    at_ = end;
    return true;
  }

  // The document `doc` if the clause matches it; `doc` must not be before
  // a document found or passed earlier.
  bool Find(const DocKey& doc, Match* m) {
    if (!c_.plain_word) {
      auto it = GallopLowerBound(c_.matches.begin() + static_cast<std::ptrdiff_t>(at_), c_.matches.end(), doc,
                                 MatchBefore);
      at_ = static_cast<size_t>(it - c_.matches.begin());
      if (it == c_.matches.end() || !(it->doc == doc)) return false;
      *m = *it;
      return true;
    }
    const auto& postings = c_.words[0];
    auto it = GallopLowerBound(postings.begin() + static_cast<std::ptrdiff_t>(at_), postings.end(), doc, ByDoc());
    at_ = static_cast<size_t>(it - postings.begin());
    if (it == postings.end() || !IsDoc(*it, doc)) return false;
    SetWordMatch(doc, GroupEnd(postings, at_), m);
    return true;
  }

 private:
  // A word clause's document: postings [at_, end). Field by field: a
  // temporary Match copied whole stalls on the stores just made (this runs
  // once per document of the driving clause).
  void SetWordMatch(const DocKey& doc, size_t end, Match* m) const {
    m->doc = doc;
    m->first = static_cast<uint32_t>(at_);
    m->count = static_cast<uint32_t>(end - at_);
    m->has_tf = false;
  }

  const Clause& c_;
  size_t at_ = 0;
};

// One search's view of the index: the documents of the buckets
// [first_bucket, end_bucket), a slice that can be searched on its own (every
// term's postings are split the same way).
struct SearchContext {
  const kv::Database& db;
  const kv::Snapshot* snapshot;
  uint8_t first_bucket = 0;
  uint8_t end_bucket = kSearchBuckets;
  Arena arena;
  std::array<std::vector<uint32_t>, kFields> scratch;  // positions, reused
};

// The blocks of one term (or, for a prefix, of every term starting with it)
// in the context's buckets, in key order: for one term, by bucket.
struct Block {
  uint8_t bucket;
  absl::string_view entries;  // in the search's arena
};

// Few encoded postings take fewer bytes (id, payload and their lengths; 30
// on average in the benchmark corpus): a block's size over this is the
// list's reservation, which a block of smaller postings merely outgrows.
constexpr size_t kMinPostingBytes = 16;

absl::Status ScanBlocks(SearchContext* ctx, absl::string_view term, bool prefix, std::vector<Block>* out,
                        size_t* bytes) {
  const bool all_buckets = ctx->first_bucket == 0 && ctx->end_bucket == kSearchBuckets;
  // The first key of bucket `b` of the term `t` (t + 0x00 + b).
  auto block_key = [](absl::string_view t, uint8_t b) {
    std::string k(t);
    k.push_back('\0');
    k.push_back(static_cast<char>(b));
    return k;
  };
  std::string lower(term), upper;
  if (prefix) {
    upper = kv::PrefixSuccessor(lower);
  } else {
    lower = block_key(term, ctx->first_bucket);
    upper = ctx->end_bucket == kSearchBuckets ? kv::PrefixSuccessor(absl::StrCat(term, std::string(1, '\0')))
                                              : block_key(term, ctx->end_bucket);
  }
  auto it = ctx->db.Scan(kSearchCf, lower, upper, ctx->snapshot);
  while (it->Valid()) {
    const absl::string_view key = it->key();
    const size_t nul = key.find('\0');
    if (nul == absl::string_view::npos || nul + 2 != key.size()) return Unreadable();
    const auto bucket = static_cast<uint8_t>(key[nul + 1]);
    if (!all_buckets && bucket < ctx->first_bucket) {  // a prefix's term: jump to the slice
      it->Seek(block_key(key.substr(0, nul), ctx->first_bucket));
      continue;
    }
    if (!all_buckets && bucket >= ctx->end_bucket) {  // a prefix's term: on to the next term
      it->Seek(kv::PrefixSuccessor(key.substr(0, nul + 1)));
      continue;
    }
    out->push_back({bucket, ctx->arena.Copy(it->value())});
    *bytes += it->value().size();
    it->Next();
  }
  return it->status();
}

// Reads the postings of one block in order.
class BlockReader {
 public:
  explicit BlockReader(const Block& b) : bucket_(b.bucket), entries_(b.entries) {}

  // The next posting in *p; false at the end (then ok() says whether the
  // block was readable).
  bool Next(Posting* p) {
    const char* entry = entries_.position();
    absl::string_view id, value;
    bool removal = false;
    if (!entries_.Next(&id, &value, &removal)) return false;
    if (removal) {
      removal_ = true;
      return false;
    }
    p->order = DocOrder(bucket_, id);
    p->entry = entry;
    return true;
  }
  bool ok() const { return entries_.ok() && !removal_; }

 private:
  uint8_t bucket_;
  kv::SetEntryReader entries_;
  bool removal_ = false;
};

// The postings of one word (of every variant) or of a prefix, in document
// order; a document has several when several variants or prefix terms
// occur in it. A word's variants are merged bucket by bucket as their
// blocks are decoded.
absl::Status WordPostings(SearchContext* ctx, const text::QueryWord& word, bool prefix, std::vector<Posting>* out) {
  std::vector<std::vector<Block>> blocks(word.variants.size());
  size_t bytes = 0;
  for (size_t v = 0; v < word.variants.size(); ++v) {
    if (auto st = ScanBlocks(ctx, word.variants[v], prefix, &blocks[v], &bytes); !st.ok()) return st;
  }
  out->reserve(bytes / kMinPostingBytes + 1);
  if (prefix) {
    for (const auto& term_blocks : blocks) {
      for (const Block& b : term_blocks) {
        BlockReader r(b);
        for (Posting p; r.Next(&p);) out->push_back(p);
        if (!r.ok()) return Unreadable();
      }
    }
    std::sort(out->begin(), out->end(), ByDoc());
    return absl::OkStatus();
  }
  // Each variant's blocks are in bucket order: merge the blocks of each
  // bucket (a document's postings, one per variant it has, stay in variant
  // order).
  std::vector<size_t> next(blocks.size(), 0);
  std::vector<BlockReader> readers;
  std::vector<Posting> heads;
  for (;;) {
    int bucket = kSearchBuckets;
    for (size_t v = 0; v < blocks.size(); ++v) {
      if (next[v] < blocks[v].size()) bucket = std::min<int>(bucket, blocks[v][next[v]].bucket);
    }
    if (bucket == kSearchBuckets) break;
    readers.clear();
    heads.clear();
    for (size_t v = 0; v < blocks.size(); ++v) {
      if (next[v] < blocks[v].size() && blocks[v][next[v]].bucket == bucket) {
        readers.emplace_back(blocks[v][next[v]++]);
        heads.emplace_back();
        if (!readers.back().Next(&heads.back())) {
          if (!readers.back().ok()) return Unreadable();
          readers.pop_back();
          heads.pop_back();
        }
      }
    }
    while (!readers.empty()) {
      size_t low = 0;
      for (size_t k = 1; k < readers.size(); ++k) {
        if (ByDoc()(heads[k], heads[low])) low = k;
      }
      out->push_back(heads[low]);
      if (!readers[low].Next(&heads[low])) {
        if (!readers[low].ok()) return Unreadable();
        readers.erase(readers.begin() + static_cast<std::ptrdiff_t>(low));
        heads.erase(heads.begin() + static_cast<std::ptrdiff_t>(low));
      }
    }
  }
  return absl::OkStatus();
}

// The union of the positions of postings [first, first + count) of one
// document, per field, in ctx->scratch (sorted, unique); with `tf`, also
// their number per field.
absl::Status UnionPositions(SearchContext* ctx, const std::vector<Posting>& postings, size_t first, size_t count,
                            uint32_t* tf = nullptr) {
  for (auto& v : ctx->scratch) v.clear();
  for (size_t k = first; k < first + count; ++k) {
    PostingHeader h;
    if (!DecodeHeader(postings[k].value(), &h) || !AppendPositions(h, &ctx->scratch)) return Unreadable();
  }
  for (int f = 0; f < kFields; ++f) {
    if (count > 1) SortUnique(&ctx->scratch[f]);
    if (tf != nullptr) tf[f] = static_cast<uint32_t>(ctx->scratch[f].size());
  }
  return absl::OkStatus();
}

// The number of distinct positions per field over `n` postings of one
// document (at most kMaxMerged), read straight from their delta lists.
// Fixed arrays: this runs for most documents a word with several variants
// matches, and InlinedVectors for any number made ranking 10-20 % slower;
// more postings than this (more variants of one word in one document) take
// UnionPositions.
constexpr size_t kMaxMerged = 5;

bool CountDistinctPositions(const PostingHeader* const* headers, size_t n, uint32_t* tf) {
  VarintReader readers[kMaxMerged];
  for (size_t k = 0; k < n; ++k) readers[k] = VarintReader(headers[k]->positions);
  for (int f = 0; f < kFields; ++f) {
    // Each list's next position and how many of its positions are left.
    uint32_t at[kMaxMerged], left[kMaxMerged];
    size_t live = 0;
    for (size_t k = 0; k < n; ++k) {
      left[k] = headers[k]->all[f];
      at[k] = 0;
      if (left[k] > 0) {
        uint32_t d = 0;
        if (!readers[k].Read32(&d)) return false;
        at[k] = d;
        ++live;
      }
    }
    uint32_t distinct = 0;
    while (live > 0) {
      uint32_t low = UINT32_MAX;
      for (size_t k = 0; k < n; ++k) {
        if (left[k] > 0) low = std::min(low, at[k]);
      }
      ++distinct;
      for (size_t k = 0; k < n; ++k) {
        while (left[k] > 0 && at[k] == low) {
          if (--left[k] == 0) {
            --live;
            break;
          }
          uint32_t d = 0;
          if (!readers[k].Read32(&d)) return false;
          at[k] += d;
        }
      }
    }
    tf[f] = distinct;
  }
  return true;
}

// How often a word occurs in each field of a document: the occurrences of
// its one posting, or the distinct positions of several (a token that is two
// variants of the word counts once). Positions are read only when two
// postings occur in one field. `first` is the decoded header of the
// document's first posting.
absl::Status WordTf(SearchContext* ctx, const std::vector<Posting>& postings, const Match& m,
                    const PostingHeader& first, uint32_t* tf) {
  std::copy(std::begin(first.all), std::end(first.all), tf);
  if (m.count == 1) return absl::OkStatus();
  if (m.count > kMaxMerged) return UnionPositions(ctx, postings, m.first, m.count, tf);
  PostingHeader others[kMaxMerged - 1];
  const PostingHeader* headers[kMaxMerged] = {&first};
  bool overlap = false;
  for (size_t k = 1; k < m.count; ++k) {
    if (!DecodeHeader(postings[m.first + k].value(), &others[k - 1])) return Unreadable();
    headers[k] = &others[k - 1];
    for (int f = 0; f < kFields; ++f) {
      overlap |= tf[f] > 0 && others[k - 1].all[f] > 0;
      tf[f] += others[k - 1].all[f];
    }
  }
  if (overlap && !CountDistinctPositions(headers, m.count, tf)) return Unreadable();
  return absl::OkStatus();
}

// Evaluates one clause: its postings and the documents it matches.
absl::StatusOr<Clause> CollectClause(SearchContext* ctx, const text::QueryClause& clause) {
  Clause out;
  const bool prefix = clause.kind == text::QueryClause::Kind::kPrefix;
  out.words.resize(clause.words.size());
  for (size_t w = 0; w < clause.words.size(); ++w) {
    if (auto st = WordPostings(ctx, clause.words[w], prefix, &out.words[w]); !st.ok()) return st;
  }
  const std::vector<Posting>& first = out.words[0];
  if (clause.kind == text::QueryClause::Kind::kWord) {
    out.plain_word = true;
    for (size_t i = 0; i < first.size(); ++i) out.docs += i == 0 || !SameDoc(first[i], first[i - 1]);
    return out;
  }
  if (prefix) {
    // Distinct terms are distinct written forms: their occurrences add up.
    for (size_t i = 0; i < first.size();) {
      const size_t j = GroupEnd(first, i);
      Match m{first[i].doc(), static_cast<uint32_t>(i), static_cast<uint32_t>(j - i), true};
      bool any = false;
      for (size_t k = i; k < j; ++k) {
        PostingHeader h;
        if (!DecodeHeader(first[k].value(), &h)) return Unreadable();
        for (int f = 0; f < kFields; ++f) {
          m.tf[f] += h.surface[f];
          any |= h.surface[f] > 0;
        }
      }
      if (any) out.matches.push_back(m);  // else only a stem had the prefix
      i = j;
    }
    return out;
  }
  // A phrase: every word at consecutive positions within one field.
  const size_t n = out.words.size();
  std::vector<size_t> at(n, 0);
  std::vector<std::pair<size_t, size_t>> range(n);  // each word's postings of the document
  std::vector<std::array<std::vector<uint32_t>, kFields>> positions(n);
  for (size_t i = 0; i < first.size();) {
    const size_t j = GroupEnd(first, i);
    const DocKey doc = first[i].doc();
    range[0] = {i, j};
    bool in_all = true;
    for (size_t w = 1; w < n && in_all; ++w) {
      const auto& postings = out.words[w];
      const auto b = static_cast<size_t>(GallopLowerBound(postings.begin() + static_cast<std::ptrdiff_t>(at[w]),
                                                          postings.end(), doc, ByDoc()) -
                                         postings.begin());
      at[w] = b;
      in_all = b < postings.size() && IsDoc(postings[b], doc);
      if (in_all) range[w] = {b, GroupEnd(postings, b)};
    }
    // Positions are decoded only for documents that have every word.
    for (size_t w = 0; w < n && in_all; ++w) {
      const auto [b, e] = range[w];
      if (auto st = UnionPositions(ctx, out.words[w], b, e - b); !st.ok()) return st;
      positions[w] = ctx->scratch;
    }
    if (in_all) {
      Match m{doc, static_cast<uint32_t>(i), static_cast<uint32_t>(j - i), true};
      bool found = false;
      for (int f = 0; f < kFields; ++f) {
        for (uint32_t start : positions[0][f]) {
          bool ok = true;
          for (size_t w = 1; w < n && ok; ++w) {
            const auto& p = positions[w][f];
            ok = std::binary_search(p.begin(), p.end(), start + static_cast<uint32_t>(w));
          }
          if (ok) {
            ++m.tf[f];
            found = true;
          }
        }
      }
      if (found) out.matches.push_back(m);
    }
    i = j;
  }
  return out;
}

// The lead and body positions of every word of the required clauses in one
// document: the words its snippet marks.
absl::Status SnippetPositions(SearchContext* ctx, const std::vector<Clause>& clauses, const DocKey& doc,
                              std::vector<uint32_t>* lead, std::vector<uint32_t>* body) {
  constexpr int kLead = 1, kBody = 2;
  for (const Clause& c : clauses) {
    for (const auto& postings : c.words) {
      auto range = std::equal_range(postings.begin(), postings.end(), doc, ByDoc());
      if (range.first == range.second) continue;
      const auto b = static_cast<size_t>(range.first - postings.begin());
      if (auto st = UnionPositions(ctx, postings, b, static_cast<size_t>(range.second - range.first)); !st.ok()) {
        return st;
      }
      lead->insert(lead->end(), ctx->scratch[kLead].begin(), ctx->scratch[kLead].end());
      body->insert(body->end(), ctx->scratch[kBody].begin(), ctx->scratch[kBody].end());
    }
  }
  SortUnique(lead);
  SortUnique(body);
  return absl::OkStatus();
}

// True when the filter names a field the postings do not carry.
bool FilterNeedsRecord(const query::Node& node) {
  if (node.kind == query::Node::Kind::kCompare) return node.field != "state" && node.field != "publish_time";
  for (const auto& c : node.children) {
    if (FilterNeedsRecord(c)) return true;
  }
  return false;
}

Article::State EffectiveState(const DocInfo& doc, int64_t now_micros) {
  if (doc.state == Article::STATE_SCHEDULED && doc.has_publish && doc.publish <= now_micros) {
    return Article::STATE_PUBLISHED;
  }
  return doc.state;
}

// A ranked candidate: best score first, then newer publish time, then name.
struct Ranked {
  double score;
  int64_t publish;
  DocKey doc;
};

bool Better(const Ranked& x, const Ranked& y) {
  if (x.score != y.score) return x.score > y.score;
  if (x.publish != y.publish) return x.publish > y.publish;
  return x.doc.id < y.doc.id;
}

// What ranking needs besides a slice's own postings.
struct RankInputs {
  const SearchRequest* request = nullptr;
  int64_t now_micros = 0;
  double avg_length[kFields] = {0, 0, 0, 0};
  std::vector<double> idf;  // per required clause, over the whole index
  bool mentions_state = false;
  bool needs_record = false;
  size_t keep = SIZE_MAX;  // the best this many of a slice can reach the page
};

// The search of one slice of the index (see SearchContext).
struct Slice {
  Slice(const kv::Database& db, const kv::Snapshot* snapshot, uint8_t first_bucket, uint8_t end_bucket)
      : ctx{.db = db, .snapshot = snapshot, .first_bucket = first_bucket, .end_bucket = end_bucket} {}

  // Every clause's postings and matching documents.
  absl::Status Collect(const text::Query& query) {
    for (const auto& clause : query.required) {
      auto c = CollectClause(&ctx, clause);
      if (!c.ok()) return c.status();
      if (!c->plain_word) c->docs = c->matches.size();
      required.push_back(*std::move(c));
    }
    for (const auto& clause : query.excluded) {
      auto c = CollectClause(&ctx, clause);
      if (!c.ok()) return c.status();
      ClauseCursor cursor(*c);
      for (Match x; cursor.Next(&x);) excluded.push_back(x.doc);
    }
    std::sort(excluded.begin(), excluded.end());
    return absl::OkStatus();
  }

  // Scores the documents in every required clause and in no excluded one
  // that the state and filter admit; keeps the best `in.keep` in `ranked`.
  absl::Status Rank(const RankInputs& in) {
    const SearchRequest& request = *in.request;
    // Walk the clause with the fewest documents; find each of them in the
    // others by a forward search (all lists are in document order), and read
    // frequencies only for documents in every clause.
    std::vector<size_t> order(required.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return required[x].docs < required[y].docs; });
    std::vector<ClauseCursor> cursors;
    for (const Clause& c : required) cursors.emplace_back(c);
    ranked.reserve(required[order[0]].docs);
    std::vector<Match> per_clause(required.size());
    const bool filter_on_postings =
        request.filter != nullptr && request.filter->kind != query::Node::Kind::kTrue && !in.needs_record;
    Article partial;  // what a posting says, for the filter
    Match& m = per_clause[order[0]];
    while (cursors[order[0]].Next(&m)) {
      if (std::binary_search(excluded.begin(), excluded.end(), m.doc)) continue;
      bool in_all = true;
      for (size_t k = 1; k < order.size() && in_all; ++k) {
        in_all = cursors[order[k]].Find(m.doc, &per_clause[order[k]]);
      }
      if (!in_all) continue;
      // Any posting of the document says what ranking and filtering need.
      PostingHeader h;
      if (!DecodeHeader(required[order[0]].words[0][m.first].value(), &h)) return Unreadable();
      const Article::State state = EffectiveState(h.doc, in.now_micros);
      if (request.default_to_published && !in.mentions_state && state != Article::STATE_PUBLISHED) continue;
      if (filter_on_postings) {
        // The filter names only what the posting carries.
        if (h.doc.has_publish) {
          ToProtoTime(absl::FromUnixMicros(h.doc.publish), partial.mutable_publish_time());
        } else {
          partial.clear_publish_time();
        }
        if (!ArticleMatches(*request.filter, partial, state)) continue;
      }
      double score = 0;
      for (size_t c = 0; c < required.size(); ++c) {
        const Match& cm = per_clause[c];
        uint32_t tf[kFields];
        if (cm.has_tf) {
          std::copy(std::begin(cm.tf), std::end(cm.tf), tf);
        } else {
          PostingHeader other;
          const PostingHeader* first = &h;  // the driving clause's, decoded above
          if (c != order[0]) {
            if (!DecodeHeader(required[c].words[0][cm.first].value(), &other)) return Unreadable();
            first = &other;
          }
          if (auto st = WordTf(&ctx, required[c].words[0], cm, *first, tf); !st.ok()) return st;
        }
        for (int f = 0; f < kFields; ++f) {
          score += text::Bm25WithIdf(in.idf[c], tf[f], h.doc.length[f], in.avg_length[f], kFieldWeights[f]);
        }
      }
      ranked.push_back({score, h.doc.has_publish ? h.doc.publish : 0, m.doc});
    }
    ranked_total = ranked.size();
    if (ranked.size() > in.keep) {
      std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(in.keep), ranked.end(), Better);
      ranked.resize(in.keep);
    }
    return absl::OkStatus();
  }

  SearchContext ctx;
  std::vector<Clause> required;
  std::vector<DocKey> excluded;
  std::vector<Ranked> ranked;
  size_t ranked_total = 0;  // before keeping the best
  absl::Status status;
};

}  // namespace

SearchLengths AppendSearchEntries(const Article& a, std::vector<std::pair<std::string, std::string>>* entries) {
  const std::string id = IdOf(a);
  const auto fields = Analyze(a);
  SearchLengths lengths;
  DocInfo doc;
  doc.state = a.state();
  doc.has_publish = a.has_publish_time();
  doc.publish = PublishMicros(a);
  std::map<absl::string_view, std::array<const text::IndexTerm*, kFields>> terms;
  for (int f = 0; f < kFields; ++f) {
    lengths.field[f] = fields[f].length;
    doc.length[f] = fields[f].length;
    for (const auto& t : fields[f].terms) {
      auto [it, inserted] = terms.try_emplace(t.term);
      if (inserted) it->second.fill(nullptr);
      it->second[f] = &t;
    }
  }
  for (const auto& [term, per_field] : terms) {
    // A term never holds a NUL (it ends the term in a block key); no
    // tokenised word has one.
    if (term.find('\0') != absl::string_view::npos) continue;
    entries->emplace_back(PostingKey(term, id), EncodePosting(doc, per_field));
  }
  return lengths;
}

std::vector<std::pair<std::string, int64_t>> SearchCounterDeltas(const SearchLengths* before,
                                                                 const SearchLengths* after) {
  int64_t docs = 0;
  int64_t lengths[kFields] = {0, 0, 0, 0};
  if (before != nullptr) {
    --docs;
    for (int f = 0; f < kFields; ++f) lengths[f] -= before->field[f];
  }
  if (after != nullptr) {
    ++docs;
    for (int f = 0; f < kFields; ++f) lengths[f] += after->field[f];
  }
  std::vector<std::pair<std::string, int64_t>> out = {{kDocsCounter, docs}};
  for (int f = 0; f < kFields; ++f) out.emplace_back(LengthCounter(f), lengths[f]);
  return out;
}

bool FilterMentionsState(const query::Node& node) {
  if (node.kind == query::Node::Kind::kCompare) return node.field == "state";
  for (const auto& c : node.children) {
    if (FilterMentionsState(c)) return true;
  }
  return false;
}

void PutArticleIndexEntry(kv::WriteBatch& batch, absl::string_view key, absl::string_view value) {
  absl::string_view block, id;
  if (SplitPostingKey(key, &block, &id)) {
    batch.PutSetEntry(kSearchCf, block, id, value);
  } else {
    batch.Put(kIndexesCf, key, value);
  }
}

void DeleteArticleIndexEntry(kv::WriteBatch& batch, absl::string_view key) {
  absl::string_view block, id;
  if (SplitPostingKey(key, &block, &id)) {
    batch.RemoveSetEntry(kSearchCf, block, id);
  } else {
    batch.Delete(kIndexesCf, key);
  }
}

absl::StatusOr<std::map<std::string, std::string>> ReadArticleIndexEntries(const kv::Database& db) {
  std::map<std::string, std::string> out;
  auto snapshot = db.GetSnapshot();
  auto it = db.Scan(kIndexesCf, "", "", snapshot.get());
  for (; it->Valid(); it->Next()) out.emplace(it->key(), it->value());
  if (!it->status().ok()) return it->status();
  for (it = db.Scan(kSearchCf, "", "", snapshot.get()); it->Valid(); it->Next()) {
    kv::SetEntryReader entries(it->value());
    absl::string_view id, value;
    bool removal = false;
    while (entries.Next(&id, &value, &removal)) {
      if (removal) return Unreadable();
      out.emplace(absl::StrCat(std::string(1, kSearchPostings), it->key(), id), value);
    }
    if (!entries.ok()) return Unreadable();
  }
  if (!it->status().ok()) return it->status();
  return out;
}

absl::StatusOr<SearchPage> SearchArticles(const kv::Database& db, Clock* clock, const SearchRequest& request) {
  auto parsed = text::ParseQuery(request.query);
  if (!parsed.ok()) return parsed.status();
  const absl::Time now = clock->Now();
  auto snapshot = db.GetSnapshot();

  auto doc_count = db.GetInt64(kCountersCf, kDocsCounter, snapshot.get());
  if (!doc_count.ok()) return doc_count.status();
  RankInputs in;
  in.request = &request;
  in.now_micros = absl::ToUnixMicros(now);
  for (int f = 0; f < kFields; ++f) {
    auto total = db.GetInt64(kCountersCf, LengthCounter(f), snapshot.get());
    if (!total.ok()) return total.status();
    in.avg_length[f] = *doc_count > 0 ? static_cast<double>(*total) / static_cast<double>(*doc_count) : 0;
  }
  const uint64_t docs = static_cast<uint64_t>(std::max<int64_t>(*doc_count, 0));
  in.mentions_state = request.filter != nullptr && FilterMentionsState(*request.filter);
  in.needs_record = request.filter != nullptr && FilterNeedsRecord(*request.filter);
  const size_t offset = static_cast<size_t>(std::max(request.offset, 0));
  const size_t want = offset + static_cast<size_t>(std::max(request.page_size, 0));
  in.keep = in.needs_record ? SIZE_MAX : want;

  // The index is searched in slices of buckets, at once when a pool helps:
  // a document's postings are all in its bucket, so each slice matches and
  // ranks its documents on its own. Only the clauses' document counts (for
  // IDF) need every slice, and the best of each slice make the page.
  // One slice per thread: every slice opens an iterator and seeks into each
  // term, so more slices than threads cost CPU (a two-word search split in
  // four took 27 % more than in one) for a balance that measured no better.
  kv::ForkJoinPool* pool = request.pool;
  const size_t slices = pool == nullptr ? 1 : std::min<size_t>(8, pool->helpers() + 1);
  auto run = [&](size_t n, const std::function<void(size_t)>& body) {
    if (n > 1 && pool != nullptr) {
      pool->Run(n, body);
    } else {
      for (size_t i = 0; i < n; ++i) body(i);
    }
  };
  std::vector<std::unique_ptr<Slice>> parts;
  for (size_t i = 0; i < slices; ++i) {
    parts.push_back(std::make_unique<Slice>(db, snapshot.get(), static_cast<uint8_t>(i * kSearchBuckets / slices),
                                            static_cast<uint8_t>((i + 1) * kSearchBuckets / slices)));
  }
  auto first_error = [&]() {
    for (const auto& part : parts) {
      if (!part->status.ok()) return part->status;
    }
    return absl::OkStatus();
  };
  run(slices, [&](size_t i) { parts[i]->status = parts[i]->Collect(*parsed); });
  if (auto st = first_error(); !st.ok()) return st;
  in.idf.resize(parsed->required.size());
  for (size_t c = 0; c < in.idf.size(); ++c) {
    uint64_t matched = 0;
    for (const auto& part : parts) matched += part->required[c].docs;
    in.idf[c] = text::Bm25Idf(matched, docs);
  }
  run(slices, [&](size_t i) { parts[i]->status = parts[i]->Rank(in); });
  if (auto st = first_error(); !st.ok()) return st;

  // The page: only its records are read (and, for a filter on other fields,
  // the records of the candidates ranked above its end).
  std::vector<Ranked> ranked;
  size_t total = 0;
  for (const auto& part : parts) {
    ranked.insert(ranked.end(), part->ranked.begin(), part->ranked.end());
    total += part->ranked_total;
  }
  auto load = [&](absl::string_view id, Article* a) -> absl::StatusOr<bool> {
    auto record = db.Get(kRecordsCf, absl::StrCat(std::string(1, kArticleKind), id), snapshot.get());
    if (!record.ok()) return record.status();
    if (!record->has_value()) return false;
    if (!a->ParseFromString(**record)) {
      return absl::DataLossError(absl::StrCat("stored article ", ArticleName(id), " is unreadable"));
    }
    a->set_state(EffectiveState(*a, now));
    return true;
  };
  struct Chosen {
    Ranked r;
    absl::StatusOr<bool> found = false;
    SearchHit hit;
  };
  std::vector<Chosen> chosen;
  SearchPage page;
  if (!in.needs_record) {
    const size_t end = std::min(ranked.size(), want);
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(end), ranked.end(), Better);
    for (size_t i = std::min(offset, end); i < end; ++i) chosen.push_back({ranked[i]});
    run(chosen.size(), [&](size_t i) {
      Chosen& c = chosen[i];
      c.found = load(c.r.doc.id, &c.hit.article);
    });
    if (end < total) page.next_offset = static_cast<int>(end);
  } else {
    std::sort(ranked.begin(), ranked.end(), Better);
    size_t passed = 0;
    for (const Ranked& r : ranked) {
      Article a;
      auto found = load(r.doc.id, &a);
      if (!found.ok()) return found.status();
      if (!*found || !ArticleMatches(*request.filter, a, a.state())) continue;
      if (passed == want) {
        page.next_offset = static_cast<int>(want);
        break;
      }
      if (passed++ >= offset) {
        chosen.push_back({r, true});
        chosen.back().hit.article = std::move(a);
      }
    }
  }
  for (const Chosen& c : chosen) {
    if (!c.found.ok()) return c.found.status();
  }

  // Snippets: from the body, or the lead when only the lead has a match (or
  // there is no body). The matched words are the positions the postings
  // hold: the text is word-broken again, not analysed.
  std::vector<absl::Status> snippet_status(chosen.size());
  run(chosen.size(), [&](size_t i) {
    Chosen& c = chosen[i];
    if (!*c.found) return;
    const uint8_t bucket = BucketOfKey(c.r.doc);
    const Slice& part = **std::find_if(parts.begin(), parts.end(), [&](const auto& p) {
      return bucket >= p->ctx.first_bucket && bucket < p->ctx.end_bucket;
    });
    SearchContext ctx{.db = db, .snapshot = snapshot.get()};
    std::vector<uint32_t> lead, body;
    snippet_status[i] = SnippetPositions(&ctx, part.required, c.r.doc, &lead, &body);
    if (!snippet_status[i].ok()) return;
    const Article& a = c.hit.article;
    if (body.empty() && !a.lead().empty() && (!lead.empty() || a.body().empty())) {
      c.hit.snippet = text::SnippetAt(a.lead(), lead);
    } else {
      c.hit.snippet = text::SnippetAt(a.body(), body);
    }
    c.hit.score = c.r.score;
  });
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (!snippet_status[i].ok()) return snippet_status[i];
    if (*chosen[i].found) page.hits.push_back(std::move(chosen[i].hit));
  }
  return page;
}

}  // namespace newsdesk::content
