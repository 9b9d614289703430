// Which articles use which gallery: the index that decides whether anonymous
// readers may see a gallery and its photos (only those of published
// articles are public).
//
// Layout (kIndexesCf): for every live (not deleted) article that names a
// gallery,
//   kGalleryArticles + lp(gallery id) + i64(publish time in µs) + article id → ""
// where the time is the article's publish_time when it is published or
// scheduled, and INT64_MAX for a draft. A scheduled article becomes
// published at its publish_time without any write, so "used by an article
// published at `now`" is "an entry with a time <= now": one bounded seek,
// however many articles and galleries there are.
//
// The entries are derived from the article record alone
// (ArticleIndexEntries appends them), so every article write keeps the
// index in the record's own batch and ArticleStore::RebuildIndexes
// regenerates it. A marker key records that the index was built; a database
// from before the index gets it at open (EnsureGalleryUsageIndex).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "newsdesk/content/v1/article.pb.h"
#include "storage/kv/database.h"

namespace newsdesk::content {

// Adds the gallery usage entry of `article` (a live article; none when it
// names no gallery) to `entries`.
void AppendGalleryUsageEntries(const ::newsdesk::content::v1::Article& article,
                               std::vector<std::pair<std::string, std::string>>* entries);

// Whether an article that is published at `now` (PUBLISHED, or SCHEDULED
// with publish_time <= now) and not deleted names the gallery. Errors:
// UNAVAILABLE (storage).
absl::StatusOr<bool> GalleryHasPublishedArticle(const kv::Database& db, absl::string_view gallery_id, absl::Time now,
                                                const kv::Snapshot* snapshot = nullptr);

// The names of the live articles that name the gallery, drafts last.
// Errors: UNAVAILABLE, DATA_LOSS (a malformed entry).
absl::StatusOr<std::vector<std::string>> ArticlesUsingGallery(const kv::Database& db, absl::string_view gallery_id,
                                                              const kv::Snapshot* snapshot = nullptr);

// The marker that says the index is complete (kIndexesCf key → "").
std::string GalleryUsageMarkerKey();

// Builds the index from the article records unless its marker is present;
// for a database written before the index existed. Writers must not run
// yet. Errors: DATA_LOSS (an unreadable record), UNAVAILABLE.
absl::Status EnsureGalleryUsageIndex(kv::Database* db);

}  // namespace newsdesk::content
