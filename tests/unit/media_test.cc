// Unit tests of photo handling that needs no disk and no server: byte
// chunking, format sniffing, libvips processing (decoding checks, privacy
// metadata, orientation, renditions), request validation, the upload
// assembler, download planning and the media key layout.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "services/content/media_validation.h"
#include "services/content/photo_streams.h"
#include "storage/content/gallery_store.h"
#include "storage/content/photo_store.h"
#include "storage/content/schema.h"
#include "storage/media/chunked_bytes.h"
#include "storage/media/image.h"
#include "storage/media/synthetic_image.h"
#include "tests/unit/media_test_images.h"

namespace newsdesk::content {
namespace {

using media::ChunkedBytes;
using media::ImageFormat;
using testing::MakeImage;

// --- ChunkedBytes ---------------------------------------------------------

TEST(ChunkedBytesTest, AppendSplitsIntoWholeChunks) {
  ChunkedBytes b;
  const std::string a(ChunkedBytes::kChunkBytes - 10, 'a');
  b.Append(absl::string_view(a));
  b.Append(absl::string_view(std::string(25, 'b')));
  ASSERT_EQ(b.chunk_count(), 2u);
  EXPECT_EQ(b.chunk(0).size(), ChunkedBytes::kChunkBytes);
  EXPECT_EQ(b.chunk(1), std::string(15, 'b'));
  EXPECT_EQ(b.size(), ChunkedBytes::kChunkBytes + 15);
}

TEST(ChunkedBytesTest, AlignedWholeChunkIsTakenOverWithoutCopy) {
  ChunkedBytes b;
  std::string chunk(ChunkedBytes::kChunkBytes, 'x');
  const char* data = chunk.data();
  b.Append(std::move(chunk));
  ASSERT_EQ(b.chunk_count(), 1u);
  EXPECT_EQ(b.chunk(0).data(), data);
}

TEST(ChunkedBytesTest, ReadAtCrossesChunkBoundaries) {
  std::string all;
  for (size_t i = 0; i < ChunkedBytes::kChunkBytes * 2 + 100; ++i) all.push_back(static_cast<char>(i * 7));
  ChunkedBytes b = ChunkedBytes::Copy(all);
  std::string out(300, '\0');
  const size_t offset = ChunkedBytes::kChunkBytes - 150;
  ASSERT_EQ(b.ReadAt(offset, out.data(), out.size()), 300u);
  EXPECT_EQ(out, all.substr(offset, 300));
  EXPECT_EQ(b.ReadAt(all.size() - 5, out.data(), out.size()), 5u);
  EXPECT_EQ(b.ReadAt(all.size(), out.data(), out.size()), 0u);
  EXPECT_EQ(b.ToString(), all);
}

TEST(ChunkedBytesTest, Sha256MatchesKnownVectorAcrossChunks) {
  // SHA-256("abc").
  EXPECT_EQ(media::Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string big(ChunkedBytes::kChunkBytes * 3 + 17, 'q');
  EXPECT_EQ(ChunkedBytes::Copy(big).Sha256Hex(), media::Sha256Hex(big));
}

// --- Sniffing ---------------------------------------------------------------

TEST(SniffFormatTest, RecognisesMagicNumbersOnly) {
  EXPECT_EQ(media::SniffFormat(std::string("\xff\xd8\xff\xe0", 4)), ImageFormat::kJpeg);
  EXPECT_EQ(media::SniffFormat(std::string("\x89PNG\r\n\x1a\n", 8)), ImageFormat::kPng);
  EXPECT_EQ(media::SniffFormat(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)), ImageFormat::kWebp);
  EXPECT_EQ(media::SniffFormat(std::string("RIFF\x10\0\0\0WAVEfmt ", 16)), std::nullopt);
  EXPECT_EQ(media::SniffFormat("GIF89a"), std::nullopt);
  EXPECT_EQ(media::SniffFormat("Hello, I am photo.jpg"), std::nullopt);
  EXPECT_EQ(media::SniffFormat(""), std::nullopt);
}

// --- ProcessPhoto -------------------------------------------------------------

class ProcessPhotoTest : public ::testing::TestWithParam<ImageFormat> {};

TEST_P(ProcessPhotoTest, CleanImageIsStoredByteForByteWithRenditions) {
  const std::string bytes = MakeImage({.format = GetParam(), .width = 1600, .height = 900});
  auto processed = media::ProcessPhoto(ChunkedBytes::Copy(bytes));
  ASSERT_TRUE(processed.ok()) << processed.status();
  EXPECT_FALSE(processed->rewritten);
  EXPECT_EQ(processed->original.format, GetParam());
  EXPECT_EQ(processed->original.width, 1600);
  EXPECT_EQ(processed->original.height, 900);
  EXPECT_EQ(processed->original.bytes.ToString(), bytes);
  EXPECT_EQ(processed->original.sha256, media::Sha256Hex(bytes));
  ASSERT_EQ(processed->renditions.size(), 2u);
  EXPECT_EQ(processed->renditions[0].name, "thumbnail");
  EXPECT_EQ(processed->renditions[0].image.width, 320);
  EXPECT_EQ(processed->renditions[0].image.height, 180);
  EXPECT_EQ(processed->renditions[1].name, "medium");
  EXPECT_EQ(processed->renditions[1].image.width, 1280);
  EXPECT_EQ(processed->renditions[1].image.height, 720);
  for (const auto& r : processed->renditions) {
    const std::string rb = r.image.bytes.ToString();
    EXPECT_EQ(r.image.sha256, media::Sha256Hex(rb));
    auto info = media::InspectImage(rb, /*decode_pixels=*/true);
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->format, GetParam());
    EXPECT_EQ(info->width, r.image.width);
    EXPECT_EQ(info->height, r.image.height);
  }
}

TEST_P(ProcessPhotoTest, TruncatedImageIsInvalidArgument) {
  const std::string bytes = MakeImage({.format = GetParam(), .width = 400, .height = 300, .noise = true});
  for (double fraction : {0.9, 0.5, 0.1}) {
    const std::string cut = bytes.substr(0, static_cast<size_t>(bytes.size() * fraction));
    auto processed = media::ProcessPhoto(ChunkedBytes::Copy(cut));
    EXPECT_EQ(processed.status().code(), absl::StatusCode::kInvalidArgument) << fraction << " " << processed.status();
    EXPECT_TRUE(absl::StartsWith(processed.status().message(), "photo:")) << processed.status();
  }
}

TEST_P(ProcessPhotoTest, PrivateMetadataIsRemovedAndTheRestKept) {
  const std::string bytes = MakeImage({.format = GetParam(),
                                       .width = 200,
                                       .height = 100,
                                       .string_fields = testing::PrivateExifFields()});
  // The fixture really carries what must go.
  auto before = media::InspectImage(bytes);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(testing::HasField(*before, "exif-ifd3-GPSLatitude")) << "libvips did not write GPS for this format";
  ASSERT_TRUE(absl::StrContains(bytes, testing::kGpsMarker));
  ASSERT_TRUE(absl::StrContains(bytes, testing::kSerialMarker));

  auto processed = media::ProcessPhoto(ChunkedBytes::Copy(bytes));
  ASSERT_TRUE(processed.ok()) << processed.status();
  EXPECT_TRUE(processed->rewritten);
  const std::string stored = processed->original.bytes.ToString();
  EXPECT_FALSE(absl::StrContains(stored, testing::kGpsMarker));
  EXPECT_FALSE(absl::StrContains(stored, testing::kSerialMarker));
  EXPECT_FALSE(absl::StrContains(stored, testing::kOwnerMarker));
  auto after = media::InspectImage(stored, /*decode_pixels=*/true);
  ASSERT_TRUE(after.ok()) << after.status();
  for (const auto& [name, value] : after->fields) {
    EXPECT_FALSE(absl::StartsWith(name, "exif-ifd3-")) << name;
    EXPECT_FALSE(absl::EndsWith(name, "SerialNumber")) << name;
  }
  EXPECT_TRUE(testing::HasField(*after, "exif-ifd0-Artist"));
  EXPECT_EQ(processed->original.sha256, media::Sha256Hex(stored));
  EXPECT_EQ(after->width, 200);
}

TEST_P(ProcessPhotoTest, KeepingPrivateMetadataStoresTheUploadAsIs) {
  const std::string bytes = MakeImage({.format = GetParam(),
                                       .width = 200,
                                       .height = 100,
                                       .string_fields = testing::PrivateExifFields()});
  media::ProcessOptions options;
  options.strip_private_metadata = false;
  auto processed = media::ProcessPhoto(ChunkedBytes::Copy(bytes), options);
  ASSERT_TRUE(processed.ok()) << processed.status();
  EXPECT_FALSE(processed->rewritten);
  EXPECT_EQ(processed->original.bytes.ToString(), bytes);
}

TEST_P(ProcessPhotoTest, DecompressionBombIsRefusedFromTheHeader) {
  const std::string bomb = testing::WithDeclaredSize(
      MakeImage({.format = GetParam(), .width = 64, .height = 48}), GetParam(), 16000, 16000);
  media::ProcessOptions options;
  options.max_pixels = 100'000'000;
  auto processed = media::ProcessPhoto(ChunkedBytes::Copy(bomb), options);
  ASSERT_EQ(processed.status().code(), absl::StatusCode::kInvalidArgument) << processed.status();
  EXPECT_TRUE(absl::StrContains(processed.status().message(), "16000 x 16000")) << processed.status();
}

INSTANTIATE_TEST_SUITE_P(Formats, ProcessPhotoTest,
                         ::testing::Values(ImageFormat::kJpeg, ImageFormat::kPng, ImageFormat::kWebp),
                         [](const auto& info) { return std::string(media::FormatName(info.param)); });

TEST(ProcessPhotoOrientationTest, OrientationIsAppliedToPixelsAndRenditions) {
  // Orientation 6: the camera was turned; the stored photo must be upright.
  const std::string bytes = MakeImage({.format = ImageFormat::kJpeg, .width = 600, .height = 400, .orientation = 6});
  auto processed = media::ProcessPhoto(ChunkedBytes::Copy(bytes));
  ASSERT_TRUE(processed.ok()) << processed.status();
  EXPECT_TRUE(processed->rewritten);
  EXPECT_EQ(processed->original.width, 400);
  EXPECT_EQ(processed->original.height, 600);
  auto info = media::InspectImage(processed->original.bytes.ToString());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->orientation, 1);
  EXPECT_EQ(info->width, 400);
  EXPECT_EQ(processed->renditions[0].image.width, 320);
  EXPECT_EQ(processed->renditions[0].image.height, 480);
}

TEST(ProcessPhotoTest2, SmallImageIsNotEnlarged) {
  const std::string bytes = MakeImage({.format = ImageFormat::kPng, .width = 100, .height = 50});
  auto processed = media::ProcessPhoto(ChunkedBytes::Copy(bytes));
  ASSERT_TRUE(processed.ok()) << processed.status();
  for (const auto& r : processed->renditions) {
    EXPECT_EQ(r.image.width, 100) << r.name;
    EXPECT_EQ(r.image.height, 50) << r.name;
  }
}

TEST(ProcessPhotoTest2, NonImagesAreInvalidArgument) {
  for (const std::string& bytes :
       {std::string("This is a text file someone named photo.jpg\n"), std::string("GIF89a\x01\0\x01\0", 10),
        std::string("\xff\xd8\xff", 3), std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, '\0')}) {
    auto processed = media::ProcessPhoto(ChunkedBytes::Copy(bytes));
    EXPECT_EQ(processed.status().code(), absl::StatusCode::kInvalidArgument) << processed.status();
  }
  auto empty = media::ProcessPhoto(ChunkedBytes());
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ProcessPhotoTest2, OtherFormatsAreBlockedEvenThroughLibvipsDetection) {
  // A GIF passes no magic-number check; and libvips' own loaders for other
  // formats are blocked, so nothing reaches them.
  const std::string gif("GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;",
                        43);
  auto processed = media::ProcessPhoto(ChunkedBytes::Copy(gif));
  EXPECT_EQ(processed.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PrivateMetadataTest, Classification) {
  EXPECT_TRUE(media::IsPrivateMetadata("exif-ifd3-GPSLatitude", ""));
  EXPECT_TRUE(media::IsPrivateMetadata("exif-ifd3-GPSVersionID", ""));
  EXPECT_TRUE(media::IsPrivateMetadata("exif-ifd2-BodySerialNumber", ""));
  EXPECT_TRUE(media::IsPrivateMetadata("exif-ifd2-LensSerialNumber", ""));
  EXPECT_TRUE(media::IsPrivateMetadata("exif-ifd2-CameraOwnerName", ""));
  EXPECT_TRUE(media::IsPrivateMetadata("exif-ifd2-MakerNote", ""));
  EXPECT_TRUE(media::IsPrivateMetadata("xmp-data", "<exif:GPSLatitude>50,3N</exif:GPSLatitude>"));
  EXPECT_FALSE(media::IsPrivateMetadata("xmp-data", "<dc:creator>Agencja</dc:creator>"));
  EXPECT_FALSE(media::IsPrivateMetadata("exif-ifd0-Artist", ""));
  EXPECT_FALSE(media::IsPrivateMetadata("exif-ifd0-Copyright", ""));
  EXPECT_FALSE(media::IsPrivateMetadata("exif-ifd0-Orientation", ""));
  EXPECT_FALSE(media::IsPrivateMetadata("icc-profile-data", ""));
}

// --- Validation -------------------------------------------------------------

TEST(MediaValidationTest, PhotoNames) {
  auto ok = ParsePhotoName("name", "galleries/almaty-2018/photos/p1");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->first, "almaty-2018");
  EXPECT_EQ(ok->second, "p1");
  for (const char* bad : {"", "galleries/a", "galleries/a/photos/", "galleries/a/photos/B", "galleries//photos/p",
                          "articles/a/photos/p", "galleries/a/photo/p", "galleries/a/photos/p/x"}) {
    auto st = ParsePhotoName("name", bad).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StartsWith(st.message(), "name:")) << st;
  }
}

TEST(MediaValidationTest, AltTextIsRequired) {
  v1::Photo p;
  auto st = ValidatePhoto(WritablePhotoFields(), p, "metadata.photo");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(st.message(), "metadata.photo.alt_text: required")) << st;
  p.set_alt_text("Delegacja przed szpitalem");
  EXPECT_TRUE(ValidatePhoto(WritablePhotoFields(), p, "metadata.photo").ok());
  p.set_position(-1);
  EXPECT_TRUE(absl::StrContains(ValidatePhoto(WritablePhotoFields(), p).message(), "photo.position"));
  p.set_position(0);
  p.set_caption(std::string(kMaxCaptionChars + 1, 'a'));
  EXPECT_TRUE(absl::StrContains(ValidatePhoto(WritablePhotoFields(), p).message(), "photo.caption"));
}

TEST(MediaValidationTest, GalleryCoverPhotoMustBeItsOwn) {
  v1::Gallery g;
  g.set_title("Ałmaty 2018");
  g.set_cover_photo("galleries/other/photos/p1");
  auto st = ValidateGallery(WritableGalleryFields(), g, "almaty");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(st.message(), "gallery.cover_photo:")) << st;
  g.set_cover_photo("galleries/almaty/photos/p1");
  EXPECT_TRUE(ValidateGallery(WritableGalleryFields(), g, "almaty").ok());
  g.set_title("");
  EXPECT_TRUE(absl::StartsWith(ValidateGallery(WritableGalleryFields(), g, "almaty").message(), "gallery.title"));
}

TEST(MediaValidationTest, NewGalleryHasNoCoverPhoto) {
  v1::Gallery g;
  g.set_title("Ałmaty 2018");
  EXPECT_TRUE(ValidateNewGallery(g, "almaty").ok());
  EXPECT_TRUE(ValidateNewGallery(g, "").ok());
  // Its own photo or another gallery's: no photo can exist yet.
  for (const char* cover : {"galleries/almaty/photos/p1", "galleries/other/photos/p1"}) {
    g.set_cover_photo(cover);
    for (const char* id : {"almaty", ""}) {
      auto st = ValidateNewGallery(g, id);
      EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << cover << " " << id;
      EXPECT_TRUE(absl::StartsWith(st.message(), "gallery.cover_photo:")) << st;
    }
  }
}

TEST(MediaValidationTest, DownloadRequestsAreCheckedBeforeAnyLookup) {
  v1::DownloadPhotoRequest r;
  r.set_name("galleries/g/photos/p");
  ASSERT_TRUE(ValidateDownload(r).ok());
  EXPECT_EQ(ValidateDownload(r)->first, "g");
  for (const char* rendition : {"thumbnail", "medium"}) {
    r.set_rendition(rendition);
    EXPECT_TRUE(ValidateDownload(r).ok()) << rendition;
  }
  for (const std::string& rendition : {std::string("original"), std::string("THUMBNAIL"),
                                      std::string("../thumbnail"), std::string("thumbnail\0", 10)}) {
    r.set_rendition(rendition);
    auto st = ValidateDownload(r).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StartsWith(st.message(), "rendition:")) << st;
  }
  r.clear_rendition();
  r.set_offset(-1);
  EXPECT_TRUE(absl::StartsWith(ValidateDownload(r).status().message(), "offset:"));
  r.set_offset(0);
  r.set_name("galleries/g/photos/../p");
  EXPECT_TRUE(absl::StartsWith(ValidateDownload(r).status().message(), "name:"));
}

TEST(MediaValidationTest, UpdateMasks) {
  v1::Photo p;
  p.set_caption("c");
  p.set_position(3);
  google::protobuf::FieldMask mask;
  auto paths = ResolvePhotoUpdateMask(mask, p);
  ASSERT_TRUE(paths.ok());
  EXPECT_EQ(*paths, (std::vector<std::string>{"caption", "position"}));
  mask.add_paths("sha256");
  EXPECT_TRUE(absl::StrContains(ResolvePhotoUpdateMask(mask, p).status().message(), "output only"));
  mask.Clear();
  mask.add_paths("position");
  p.clear_position();
  EXPECT_TRUE(absl::StrContains(ResolvePhotoUpdateMask(mask, p).status().message(), "photo.position: required"));
  v1::Gallery g;
  mask.Clear();
  EXPECT_EQ(ResolveGalleryUpdateMask(mask, g).status().code(), absl::StatusCode::kInvalidArgument);
  mask.add_paths("photo_count");
  EXPECT_TRUE(absl::StrContains(ResolveGalleryUpdateMask(mask, g).status().message(), "output only"));
}

// --- UploadAssembler ----------------------------------------------------------

v1::UploadPhotoRequest Metadata(int64_t size = 0) {
  v1::UploadPhotoRequest r;
  r.mutable_metadata()->set_parent("galleries/g");
  r.mutable_metadata()->mutable_photo()->set_alt_text("alt");
  r.mutable_metadata()->set_size_bytes(size);
  return r;
}

v1::UploadPhotoRequest Chunk(size_t n) {
  v1::UploadPhotoRequest r;
  r.set_chunk_data(std::string(n, 'x'));
  return r;
}

TEST(UploadAssemblerTest, AcceptsMetadataThenChunksUpToTheLimit) {
  UploadAssembler a(100);
  auto m = Metadata();
  ASSERT_TRUE(a.Accept(m).ok());
  auto c1 = Chunk(60), c2 = Chunk(40), c3 = Chunk(1);
  ASSERT_TRUE(a.Accept(c1).ok());
  ASSERT_TRUE(a.Accept(c2).ok());
  EXPECT_TRUE(a.Finish().ok());
  EXPECT_EQ(a.received(), 100);
  auto st = a.Accept(c3);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  EXPECT_EQ(a.received(), 100);  // nothing past the limit is kept
  EXPECT_EQ(a.gallery_id(), "g");
}

TEST(UploadAssemblerTest, RejectsMessagesOutOfOrder) {
  UploadAssembler a(100);
  auto c = Chunk(10);
  auto st = a.Accept(c);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(st.message(), "metadata: required")) << st;
  auto m = Metadata();
  ASSERT_TRUE(a.Accept(m).ok());
  auto again = Metadata();
  EXPECT_TRUE(absl::StartsWith(a.Accept(again).message(), "metadata: only the first")) << a.Accept(again);
  v1::UploadPhotoRequest unset;
  EXPECT_EQ(a.Accept(unset).code(), absl::StatusCode::kInvalidArgument);
}

TEST(UploadAssemblerTest, RejectsEmptyUploadsAndMissingMetadata) {
  UploadAssembler none(100);
  EXPECT_TRUE(absl::StartsWith(none.Finish().message(), "metadata:")) << none.Finish();
  UploadAssembler empty(100);
  auto m = Metadata();
  ASSERT_TRUE(empty.Accept(m).ok());
  EXPECT_TRUE(absl::StartsWith(empty.Finish().message(), "chunk_data:")) << empty.Finish();
}

TEST(UploadAssemblerTest, ChunkOverOneMebibyteIsInvalid) {
  UploadAssembler a(int64_t{25} << 20);
  auto m = Metadata();
  ASSERT_TRUE(a.Accept(m).ok());
  auto exact = Chunk(kMaxPhotoChunkBytes), over = Chunk(kMaxPhotoChunkBytes + 1);
  EXPECT_TRUE(a.Accept(exact).ok());
  EXPECT_EQ(a.Accept(over).code(), absl::StatusCode::kInvalidArgument);
}

TEST(UploadAssemblerTest, DeclaredSizeIsEnforced) {
  UploadAssembler over_limit(100);
  auto big = Metadata(101);
  EXPECT_EQ(over_limit.Accept(big).code(), absl::StatusCode::kResourceExhausted);

  UploadAssembler a(100);
  auto m = Metadata(50);
  ASSERT_TRUE(a.Accept(m).ok());
  auto c = Chunk(40);
  ASSERT_TRUE(a.Accept(c).ok());
  EXPECT_TRUE(absl::StrContains(a.Finish().message(), "50 bytes declared but 40 received")) << a.Finish();
  auto c2 = Chunk(11);
  EXPECT_EQ(a.Accept(c2).code(), absl::StatusCode::kInvalidArgument);
}

TEST(UploadAssemblerTest, MetadataFieldsAreValidated) {
  UploadAssembler a(100);
  auto m = Metadata();
  m.mutable_metadata()->set_parent("albums/x");
  EXPECT_TRUE(absl::StartsWith(a.Accept(m).message(), "metadata.parent")) << a.Accept(m);
  m = Metadata();
  m.mutable_metadata()->set_photo_id("Bad_Id");
  EXPECT_TRUE(absl::StartsWith(a.Accept(m).message(), "metadata.photo_id")) << a.Accept(m);
  m = Metadata();
  m.mutable_metadata()->clear_photo();
  EXPECT_TRUE(absl::StartsWith(a.Accept(m).message(), "metadata.photo")) << a.Accept(m);
}

// --- PlanDownload -------------------------------------------------------------

TEST(PlanDownloadTest, OffsetsAndRenditions) {
  v1::Photo p;
  p.set_name("galleries/g/photos/p");
  p.set_size_bytes(5000);
  auto* r = p.add_renditions();
  r->set_rendition("thumbnail");
  r->set_size_bytes(700);
  auto whole = PlanDownload(p, "", 0);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->object.object, kPhotoOriginal);
  EXPECT_EQ(whole->object.size, 5000);
  auto at_end = PlanDownload(p, "", 5000);
  ASSERT_TRUE(at_end.ok());
  EXPECT_EQ(at_end->offset, 5000);
  EXPECT_EQ(PlanDownload(p, "", 5001).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(PlanDownload(p, "", -1).status().code(), absl::StatusCode::kInvalidArgument);
  auto thumb = PlanDownload(p, "thumbnail", 100);
  ASSERT_TRUE(thumb.ok());
  EXPECT_EQ(thumb->object.object, kPhotoThumbnail);
  EXPECT_EQ(thumb->object.size, 700);
  EXPECT_EQ(PlanDownload(p, "medium", 0).status().code(), absl::StatusCode::kNotFound);
  auto bad = PlanDownload(p, "huge", 0).status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(bad.message(), "rendition:")) << bad;
}

// --- Key layout ---------------------------------------------------------------

TEST(MediaKeysTest, PositionKeysSortByPositionWithinOneGallery) {
  EXPECT_LT(PhotoPositionKey("g", 2), PhotoPositionKey("g", 10));
  EXPECT_LT(PhotoPositionKey("g", 255), PhotoPositionKey("g", 256));
  // One gallery's keys never fall inside another's prefix range.
  const std::string a = PhotoPositionPrefix("a");
  const std::string ab = PhotoPositionKey("a-b", 0);
  EXPECT_FALSE(absl::StartsWith(ab, a));
  EXPECT_FALSE(absl::StartsWith(PhotoRecordKey("a-b", "p"), PhotoRecordPrefix("a")));
  EXPECT_TRUE(absl::StartsWith(PhotoRecordKey("a", "p"), PhotoRecordPrefix("a")));
}

TEST(MediaKeysTest, ChunkKeysSortByObjectThenIndex) {
  EXPECT_LT(PhotoChunkKey("g", "p", kPhotoOriginal, 1), PhotoChunkKey("g", "p", kPhotoOriginal, 2));
  EXPECT_LT(PhotoChunkKey("g", "p", kPhotoOriginal, 255), PhotoChunkKey("g", "p", kPhotoOriginal, 256));
  EXPECT_NE(PhotoChunkKey("g", "p", kPhotoOriginal, 0), PhotoChunkKey("g", "p", kPhotoThumbnail, 0));
  EXPECT_NE(PhotoChunkKey("g", "pa", kPhotoOriginal, 0), PhotoChunkKey("gp", "a", kPhotoOriginal, 0));
}

TEST(MediaKeysTest, PhotoNamesSplit) {
  auto parts = SplitPhotoName("galleries/a/photos/b");
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->first, "a");
  EXPECT_EQ(parts->second, "b");
  EXPECT_FALSE(SplitPhotoName("galleries/a").has_value());
}

}  // namespace
}  // namespace newsdesk::content
