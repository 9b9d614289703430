// The full-text search index over articles and the search itself.
//
// Layout (kIndexesCf): for every live article and every index term of its
// title, lead, body and tags (text::AnalyzeForIndex: folded surface forms and
// folded hunspell stems), a posting
//   kSearchPostings + term + 0x00 + id → per field: positions, surface positions
// and a document entry kSearchDocs + id → per-field token counts. Counters
// (kCountersCf) hold the number of indexed articles and the total length of
// each field, for BM25. All of it is written in the article's own batch.
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

// Adds the search postings and document entry of `article` (a live article)
// to `entries`.
void AppendSearchEntries(const Article& article, std::vector<std::pair<std::string, std::string>>* entries);

// Counter changes when `before` (nullptr: none) becomes `after` (nullptr:
// none): indexed documents and per-field total lengths.
std::vector<std::pair<std::string, int64_t>> SearchCounterDeltas(const Article* before, const Article* after);

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
