// The full-text search index over articles and the search itself.
//
// Layout (kSearchCf, an entry_sets column family): for every live article and
// every index term of its title, lead, body and tags (text::AnalyzeForIndex:
// folded surface forms and folded hunspell stems), a posting, kept as one
// member of a block:
//   term + 0x00 + bucket → entry set of (article id → posting)
//   bucket := one byte, a fixed hash of the article id modulo kSearchBuckets
// so a term's postings are at most kSearchBuckets keys, read in one short
// scan and decoded in a tight loop, and every term lists the articles in the
// same order: (bucket, id). Writers add and remove their article's member
// with merge operands in the record's own batch: no read, no lock per term.
// A posting carries everything ranking and the default state filter need,
// so a search reads postings only and loads just the records of its page:
//   posting := (publish × 4 + state):varint  length:varint×4  fields:u8
//              (all:varint [surface:varint])×(fields with occurrences)  positions
//   publish   := 0 (none) or zigzag(publish time in µs) + 1
//   state     := 0 draft, 1 scheduled, 2 published (the stored state)
//   length    := tokens in the field (title, lead, body, tags): the BM25 length
//   fields    := bit f: the term occurs in field f; bit 4 + f: every
//                occurrence there is the written form (surface = all, omitted)
//   all       := occurrences of the term in the field (> 0); surface: those
//                where it is the written form, < all (prefix clauses match
//                written forms only)
//   positions := per field, the `all` ascending token positions,
//                delta-coded varints (read for phrases, words with several
//                variants in one document, and the page's snippets)
// A change of state or publish time rewrites the article's postings, in the
// same batch as the record. Counters (kCountersCf) hold the number of indexed
// articles and the total length of each field, for BM25.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "newsdesk/content/v1/article.pb.h"
#include "storage/kv/clock.h"
#include "storage/kv/database.h"
#include "storage/kv/fork_join.h"
#include "storage/query/filter.h"

namespace newsdesk::content {

using Article = ::newsdesk::content::v1::Article;

// Tokens per field (title, lead, body, tags) of an indexed article: what the
// BM25 counters add up.
struct SearchLengths {
  uint32_t field[4] = {0, 0, 0, 0};
};

inline constexpr int kSearchBuckets = 64;

// Adds the search postings of `article` (a live article) to `entries` and
// returns its field lengths. The text is analysed once here. A posting's
// entry key is kSearchPostings + block key + article id (see
// PutArticleIndexEntry).
SearchLengths AppendSearchEntries(const Article& article, std::vector<std::pair<std::string, std::string>>* entries);

// Writes one entry of ArticleIndexEntries to `batch`: a search posting as its
// article's member of a kSearchCf block, anything else as a kIndexesCf key.
void PutArticleIndexEntry(kv::WriteBatch& batch, absl::string_view key, absl::string_view value);
void DeleteArticleIndexEntry(kv::WriteBatch& batch, absl::string_view key);

// Every stored article index entry in the form ArticleIndexEntries lists
// them (kIndexesCf as stored, each search posting on its own): for checks that
// the indexes are exactly what the records imply.
absl::StatusOr<std::map<std::string, std::string>> ReadArticleIndexEntries(const kv::Database& db);

// Counter changes when an indexed article with `before` lengths (nullptr:
// none) becomes one with `after` lengths (nullptr: not indexed any more).
std::vector<std::pair<std::string, int64_t>> SearchCounterDeltas(const SearchLengths* before,
                                                                 const SearchLengths* after);

struct SearchHit {
  Article article;
  double score = 0;
  std::string snippet;
};

struct SearchPage {
  std::vector<SearchHit> hits;
  // Offset of the next page; 0 when this page is the last.
  int next_offset = 0;
};

struct SearchRequest {
  std::string query;                     // the query text (text::ParseQuery syntax)
  const query::Node* filter = nullptr;   // over ArticleFilterSchema(); nullptr: none
  bool default_to_published = true;      // without a state restriction, only published articles
  int page_size = 20;
  int offset = 0;
  // Helpers that search slices of the index, and load and snippet the
  // page's articles, at once with the caller; nullptr: one thread.
  kv::ForkJoinPool* pool = nullptr;
};

// Best first (BM25, title weighted), ties by newer publish_time then name.
// Errors: INVALID_ARGUMENT (query syntax, naming `query` and the position).
absl::StatusOr<SearchPage> SearchArticles(const kv::Database& db, Clock* clock, const SearchRequest& request);

// True when the filter restricts `state` anywhere.
bool FilterMentionsState(const query::Node& node);

}  // namespace newsdesk::content
