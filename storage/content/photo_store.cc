#include "storage/content/photo_store.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "storage/content/schema.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/request_ids.h"
#include "storage/kv/proto_time.h"

namespace newsdesk::content {
namespace {

static_assert(kPhotoChunkBytes == media::ChunkedBytes::kChunkBytes,
              "an upload's chunks are stored as they are: the sizes must agree");

std::string RequestKey(absl::string_view request_id) { return absl::StrCat(std::string(1, kPhotoKind), request_id); }

char ObjectOfRendition(absl::string_view rendition) {
  if (rendition == "thumbnail") return kPhotoThumbnail;
  if (rendition == "medium") return kPhotoMedium;
  return 0;
}

uint32_t ChunkCount(int64_t size) {
  return static_cast<uint32_t>((static_cast<uint64_t>(size) + kPhotoChunkBytes - 1) / kPhotoChunkBytes);
}

absl::Status ParseRecord(absl::string_view bytes, absl::string_view what, Photo* out) {
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("stored ", what, " is unreadable"));
  }
  return absl::OkStatus();
}

absl::Status StaleEtag(const std::string& name) {
  return absl::AbortedError(absl::StrCat("etag of ", name, " does not match: it changed since it was read"));
}

absl::Status GalleryFull(const std::string& gallery_id, int max) {
  return absl::ResourceExhaustedError(
      absl::StrCat(GalleryName(gallery_id), " already holds ", max, " photos, the most a gallery may hold"));
}

// Puts every chunk of `bytes` under `object`, freeing each chunk as soon as
// the batch holds its copy.
void StageBytes(const std::string& gallery_id, const std::string& photo_id, char object, media::ChunkedBytes& bytes,
                kv::WriteBatch& batch) {
  for (size_t i = 0; i < bytes.chunk_count(); ++i) {
    batch.Put(kPhotoBytesCf, PhotoChunkKey(gallery_id, photo_id, object, static_cast<uint32_t>(i)),
              bytes.TakeChunk(i));
  }
}

void DeleteBytes(const std::string& gallery_id, const std::string& photo_id, char object, int64_t size,
                 kv::WriteBatch& batch) {
  for (uint32_t i = 0; i < ChunkCount(size); ++i) {
    batch.Delete(kPhotoBytesCf, PhotoChunkKey(gallery_id, photo_id, object, i));
  }
}

}  // namespace

std::optional<std::pair<std::string, std::string>> SplitPhotoName(absl::string_view name) {
  absl::string_view rest = name;
  if (!absl::ConsumePrefix(&rest, "galleries/")) return std::nullopt;
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) return std::nullopt;
  absl::string_view gallery = rest.substr(0, slash);
  rest.remove_prefix(slash);
  if (!absl::ConsumePrefix(&rest, "/photos/")) return std::nullopt;
  return std::make_pair(std::string(gallery), std::string(rest));
}

PhotoStore::PhotoStore(GalleryStore* galleries)
    : galleries_(galleries), db_(galleries->db()), clock_(galleries->clock()) {}

absl::StatusOr<Gallery> PhotoStore::LoadLiveGallery(const std::string& gallery_id) const {
  auto gallery = galleries_->Load(gallery_id);
  if (!gallery.ok()) return gallery.status();
  if (gallery->has_delete_time()) {
    return absl::FailedPreconditionError(
        absl::StrCat(gallery->name(), " is deleted; undelete it before changing its photos"));
  }
  return gallery;
}

std::unique_ptr<kv::Snapshot> PhotoStore::NewSnapshot() const { return db_->GetSnapshot(); }

absl::StatusOr<Photo> PhotoStore::Get(const std::string& gallery_id, const std::string& photo_id,
                                      const kv::Snapshot* snapshot) const {
  auto value = db_->Get(kRecordsCf, PhotoRecordKey(gallery_id, photo_id), snapshot);
  if (!value.ok()) return value.status();
  const std::string name = PhotoName(gallery_id, photo_id);
  if (!value->has_value()) return absl::NotFoundError(absl::StrCat(name, " not found"));
  Photo photo;
  if (auto st = ParseRecord(**value, absl::StrCat("photo ", name), &photo); !st.ok()) return st;
  return photo;
}

absl::StatusOr<std::vector<Photo>> PhotoStore::LoadPositions(const std::string& gallery_id, uint32_t from,
                                                             uint32_t to, const kv::Snapshot* snapshot) const {
  std::vector<Photo> photos;
  if (from >= to) return photos;
  const std::string prefix = PhotoPositionPrefix(gallery_id);
  auto it = db_->Scan(kMediaIndexesCf, PhotoPositionKey(gallery_id, from), PhotoPositionKey(gallery_id, to),
                      snapshot);
  for (; it->Valid(); it->Next()) {
    kv::KeyReader reader(it->key().substr(prefix.size()));
    uint32_t position = 0;
    if (!reader.ReadU32(&position) || !reader.empty()) return absl::DataLossError("malformed photo position entry");
    auto photo = Get(gallery_id, std::string(it->value()), snapshot);
    if (!photo.ok()) {
      if (absl::IsNotFound(photo.status())) {
        return absl::DataLossError(absl::StrCat("the position index of ", GalleryName(gallery_id),
                                                " names a missing photo"));
      }
      return photo.status();
    }
    photo->set_position(static_cast<int32_t>(position));
    photos.push_back(*std::move(photo));
  }
  if (auto st = it->status(); !st.ok()) return st;
  return photos;
}

Photo PhotoStore::StageRecord(Photo photo, absl::Time now, kv::WriteBatch& batch) const {
  auto parts = SplitPhotoName(photo.name());
  ToProtoTime(now, photo.mutable_update_time());
  photo.set_etag(NewEtag());
  batch.Put(kRecordsCf, PhotoRecordKey(parts->first, parts->second), photo.SerializeAsString());
  batch.Put(kMediaIndexesCf, PhotoPositionKey(parts->first, static_cast<uint32_t>(photo.position())),
            parts->second);
  return photo;
}

absl::StatusOr<std::optional<Photo>> PhotoStore::PrepareUpload(const std::string& gallery_id,
                                                               const std::string& photo_id,
                                                               const std::string& request_id) const {
  if (!request_id.empty()) {
    auto first = kv::FindRequestResponse<Photo>(*db_, kRequestIdsCf, RequestKey(request_id), clock_->Now(), request_id);
    if (!first.ok()) return first.status();
    if (first->has_value()) return first;
  }
  if (auto gallery = LoadLiveGallery(gallery_id); !gallery.ok()) return gallery.status();
  if (!photo_id.empty()) {
    auto existing = db_->Get(kRecordsCf, PhotoRecordKey(gallery_id, photo_id));
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      return absl::AlreadyExistsError(absl::StrCat(PhotoName(gallery_id, photo_id), " already exists"));
    }
  }
  auto count = galleries_->PhotoCount(gallery_id);
  if (!count.ok()) return count.status();
  const int max = galleries_->options().max_photos_per_gallery;
  if (*count >= max) return GalleryFull(gallery_id, max);
  return std::optional<Photo>();
}

absl::StatusOr<Photo> PhotoStore::Create(const std::string& gallery_id, std::string photo_id, const Photo& metadata,
                                         const std::string& request_id, media::ProcessedPhoto content,
                                         const std::function<bool()>& still_wanted) {
  const bool generated = photo_id.empty();
  for (int attempt = 0;; ++attempt) {
    if (generated) photo_id = NewResourceId();
    const std::string req_lock = absl::StrCat("request:", request_id);
    std::vector<absl::string_view> keys = {gallery_id};
    if (!request_id.empty()) keys.push_back(req_lock);
    kv::KeyLocks::Guard guard = galleries_->Lock(keys);

    const absl::Time now = clock_->Now();
    if (!request_id.empty()) {
      auto first = kv::FindRequestResponse<Photo>(*db_, kRequestIdsCf, RequestKey(request_id), now, request_id);
      if (!first.ok()) return first.status();
      if (first->has_value()) return **std::move(first);
    }
    if (auto gallery = LoadLiveGallery(gallery_id); !gallery.ok()) return gallery.status();
    auto existing = db_->Get(kRecordsCf, PhotoRecordKey(gallery_id, photo_id));
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      if (generated && attempt < 3) continue;
      return absl::AlreadyExistsError(absl::StrCat(PhotoName(gallery_id, photo_id), " already exists"));
    }
    auto count = galleries_->PhotoCount(gallery_id);
    if (!count.ok()) return count.status();
    const int max = galleries_->options().max_photos_per_gallery;
    if (*count >= max) return GalleryFull(gallery_id, max);
    const auto n = static_cast<uint32_t>(*count);
    const uint32_t position =
        metadata.has_position() ? std::min(static_cast<uint32_t>(std::max(metadata.position(), 0)), n) : n;

    // Room for every byte of the photo up front (see kv::WriteBatch).
    size_t bytes = content.original.bytes.size() + (64 << 10);
    for (const auto& r : content.renditions) bytes += r.image.bytes.size() + 64;
    kv::WriteBatch batch(*db_, bytes);
    // Make room: the photos from `position` on move down one.
    auto later = LoadPositions(gallery_id, position, n, nullptr);
    if (!later.ok()) return later.status();
    for (Photo& p : *later) {
      p.set_position(p.position() + 1);
      StageRecord(std::move(p), now, batch);
    }

    Photo photo;
    photo.set_name(PhotoName(gallery_id, photo_id));
    photo.set_caption(metadata.caption());
    photo.set_alt_text(metadata.alt_text());
    photo.set_credit(metadata.credit());
    photo.set_license(metadata.license());
    photo.set_position(static_cast<int32_t>(position));
    photo.set_content_type(media::ContentType(content.original.format));
    photo.set_size_bytes(static_cast<int64_t>(content.original.bytes.size()));
    photo.set_width(content.original.width);
    photo.set_height(content.original.height);
    photo.set_sha256(content.original.sha256);
    ToProtoTime(now, photo.mutable_create_time());
    for (auto& r : content.renditions) {
      const char object = ObjectOfRendition(r.name);
      if (object == 0) return absl::InternalError(absl::StrCat("unknown rendition ", r.name));
      auto* info = photo.add_renditions();
      info->set_rendition(r.name);
      info->set_content_type(media::ContentType(r.image.format));
      info->set_size_bytes(static_cast<int64_t>(r.image.bytes.size()));
      info->set_width(r.image.width);
      info->set_height(r.image.height);
      info->set_sha256(r.image.sha256);
      StageBytes(gallery_id, photo_id, object, r.image.bytes, batch);
    }
    StageBytes(gallery_id, photo_id, kPhotoOriginal, content.original.bytes, batch);
    Photo written = StageRecord(std::move(photo), now, batch);
    batch.AddInt64(kMediaCountersCf, PhotoCountKey(gallery_id), 1);
    if (!request_id.empty()) {
      batch.Put(kRequestIdsCf, RequestKey(request_id),
                kv::EncodeExpiring(now + galleries_->options().request_id_retention, written.SerializeAsString()));
    }
    if (still_wanted && !still_wanted()) {
      return absl::CancelledError(absl::StrCat("the upload of ", written.name(), " was cancelled; nothing was stored"));
    }
    if (auto st = db_->Write(batch); !st.ok()) return st;
    return written;
  }
}

absl::StatusOr<PhotoPage> PhotoStore::List(const std::string& gallery_id, int page_size,
                                           const std::string& cursor) const {
  uint32_t start = 0;
  if (!cursor.empty()) {
    kv::KeyReader reader(cursor);
    if (!reader.ReadU32(&start) || !reader.empty() || start == UINT32_MAX) {
      return absl::InvalidArgumentError("page_token does not point into this gallery's photos");
    }
    ++start;
  }
  auto snapshot = db_->GetSnapshot();
  if (auto gallery = galleries_->Load(gallery_id, snapshot.get()); !gallery.ok()) return gallery.status();
  // One more than a page tells whether there is a next one.
  const uint64_t end = std::min<uint64_t>(uint64_t{start} + static_cast<uint64_t>(page_size) + 1, UINT32_MAX);
  auto photos = LoadPositions(gallery_id, start, static_cast<uint32_t>(end), snapshot.get());
  if (!photos.ok()) return photos.status();
  PhotoPage page;
  for (Photo& p : *photos) {
    if (static_cast<int>(page.photos.size()) == page_size) {
      kv::AppendU32(&page.next_cursor, static_cast<uint32_t>(page.photos.back().position()));
      break;
    }
    page.photos.push_back(std::move(p));
  }
  return page;
}

absl::StatusOr<Photo> PhotoStore::Update(const std::string& gallery_id, const std::string& photo_id,
                                         const Photo& patch, const std::vector<std::string>& paths,
                                         const std::string& etag) {
  kv::KeyLocks::Guard guard = galleries_->Lock({gallery_id});
  auto current = Get(gallery_id, photo_id);
  if (!current.ok()) return current.status();
  if (auto gallery = LoadLiveGallery(gallery_id); !gallery.ok()) return gallery.status();
  if (!etag.empty() && etag != current->etag()) return StaleEtag(current->name());
  const absl::Time now = clock_->Now();
  kv::WriteBatch batch(*db_);
  Photo next = *current;
  for (const auto& path : paths) {
    if (path == "caption") {
      next.set_caption(patch.caption());
    } else if (path == "alt_text") {
      next.set_alt_text(patch.alt_text());
    } else if (path == "credit") {
      next.set_credit(patch.credit());
    } else if (path == "license") {
      next.set_license(patch.license());
    } else if (path == "position") {
      auto count = galleries_->PhotoCount(gallery_id);
      if (!count.ok()) return count.status();
      const auto from = static_cast<uint32_t>(current->position());
      const uint32_t last = static_cast<uint32_t>(std::max<int64_t>(*count, 1) - 1);
      const uint32_t to = std::min(static_cast<uint32_t>(std::max(patch.position(), 0)), last);
      if (to < from) {
        // Moving up: the photos in [to, from) move down one.
        auto moved = LoadPositions(gallery_id, to, from, nullptr);
        if (!moved.ok()) return moved.status();
        for (Photo& p : *moved) {
          p.set_position(p.position() + 1);
          StageRecord(std::move(p), now, batch);
        }
      } else if (to > from) {
        // Moving down: the photos in (from, to] move up one.
        auto moved = LoadPositions(gallery_id, from + 1, to + 1, nullptr);
        if (!moved.ok()) return moved.status();
        for (Photo& p : *moved) {
          p.set_position(p.position() - 1);
          StageRecord(std::move(p), now, batch);
        }
      }
      next.set_position(static_cast<int32_t>(to));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("update_mask: \"", path, "\" is not a writable field"));
    }
  }
  Photo written = StageRecord(std::move(next), now, batch);
  if (auto st = db_->Write(batch); !st.ok()) return st;
  return written;
}

absl::Status PhotoStore::Delete(const std::string& gallery_id, const std::string& photo_id,
                                const std::string& etag) {
  kv::KeyLocks::Guard guard = galleries_->Lock({gallery_id});
  auto current = Get(gallery_id, photo_id);
  if (!current.ok()) return current.status();
  auto gallery = LoadLiveGallery(gallery_id);
  if (!gallery.ok()) return gallery.status();
  if (!etag.empty() && etag != current->etag()) return StaleEtag(current->name());
  auto count = galleries_->PhotoCount(gallery_id);
  if (!count.ok()) return count.status();
  const absl::Time now = clock_->Now();
  kv::WriteBatch batch(*db_);

  const auto position = static_cast<uint32_t>(current->position());
  const auto n = static_cast<uint32_t>(std::max<int64_t>(*count, position + 1));
  auto later = LoadPositions(gallery_id, position + 1, n, nullptr);
  if (!later.ok()) return later.status();
  for (Photo& p : *later) {
    p.set_position(p.position() - 1);
    StageRecord(std::move(p), now, batch);
  }
  batch.Delete(kMediaIndexesCf, PhotoPositionKey(gallery_id, n - 1));
  batch.Delete(kRecordsCf, PhotoRecordKey(gallery_id, photo_id));
  DeleteBytes(gallery_id, photo_id, kPhotoOriginal, current->size_bytes(), batch);
  for (const auto& r : current->renditions()) {
    const char object = ObjectOfRendition(r.rendition());
    if (object != 0) DeleteBytes(gallery_id, photo_id, object, r.size_bytes(), batch);
  }
  batch.AddInt64(kMediaCountersCf, PhotoCountKey(gallery_id), -1);
  if (gallery->cover_photo() == current->name()) {
    Gallery next = *gallery;
    next.clear_cover_photo();
    galleries_->StageWrite(&*gallery, std::move(next), now, batch);
  }
  return db_->Write(batch);
}

absl::StatusOr<PhotoObject> PhotoStore::ObjectFor(const Photo& photo, absl::string_view rendition) {
  if (rendition.empty()) return PhotoObject{kPhotoOriginal, photo.size_bytes()};
  const char object = ObjectOfRendition(rendition);
  if (object == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("rendition: \"", rendition.substr(0, 64),
                     "\" is not a rendition; use \"\" for the original, \"thumbnail\" or \"medium\""));
  }
  for (const auto& r : photo.renditions()) {
    if (r.rendition() == rendition) return PhotoObject{object, r.size_bytes()};
  }
  return absl::NotFoundError(absl::StrCat(photo.name(), " has no ", rendition, " rendition"));
}

absl::StatusOr<std::string> PhotoStore::ReadChunk(const std::string& gallery_id, const std::string& photo_id,
                                                  char object, uint32_t index,
                                                  const kv::Snapshot* snapshot) const {
  auto value = db_->Get(kPhotoBytesCf, PhotoChunkKey(gallery_id, photo_id, object, index), snapshot);
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    return absl::DataLossError(absl::StrCat("bytes of ", PhotoName(gallery_id, photo_id), " are missing"));
  }
  return **std::move(value);
}

}  // namespace newsdesk::content
