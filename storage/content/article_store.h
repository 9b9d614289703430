// Articles in the content database.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "newsdesk/content/v1/article.pb.h"
#include "storage/content/article_search.h"
#include "storage/kv/clock.h"
#include "storage/kv/database.h"
#include "storage/kv/key_locks.h"
#include "storage/query/filter.h"

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

enum class OrderField { kCreateTime, kUpdateTime, kPublishTime };

struct ListQuery {
  // Parsed against ArticleFilterSchema(); nullptr means no filter.
  const query::Node* filter = nullptr;
  OrderField order = OrderField::kCreateTime;
  bool descending = true;
  bool show_deleted = false;
  int page_size = 50;
  // A previous page's next_cursor for the same query, or empty.
  std::string cursor;
  // Answer by scanning every record instead of an index (used by tests to
  // check that both paths agree).
  bool force_scan = false;
};

// The fields ListArticles and SearchArticles filter on.
const query::Schema& ArticleFilterSchema();

// The state a reader sees: a scheduled article whose publish time has come
// reads as published.
Article::State EffectiveState(const Article& article, absl::Time now);

// Evaluates a filter (parsed against ArticleFilterSchema()) on an article
// whose state a reader sees as `state`.
bool ArticleMatches(const query::Node& filter, const Article& article, Article::State state);

// Owns the article records, their revisions and every index over them
// (creation, update and publish order, tags, state, slugs, request ids, the
// search index). Every change writes the record, the changed index entries
// and, for content changes, a new revision in one atomic, synced batch; index
// entries are derived from the record alone (ArticleIndexEntries), so a
// change deletes exactly the entries the old record had and no longer needs.
// Read-modify-write sequences are serialised per key with KeyLocks (see
// key_locks.h for why); the lock tables are always taken in the order
// records → slug bases → slugs, at most one stripe set per table at a time,
// so writers cannot deadlock.
//
// Thread-safe. Arguments are assumed validated by the caller (ids, fields);
// the store enforces existence, uniqueness, etags and state.
class ArticleStore {
 public:
  ArticleStore(kv::Database* db, Clock* clock, ArticleStoreOptions options = {});

  // Creates a draft (revision r1). `article_id` empty → a generated id. With
  // a request_id seen within the retention period, returns the first response
  // and writes nothing. Errors: ALREADY_EXISTS (id taken), UNAVAILABLE /
  // RESOURCE_EXHAUSTED (storage).
  absl::StatusOr<Article> Create(const Article& article, std::string article_id, const std::string& request_id);

  // Errors: NOT_FOUND, DATA_LOSS (unreadable record).
  absl::StatusOr<Article> Get(const std::string& article_id) const;

  // One revision; its name is `articles/{id}@{revision_id}`. Errors: NOT_FOUND.
  absl::StatusOr<Article> GetRevision(const std::string& article_id, const std::string& revision_id) const;

  // Errors: INVALID_ARGUMENT (a cursor that is not a position in this
  // listing).
  absl::StatusOr<ArticlePage> List(const ListQuery& query) const;

  // Revisions newest first. Errors: NOT_FOUND, INVALID_ARGUMENT (cursor).
  absl::StatusOr<ArticlePage> ListRevisions(const std::string& article_id, int page_size,
                                            const std::string& cursor) const;

  // Copies the fields named in `paths` (writable article fields, already
  // validated) from `patch` and records a new revision. A non-empty etag must
  // match. Errors: NOT_FOUND, ABORTED (stale etag), FAILED_PRECONDITION
  // (deleted article).
  absl::StatusOr<Article> Update(const std::string& article_id, const Article& patch,
                                 const std::vector<std::string>& paths, const std::string& etag);

  // Publishes now (no time, or a time not after now) or schedules (a future
  // time). Errors: NOT_FOUND, ABORTED, FAILED_PRECONDITION (deleted or
  // already published; the message names the state).
  absl::StatusOr<Article> Publish(const std::string& article_id, const std::string& etag,
                                  std::optional<absl::Time> publish_time);

  // Back to draft. Errors: NOT_FOUND, ABORTED, FAILED_PRECONDITION (a draft
  // or a deleted article).
  absl::StatusOr<Article> Unpublish(const std::string& article_id, const std::string& etag);

  // A new revision with the content of `revision_id`. Errors: NOT_FOUND
  // (article or revision), ABORTED, FAILED_PRECONDITION (deleted article).
  absl::StatusOr<Article> Rollback(const std::string& article_id, const std::string& revision_id,
                                   const std::string& etag);

  // Soft delete. Errors: NOT_FOUND (unknown or already deleted), ABORTED.
  absl::StatusOr<Article> Delete(const std::string& article_id, const std::string& etag);

  // Restores the state the article had before deletion. Errors: NOT_FOUND,
  // ALREADY_EXISTS (the article is not deleted).
  absl::StatusOr<Article> Undelete(const std::string& article_id);

  // Deletes every index entry and counter and rebuilds them from the records
  // (after an upgrade that changes index layout or text analysis), then
  // compacts the indexes, the search blocks and the records (rewriting older
  // files in the current format). Writers must be stopped while it runs.
  absl::Status RebuildIndexes();

  kv::Database* db() const { return db_; }
  Clock* clock() const { return clock_; }

 private:
  struct SlugGuards {
    kv::KeyLocks::Guard base;
    kv::KeyLocks::Guard candidate;
  };
  absl::StatusOr<Article> Load(const std::string& article_id, const kv::Snapshot* snapshot) const;
  // Picks a free slug for `title` and returns it with the locks that keep it
  // free held in `guards` until the caller's batch is written.
  absl::StatusOr<std::string> AllocateSlug(const std::string& title, SlugGuards* guards);
  // Writes `next` (with a fresh etag and update time) replacing `old`
  // (nullptr on create): the record, the index differences and, when
  // `new_revision`, a revision snapshot. Returns what a reader sees.
  absl::StatusOr<Article> Commit(const Article* old, Article next, bool new_revision, kv::WriteBatch& batch);
  // Loads a live article for a state change, checking the etag.
  absl::StatusOr<Article> LoadForChange(const std::string& article_id, const std::string& etag) const;
  absl::StatusOr<ArticlePage> ListByIndex(const ListQuery& query, absl::Time now) const;
  absl::StatusOr<ArticlePage> ListByScan(const ListQuery& query, absl::Time now) const;

  kv::Database* db_;
  Clock* clock_;
  ArticleStoreOptions options_;
  mutable kv::KeyLocks record_locks_;
  kv::KeyLocks slug_base_locks_;
  kv::KeyLocks slug_locks_;
};

// "articles/{id}".
std::string ArticleName(absl::string_view article_id);

// The index entries (kIndexesCf key → value) a stored article has. When it
// is in the search index (not deleted), `search` (if given) receives its
// field lengths; otherwise it is left empty.
std::vector<std::pair<std::string, std::string>> ArticleIndexEntries(const Article& article,
                                                                     std::optional<SearchLengths>* search = nullptr);

}  // namespace newsdesk::content
