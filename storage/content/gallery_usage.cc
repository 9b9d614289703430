#include "storage/content/gallery_usage.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "storage/content/schema.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/proto_time.h"

namespace newsdesk::content {
namespace {

using ::newsdesk::content::v1::Article;

constexpr int64_t kDraft = std::numeric_limits<int64_t>::max();

std::string GalleryPrefix(absl::string_view gallery_id) {
  std::string k(1, kGalleryArticles);
  kv::AppendLengthPrefixed(&k, gallery_id);
  return k;
}

// From when the article counts as published; kDraft for never.
int64_t PublishedFrom(const Article& a) {
  switch (a.state()) {
    case Article::STATE_PUBLISHED:
      return a.has_publish_time() ? absl::ToUnixMicros(FromProtoTime(a.publish_time()))
                                  : std::numeric_limits<int64_t>::min();
    case Article::STATE_SCHEDULED:
      return a.has_publish_time() ? absl::ToUnixMicros(FromProtoTime(a.publish_time())) : kDraft;
    default:
      return kDraft;
  }
}

constexpr char kGalleryPrefix[] = "galleries/";

}  // namespace

void AppendGalleryUsageEntries(const Article& a, std::vector<std::pair<std::string, std::string>>* entries) {
  absl::string_view gallery = a.gallery();
  if (gallery.substr(0, sizeof(kGalleryPrefix) - 1) != kGalleryPrefix || a.state() == Article::STATE_DELETED) {
    return;
  }
  gallery.remove_prefix(sizeof(kGalleryPrefix) - 1);
  std::string key = GalleryPrefix(gallery);
  kv::AppendI64(&key, PublishedFrom(a));
  key += a.name().substr(sizeof("articles/") - 1);
  entries->emplace_back(std::move(key), "");
}

absl::StatusOr<bool> GalleryHasPublishedArticle(const kv::Database& db, absl::string_view gallery_id, absl::Time now,
                                                const kv::Snapshot* snapshot) {
  const std::string prefix = GalleryPrefix(gallery_id);
  std::string upper = prefix;
  const int64_t now_us = absl::ToUnixMicros(now);
  // Entries with a time <= now: [prefix, prefix + i64(now + 1)).
  if (now_us == std::numeric_limits<int64_t>::max()) {
    upper = kv::PrefixSuccessor(prefix);
  } else {
    kv::AppendI64(&upper, now_us + 1);
  }
  auto it = db.Scan(kIndexesCf, prefix, upper, snapshot);
  if (it->Valid()) return true;
  if (auto st = it->status(); !st.ok()) return st;
  return false;
}

absl::StatusOr<std::vector<std::string>> ArticlesUsingGallery(const kv::Database& db, absl::string_view gallery_id,
                                                              const kv::Snapshot* snapshot) {
  const std::string prefix = GalleryPrefix(gallery_id);
  std::vector<std::string> names;
  auto it = db.Scan(kIndexesCf, prefix, kv::PrefixSuccessor(prefix), snapshot);
  for (; it->Valid(); it->Next()) {
    const absl::string_view rest = it->key().substr(prefix.size());
    if (rest.size() <= 8) return absl::DataLossError("malformed gallery usage entry");
    names.push_back(absl::StrCat("articles/", rest.substr(8)));
  }
  if (auto st = it->status(); !st.ok()) return st;
  return names;
}

std::string GalleryUsageMarkerKey() { return std::string(1, kGalleryArticles); }

absl::Status EnsureGalleryUsageIndex(kv::Database* db) {
  auto marker = db->Get(kIndexesCf, GalleryUsageMarkerKey());
  if (!marker.ok()) return marker.status();
  if (marker->has_value()) return absl::OkStatus();
  // Entries of an interrupted earlier build are rewritten as they are.
  const std::string prefix(1, kArticleKind);
  auto it = db->Scan(kRecordsCf, prefix, kv::PrefixSuccessor(prefix));
  for (; it->Valid(); it->Next()) {
    Article a;
    if (!a.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("stored article ", it->key().substr(1), " is unreadable"));
    }
    std::vector<std::pair<std::string, std::string>> entries;
    AppendGalleryUsageEntries(a, &entries);
    if (entries.empty()) continue;
    kv::WriteBatch batch(*db);
    for (const auto& [k, v] : entries) batch.Put(kIndexesCf, k, v);
    if (auto st = db->Write(batch); !st.ok()) return st;
  }
  if (auto st = it->status(); !st.ok()) return st;
  kv::WriteBatch done(*db);
  done.Put(kIndexesCf, GalleryUsageMarkerKey(), "");
  return db->Write(done);
}

}  // namespace newsdesk::content
