#include "storage/content/article_search.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

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

std::string LengthCounter(int field) { return absl::StrCat("search/length/", kFieldNames[field]); }

std::string IdOf(const Article& a) { return a.name().substr(sizeof("articles/") - 1); }

std::string PostingKey(absl::string_view term, absl::string_view id) {
  std::string k(1, kSearchPostings);
  k.append(term.data(), term.size());
  k.push_back('\0');
  k.append(id.data(), id.size());
  return k;
}

std::string DocKey(absl::string_view id) {
  std::string k(1, kSearchDocs);
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

// One article's occurrences of one term (or of a clause).
struct FieldPositions {
  std::vector<uint32_t> all[kFields];
  std::vector<uint32_t> surface[kFields];
};

void AppendList(std::string* out, const std::vector<uint32_t>& v) {
  kv::AppendU32(out, static_cast<uint32_t>(v.size()));
  for (uint32_t p : v) kv::AppendU32(out, p);
}

bool ReadList(kv::KeyReader* r, std::vector<uint32_t>* v) {
  uint32_t n = 0;
  if (!r->ReadU32(&n) || n > (1u << 24)) return false;
  v->resize(n);
  for (auto& p : *v) {
    if (!r->ReadU32(&p)) return false;
  }
  return true;
}

bool DecodePosting(absl::string_view value, FieldPositions* out) {
  kv::KeyReader r(value);
  for (int f = 0; f < kFields; ++f) {
    if (!ReadList(&r, &out->all[f]) || !ReadList(&r, &out->surface[f])) return false;
  }
  return r.empty();
}

bool Indexed(const Article* a) { return a != nullptr && a->state() != Article::STATE_DELETED; }

// Merges sorted position lists.
void MergeInto(std::vector<uint32_t>* into, const std::vector<uint32_t>& more) {
  std::vector<uint32_t> merged;
  std::set_union(into->begin(), into->end(), more.begin(), more.end(), std::back_inserter(merged));
  *into = std::move(merged);
}

struct ClauseMatches {
  std::unordered_map<std::string, FieldPositions> docs;  // id → positions of the clause
  std::set<std::string> matched_terms;                   // for snippets
};

// Occurrences of one query word (any of its variants), or of a prefix.
absl::Status CollectWord(const kv::Database& db, const kv::Snapshot* snap, const text::QueryWord& word,
                         bool prefix, ClauseMatches* out) {
  for (const std::string& variant : word.variants) {
    std::string scan_prefix(1, kSearchPostings);
    scan_prefix += variant;
    if (!prefix) scan_prefix.push_back('\0');
    auto it = db.Scan(kIndexesCf, scan_prefix, kv::PrefixSuccessor(scan_prefix), snap);
    for (; it->Valid(); it->Next()) {
      absl::string_view rest = it->key().substr(1);
      const size_t nul = rest.find('\0');
      if (nul == absl::string_view::npos) continue;
      FieldPositions posting;
      if (!DecodePosting(it->value(), &posting)) return absl::DataLossError("a search posting is unreadable");
      const std::string term(rest.substr(0, nul));
      auto& doc = out->docs[std::string(rest.substr(nul + 1))];
      for (int f = 0; f < kFields; ++f) {
        // A prefix matches surface forms only ("almat*" is about what was
        // written, not about stems).
        MergeInto(&doc.all[f], prefix ? posting.surface[f] : posting.all[f]);
      }
      out->matched_terms.insert(term);
    }
    if (auto st = it->status(); !st.ok()) return st;
  }
  if (prefix) {
    // Drop documents where only a stem (not a written form) had the prefix.
    for (auto it = out->docs.begin(); it != out->docs.end();) {
      bool any = false;
      for (int f = 0; f < kFields; ++f) any |= !it->second.all[f].empty();
      it = any ? std::next(it) : out->docs.erase(it);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ClauseMatches> CollectClause(const kv::Database& db, const kv::Snapshot* snap,
                                            const text::QueryClause& clause) {
  ClauseMatches result;
  if (clause.kind != text::QueryClause::Kind::kPhrase) {
    if (auto st = CollectWord(db, snap, clause.words[0], clause.kind == text::QueryClause::Kind::kPrefix, &result);
        !st.ok()) {
      return st;
    }
    return result;
  }
  // A phrase: every word at consecutive positions within one field.
  std::vector<ClauseMatches> words(clause.words.size());
  for (size_t i = 0; i < clause.words.size(); ++i) {
    if (auto st = CollectWord(db, snap, clause.words[i], false, &words[i]); !st.ok()) return st;
    result.matched_terms.insert(words[i].matched_terms.begin(), words[i].matched_terms.end());
  }
  for (const auto& [id, first] : words[0].docs) {
    FieldPositions phrase;
    bool found = false;
    for (int f = 0; f < kFields; ++f) {
      for (uint32_t start : first.all[f]) {
        bool ok = true;
        for (size_t i = 1; i < words.size() && ok; ++i) {
          auto it = words[i].docs.find(id);
          ok = it != words[i].docs.end() &&
               std::binary_search(it->second.all[f].begin(), it->second.all[f].end(),
                                  start + static_cast<uint32_t>(i));
        }
        if (ok) {
          phrase.all[f].push_back(start);
          found = true;
        }
      }
    }
    if (found) result.docs.emplace(id, std::move(phrase));
  }
  return result;
}

int64_t PublishMicros(const Article& a) {
  return a.has_publish_time() ? absl::ToUnixMicros(FromProtoTime(a.publish_time())) : 0;
}

}  // namespace

void AppendSearchEntries(const Article& a, std::vector<std::pair<std::string, std::string>>* entries) {
  const std::string id = IdOf(a);
  const auto fields = Analyze(a);
  std::map<std::string, FieldPositions> postings;
  std::string doc;
  for (int f = 0; f < kFields; ++f) {
    kv::AppendU32(&doc, fields[f].length);
    for (const auto& t : fields[f].terms) {
      auto& p = postings[t.term];
      p.all[f] = t.positions;
      p.surface[f] = t.surface_positions;
    }
  }
  for (const auto& [term, p] : postings) {
    std::string value;
    for (int f = 0; f < kFields; ++f) {
      AppendList(&value, p.all[f]);
      AppendList(&value, p.surface[f]);
    }
    entries->emplace_back(PostingKey(term, id), std::move(value));
  }
  entries->emplace_back(DocKey(id), std::move(doc));
}

std::vector<std::pair<std::string, int64_t>> SearchCounterDeltas(const Article* before, const Article* after) {
  int64_t docs = 0;
  int64_t lengths[kFields] = {0, 0, 0, 0};
  if (Indexed(before)) {
    --docs;
    const auto fields = Analyze(*before);
    for (int f = 0; f < kFields; ++f) lengths[f] -= fields[f].length;
  }
  if (Indexed(after)) {
    ++docs;
    const auto fields = Analyze(*after);
    for (int f = 0; f < kFields; ++f) lengths[f] += fields[f].length;
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
  auto snapshot = db.GetSnapshot();

  auto doc_count = db.GetInt64(kCountersCf, kDocsCounter, snapshot.get());
  if (!doc_count.ok()) return doc_count.status();
  double avg_length[kFields];
  for (int f = 0; f < kFields; ++f) {
    auto total = db.GetInt64(kCountersCf, LengthCounter(f), snapshot.get());
    if (!total.ok()) return total.status();
    avg_length[f] = *doc_count > 0 ? static_cast<double>(*total) / static_cast<double>(*doc_count) : 0;
  }

  std::vector<ClauseMatches> required;
  for (const auto& clause : parsed->required) {
    auto m = CollectClause(db, snapshot.get(), clause);
    if (!m.ok()) return m.status();
    required.push_back(*std::move(m));
  }
  std::set<std::string> excluded;
  for (const auto& clause : parsed->excluded) {
    auto m = CollectClause(db, snapshot.get(), clause);
    if (!m.ok()) return m.status();
    for (const auto& [id, unused] : m->docs) excluded.insert(id);
  }
  // Candidates: in every required clause (walk the smallest), in no excluded one.
  size_t smallest = 0;
  for (size_t i = 1; i < required.size(); ++i) {
    if (required[i].docs.size() < required[smallest].docs.size()) smallest = i;
  }
  std::set<std::string> matched_terms;
  for (const auto& r : required) matched_terms.insert(r.matched_terms.begin(), r.matched_terms.end());

  std::vector<SearchHit> hits;
  for (const auto& [id, unused] : required[smallest].docs) {
    if (excluded.count(id) > 0) continue;
    bool in_all = true;
    for (const auto& r : required) in_all = in_all && r.docs.count(id) > 0;
    if (!in_all) continue;

    auto record = db.Get(kRecordsCf, absl::StrCat(std::string(1, kArticleKind), id), snapshot.get());
    if (!record.ok()) return record.status();
    if (!record->has_value()) continue;
    Article a;
    if (!a.ParseFromString(**record)) {
      return absl::DataLossError(absl::StrCat("stored article ", ArticleName(id), " is unreadable"));
    }
    const Article::State state = EffectiveState(a, now);
    if (state == Article::STATE_DELETED) continue;
    if (request.default_to_published && (request.filter == nullptr || !FilterMentionsState(*request.filter)) &&
        state != Article::STATE_PUBLISHED) {
      continue;
    }
    if (request.filter != nullptr && !ArticleMatches(*request.filter, a, state)) continue;

    auto doc = db.Get(kIndexesCf, DocKey(id), snapshot.get());
    if (!doc.ok()) return doc.status();
    uint32_t length[kFields] = {0, 0, 0, 0};
    if (doc->has_value()) {
      kv::KeyReader r(**doc);
      for (auto& l : length) r.ReadU32(&l);
    }
    double score = 0;
    for (const auto& r : required) {
      const uint64_t df = r.docs.size();
      const auto& pos = r.docs.at(id);
      for (int f = 0; f < kFields; ++f) {
        score += text::Bm25(static_cast<uint32_t>(pos.all[f].size()), df, static_cast<uint64_t>(*doc_count),
                            length[f], avg_length[f], kFieldWeights[f]);
      }
    }
    a.set_state(state);
    SearchHit hit;
    hit.score = score;
    hit.article = std::move(a);
    hits.push_back(std::move(hit));
  }
  std::sort(hits.begin(), hits.end(), [](const SearchHit& x, const SearchHit& y) {
    if (x.score != y.score) return x.score > y.score;
    const int64_t px = PublishMicros(x.article), py = PublishMicros(y.article);
    if (px != py) return px > py;
    return x.article.name() < y.article.name();
  });

  SearchPage page;
  const size_t begin = std::min(hits.size(), static_cast<size_t>(std::max(request.offset, 0)));
  const size_t end = std::min(hits.size(), begin + static_cast<size_t>(request.page_size));
  for (size_t i = begin; i < end; ++i) {
    SearchHit& hit = hits[i];
    const Article& a = hit.article;
    // The snippet comes from the body, or the lead when the body has no match.
    std::string snippet = text::Snippet(a.body(), matched_terms);
    if (snippet.find("<mark>") == std::string::npos && !a.lead().empty()) {
      std::string lead = text::Snippet(a.lead(), matched_terms);
      if (lead.find("<mark>") != std::string::npos || a.body().empty()) snippet = std::move(lead);
    }
    hit.snippet = std::move(snippet);
    page.hits.push_back(std::move(hit));
  }
  if (end < hits.size()) page.next_offset = static_cast<int>(end);
  return page;
}

}  // namespace newsdesk::content
