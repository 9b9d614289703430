// Photo galleries in the content database.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "newsdesk/content/v1/gallery.pb.h"
#include "storage/kv/clock.h"
#include "storage/kv/database.h"
#include "storage/kv/ids.h"
#include "storage/kv/key_locks.h"
#include "storage/query/filter.h"

namespace newsdesk::content {

using Gallery = ::newsdesk::content::v1::Gallery;
using Photo = ::newsdesk::content::v1::Photo;

struct MediaStoreOptions {
  // How long a CreateGallery or UploadPhoto request_id is remembered.
  absl::Duration request_id_retention = absl::Hours(24);
  // The most photos one gallery may hold.
  int max_photos_per_gallery = 1000;
};

struct GalleryPage {
  std::vector<Gallery> galleries;
  // Where the next page starts; empty when this page is the last.
  std::string next_cursor;
};

struct GalleryListQuery {
  // Parsed against GalleryFilterSchema(); nullptr means no filter.
  const query::Node* filter = nullptr;
  bool show_deleted = false;
  // Only galleries an anonymous reader may see (IsPublic); show_deleted is
  // then ignored.
  bool public_only = false;
  int page_size = 50;
  // A previous page's next_cursor for the same query, or empty.
  std::string cursor;
};

// The fields ListGalleries filters on: title, create_time, update_time.
const query::Schema& GalleryFilterSchema();

// Owns the gallery records, the gallery listing indexes and the per-gallery
// photo counters. Every change writes the record and its index entries in
// one atomic, synced batch. Read-modify-write sequences are serialised by a
// per-gallery lock, which PhotoStore takes too for every change to a
// gallery's photos (see Lock): one lock table, one lock per call, so there is
// no lock order to get wrong.
//
// Thread-safe. Arguments are assumed validated by the caller (ids, fields);
// the store enforces existence, uniqueness, etags, state and references.
class GalleryStore {
 public:
  GalleryStore(kv::Database* db, Clock* clock, MediaStoreOptions options = {});

  // Creates an empty gallery. `gallery_id` empty → a generated id. A
  // request_id seen within the retention period returns the first response
  // and writes nothing. Errors: ALREADY_EXISTS (id taken),
  // FAILED_PRECONDITION (a cover_photo: a new gallery has no photos),
  // UNAVAILABLE / RESOURCE_EXHAUSTED (storage).
  absl::StatusOr<Gallery> Create(const Gallery& gallery, std::string gallery_id, const std::string& request_id);

  // Errors: NOT_FOUND, DATA_LOSS (unreadable record).
  absl::StatusOr<Gallery> Get(const std::string& gallery_id) const;

  // Newest first. Errors: INVALID_ARGUMENT (a cursor that is not a position
  // in this listing).
  absl::StatusOr<GalleryPage> List(const GalleryListQuery& query) const;

  // Copies the fields named in `paths` (title, description, cover_photo;
  // validated) from `patch`. A non-empty etag must match. Errors: NOT_FOUND,
  // ABORTED (stale etag), FAILED_PRECONDITION (deleted gallery; a cover
  // photo that does not exist).
  absl::StatusOr<Gallery> Update(const std::string& gallery_id, const Gallery& patch,
                                 const std::vector<std::string>& paths, const std::string& etag);

  // Soft delete. Errors: NOT_FOUND (unknown or already deleted), ABORTED,
  // FAILED_PRECONDITION (the gallery has photos and `force` is false).
  absl::StatusOr<Gallery> Delete(const std::string& gallery_id, const std::string& etag, bool force);

  // Errors: NOT_FOUND, ALREADY_EXISTS (the gallery is not deleted).
  absl::StatusOr<Gallery> Undelete(const std::string& gallery_id);

  // Deletes the gallery and photo indexes and the photo counters and
  // rebuilds them from the gallery and photo records (the media part of
  // --rebuild_indexes). Writers must be stopped while it runs. Errors:
  // DATA_LOSS (an unreadable record), UNAVAILABLE.
  absl::Status RebuildIndexes();

  // Whether an article may refer to the gallery. Errors: NOT_FOUND,
  // FAILED_PRECONDITION (deleted); messages name the gallery.
  absl::Status CheckLive(const std::string& gallery_id) const;

  // Whether anonymous readers may see the gallery and its photos: it exists,
  // is not deleted, and an article published at the clock's now uses it
  // (gallery_usage.h). Errors: NOT_FOUND ("galleries/{id} not found", the
  // same as for a gallery that does not exist), DATA_LOSS, UNAVAILABLE.
  absl::Status CheckPublic(const std::string& gallery_id, const kv::Snapshot* snapshot = nullptr) const;

  // --- For PhotoStore, which changes a gallery's photos under its lock. ---

  // Serialises changes to the galleries named in `keys` (gallery ids, and
  // "request:<id>" for request ids). Held until the guard is destroyed.
  [[nodiscard]] kv::KeyLocks::Guard Lock(const std::vector<absl::string_view>& keys) const {
    return locks_.Lock(keys);
  }
  // The stored record (photo_count unset). Errors: NOT_FOUND, DATA_LOSS.
  absl::StatusOr<Gallery> Load(const std::string& gallery_id, const kv::Snapshot* snapshot = nullptr) const;
  // The number of photos in the gallery.
  absl::StatusOr<int64_t> PhotoCount(const std::string& gallery_id, const kv::Snapshot* snapshot = nullptr) const;
  // Adds to `batch` the write of `next` over `old` (nullptr on create) with a
  // fresh etag and update time `now`; returns the record as written.
  Gallery StageWrite(const Gallery* old, Gallery next, absl::Time now, kv::WriteBatch& batch) const;

  kv::Database* db() const { return db_; }
  Clock* clock() const { return clock_; }
  const MediaStoreOptions& options() const { return options_; }

 private:
  absl::StatusOr<Gallery> WithCount(Gallery gallery, const kv::Snapshot* snapshot) const;
  // CheckPublic for a loaded record.
  absl::StatusOr<bool> IsPublic(const Gallery& gallery, absl::Time now, const kv::Snapshot* snapshot) const;
  absl::StatusOr<Gallery> LoadForChange(const std::string& gallery_id, const std::string& etag) const;
  // FAILED_PRECONDITION unless `cover_photo` names a stored photo of the gallery.
  absl::Status CheckCoverPhoto(const std::string& gallery_id, const std::string& cover_photo) const;

  kv::Database* db_;
  Clock* clock_;
  MediaStoreOptions options_;
  mutable kv::KeyLocks locks_;
};

// "galleries/{id}".
std::string GalleryName(absl::string_view gallery_id);
// "galleries/{gallery_id}/photos/{photo_id}".
std::string PhotoName(absl::string_view gallery_id, absl::string_view photo_id);

// Keys (see schema.h for the layout).
std::string GalleryRecordKey(absl::string_view gallery_id);
std::string PhotoRecordKey(absl::string_view gallery_id, absl::string_view photo_id);
// The prefix of every photo record of a gallery.
std::string PhotoRecordPrefix(absl::string_view gallery_id);
std::string PhotoPositionPrefix(absl::string_view gallery_id);
std::string PhotoPositionKey(absl::string_view gallery_id, uint32_t position);
std::string PhotoCountKey(absl::string_view gallery_id);
// The key of chunk `index` of one stored object (original or rendition).
std::string PhotoChunkKey(absl::string_view gallery_id, absl::string_view photo_id, char object, uint32_t index);
// The index entries (kMediaIndexesCf key → value) a stored gallery has.
std::vector<std::pair<std::string, std::string>> GalleryIndexEntries(const Gallery& gallery);

using kv::NewEtag;
using kv::NewResourceId;

}  // namespace newsdesk::content
