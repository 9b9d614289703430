// GalleryStore and PhotoStore on a real RocksDB in a fresh directory.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>

#include "storage/content/gallery_store.h"
#include "storage/content/photo_store.h"
#include "storage/content/schema.h"
#include "storage/kv/clock.h"
#include "storage/kv/database.h"
#include "storage/kv/key_codec.h"
#include "tests/testing/temp_dir.h"

namespace newsdesk::content {
namespace {

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen() & 0xff);
  return s;
}

// A processed upload with arbitrary bytes: storage does not look inside.
media::ProcessedPhoto Content(size_t original_bytes, uint32_t seed = 1) {
  media::ProcessedPhoto p;
  p.original.format = media::ImageFormat::kJpeg;
  p.original.width = 4000;
  p.original.height = 3000;
  const std::string bytes = RandomBytes(original_bytes, seed);
  p.original.bytes = media::ChunkedBytes::Copy(bytes);
  p.original.sha256 = media::Sha256Hex(bytes);
  for (auto [name, size] : {std::pair<const char*, size_t>{"thumbnail", 20000}, {"medium", 150000}}) {
    media::Rendition r;
    r.name = name;
    r.image.format = media::ImageFormat::kJpeg;
    r.image.width = name == std::string("thumbnail") ? 320 : 1280;
    r.image.height = name == std::string("thumbnail") ? 240 : 960;
    const std::string rb = RandomBytes(size, seed + 100);
    r.image.bytes = media::ChunkedBytes::Copy(rb);
    r.image.sha256 = media::Sha256Hex(rb);
    p.renditions.push_back(std::move(r));
  }
  return p;
}

class MediaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(MediaStoreOptions options = {}) {
    photos_.reset();
    galleries_.reset();
    db_.reset();
    kv::DatabaseOptions o;
    o.path = dir_.path();
    o.column_families = ContentColumnFamilies();
    o.schema_version = kContentSchemaVersion;
    auto db = kv::Database::Open(o);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    galleries_ = std::make_unique<GalleryStore>(db_.get(), &clock_, options);
    photos_ = std::make_unique<PhotoStore>(galleries_.get());
  }

  Gallery MustCreateGallery(const std::string& id, const std::string& title = "Ałmaty 2018") {
    Gallery g;
    g.set_title(title);
    auto created = galleries_->Create(g, id, "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : Gallery();
  }

  Photo MustUpload(const std::string& gallery, const std::string& id, size_t size = 10000,
                   std::optional<int> position = std::nullopt) {
    Photo meta;
    meta.set_alt_text(absl::StrCat("alt of ", id));
    if (position.has_value()) meta.set_position(*position);
    auto photo = photos_->Create(gallery, id, meta, "", Content(size, static_cast<uint32_t>(id.size())), nullptr);
    EXPECT_TRUE(photo.ok()) << photo.status();
    return photo.ok() ? *photo : Photo();
  }

  std::vector<std::string> Order(const std::string& gallery) {
    auto page = photos_->List(gallery, 1000, "");
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> ids;
    if (!page.ok()) return ids;
    for (size_t i = 0; i < page->photos.size(); ++i) {
      const Photo& p = page->photos[i];
      EXPECT_EQ(p.position(), static_cast<int>(i)) << p.name();
      // The record agrees with the index.
      auto stored = photos_->Get(gallery, SplitPhotoName(p.name())->second);
      EXPECT_TRUE(stored.ok());
      if (stored.ok()) {
        EXPECT_EQ(stored->position(), static_cast<int>(i)) << p.name();
      }
      ids.push_back(SplitPhotoName(p.name())->second);
    }
    return ids;
  }

  std::string ReadAll(const std::string& gallery, const std::string& id, char object, int64_t size) {
    std::string out;
    auto snapshot = photos_->NewSnapshot();
    for (uint32_t i = 0; static_cast<int64_t>(out.size()) < size; ++i) {
      auto chunk = photos_->ReadChunk(gallery, id, object, i, snapshot.get());
      EXPECT_TRUE(chunk.ok()) << chunk.status();
      if (!chunk.ok()) break;
      EXPECT_LE(chunk->size(), kPhotoChunkBytes);
      out += *chunk;
    }
    return out;
  }

  int CountKeys(kv::CfId cf, const std::string& prefix = "") {
    int n = 0;
    auto it = db_->Scan(cf, prefix, prefix.empty() ? "" : kv::PrefixSuccessor(prefix));
    for (; it->Valid(); it->Next()) ++n;
    EXPECT_TRUE(it->status().ok());
    return n;
  }

  // Nothing of any photo in any column family (galleries may exist).
  void ExpectNoPhotoData() {
    EXPECT_EQ(CountKeys(kRecordsCf, std::string(1, kPhotoKind)), 0);
    EXPECT_EQ(CountKeys(kMediaIndexesCf, std::string(1, kPhotosByPosition)), 0);
    EXPECT_EQ(CountKeys(kPhotoBytesCf), 0);
    EXPECT_EQ(CountKeys(kRequestIdsCf, std::string(1, kPhotoKind)), 0);
  }

  testing::TempDir dir_;
  FakeClock clock_{absl::FromUnixSeconds(1525132800)};
  std::unique_ptr<kv::Database> db_;
  std::unique_ptr<GalleryStore> galleries_;
  std::unique_ptr<PhotoStore> photos_;
};

TEST_F(MediaStoreTest, GalleriesListNewestFirstAndHideDeleted) {
  for (const char* id : {"a", "b", "c"}) {
    MustCreateGallery(id);
    clock_.Advance(absl::Seconds(1));
  }
  GalleryListQuery q;
  q.page_size = 2;
  auto first = galleries_->List(q);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->galleries.size(), 2u);
  EXPECT_EQ(first->galleries[0].name(), "galleries/c");
  EXPECT_EQ(first->galleries[1].name(), "galleries/b");
  q.cursor = first->next_cursor;
  auto second = galleries_->List(q);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->galleries.size(), 1u);
  EXPECT_EQ(second->galleries[0].name(), "galleries/a");
  EXPECT_TRUE(second->next_cursor.empty());

  ASSERT_TRUE(galleries_->Delete("b", "", false).ok());
  GalleryListQuery live;
  auto after = galleries_->List(live);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->galleries.size(), 2u);
  live.show_deleted = true;
  EXPECT_EQ(galleries_->List(live)->galleries.size(), 3u);
  EXPECT_EQ(galleries_->Delete("b", "", false).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(galleries_->CheckLive("b").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(galleries_->Undelete("b").ok());
  EXPECT_TRUE(galleries_->CheckLive("b").ok());
  EXPECT_EQ(galleries_->Undelete("b").status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(galleries_->CheckLive("zzz").code(), absl::StatusCode::kNotFound);
}

TEST_F(MediaStoreTest, GalleryCreateIsIdempotentByRequestIdAndRejectsTakenIds) {
  Gallery g;
  g.set_title("Wizyta");
  auto first = galleries_->Create(g, "", "req-1");
  ASSERT_TRUE(first.ok());
  auto again = galleries_->Create(g, "", "req-1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->name(), first->name());
  EXPECT_EQ(again->etag(), first->etag());
  MustCreateGallery("taken");
  EXPECT_EQ(galleries_->Create(g, "taken", "").status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(MediaStoreTest, GalleryUpdateChecksEtagAndCoverPhoto) {
  Gallery created = MustCreateGallery("g");
  Gallery patch;
  patch.set_title("Nowy tytuł");
  EXPECT_EQ(galleries_->Update("g", patch, {"title"}, "stale").status().code(), absl::StatusCode::kAborted);
  auto updated = galleries_->Update("g", patch, {"title"}, created.etag());
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->title(), "Nowy tytuł");
  EXPECT_NE(updated->etag(), created.etag());

  patch.set_cover_photo("galleries/g/photos/p1");
  auto missing = galleries_->Update("g", patch, {"cover_photo"}, "");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition) << missing.status();
  MustUpload("g", "p1");
  auto covered = galleries_->Update("g", patch, {"cover_photo"}, "");
  ASSERT_TRUE(covered.ok()) << covered.status();
  EXPECT_EQ(covered->cover_photo(), "galleries/g/photos/p1");
  EXPECT_EQ(covered->photo_count(), 1);

  // Deleting the cover photo clears the cover.
  ASSERT_TRUE(photos_->Delete("g", "p1", "").ok());
  auto after = galleries_->Get("g");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->cover_photo(), "");
  EXPECT_EQ(after->photo_count(), 0);
}

TEST_F(MediaStoreTest, DeletingAGalleryWithPhotosNeedsForce) {
  MustCreateGallery("g");
  MustUpload("g", "p1");
  auto refused = galleries_->Delete("g", "", false);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("1 photos"), std::string::npos) << refused.status();
  auto deleted = galleries_->Delete("g", "", true);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_TRUE(deleted->has_delete_time());
  // The photos stay, read-only, until the gallery is undeleted.
  EXPECT_TRUE(photos_->Get("g", "p1").ok());
  Photo meta;
  meta.set_alt_text("x");
  EXPECT_EQ(photos_->Create("g", "p2", meta, "", Content(100), nullptr).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(photos_->Delete("g", "p1", "").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(galleries_->Undelete("g").ok());
  EXPECT_TRUE(photos_->Delete("g", "p1", "").ok());
}

TEST_F(MediaStoreTest, UploadStoresChunksRecordCounterAndRenditions) {
  MustCreateGallery("g");
  const size_t size = 2 * kPhotoChunkBytes + 12345;
  media::ProcessedPhoto content = Content(size, 7);
  const std::string original = content.original.bytes.ToString();
  const std::string thumb = content.renditions[0].image.bytes.ToString();
  Photo meta;
  meta.set_alt_text("Delegacja");
  meta.set_caption("Podpisanie memorandum");
  meta.set_credit("Biuro prasowe");
  auto photo = photos_->Create("g", "p", meta, "", std::move(content), nullptr);
  ASSERT_TRUE(photo.ok()) << photo.status();
  EXPECT_EQ(photo->name(), "galleries/g/photos/p");
  EXPECT_EQ(photo->size_bytes(), static_cast<int64_t>(size));
  EXPECT_EQ(photo->sha256(), media::Sha256Hex(original));
  EXPECT_EQ(photo->content_type(), "image/jpeg");
  EXPECT_EQ(photo->position(), 0);
  ASSERT_EQ(photo->renditions_size(), 2);
  EXPECT_EQ(CountKeys(kPhotoBytesCf), 3 + 1 + 1);
  EXPECT_EQ(ReadAll("g", "p", kPhotoOriginal, photo->size_bytes()), original);
  EXPECT_EQ(ReadAll("g", "p", kPhotoThumbnail, photo->renditions(0).size_bytes()), thumb);
  EXPECT_EQ(galleries_->Get("g")->photo_count(), 1);
  auto got = photos_->Get("g", "p");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->etag(), photo->etag());
  EXPECT_EQ(got->caption(), "Podpisanie memorandum");
}

TEST_F(MediaStoreTest, PositionsStayDenseThroughInsertMoveAndDelete) {
  MustCreateGallery("g");
  for (const char* id : {"a", "b", "c", "d"}) MustUpload("g", id);
  EXPECT_EQ(Order("g"), (std::vector<std::string>{"a", "b", "c", "d"}));
  MustUpload("g", "x", 100, 1);  // insert
  EXPECT_EQ(Order("g"), (std::vector<std::string>{"a", "x", "b", "c", "d"}));
  MustUpload("g", "y", 100, 99);  // past the end appends
  EXPECT_EQ(Order("g"), (std::vector<std::string>{"a", "x", "b", "c", "d", "y"}));

  Photo move;
  move.set_position(0);
  auto moved = photos_->Update("g", "d", move, {"position"}, "");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->position(), 0);
  EXPECT_EQ(Order("g"), (std::vector<std::string>{"d", "a", "x", "b", "c", "y"}));
  move.set_position(4);
  ASSERT_TRUE(photos_->Update("g", "a", move, {"position"}, "").ok());
  EXPECT_EQ(Order("g"), (std::vector<std::string>{"d", "x", "b", "c", "a", "y"}));
  move.set_position(1000);  // clamped to the last position
  ASSERT_TRUE(photos_->Update("g", "d", move, {"position"}, "").ok());
  EXPECT_EQ(Order("g"), (std::vector<std::string>{"x", "b", "c", "a", "y", "d"}));

  ASSERT_TRUE(photos_->Delete("g", "c", "").ok());
  EXPECT_EQ(Order("g"), (std::vector<std::string>{"x", "b", "a", "y", "d"}));
  ASSERT_TRUE(photos_->Delete("g", "d", "").ok());
  ASSERT_TRUE(photos_->Delete("g", "x", "").ok());
  EXPECT_EQ(Order("g"), (std::vector<std::string>{"b", "a", "y"}));
  EXPECT_EQ(galleries_->Get("g")->photo_count(), 3);
  EXPECT_EQ(CountKeys(kMediaIndexesCf, PhotoPositionPrefix("g")), 3);
}

TEST_F(MediaStoreTest, MovingAPhotoChangesTheEtagsOfThePhotosItPasses) {
  MustCreateGallery("g");
  Photo a = MustUpload("g", "a");
  Photo b = MustUpload("g", "b");
  Photo c = MustUpload("g", "c");
  Photo move;
  move.set_position(0);
  ASSERT_TRUE(photos_->Update("g", "c", move, {"position"}, c.etag()).ok());
  EXPECT_NE(photos_->Get("g", "a")->etag(), a.etag());
  EXPECT_NE(photos_->Get("g", "b")->etag(), b.etag());
  // So a write based on the old position is refused.
  move.set_position(2);
  EXPECT_EQ(photos_->Update("g", "a", move, {"position"}, a.etag()).status().code(), absl::StatusCode::kAborted);
}

TEST_F(MediaStoreTest, ListPagesInGalleryOrder) {
  MustCreateGallery("g");
  for (int i = 0; i < 5; ++i) MustUpload("g", absl::StrCat("p", i));
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = photos_->List("g", 2, cursor);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& p : page->photos) seen.push_back(p.name());
    cursor = page->next_cursor;
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen.front(), "galleries/g/photos/p0");
  EXPECT_EQ(seen.back(), "galleries/g/photos/p4");
  EXPECT_EQ(photos_->List("g", 2, "xyz").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(photos_->List("nope", 2, "").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(MediaStoreTest, CancelledUploadWritesNothing) {
  MustCreateGallery("g");
  Photo meta;
  meta.set_alt_text("x");
  auto photo = photos_->Create("g", "p", meta, "req", Content(3 * kPhotoChunkBytes), [] { return false; });
  EXPECT_EQ(photo.status().code(), absl::StatusCode::kCancelled) << photo.status();
  ExpectNoPhotoData();
  EXPECT_EQ(galleries_->Get("g")->photo_count(), 0);
  // The request id was not consumed either.
  auto retried = photos_->Create("g", "p", meta, "req", Content(100), [] { return true; });
  EXPECT_TRUE(retried.ok()) << retried.status();
}

TEST_F(MediaStoreTest, RequestIdReplaysTheFirstUpload) {
  MustCreateGallery("g");
  Photo meta;
  meta.set_alt_text("x");
  auto first = photos_->Create("g", "", meta, "req-7", Content(1000), nullptr);
  ASSERT_TRUE(first.ok());
  auto prepared = photos_->PrepareUpload("g", "", "req-7");
  ASSERT_TRUE(prepared.ok());
  ASSERT_TRUE(prepared->has_value());
  EXPECT_EQ((*prepared)->name(), first->name());
  auto again = photos_->Create("g", "", meta, "req-7", Content(1000), nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->name(), first->name());
  EXPECT_EQ(galleries_->Get("g")->photo_count(), 1);
  EXPECT_EQ(CountKeys(kRecordsCf, std::string(1, kPhotoKind)), 1);
}

TEST_F(MediaStoreTest, PrepareUploadChecksGalleryIdAndCapacity) {
  MediaStoreOptions options;
  options.max_photos_per_gallery = 2;
  Open(options);
  EXPECT_EQ(photos_->PrepareUpload("g", "p", "").status().code(), absl::StatusCode::kNotFound);
  MustCreateGallery("g");
  MustUpload("g", "p");
  EXPECT_EQ(photos_->PrepareUpload("g", "p", "").status().code(), absl::StatusCode::kAlreadyExists);
  MustUpload("g", "q");
  EXPECT_EQ(photos_->PrepareUpload("g", "r", "").status().code(), absl::StatusCode::kResourceExhausted);
  Photo meta;
  meta.set_alt_text("x");
  EXPECT_EQ(photos_->Create("g", "r", meta, "", Content(10), nullptr).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(MediaStoreTest, PhotoBytesLiveInBlobFiles) {
  MustCreateGallery("g");
  MustUpload("g", "p", 3 * kPhotoChunkBytes);
  ASSERT_TRUE(db_->CompactAll(kPhotoBytesCf).ok());
  auto blob_files = db_->GetIntProperty(kPhotoBytesCf, "rocksdb.num-blob-files");
  ASSERT_TRUE(blob_files.ok()) << blob_files.status();
  EXPECT_GE(*blob_files, 1u);
  auto blob_bytes = db_->GetIntProperty(kPhotoBytesCf, "rocksdb.total-blob-file-size");
  ASSERT_TRUE(blob_bytes.ok());
  EXPECT_GE(*blob_bytes, 3 * kPhotoChunkBytes);
  // The LSM tree holds only references.
  auto sst_bytes = db_->GetIntProperty(kPhotoBytesCf, "rocksdb.total-sst-files-size");
  ASSERT_TRUE(sst_bytes.ok());
  EXPECT_LT(*sst_bytes, 64u << 10);
}

TEST_F(MediaStoreTest, DeletingAPhotoReleasesItsBytesToBlobGarbageCollection) {
  MustCreateGallery("g");
  MustUpload("g", "keep", 2 * kPhotoChunkBytes);
  MustUpload("g", "drop", 4 * kPhotoChunkBytes);
  ASSERT_TRUE(db_->CompactAll(kPhotoBytesCf).ok());
  const uint64_t before = *db_->GetIntProperty(kPhotoBytesCf, "rocksdb.total-blob-file-size");
  EXPECT_GE(before, 6 * kPhotoChunkBytes);
  ASSERT_TRUE(photos_->Delete("g", "drop", "").ok());
  ASSERT_TRUE(db_->CompactAll(kPhotoBytesCf).ok());
  const uint64_t after = *db_->GetIntProperty(kPhotoBytesCf, "rocksdb.total-blob-file-size");
  EXPECT_LT(after, 3 * kPhotoChunkBytes) << "before " << before;
  EXPECT_GE(after, 2 * kPhotoChunkBytes);
  EXPECT_EQ(ReadAll("g", "keep", kPhotoOriginal, 2 * kPhotoChunkBytes).size(), 2 * kPhotoChunkBytes);
}

TEST_F(MediaStoreTest, PhotosSurviveReopen) {
  MustCreateGallery("g");
  Photo photo = MustUpload("g", "p", kPhotoChunkBytes + 5);
  const std::string before = ReadAll("g", "p", kPhotoOriginal, photo.size_bytes());
  Open();
  auto got = photos_->Get("g", "p");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->sha256(), photo.sha256());
  EXPECT_EQ(ReadAll("g", "p", kPhotoOriginal, photo.size_bytes()), before);
  EXPECT_EQ(media::Sha256Hex(before), photo.sha256());
  EXPECT_EQ(galleries_->Get("g")->photo_count(), 1);
}

TEST_F(MediaStoreTest, SnapshotKeepsADownloadWholeAcrossADelete) {
  MustCreateGallery("g");
  Photo photo = MustUpload("g", "p", 2 * kPhotoChunkBytes);
  auto snapshot = photos_->NewSnapshot();
  ASSERT_TRUE(photos_->Delete("g", "p", "").ok());
  auto chunk = photos_->ReadChunk("g", "p", kPhotoOriginal, 1, snapshot.get());
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(chunk->size(), kPhotoChunkBytes);
  EXPECT_EQ(photos_->ReadChunk("g", "p", kPhotoOriginal, 1, nullptr).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(photos_->Get("g", "p").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(MediaStoreTest, RebuildIndexesRestoresListingsOrderAndCounts) {
  MustCreateGallery("a");
  clock_.Advance(absl::Seconds(1));
  MustCreateGallery("b");
  for (const char* id : {"x", "y", "z"}) MustUpload("a", id);
  Photo move;
  move.set_position(0);
  ASSERT_TRUE(photos_->Update("a", "z", move, {"position"}, "").ok());
  ASSERT_TRUE(galleries_->Delete("b", "", false).ok());
  const std::vector<std::string> order = Order("a");
  const int index_keys = CountKeys(kMediaIndexesCf);

  // Lose every index entry and counter, then rebuild.
  for (kv::CfId cf : {kMediaIndexesCf, kMediaCountersCf}) {
    kv::WriteBatch wipe(*db_);
    auto it = db_->Scan(cf, "", "");
    for (; it->Valid(); it->Next()) wipe.Delete(cf, it->key());
    ASSERT_TRUE(db_->Write(wipe).ok());
  }
  EXPECT_EQ(galleries_->Get("a")->photo_count(), 0);
  ASSERT_TRUE(galleries_->RebuildIndexes().ok());
  EXPECT_EQ(CountKeys(kMediaIndexesCf), index_keys);
  EXPECT_EQ(Order("a"), order);
  EXPECT_EQ(galleries_->Get("a")->photo_count(), 3);
  GalleryListQuery live;
  auto listed = galleries_->List(live);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->galleries.size(), 1u);
  EXPECT_EQ(listed->galleries[0].name(), "galleries/a");
}

TEST(MediaSchemaTest, OpensAVersion1DatabaseAndMarksItCurrentOnlyWhenAsked) {
  testing::TempDir dir;
  {
    // A database as the binary before galleries wrote it.
    kv::DatabaseOptions v1;
    v1.path = dir.path();
    v1.column_families = ContentColumnFamilies();
    v1.column_families.resize(5);
    v1.schema_version = 1;
    auto db = kv::Database::Open(v1);
    ASSERT_TRUE(db.ok()) << db.status();
    kv::WriteBatch batch(**db);
    batch.Put(kRecordsCf, "a-old", "kept");
    ASSERT_TRUE((*db)->Write(batch).ok());
  }
  kv::DatabaseOptions current = ContentDatabaseOptions(dir.path());
  // Without a path from version 1 the database is refused...
  kv::DatabaseOptions strict = current;
  strict.rebuildable_from.clear();
  EXPECT_EQ(kv::Database::Open(strict).status().code(), absl::StatusCode::kFailedPrecondition);
  // ...with it, the database opens with its data and the new column
  // families, and keeps version 1 until its indexes are regenerated (an
  // interrupted upgrade starts again at the next open).
  for (int open = 0; open < 2; ++open) {
    auto db = kv::Database::Open(current);
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_EQ((*db)->stored_schema_version(), 1u);
    EXPECT_EQ(**(*db)->Get(kRecordsCf, "a-old"), "kept");
    kv::WriteBatch batch(**db);
    batch.Put(kPhotoBytesCf, "chunk", std::string(100000, 'x'));
    ASSERT_TRUE((*db)->Write(batch).ok());
  }
  {
    auto db = kv::Database::Open(current);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->MarkSchemaCurrent().ok());
    EXPECT_EQ((*db)->stored_schema_version(), kContentSchemaVersion);
  }
  {
    auto db = kv::Database::Open(current);
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_EQ((*db)->stored_schema_version(), kContentSchemaVersion);
  }
  // The old binary now refuses it.
  kv::DatabaseOptions v1;
  v1.path = dir.path();
  v1.column_families = ContentColumnFamilies();
  v1.column_families.resize(5);
  v1.schema_version = 1;
  auto old = kv::Database::Open(v1);
  EXPECT_EQ(old.status().code(), absl::StatusCode::kFailedPrecondition) << old.status();
}

}  // namespace
}  // namespace newsdesk::content
