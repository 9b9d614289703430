// The full-text search index over articles and the search itself.
//
// Layout (kIndexesCf): for every live article and every index term of its
// title, lead, body and tags (text::AnalyzeForIndex: folded surface forms and
// folded hunspell stems), a posting
//   kSearchPostings + term + 0x00 + id → posting
// that carries everything ranking and the default state filter need, so a
// search reads postings only and loads just the records of the page it returns:
//   posting := state:u8 publish:varint  length:varint×4
//              (all:varint surface:varint)×4  positions
//   publish   := 0 (none) or zigzag(publish time in µs) + 1
//   length    := tokens in the field (title, lead, body, tags): the BM25 length
//   all       := occurrences of the term in the field; surface: those where it
//                is the written form (prefix clauses match written forms only)
//   positions := per field, `all` then `surface` ascending positions,
//                delta-coded varints (read for phrases and multi-form words)
// A change of state or publish time rewrites the article's postings, in the
// same batch as the record. Counters (kCountersCf) hold the number of indexed
// articles and the total length of each field, for BM25.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "newsdesk/content/v1/article.pb.h"
#include "storage/kv/clock.h"
#include "storage/kv/database.h"
#include "storage/query/filter.h"

namespace newsdesk::content {

using Article = ::newsdesk::content::v1::Article;

// Tokens per field (title, lead, body, tags) of an indexed article: what the
// BM25 counters add up.
struct SearchLengths {
  uint32_t field[4] = {0, 0, 0, 0};
};

// Adds the search postings of `article` (a live article) to `entries` and
// returns its field lengths. The text is analysed once here.
SearchLengths AppendSearchEntries(const Article& article, std::vector<std::pair<std::string, std::string>>* entries);

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
};

// Best first (BM25, title weighted), ties by newer publish_time then name.
// Errors: INVALID_ARGUMENT (query syntax, naming `query` and the position).
absl::StatusOr<SearchPage> SearchArticles(const kv::Database& db, Clock* clock, const SearchRequest& request);

// True when the filter restricts `state` anywhere.
bool FilterMentionsState(const query::Node& node);

}  // namespace newsdesk::content
