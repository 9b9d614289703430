#include "storage/content/gallery_store.h"

#include <algorithm>
#include <map>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/content/gallery_usage.h"
#include "storage/content/schema.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/request_ids.h"
#include "storage/kv/proto_time.h"

namespace newsdesk::content {
namespace {

std::string RequestKey(absl::string_view request_id) { return absl::StrCat(std::string(1, kGalleryKind), request_id); }

std::string IdOf(const Gallery& g) { return g.name().substr(sizeof("galleries/") - 1); }

int64_t Micros(const google::protobuf::Timestamp& ts) { return absl::ToUnixMicros(FromProtoTime(ts)); }

// ord(create) + id: the position of a gallery in a newest-first order.
std::string OrderSuffix(const Gallery& g) {
  std::string s;
  kv::AppendI64(&s, -Micros(g.create_time()));
  s += IdOf(g);
  return s;
}

using kv::IsIdChar;

bool IsValidCursor(absl::string_view cursor) {
  return cursor.size() > 8 && cursor.size() <= 8 + 63 && std::all_of(cursor.begin() + 8, cursor.end(), IsIdChar);
}

absl::Status ParseRecord(absl::string_view bytes, absl::string_view what, google::protobuf::Message* out) {
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("stored ", what, " is unreadable"));
  }
  return absl::OkStatus();
}

bool IsDeleted(const Gallery& g) { return g.has_delete_time(); }

class GalleryFields : public query::FieldSource {
 public:
  explicit GalleryFields(const Gallery& g) : g_(g) {}
  std::vector<std::string> Strings(absl::string_view field) const override {
    if (field == "title") return {g_.title()};
    return {};
  }
  std::optional<absl::Time> Time(absl::string_view field) const override {
    if (field == "create_time" && g_.has_create_time()) return FromProtoTime(g_.create_time());
    if (field == "update_time" && g_.has_update_time()) return FromProtoTime(g_.update_time());
    return std::nullopt;
  }

 private:
  const Gallery& g_;
};

}  // namespace

std::string GalleryName(absl::string_view gallery_id) { return absl::StrCat("galleries/", gallery_id); }

std::string PhotoName(absl::string_view gallery_id, absl::string_view photo_id) {
  return absl::StrCat("galleries/", gallery_id, "/photos/", photo_id);
}

std::string GalleryRecordKey(absl::string_view gallery_id) {
  return absl::StrCat(std::string(1, kGalleryKind), gallery_id);
}

std::string PhotoRecordPrefix(absl::string_view gallery_id) {
  std::string k(1, kPhotoKind);
  kv::AppendLengthPrefixed(&k, gallery_id);
  return k;
}

std::string PhotoRecordKey(absl::string_view gallery_id, absl::string_view photo_id) {
  return absl::StrCat(PhotoRecordPrefix(gallery_id), photo_id);
}

std::string PhotoPositionPrefix(absl::string_view gallery_id) {
  std::string k(1, kPhotosByPosition);
  kv::AppendLengthPrefixed(&k, gallery_id);
  return k;
}

std::string PhotoPositionKey(absl::string_view gallery_id, uint32_t position) {
  std::string k = PhotoPositionPrefix(gallery_id);
  kv::AppendU32(&k, position);
  return k;
}

std::string PhotoCountKey(absl::string_view gallery_id) {
  return absl::StrCat(std::string(1, kGalleryPhotoCount), gallery_id);
}

std::string PhotoChunkKey(absl::string_view gallery_id, absl::string_view photo_id, char object, uint32_t index) {
  std::string k;
  kv::AppendLengthPrefixed(&k, gallery_id);
  kv::AppendLengthPrefixed(&k, photo_id);
  k.push_back(object);
  kv::AppendU32(&k, index);
  return k;
}

std::vector<std::pair<std::string, std::string>> GalleryIndexEntries(const Gallery& g) {
  std::vector<std::pair<std::string, std::string>> entries;
  const std::string suffix = OrderSuffix(g);
  entries.emplace_back(absl::StrCat(std::string(1, kGalleriesAllByCreate), suffix), "");
  if (!IsDeleted(g)) entries.emplace_back(absl::StrCat(std::string(1, kGalleriesLiveByCreate), suffix), "");
  return entries;
}

const query::Schema& GalleryFilterSchema() {
  static const auto* schema = new query::Schema{
      {.name = "title", .type = query::ValueType::kString},
      {.name = "create_time", .type = query::ValueType::kTimestamp},
      {.name = "update_time", .type = query::ValueType::kTimestamp},
  };
  return *schema;
}

GalleryStore::GalleryStore(kv::Database* db, Clock* clock, MediaStoreOptions options)
    : db_(db), clock_(clock), options_(options) {}

absl::StatusOr<Gallery> GalleryStore::Load(const std::string& gallery_id, const kv::Snapshot* snapshot) const {
  auto value = db_->Get(kRecordsCf, GalleryRecordKey(gallery_id), snapshot);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return absl::NotFoundError(absl::StrCat(GalleryName(gallery_id), " not found"));
  Gallery g;
  if (auto st = ParseRecord(**value, absl::StrCat("gallery ", GalleryName(gallery_id)), &g); !st.ok()) return st;
  return g;
}

absl::StatusOr<int64_t> GalleryStore::PhotoCount(const std::string& gallery_id, const kv::Snapshot* snapshot) const {
  return db_->GetInt64(kMediaCountersCf, PhotoCountKey(gallery_id), snapshot);
}

absl::StatusOr<Gallery> GalleryStore::WithCount(Gallery g, const kv::Snapshot* snapshot) const {
  auto count = PhotoCount(IdOf(g), snapshot);
  if (!count.ok()) return count.status();
  g.set_photo_count(static_cast<int32_t>(*count));
  return g;
}

Gallery GalleryStore::StageWrite(const Gallery* old, Gallery next, absl::Time now, kv::WriteBatch& batch) const {
  ToProtoTime(now, next.mutable_update_time());
  next.set_etag(NewEtag());
  next.clear_photo_count();  // derived from the counter on read
  batch.Put(kRecordsCf, GalleryRecordKey(IdOf(next)), next.SerializeAsString());
  std::map<std::string, std::string> before, after;
  if (old != nullptr) {
    for (auto& [k, v] : GalleryIndexEntries(*old)) before.emplace(std::move(k), std::move(v));
  }
  for (auto& [k, v] : GalleryIndexEntries(next)) after.emplace(std::move(k), std::move(v));
  for (const auto& [k, v] : before) {
    if (after.count(k) == 0) batch.Delete(kMediaIndexesCf, k);
  }
  for (const auto& [k, v] : after) {
    auto it = before.find(k);
    if (it == before.end() || it->second != v) batch.Put(kMediaIndexesCf, k, v);
  }
  return next;
}

absl::StatusOr<Gallery> GalleryStore::Create(const Gallery& input, std::string gallery_id,
                                             const std::string& request_id) {
  const bool generated = gallery_id.empty();
  for (int attempt = 0;; ++attempt) {
    if (generated) gallery_id = NewResourceId();
    const std::string req_lock = absl::StrCat("request:", request_id);
    std::vector<absl::string_view> keys = {gallery_id};
    if (!request_id.empty()) keys.push_back(req_lock);
    kv::KeyLocks::Guard guard = locks_.Lock(keys);

    const absl::Time now = clock_->Now();
    if (!request_id.empty()) {
      auto first = kv::FindRequestResponse<Gallery>(*db_, kRequestIdsCf, RequestKey(request_id), now, request_id);
      if (!first.ok()) return first.status();
      if (first->has_value()) return **std::move(first);
    }
    auto existing = db_->Get(kRecordsCf, GalleryRecordKey(gallery_id));
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      if (generated && attempt < 3) continue;
      return absl::AlreadyExistsError(absl::StrCat(GalleryName(gallery_id), " already exists"));
    }
    if (!input.cover_photo().empty()) {
      return absl::FailedPreconditionError(absl::StrCat("gallery.cover_photo: ", input.cover_photo(),
                                                        " does not exist (a new gallery has no photos yet)"));
    }
    Gallery g;
    g.set_name(GalleryName(gallery_id));
    g.set_title(input.title());
    g.set_description(input.description());
    ToProtoTime(now, g.mutable_create_time());

    kv::WriteBatch batch(*db_);
    Gallery written = StageWrite(nullptr, std::move(g), now, batch);
    written.set_photo_count(0);
    if (!request_id.empty()) {
      batch.Put(kRequestIdsCf, RequestKey(request_id),
                kv::EncodeExpiring(now + options_.request_id_retention, written.SerializeAsString()));
    }
    if (auto st = db_->Write(batch); !st.ok()) return st;
    return written;
  }
}

absl::StatusOr<Gallery> GalleryStore::Get(const std::string& gallery_id) const {
  auto snapshot = db_->GetSnapshot();
  auto g = Load(gallery_id, snapshot.get());
  if (!g.ok()) return g.status();
  return WithCount(*std::move(g), snapshot.get());
}

absl::Status GalleryStore::CheckLive(const std::string& gallery_id) const {
  auto g = Load(gallery_id);
  if (!g.ok()) return g.status();
  if (IsDeleted(*g)) {
    return absl::FailedPreconditionError(absl::StrCat(g->name(), " is deleted; undelete it first"));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> GalleryStore::IsPublic(const Gallery& g, absl::Time now, const kv::Snapshot* snapshot) const {
  if (IsDeleted(g)) return false;
  return GalleryHasPublishedArticle(*db_, IdOf(g), now, snapshot);
}

absl::Status GalleryStore::CheckPublic(const std::string& gallery_id, const kv::Snapshot* snapshot) const {
  auto g = Load(gallery_id, snapshot);
  if (!g.ok()) return g.status();
  auto is_public = IsPublic(*g, clock_->Now(), snapshot);
  if (!is_public.ok()) return is_public.status();
  if (!*is_public) return absl::NotFoundError(absl::StrCat(GalleryName(gallery_id), " not found"));
  return absl::OkStatus();
}

absl::StatusOr<GalleryPage> GalleryStore::List(const GalleryListQuery& query) const {
  if (!query.cursor.empty() && !IsValidCursor(query.cursor)) {
    return absl::InvalidArgumentError("page_token does not point into the galleries collection");
  }
  const bool all = query.show_deleted && !query.public_only;
  const std::string prefix(1, all ? kGalleriesAllByCreate : kGalleriesLiveByCreate);
  const absl::Time now = clock_->Now();
  auto snapshot = db_->GetSnapshot();
  auto it = db_->Scan(kMediaIndexesCf, prefix, kv::PrefixSuccessor(prefix), snapshot.get());
  if (!query.cursor.empty()) {
    const std::string start = prefix + query.cursor;
    it->Seek(start);
    if (it->Valid() && it->key() == start) it->Next();
  }
  GalleryPage page;
  std::string last;
  for (; it->Valid(); it->Next()) {
    const absl::string_view suffix = it->key().substr(prefix.size());
    if (suffix.size() <= 8) return absl::DataLossError("malformed gallery index entry");
    auto g = Load(std::string(suffix.substr(8)), snapshot.get());
    if (!g.ok()) return g.status();
    if (query.filter != nullptr && !query::Matches(*query.filter, GalleryFields(*g))) continue;
    if (query.public_only) {
      auto is_public = IsPublic(*g, now, snapshot.get());
      if (!is_public.ok()) return is_public.status();
      if (!*is_public) continue;
    }
    if (static_cast<int>(page.galleries.size()) == query.page_size) {
      page.next_cursor = last;
      break;
    }
    auto counted = WithCount(*std::move(g), snapshot.get());
    if (!counted.ok()) return counted.status();
    page.galleries.push_back(*std::move(counted));
    last = std::string(suffix);
  }
  if (auto st = it->status(); !st.ok()) return st;
  return page;
}

absl::StatusOr<Gallery> GalleryStore::LoadForChange(const std::string& gallery_id, const std::string& etag) const {
  auto current = Load(gallery_id);
  if (!current.ok()) return current.status();
  if (!etag.empty() && etag != current->etag()) {
    return absl::AbortedError(
        absl::StrCat("etag of ", current->name(), " does not match: it changed since it was read"));
  }
  return current;
}

absl::Status GalleryStore::CheckCoverPhoto(const std::string& gallery_id, const std::string& cover_photo) const {
  const std::string prefix = absl::StrCat(GalleryName(gallery_id), "/photos/");
  if (cover_photo.compare(0, prefix.size(), prefix) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("gallery.cover_photo: ", cover_photo, " is not a photo of ", GalleryName(gallery_id)));
  }
  auto photo = db_->Get(kRecordsCf, PhotoRecordKey(gallery_id, cover_photo.substr(prefix.size())));
  if (!photo.ok()) return photo.status();
  if (!photo->has_value()) {
    return absl::FailedPreconditionError(absl::StrCat("gallery.cover_photo: ", cover_photo, " does not exist"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Gallery> GalleryStore::Update(const std::string& gallery_id, const Gallery& patch,
                                             const std::vector<std::string>& paths, const std::string& etag) {
  kv::KeyLocks::Guard guard = locks_.Lock({gallery_id});
  auto current = LoadForChange(gallery_id, etag);
  if (!current.ok()) return current.status();
  if (IsDeleted(*current)) {
    return absl::FailedPreconditionError(absl::StrCat(current->name(), " is deleted; undelete it before editing"));
  }
  Gallery next = *current;
  for (const auto& path : paths) {
    if (path == "title") {
      next.set_title(patch.title());
    } else if (path == "description") {
      next.set_description(patch.description());
    } else if (path == "cover_photo") {
      if (!patch.cover_photo().empty()) {
        if (auto st = CheckCoverPhoto(gallery_id, patch.cover_photo()); !st.ok()) return st;
      }
      next.set_cover_photo(patch.cover_photo());
    } else {
      return absl::InvalidArgumentError(absl::StrCat("update_mask: \"", path, "\" is not a writable field"));
    }
  }
  kv::WriteBatch batch(*db_);
  Gallery written = StageWrite(&*current, std::move(next), clock_->Now(), batch);
  if (auto st = db_->Write(batch); !st.ok()) return st;
  return WithCount(std::move(written), nullptr);
}

absl::StatusOr<Gallery> GalleryStore::Delete(const std::string& gallery_id, const std::string& etag, bool force) {
  kv::KeyLocks::Guard guard = locks_.Lock({gallery_id});
  auto current = Load(gallery_id);
  if (!current.ok()) return current.status();
  if (IsDeleted(*current)) return absl::NotFoundError(absl::StrCat(current->name(), " is already deleted"));
  if (!etag.empty() && etag != current->etag()) {
    return absl::AbortedError(
        absl::StrCat("etag of ", current->name(), " does not match: it changed since it was read"));
  }
  auto count = PhotoCount(gallery_id);
  if (!count.ok()) return count.status();
  if (*count > 0 && !force) {
    return absl::FailedPreconditionError(absl::StrCat(current->name(), " still has ", *count,
                                                      " photos; delete them first or set force"));
  }
  const absl::Time now = clock_->Now();
  Gallery next = *current;
  ToProtoTime(now, next.mutable_delete_time());
  kv::WriteBatch batch(*db_);
  Gallery written = StageWrite(&*current, std::move(next), now, batch);
  if (auto st = db_->Write(batch); !st.ok()) return st;
  written.set_photo_count(static_cast<int32_t>(*count));
  return written;
}

absl::StatusOr<Gallery> GalleryStore::Undelete(const std::string& gallery_id) {
  kv::KeyLocks::Guard guard = locks_.Lock({gallery_id});
  auto current = Load(gallery_id);
  if (!current.ok()) return current.status();
  if (!IsDeleted(*current)) return absl::AlreadyExistsError(absl::StrCat(current->name(), " is not deleted"));
  Gallery next = *current;
  next.clear_delete_time();
  kv::WriteBatch batch(*db_);
  Gallery written = StageWrite(&*current, std::move(next), clock_->Now(), batch);
  if (auto st = db_->Write(batch); !st.ok()) return st;
  return WithCount(std::move(written), nullptr);
}

absl::Status GalleryStore::RebuildIndexes() {
  for (kv::CfId cf : {kMediaIndexesCf, kMediaCountersCf}) {
    kv::WriteBatch clear(*db_);
    auto it = db_->Scan(cf, "", "");
    for (; it->Valid(); it->Next()) clear.Delete(cf, it->key());
    if (auto st = it->status(); !st.ok()) return st;
    if (auto st = db_->Write(clear); !st.ok()) return st;
  }
  const std::string galleries(1, kGalleryKind);
  auto it = db_->Scan(kRecordsCf, galleries, kv::PrefixSuccessor(galleries));
  for (; it->Valid(); it->Next()) {
    Gallery g;
    if (auto st = ParseRecord(it->value(), "gallery", &g); !st.ok()) return st;
    kv::WriteBatch batch(*db_);
    for (const auto& [k, v] : GalleryIndexEntries(g)) batch.Put(kMediaIndexesCf, k, v);
    if (auto st = db_->Write(batch); !st.ok()) return st;
  }
  if (auto st = it->status(); !st.ok()) return st;
  const std::string photos(1, kPhotoKind);
  it = db_->Scan(kRecordsCf, photos, kv::PrefixSuccessor(photos));
  for (; it->Valid(); it->Next()) {
    kv::KeyReader reader(it->key().substr(1));
    absl::string_view gallery_id;
    if (!reader.ReadLengthPrefixed(&gallery_id)) return absl::DataLossError("malformed photo record key");
    Photo p;
    if (auto st = ParseRecord(it->value(), "photo", &p); !st.ok()) return st;
    kv::WriteBatch batch(*db_);
    batch.Put(kMediaIndexesCf, PhotoPositionKey(gallery_id, static_cast<uint32_t>(p.position())),
              std::string(reader.rest()));
    batch.AddInt64(kMediaCountersCf, PhotoCountKey(gallery_id), 1);
    if (auto st = db_->Write(batch); !st.ok()) return st;
  }
  return it->status();
}

}  // namespace newsdesk::content
