// Articles in the content database.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "newsdesk/content/v1/article.pb.h"
#include "storage/kv/clock.h"
#include "storage/kv/database.h"
#include "storage/kv/key_locks.h"

namespace newsdesk::content {

using Article = ::newsdesk::content::v1::Article;

struct ArticlePage {
  std::vector<Article> articles;
  // Where the next page starts; empty when this page is the last.
  std::string next_cursor;
};

struct ArticleStoreOptions {
  // How long a CreateArticle request_id is remembered.
  absl::Duration request_id_retention = absl::Hours(24);
};

// Owns the article records and their index entries (creation order, slugs,
// request ids). Every change writes the record and all its index entries in
// one atomic, synced batch. Read-modify-write sequences are serialised per
// key with KeyLocks (see key_locks.h for why); the lock tables are always
// taken in the order records → slug bases → slugs, at most one stripe set per
// table at a time, so writers cannot deadlock.
//
// Thread-safe. Arguments are assumed validated by the caller (ids, fields);
// the store enforces existence, uniqueness, etags and state.
class ArticleStore {
 public:
  ArticleStore(kv::Database* db, Clock* clock, ArticleStoreOptions options = {});

  // Creates a draft. `article_id` empty → a generated id. Returns the stored
  // article. With a request_id seen within the retention period, returns the
  // first response and writes nothing. Errors: ALREADY_EXISTS (id taken),
  // UNAVAILABLE / RESOURCE_EXHAUSTED (storage).
  absl::StatusOr<Article> Create(const Article& article, std::string article_id,
                                 const std::string& request_id);

  // Errors: NOT_FOUND, DATA_LOSS (unreadable record).
  absl::StatusOr<Article> Get(const std::string& article_id) const;

  // Newest first. `cursor` is a previous page's next_cursor or empty.
  // Errors: INVALID_ARGUMENT (a cursor that is not an article position).
  absl::StatusOr<ArticlePage> List(bool show_deleted, int page_size, const std::string& cursor) const;

  // Copies the fields named in `paths` (writable article fields, already
  // validated) from `patch`. A non-empty etag must match. Errors: NOT_FOUND,
  // ABORTED (stale etag), FAILED_PRECONDITION (deleted article).
  absl::StatusOr<Article> Update(const std::string& article_id, const Article& patch,
                                 const std::vector<std::string>& paths, const std::string& etag);

  // Soft delete. Errors: NOT_FOUND (unknown or already deleted), ABORTED.
  absl::StatusOr<Article> Delete(const std::string& article_id, const std::string& etag);

  // Errors: NOT_FOUND, ALREADY_EXISTS (the article is not deleted).
  absl::StatusOr<Article> Undelete(const std::string& article_id);

 private:
  absl::StatusOr<Article> Load(const std::string& article_id, const kv::Snapshot* snapshot) const;
  struct SlugGuards {
    kv::KeyLocks::Guard base;
    kv::KeyLocks::Guard candidate;
  };
  // Picks a free slug for `title` and returns it with the locks that keep it
  // free held in `guards` until the caller's batch is written.
  absl::StatusOr<std::string> AllocateSlug(const std::string& title, SlugGuards* guards);

  kv::Database* db_;
  Clock* clock_;
  ArticleStoreOptions options_;
  mutable kv::KeyLocks record_locks_;
  kv::KeyLocks slug_base_locks_;
  kv::KeyLocks slug_locks_;
};

// "articles/{id}".
std::string ArticleName(absl::string_view article_id);

}  // namespace newsdesk::content
