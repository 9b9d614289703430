// Photos in the content database: metadata, gallery order and bytes.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/content/gallery_store.h"
#include "storage/kv/database.h"
#include "storage/media/image.h"

namespace newsdesk::content {

struct PhotoPage {
  std::vector<Photo> photos;
  // Where the next page starts; empty when this page is the last.
  std::string next_cursor;
};

// Which stored bytes of a photo to read.
struct PhotoObject {
  char object = 0;     // kPhotoOriginal, kPhotoThumbnail or kPhotoMedium
  int64_t size = 0;    // in bytes
};

// Owns the photo records, the gallery order (a dense 0-based position per
// photo, kept in the position index and in each record), the gallery photo
// counters and the photo bytes. Each photo's original and renditions are
// stored as 1 MiB chunks (kPhotoChunkBytes) in kPhotoBytesCf, a BlobDB column
// family: an upload writes its chunks, its record, the position index
// entries of every photo it moves, the gallery counter and its request id in
// one atomic, synced batch, so a failed, cancelled or crashed upload leaves
// nothing; a delete removes all of them in one batch too, which hands the
// bytes to blob garbage collection. Chunking means a download (or a resumed
// one) reads only the chunks it sends, one at a time.
//
// Every change takes the gallery's lock (GalleryStore::Lock), so position
// changes of one gallery are serialised with each other and with gallery
// deletion. Thread-safe.
class PhotoStore {
 public:
  explicit PhotoStore(GalleryStore* galleries);

  // The checks an upload can pass before its bytes arrive. Returns the first
  // response when `request_id` was seen within the retention period, nullopt
  // otherwise. Errors: NOT_FOUND (gallery), FAILED_PRECONDITION (gallery
  // deleted), ALREADY_EXISTS (photo id taken), RESOURCE_EXHAUSTED (gallery
  // full).
  absl::StatusOr<std::optional<Photo>> PrepareUpload(const std::string& gallery_id, const std::string& photo_id,
                                                     const std::string& request_id) const;

  // Stores an upload: `metadata`'s writable fields (caption, alt_text,
  // credit, license; position when set) with the processed bytes.
  // `photo_id` empty → generated. Re-checks everything PrepareUpload checks.
  // `still_wanted` is asked right before the write; when it says no, nothing
  // is written and CANCELLED is returned. Errors: as PrepareUpload;
  // CANCELLED; UNAVAILABLE / RESOURCE_EXHAUSTED (storage).
  absl::StatusOr<Photo> Create(const std::string& gallery_id, std::string photo_id, const Photo& metadata,
                               const std::string& request_id, media::ProcessedPhoto content,
                               const std::function<bool()>& still_wanted);

  // Errors: NOT_FOUND, DATA_LOSS.
  absl::StatusOr<Photo> Get(const std::string& gallery_id, const std::string& photo_id,
                            const kv::Snapshot* snapshot = nullptr) const;

  // In gallery order. Errors: NOT_FOUND (gallery), INVALID_ARGUMENT (cursor).
  absl::StatusOr<PhotoPage> List(const std::string& gallery_id, int page_size, const std::string& cursor) const;

  // Copies the fields named in `paths` (caption, alt_text, credit, license,
  // position; validated) from `patch`; a new position moves the photo and
  // shifts the photos in between. A non-empty etag must match. Errors:
  // NOT_FOUND, ABORTED, FAILED_PRECONDITION (gallery deleted).
  absl::StatusOr<Photo> Update(const std::string& gallery_id, const std::string& photo_id, const Photo& patch,
                               const std::vector<std::string>& paths, const std::string& etag);

  // Deletes the photo and its bytes; later photos move up one position; a
  // gallery whose cover it was loses its cover. Errors: NOT_FOUND, ABORTED,
  // FAILED_PRECONDITION (gallery deleted).
  absl::Status Delete(const std::string& gallery_id, const std::string& photo_id, const std::string& etag);

  // A consistent view for a download: its chunks stay readable even if the
  // photo is deleted meanwhile.
  std::unique_ptr<kv::Snapshot> NewSnapshot() const;

  // Which object serves `rendition` of `photo`. Errors: INVALID_ARGUMENT
  // (unknown rendition name), NOT_FOUND (the photo lacks it).
  static absl::StatusOr<PhotoObject> ObjectFor(const Photo& photo, absl::string_view rendition);

  // Chunk `index` of an object: kPhotoChunkBytes bytes, fewer for the last.
  // Errors: DATA_LOSS (the chunk is missing), UNAVAILABLE.
  absl::StatusOr<std::string> ReadChunk(const std::string& gallery_id, const std::string& photo_id, char object,
                                        uint32_t index, const kv::Snapshot* snapshot) const;

 private:
  // The photos at positions [from, to) of a gallery, in order.
  absl::StatusOr<std::vector<Photo>> LoadPositions(const std::string& gallery_id, uint32_t from, uint32_t to,
                                                   const kv::Snapshot* snapshot) const;
  // The gallery, which must exist and not be deleted.
  absl::StatusOr<Gallery> LoadLiveGallery(const std::string& gallery_id) const;
  // Adds the record write of `photo` (fresh etag, update time `now`) and its
  // position index entry to `batch`.
  Photo StageRecord(Photo photo, absl::Time now, kv::WriteBatch& batch) const;

  GalleryStore* galleries_;
  kv::Database* db_;
  Clock* clock_;
};

// "galleries/{g}/photos/{p}" → {g, p}; nullopt when not of that shape (no
// id validation).
std::optional<std::pair<std::string, std::string>> SplitPhotoName(absl::string_view name);

}  // namespace newsdesk::content
