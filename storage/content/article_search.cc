#include "storage/content/article_search.h"

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "storage/content/article_store.h"
#include "storage/content/schema.h"
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
// A posting's state byte: the stored state of a live article.
constexpr char kPostingDraft = 'D';
constexpr char kPostingScheduled = 'S';
constexpr char kPostingPublished = 'P';
// No document has this many tokens in one field (request limits are far lower).
constexpr uint32_t kMaxPositions = 1u << 24;

std::string LengthCounter(int field) { return absl::StrCat("search/length/", kFieldNames[field]); }

std::string IdOf(const Article& a) { return a.name().substr(sizeof("articles/") - 1); }

std::string PostingKey(absl::string_view term, absl::string_view id) {
  std::string k(1, kSearchPostings);
  k.append(term.data(), term.size());
  k.push_back('\0');
  k.append(id.data(), id.size());
  return k;
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
  const char* p_;
  const char* end_;
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
  v.push_back(doc.state == Article::STATE_PUBLISHED   ? kPostingPublished
              : doc.state == Article::STATE_SCHEDULED ? kPostingScheduled
                                                      : kPostingDraft);
  PutVarint(&v, doc.has_publish ? ZigZag(doc.publish) + 1 : 0);
  for (uint32_t l : doc.length) PutVarint(&v, l);
  for (const text::IndexTerm* t : terms) {
    PutVarint(&v, t == nullptr ? 0 : t->positions.size());
    PutVarint(&v, t == nullptr ? 0 : t->surface_positions.size());
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
  char state = 0;
  uint64_t publish = 0;
  if (!r.Byte(&state) || !r.Read(&publish)) return false;
  switch (state) {
    case kPostingDraft: out->doc.state = Article::STATE_DRAFT; break;
    case kPostingScheduled: out->doc.state = Article::STATE_SCHEDULED; break;
    case kPostingPublished: out->doc.state = Article::STATE_PUBLISHED; break;
    default: return false;
  }
  out->doc.has_publish = publish != 0;
  out->doc.publish = publish == 0 ? 0 : UnZigZag(publish - 1);
  for (auto& l : out->doc.length) {
    if (!r.Read32(&l)) return false;
  }
  for (int f = 0; f < kFields; ++f) {
    if (!r.Read32(&out->all[f]) || !r.Read32(&out->surface[f]) || out->surface[f] > out->all[f]) return false;
  }
  out->positions = r.rest();
  return true;
}

// Adds the positions of every field of a posting to `into` (sorted, unique).
bool MergePositions(const PostingHeader& h, std::array<std::vector<uint32_t>, kFields>* into) {
  VarintReader r(h.positions);
  for (int f = 0; f < kFields; ++f) {
    std::vector<uint32_t> mine(h.all[f]);
    uint32_t at = 0;
    for (auto& p : mine) {
      uint32_t delta = 0;
      if (!r.Read32(&delta)) return false;
      at += delta;
      p = at;
    }
    if ((*into)[f].empty()) {
      (*into)[f] = std::move(mine);
    } else if (!mine.empty()) {
      std::vector<uint32_t> merged;
      std::set_union((*into)[f].begin(), (*into)[f].end(), mine.begin(), mine.end(), std::back_inserter(merged));
      (*into)[f] = std::move(merged);
    }
  }
  return true;
}

absl::Status Unreadable() { return absl::DataLossError("a search posting is unreadable; rebuild the indexes"); }

// ---------------------------------------------------------------------------
// Matching

// Stable storage for the ids and values read during one search.
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

// One posting read from the index.
struct Posting {
  absl::string_view id;
  absl::string_view value;
};

// One document matching one clause.
struct Match {
  absl::string_view id;
  DocInfo doc;
  uint32_t tf[kFields] = {0, 0, 0, 0};
};

bool ById(const Match& m, absl::string_view id) { return m.id < id; }

const Match* FindMatch(const std::vector<Match>& matches, absl::string_view id) {
  auto it = std::lower_bound(matches.begin(), matches.end(), id, ById);
  return it != matches.end() && it->id == id ? &*it : nullptr;
}

struct SearchContext {
  const kv::Database& db;
  const kv::Snapshot* snapshot;
  Arena arena;
  std::set<std::string> matched_terms;  // index terms of required clauses, for snippets
};

// Appends the postings of `term` (or, for a prefix, of every term starting
// with it) to `out`, in key order.
absl::Status ScanPostings(SearchContext* ctx, absl::string_view term, bool prefix, bool record_terms,
                          std::vector<Posting>* out) {
  std::string scan_prefix(1, kSearchPostings);
  scan_prefix.append(term.data(), term.size());
  if (!prefix) scan_prefix.push_back('\0');
  auto it = ctx->db.Scan(kIndexesCf, scan_prefix, kv::PrefixSuccessor(scan_prefix), ctx->snapshot);
  absl::string_view last_term;
  for (; it->Valid(); it->Next()) {
    const absl::string_view rest = it->key().substr(1);
    const size_t nul = rest.find('\0');
    if (nul == absl::string_view::npos) continue;
    const absl::string_view key = ctx->arena.Copy(rest);
    if (record_terms && key.substr(0, nul) != last_term) {
      last_term = key.substr(0, nul);
      ctx->matched_terms.emplace(last_term);
    }
    out->push_back({key.substr(nul + 1), ctx->arena.Copy(it->value())});
  }
  return it->status();
}

// The documents matching one word: postings of any of its variants (the
// positions of several variants are merged, so a token that is two variants
// counts once), or of a prefix (written forms only).
absl::StatusOr<std::vector<Match>> CollectWord(SearchContext* ctx, const text::QueryWord& word, bool prefix,
                                               bool record_terms,
                                               std::vector<std::array<std::vector<uint32_t>, kFields>>* positions) {
  std::vector<Posting> postings;
  for (const std::string& variant : word.variants) {
    if (auto st = ScanPostings(ctx, variant, prefix, record_terms, &postings); !st.ok()) return st;
  }
  if (word.variants.size() > 1 || prefix) {
    std::stable_sort(postings.begin(), postings.end(),
                     [](const Posting& x, const Posting& y) { return x.id < y.id; });
  }
  std::vector<Match> matches;
  matches.reserve(postings.size());
  for (size_t i = 0; i < postings.size();) {
    size_t j = i + 1;
    while (j < postings.size() && postings[j].id == postings[i].id) ++j;
    Match m;
    m.id = postings[i].id;
    PostingHeader h;
    if (!DecodeHeader(postings[i].value, &h)) return Unreadable();
    m.doc = h.doc;
    std::array<std::vector<uint32_t>, kFields> merged;
    if (prefix) {
      // Distinct terms are distinct written forms: their occurrences add up.
      bool any = false;
      for (size_t k = i; k < j; ++k) {
        PostingHeader hk;
        if (k != i && !DecodeHeader(postings[k].value, &hk)) return Unreadable();
        const PostingHeader& use = k == i ? h : hk;
        for (int f = 0; f < kFields; ++f) {
          m.tf[f] += use.surface[f];
          any |= use.surface[f] > 0;
        }
      }
      i = j;
      if (!any) continue;  // only a stem had the prefix
    } else if (j - i == 1 && positions == nullptr) {
      for (int f = 0; f < kFields; ++f) m.tf[f] = h.all[f];
    } else {
      for (size_t k = i; k < j; ++k) {
        PostingHeader hk;
        if (!DecodeHeader(postings[k].value, &hk) || !MergePositions(hk, &merged)) return Unreadable();
      }
      for (int f = 0; f < kFields; ++f) m.tf[f] = static_cast<uint32_t>(merged[f].size());
    }
    i = j;
    matches.push_back(m);
    if (positions != nullptr) positions->push_back(std::move(merged));
  }
  return matches;
}

// The documents matching one clause, sorted by id.
absl::StatusOr<std::vector<Match>> CollectClause(SearchContext* ctx, const text::QueryClause& clause,
                                                 bool record_terms) {
  if (clause.kind != text::QueryClause::Kind::kPhrase) {
    return CollectWord(ctx, clause.words[0], clause.kind == text::QueryClause::Kind::kPrefix, record_terms,
                       nullptr);
  }
  // A phrase: every word at consecutive positions within one field.
  std::vector<std::vector<Match>> words(clause.words.size());
  std::vector<std::vector<std::array<std::vector<uint32_t>, kFields>>> positions(clause.words.size());
  for (size_t i = 0; i < clause.words.size(); ++i) {
    auto m = CollectWord(ctx, clause.words[i], false, record_terms, &positions[i]);
    if (!m.ok()) return m.status();
    words[i] = *std::move(m);
  }
  std::vector<Match> result;
  for (size_t d = 0; d < words[0].size(); ++d) {
    const Match& first = words[0][d];
    std::vector<const std::array<std::vector<uint32_t>, kFields>*> at = {&positions[0][d]};
    for (size_t i = 1; i < words.size(); ++i) {
      auto it = std::lower_bound(words[i].begin(), words[i].end(), first.id, ById);
      if (it == words[i].end() || it->id != first.id) break;
      at.push_back(&positions[i][static_cast<size_t>(it - words[i].begin())]);
    }
    if (at.size() != words.size()) continue;
    Match m;
    m.id = first.id;
    m.doc = first.doc;
    bool found = false;
    for (int f = 0; f < kFields; ++f) {
      for (uint32_t start : (*at[0])[f]) {
        bool ok = true;
        for (size_t i = 1; i < at.size() && ok; ++i) {
          const auto& p = (*at[i])[f];
          ok = std::binary_search(p.begin(), p.end(), start + static_cast<uint32_t>(i));
        }
        if (ok) {
          ++m.tf[f];
          found = true;
        }
      }
    }
    if (found) result.push_back(m);
  }
  return result;
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
  absl::string_view id;
};

bool Better(const Ranked& x, const Ranked& y) {
  if (x.score != y.score) return x.score > y.score;
  if (x.publish != y.publish) return x.publish > y.publish;
  return x.id < y.id;
}

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

absl::StatusOr<SearchPage> SearchArticles(const kv::Database& db, Clock* clock, const SearchRequest& request) {
  auto parsed = text::ParseQuery(request.query);
  if (!parsed.ok()) return parsed.status();
  const absl::Time now = clock->Now();
  const int64_t now_micros = absl::ToUnixMicros(now);
  auto snapshot = db.GetSnapshot();
  SearchContext ctx{.db = db, .snapshot = snapshot.get()};

  auto doc_count = db.GetInt64(kCountersCf, kDocsCounter, snapshot.get());
  if (!doc_count.ok()) return doc_count.status();
  double avg_length[kFields];
  for (int f = 0; f < kFields; ++f) {
    auto total = db.GetInt64(kCountersCf, LengthCounter(f), snapshot.get());
    if (!total.ok()) return total.status();
    avg_length[f] = *doc_count > 0 ? static_cast<double>(*total) / static_cast<double>(*doc_count) : 0;
  }

  // Every clause's matches, from the postings alone.
  std::vector<std::vector<Match>> required;
  for (const auto& clause : parsed->required) {
    auto m = CollectClause(&ctx, clause, /*record_terms=*/true);
    if (!m.ok()) return m.status();
    required.push_back(*std::move(m));
  }
  std::vector<absl::string_view> excluded;
  for (const auto& clause : parsed->excluded) {
    auto m = CollectClause(&ctx, clause, /*record_terms=*/false);
    if (!m.ok()) return m.status();
    for (const Match& x : *m) excluded.push_back(x.id);
  }
  std::sort(excluded.begin(), excluded.end());
  // Walk the smallest clause; look the candidates up in the others.
  std::vector<size_t> order(required.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return required[x].size() < required[y].size(); });

  const bool mentions_state = request.filter != nullptr && FilterMentionsState(*request.filter);
  const bool needs_record = request.filter != nullptr && FilterNeedsRecord(*request.filter);
  const uint64_t docs = static_cast<uint64_t>(std::max<int64_t>(*doc_count, 0));
  std::vector<Ranked> ranked;
  std::vector<const Match*> per_clause(required.size());
  for (const Match& m : required[order[0]]) {
    if (std::binary_search(excluded.begin(), excluded.end(), m.id)) continue;
    bool in_all = true;
    per_clause[order[0]] = &m;
    for (size_t k = 1; k < order.size() && in_all; ++k) {
      per_clause[order[k]] = FindMatch(required[order[k]], m.id);
      in_all = per_clause[order[k]] != nullptr;
    }
    if (!in_all) continue;
    const Article::State state = EffectiveState(m.doc, now_micros);
    if (request.default_to_published && !mentions_state && state != Article::STATE_PUBLISHED) continue;
    if (request.filter != nullptr && !needs_record) {
      // The filter names only what the posting carries.
      Article partial;
      if (m.doc.has_publish) ToProtoTime(absl::FromUnixMicros(m.doc.publish), partial.mutable_publish_time());
      if (!ArticleMatches(*request.filter, partial, state)) continue;
    }
    double score = 0;
    for (size_t c = 0; c < required.size(); ++c) {
      const uint64_t df = required[c].size();
      for (int f = 0; f < kFields; ++f) {
        if (per_clause[c]->tf[f] == 0) continue;
        score += text::Bm25(per_clause[c]->tf[f], df, docs, m.doc.length[f], avg_length[f], kFieldWeights[f]);
      }
    }
    ranked.push_back({score, m.doc.has_publish ? m.doc.publish : 0, m.id});
  }

  // The page: only its records are read (and, for a filter on other fields,
  // the records of the candidates ranked above its end).
  SearchPage page;
  const size_t offset = static_cast<size_t>(std::max(request.offset, 0));
  const size_t want = offset + static_cast<size_t>(std::max(request.page_size, 0));
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
  std::vector<std::pair<double, Article>> chosen;
  if (!needs_record) {
    const size_t end = std::min(ranked.size(), want);
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(end), ranked.end(), Better);
    for (size_t i = std::min(offset, end); i < end; ++i) {
      Article a;
      auto found = load(ranked[i].id, &a);
      if (!found.ok()) return found.status();
      if (*found) chosen.emplace_back(ranked[i].score, std::move(a));
    }
    if (end < ranked.size()) page.next_offset = static_cast<int>(end);
  } else {
    std::sort(ranked.begin(), ranked.end(), Better);
    size_t passed = 0;
    for (const Ranked& r : ranked) {
      Article a;
      auto found = load(r.id, &a);
      if (!found.ok()) return found.status();
      if (!*found || !ArticleMatches(*request.filter, a, a.state())) continue;
      if (passed == want) {
        page.next_offset = static_cast<int>(want);
        break;
      }
      if (passed++ >= offset) chosen.emplace_back(r.score, std::move(a));
    }
  }

  for (auto& [score, a] : chosen) {
    SearchHit hit;
    hit.score = score;
    // The snippet comes from the body, or the lead when the body has no match.
    std::string snippet = text::Snippet(a.body(), ctx.matched_terms);
    if (snippet.find("<mark>") == std::string::npos && !a.lead().empty()) {
      std::string lead = text::Snippet(a.lead(), ctx.matched_terms);
      if (lead.find("<mark>") != std::string::npos || a.body().empty()) snippet = std::move(lead);
    }
    hit.snippet = std::move(snippet);
    hit.article = std::move(a);
    page.hits.push_back(std::move(hit));
  }
  return page;
}

}  // namespace newsdesk::content
