// The streaming photo RPCs: UploadPhoto (client streaming) and DownloadPhoto
// (server streaming), with their rules in pure, separately testable pieces
// (UploadAssembler, PlanDownload) and the gRPC reactors that drive them.
//
// Threading: a reactor's reactions (OnReadDone, OnWriteDone) run on gRPC's
// threads and only do what is short and never blocks: checking a message
// and appending up to 1 MiB to the upload. Everything that touches storage
// or decodes images — the pre-checks after the first upload message, the
// decoding, processing and synced batch write at the end of an upload, and
// each chunk read of a download — is handed to a WorkQueue, whose task then
// continues the call (StartRead, StartWrite or Finish). A download keeps one
// write in flight and reads the next chunk while it is being sent.
#pragma once

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "newsdesk/content/v1/content_service.grpc.pb.h"
#include "services/common/work_queue.h"
#include "storage/content/gallery_store.h"
#include "storage/content/photo_store.h"
#include "storage/media/chunked_bytes.h"
#include "storage/media/image.h"

namespace newsdesk::content {

// The largest chunk_data of one UploadPhotoRequest, and of one
// DownloadPhotoResponse.
inline constexpr size_t kMaxPhotoChunkBytes = size_t{1} << 20;

struct MediaServiceOptions {
  // The most bytes one upload may carry (--max_photo_bytes).
  int64_t max_photo_bytes = int64_t{25} << 20;
  // Pixel cap, privacy metadata, qualities (--max_photo_pixels,
  // --keep_photo_private_metadata).
  media::ProcessOptions processing;
};

// What the photo RPCs work with. Not owned.
struct MediaBackend {
  GalleryStore* galleries = nullptr;
  PhotoStore* photos = nullptr;
  WorkQueue* work = nullptr;
  MediaServiceOptions options;
};

// Checks the messages of one UploadPhoto stream in order and collects the
// bytes, never more than the limit. Not thread-safe.
class UploadAssembler {
 public:
  explicit UploadAssembler(int64_t max_bytes) : max_bytes_(max_bytes) {}

  // Takes the next message (its chunk is moved out). Errors:
  // INVALID_ARGUMENT (a message out of order, an invalid metadata field, a
  // chunk over 1 MiB, more bytes than declared), RESOURCE_EXHAUSTED (the
  // declared or received size is over the limit).
  absl::Status Accept(v1::UploadPhotoRequest& message);

  // The stream has ended. Errors: INVALID_ARGUMENT (no metadata, no bytes,
  // fewer bytes than declared).
  absl::Status Finish() const;

  bool has_metadata() const { return has_metadata_; }
  const std::string& gallery_id() const { return gallery_id_; }
  const std::string& photo_id() const { return photo_id_; }
  const std::string& request_id() const { return request_id_; }
  const v1::Photo& photo() const { return photo_; }
  int64_t received() const { return static_cast<int64_t>(bytes_.size()); }
  media::ChunkedBytes TakeBytes() { return std::move(bytes_); }

 private:
  absl::Status AcceptMetadata(const v1::UploadPhotoMetadata& metadata);

  int64_t max_bytes_;
  bool has_metadata_ = false;
  std::string gallery_id_, photo_id_, request_id_;
  v1::Photo photo_;
  int64_t declared_size_ = 0;  // 0 = not declared
  media::ChunkedBytes bytes_;
};

// The bytes a DownloadPhoto call sends.
struct DownloadRange {
  PhotoObject object;
  int64_t offset = 0;
};

// Checks `rendition` and `offset` against the photo. Errors:
// INVALID_ARGUMENT (unknown rendition, negative offset), NOT_FOUND (no such
// rendition stored), OUT_OF_RANGE (offset past the end).
absl::StatusOr<DownloadRange> PlanDownload(const v1::Photo& photo, absl::string_view rendition, int64_t offset);

// The reactors; each deletes itself when the call is done.
// UploadPhoto reads raw messages (see ContentService) and answers a
// serialized Photo in `response`.
grpc::ServerReadReactor<grpc::ByteBuffer>* NewUploadPhotoReactor(const MediaBackend& backend,
                                                                 grpc::CallbackServerContext* context,
                                                                 grpc::ByteBuffer* response);
// With `public_only` (an anonymous caller), a photo of a gallery that is
// not public (GalleryStore::CheckPublic) is NOT_FOUND.
grpc::ServerWriteReactor<v1::DownloadPhotoResponse>* NewDownloadPhotoReactor(
    const MediaBackend& backend, grpc::CallbackServerContext* context, const v1::DownloadPhotoRequest& request,
    bool public_only);

}  // namespace newsdesk::content
