// Galleries and photos through the real ContentService on an in-process
// server at 127.0.0.1:0, with stub clients and deadlines.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "newsdesk/content/v1/content_service.grpc.pb.h"
#include "services/common/server.h"
#include "services/content/content_service.h"
#include "storage/content/schema.h"
#include "storage/kv/key_codec.h"
#include "storage/media/chunked_bytes.h"
#include "storage/media/image.h"
#include "tests/testing/content_fixture.h"
#include "tests/testing/temp_dir.h"
#include "tests/unit/media_test_images.h"

namespace newsdesk::content {
namespace {

using media::ImageFormat;
using testing::MakeImage;
using v1::Photo;

struct UploadResult {
  grpc::Status status;
  Photo photo;
};

struct DownloadResult {
  grpc::Status status;
  Photo photo;
  std::string bytes;
  int chunks = 0;
};

class PhotoServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }
  void TearDown() override { StopServer(); }

  void StartServer(ContentBackendOptions options = {}) {
    StopServer();
    auto backend = ContentBackend::Open(dir_.path(), &clock_, options);
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *std::move(backend);
    ServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    server_options.shutdown_grace = absl::Seconds(2);
    server_options.auth_tokens_file = testing::TestTokens::Write(dir_.Sub("tokens"));
    auto server = GrpcServer::Start(
        server_options, {{v1::ContentService::service_full_name(), backend_->service(), ContentAccessPolicy()}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::ContentService::NewStub(channel_);
  }

  void StopServer() {
    if (server_ != nullptr) server_->Shutdown();
    server_.reset();
    backend_.reset();
  }

  // An editor's call context.
  std::unique_ptr<grpc::ClientContext> Context(int seconds = 30) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    ctx->AddMetadata("authorization", std::string("Bearer ") + testing::TestTokens::kEditor);
    return ctx;
  }

  v1::Gallery MustCreateGallery(const std::string& id) {
    v1::CreateGalleryRequest req;
    req.mutable_gallery()->set_title("Wizyta w Ałmaty");
    req.set_gallery_id(id);
    v1::Gallery out;
    grpc::Status st = stub_->CreateGallery(Context().get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  static v1::UploadPhotoRequest MetadataMessage(const std::string& gallery, const std::string& id,
                                                const std::string& request_id = "", int64_t declared = 0) {
    v1::UploadPhotoRequest m;
    auto* md = m.mutable_metadata();
    md->set_parent("galleries/" + gallery);
    md->set_photo_id(id);
    md->set_request_id(request_id);
    md->set_size_bytes(declared);
    md->mutable_photo()->set_alt_text("Delegacja z Lubelszczyzny przed szpitalem w Tałdykorganie");
    md->mutable_photo()->set_caption("Podpisanie memorandum");
    md->mutable_photo()->set_credit("Biuro prasowe");
    md->mutable_photo()->set_license("CC BY 4.0");
    return m;
  }

  UploadResult Upload(const std::string& gallery, const std::string& id, const std::string& bytes,
                      size_t chunk = 1 << 20, const std::string& request_id = "", int64_t declared = 0) {
    return UploadMessages(MetadataMessage(gallery, id, request_id, declared), bytes, chunk);
  }

  UploadResult UploadMessages(std::optional<v1::UploadPhotoRequest> metadata, const std::string& bytes,
                              size_t chunk = 1 << 20) {
    UploadResult result;
    auto ctx = Context();
    auto writer = stub_->UploadPhoto(ctx.get(), &result.photo);
    bool open = true;
    if (metadata.has_value()) open = writer->Write(*metadata);
    for (size_t at = 0; open && at < bytes.size(); at += chunk) {
      v1::UploadPhotoRequest m;
      m.set_chunk_data(bytes.substr(at, chunk));
      open = writer->Write(m);
    }
    if (open) writer->WritesDone();
    result.status = writer->Finish();
    return result;
  }

  DownloadResult Download(const std::string& name, const std::string& rendition = "", int64_t offset = 0,
                          int cancel_after_chunks = -1) {
    DownloadResult result;
    v1::DownloadPhotoRequest req;
    req.set_name(name);
    req.set_rendition(rendition);
    req.set_offset(offset);
    auto ctx = Context();
    auto reader = stub_->DownloadPhoto(ctx.get(), req);
    v1::DownloadPhotoResponse msg;
    bool first = true;
    while (reader->Read(&msg)) {
      if (first) {
        EXPECT_TRUE(msg.has_photo()) << "the first message carries the photo";
        result.photo = msg.photo();
        first = false;
        continue;
      }
      EXPECT_EQ(msg.content_case(), v1::DownloadPhotoResponse::kChunkData);
      EXPECT_LE(msg.chunk_data().size(), kMaxPhotoChunkBytes);
      result.bytes += msg.chunk_data();
      if (++result.chunks == cancel_after_chunks) ctx->TryCancel();
    }
    result.status = reader->Finish();
    return result;
  }

  std::vector<Photo> ListAll(const std::string& gallery) {
    v1::ListPhotosRequest req;
    req.set_parent("galleries/" + gallery);
    v1::ListPhotosResponse resp;
    grpc::Status st = stub_->ListPhotos(Context().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return {resp.photos().begin(), resp.photos().end()};
  }

  int PhotoCount(const std::string& gallery) {
    v1::GetGalleryRequest req;
    req.set_name("galleries/" + gallery);
    v1::Gallery g;
    grpc::Status st = stub_->GetGallery(Context().get(), req, &g);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return g.photo_count();
  }

  int CountKeys(kv::CfId cf) {
    int n = 0;
    auto it = backend_->database()->Scan(cf, "", "");
    for (; it->Valid(); it->Next()) ++n;
    return n;
  }

  // No photo in the gallery, and no photo data anywhere in the database.
  void ExpectNoPhotoStored(const std::string& gallery) {
    EXPECT_TRUE(ListAll(gallery).empty());
    EXPECT_EQ(PhotoCount(gallery), 0);
    EXPECT_EQ(CountKeys(kPhotoBytesCf), 0);
    int photo_records = 0;
    auto it = backend_->database()->Scan(kRecordsCf, std::string(1, kPhotoKind), kv::PrefixSuccessor(std::string(1, kPhotoKind)));
    for (; it->Valid(); it->Next()) ++photo_records;
    EXPECT_EQ(photo_records, 0);
  }

  static void ExpectStatus(const grpc::Status& st, grpc::StatusCode code, const std::string& needle) {
    EXPECT_EQ(st.error_code(), code) << st.error_message();
    EXPECT_NE(st.error_message().find(needle), std::string::npos)
        << "message \"" << st.error_message() << "\" should mention \"" << needle << "\"";
  }

  testing::TempDir dir_;
  FakeClock clock_{absl::FromUnixSeconds(1525132800)};
  std::unique_ptr<ContentBackend> backend_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ContentService::Stub> stub_;
};

class PhotoRoundTripTest : public PhotoServiceTest, public ::testing::WithParamInterface<ImageFormat> {};

TEST_P(PhotoRoundTripTest, UploadThenDownloadGivesTheSameBytes) {
  MustCreateGallery("g");
  // Noise barely compresses: a PNG of this size spans several 1 MiB chunks.
  const std::string bytes = MakeImage({.format = GetParam(), .width = 1000, .height = 700, .noise = true});
  ASSERT_GT(bytes.size(), 100000u);
  UploadResult up = Upload("g", "p", bytes, 256 << 10);
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();
  EXPECT_EQ(up.photo.name(), "galleries/g/photos/p");
  EXPECT_EQ(up.photo.content_type(), media::ContentType(GetParam()));
  EXPECT_EQ(up.photo.size_bytes(), static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(up.photo.width(), 1000);
  EXPECT_EQ(up.photo.height(), 700);
  EXPECT_EQ(up.photo.sha256(), media::Sha256Hex(bytes));
  EXPECT_EQ(up.photo.alt_text(), "Delegacja z Lubelszczyzny przed szpitalem w Tałdykorganie");
  EXPECT_EQ(up.photo.position(), 0);

  DownloadResult down = Download(up.photo.name());
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(down.photo.etag(), up.photo.etag());
  EXPECT_EQ(media::Sha256Hex(down.bytes), up.photo.sha256());
  EXPECT_EQ(down.bytes, bytes);
  EXPECT_EQ(down.chunks, static_cast<int>((bytes.size() + kPhotoChunkBytes - 1) / kPhotoChunkBytes));
}

INSTANTIATE_TEST_SUITE_P(Formats, PhotoRoundTripTest,
                         ::testing::Values(ImageFormat::kJpeg, ImageFormat::kPng, ImageFormat::kWebp),
                         [](const auto& info) { return std::string(media::FormatName(info.param)); });

TEST_F(PhotoServiceTest, RenditionsHaveTheRightSize) {
  MustCreateGallery("g");
  UploadResult up = Upload("g", "p", MakeImage({.format = ImageFormat::kJpeg, .width = 2000, .height = 1500}));
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();
  ASSERT_EQ(up.photo.renditions_size(), 2);
  for (const auto& r : up.photo.renditions()) {
    DownloadResult down = Download(up.photo.name(), r.rendition());
    ASSERT_TRUE(down.status.ok()) << down.status.error_message();
    EXPECT_EQ(static_cast<int64_t>(down.bytes.size()), r.size_bytes());
    EXPECT_EQ(media::Sha256Hex(down.bytes), r.sha256());
    auto info = media::InspectImage(down.bytes, /*decode_pixels=*/true);
    ASSERT_TRUE(info.ok()) << info.status();
    const int max_width = r.rendition() == "thumbnail" ? 320 : 1280;
    EXPECT_EQ(info->width, max_width) << r.rendition();
    EXPECT_EQ(info->height, max_width * 3 / 4) << r.rendition();
    EXPECT_EQ(r.width(), info->width);
    EXPECT_EQ(r.content_type(), "image/jpeg");
  }
  ExpectStatus(Download(up.photo.name(), "huge").status, grpc::StatusCode::INVALID_ARGUMENT, "rendition");
}

TEST_F(PhotoServiceTest, ExifGpsAndSerialNumbersAreGoneAfterUpload) {
  MustCreateGallery("g");
  const std::string bytes = MakeImage({.format = ImageFormat::kJpeg,
                                       .width = 800,
                                       .height = 600,
                                       .orientation = 6,
                                       .string_fields = testing::PrivateExifFields()});
  ASSERT_TRUE(absl::StrContains(bytes, testing::kGpsMarker));
  UploadResult up = Upload("g", "p", bytes);
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();
  // Orientation 6 applied: the stored photo is upright.
  EXPECT_EQ(up.photo.width(), 600);
  EXPECT_EQ(up.photo.height(), 800);
  DownloadResult down = Download(up.photo.name());
  ASSERT_TRUE(down.status.ok());
  EXPECT_EQ(media::Sha256Hex(down.bytes), up.photo.sha256());  // of the stored bytes
  EXPECT_NE(up.photo.sha256(), media::Sha256Hex(bytes));
  EXPECT_FALSE(absl::StrContains(down.bytes, testing::kGpsMarker));
  EXPECT_FALSE(absl::StrContains(down.bytes, testing::kSerialMarker));
  auto info = media::InspectImage(down.bytes, true);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->orientation, 1);
  for (const auto& [name, value] : info->fields) EXPECT_FALSE(absl::StartsWith(name, "exif-ifd3-")) << name;
  EXPECT_TRUE(testing::HasField(*info, "exif-ifd0-Artist"));
  // Nor does any rendition carry them.
  for (const char* rendition : {"thumbnail", "medium"}) {
    EXPECT_FALSE(absl::StrContains(Download(up.photo.name(), rendition).bytes, testing::kGpsMarker));
  }
}

TEST_F(PhotoServiceTest, PrivateMetadataIsKeptWhenConfigured) {
  ContentBackendOptions options;
  options.media.processing.strip_private_metadata = false;
  StartServer(options);
  MustCreateGallery("g");
  const std::string bytes =
      MakeImage({.format = ImageFormat::kJpeg, .width = 80, .height = 60, .string_fields = testing::PrivateExifFields()});
  UploadResult up = Upload("g", "p", bytes);
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();
  EXPECT_EQ(Download(up.photo.name()).bytes, bytes);
}

TEST_F(PhotoServiceTest, ResumedDownloadEqualsTheOriginal) {
  MustCreateGallery("g");
  const std::string bytes = MakeImage({.format = ImageFormat::kPng, .width = 1000, .height = 800, .noise = true});
  ASSERT_GT(bytes.size(), 2 * kPhotoChunkBytes);
  UploadResult up = Upload("g", "p", bytes);
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();

  // Interrupted after the first chunk...
  DownloadResult part = Download(up.photo.name(), "", 0, /*cancel_after_chunks=*/1);
  EXPECT_EQ(part.status.error_code(), grpc::StatusCode::CANCELLED) << part.status.error_message();
  ASSERT_GE(part.bytes.size(), kPhotoChunkBytes);
  ASSERT_LT(part.bytes.size(), bytes.size());
  // ...then resumed where it stopped.
  DownloadResult rest = Download(up.photo.name(), "", static_cast<int64_t>(part.bytes.size()));
  ASSERT_TRUE(rest.status.ok()) << rest.status.error_message();
  EXPECT_EQ(rest.photo.sha256(), up.photo.sha256());
  EXPECT_EQ(part.bytes + rest.bytes, bytes);

  // An offset inside a chunk.
  DownloadResult odd = Download(up.photo.name(), "", 1234567);
  ASSERT_TRUE(odd.status.ok());
  EXPECT_EQ(odd.bytes, bytes.substr(1234567));
  // At the end: the metadata only.
  DownloadResult end = Download(up.photo.name(), "", static_cast<int64_t>(bytes.size()));
  ASSERT_TRUE(end.status.ok());
  EXPECT_TRUE(end.bytes.empty());
  EXPECT_EQ(end.photo.name(), up.photo.name());
  ExpectStatus(Download(up.photo.name(), "", static_cast<int64_t>(bytes.size()) + 1).status,
               grpc::StatusCode::OUT_OF_RANGE, "offset");
  ExpectStatus(Download(up.photo.name(), "", -5).status, grpc::StatusCode::INVALID_ARGUMENT, "offset");
}

TEST_F(PhotoServiceTest, BadBytesAreInvalidArgumentAndNothingIsStored) {
  MustCreateGallery("g");
  const std::string jpeg = MakeImage({.format = ImageFormat::kJpeg, .width = 600, .height = 400, .noise = true});
  struct Case {
    const char* what;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"text file called photo.jpg", "Ceci n'est pas une photo.\nJust text in a file named photo.jpg.\n"},
      {"truncated JPEG", jpeg.substr(0, jpeg.size() * 2 / 3)},
      {"JPEG header only", jpeg.substr(0, 600)},
      {"decompression bomb PNG",
       testing::WithDeclaredSize(MakeImage({.format = ImageFormat::kPng, .width = 32, .height = 32}),
                                 ImageFormat::kPng, 60000, 60000)},
      {"decompression bomb JPEG", testing::WithDeclaredSize(jpeg, ImageFormat::kJpeg, 65000, 65000)},
      {"GIF", std::string("GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;", 43)},
  };
  for (const auto& c : cases) {
    UploadResult up = Upload("g", "photo-jpg", c.bytes);
    ExpectStatus(up.status, grpc::StatusCode::INVALID_ARGUMENT, "photo");
    SCOPED_TRACE(c.what);
  }
  ExpectNoPhotoStored("g");
}

TEST_F(PhotoServiceTest, MalformedStreamsAreInvalidArgument) {
  MustCreateGallery("g");
  const std::string jpeg = MakeImage({.format = ImageFormat::kJpeg, .width = 64, .height = 48});
  // Bytes before the metadata.
  ExpectStatus(UploadMessages(std::nullopt, jpeg).status, grpc::StatusCode::INVALID_ARGUMENT, "metadata");
  // No message at all.
  ExpectStatus(UploadMessages(std::nullopt, "").status, grpc::StatusCode::INVALID_ARGUMENT, "metadata");
  // Metadata and no bytes.
  ExpectStatus(Upload("g", "p", "").status, grpc::StatusCode::INVALID_ARGUMENT, "chunk_data");
  // Metadata twice.
  {
    Photo out;
    auto ctx = Context();
    auto writer = stub_->UploadPhoto(ctx.get(), &out);
    writer->Write(MetadataMessage("g", "p"));
    v1::UploadPhotoRequest chunk;
    chunk.set_chunk_data(jpeg);
    writer->Write(chunk);
    writer->Write(MetadataMessage("g", "p"));
    writer->WritesDone();
    ExpectStatus(writer->Finish(), grpc::StatusCode::INVALID_ARGUMENT, "metadata: only the first");
  }
  // A chunk over 1 MiB (the server accepts 4 MiB messages).
  ExpectStatus(Upload("g", "p", std::string((1 << 20) + 1, 'x'), (1 << 20) + 1).status,
               grpc::StatusCode::INVALID_ARGUMENT, "chunk_data");
  // Missing alt text, bad parent, bad id.
  auto m = MetadataMessage("g", "p");
  m.mutable_metadata()->mutable_photo()->clear_alt_text();
  ExpectStatus(UploadMessages(m, jpeg).status, grpc::StatusCode::INVALID_ARGUMENT, "metadata.photo.alt_text");
  ExpectStatus(Upload("g", "Bad Id", jpeg).status, grpc::StatusCode::INVALID_ARGUMENT, "metadata.photo_id");
  m = MetadataMessage("g", "p");
  m.mutable_metadata()->set_parent("articles/x");
  ExpectStatus(UploadMessages(m, jpeg).status, grpc::StatusCode::INVALID_ARGUMENT, "metadata.parent");
  // Declared size that does not match.
  ExpectStatus(Upload("g", "p", jpeg, 1 << 20, "", static_cast<int64_t>(jpeg.size()) + 10).status,
               grpc::StatusCode::INVALID_ARGUMENT, "metadata.size_bytes");
  ExpectNoPhotoStored("g");
}

TEST_F(PhotoServiceTest, UploadsToMissingDeletedOrTakenPlacesFail) {
  const std::string jpeg = MakeImage({.format = ImageFormat::kJpeg, .width = 64, .height = 48});
  ExpectStatus(Upload("nope", "p", jpeg).status, grpc::StatusCode::NOT_FOUND, "galleries/nope");
  MustCreateGallery("g");
  ASSERT_TRUE(Upload("g", "p", jpeg).status.ok());
  ExpectStatus(Upload("g", "p", jpeg).status, grpc::StatusCode::ALREADY_EXISTS, "galleries/g/photos/p");
  v1::DeleteGalleryRequest del;
  del.set_name("galleries/g");
  del.set_force(true);
  v1::Gallery g;
  ASSERT_TRUE(stub_->DeleteGallery(Context().get(), del, &g).ok());
  ExpectStatus(Upload("g", "q", jpeg).status, grpc::StatusCode::FAILED_PRECONDITION, "galleries/g is deleted");
}

TEST_F(PhotoServiceTest, SizeLimitAtLimitMinusOneLimitAndLimitPlusOne) {
  constexpr int64_t kLimit = 300000;
  ContentBackendOptions options;
  options.media.max_photo_bytes = kLimit;
  StartServer(options);
  MustCreateGallery("g");
  const std::string jpeg = MakeImage({.format = ImageFormat::kJpeg, .width = 200, .height = 150});
  ASSERT_LT(jpeg.size() + 10, static_cast<size_t>(kLimit));
  const std::string below = testing::PadJpegTo(jpeg, kLimit - 1);
  const std::string at = testing::PadJpegTo(jpeg, kLimit);
  const std::string above = testing::PadJpegTo(jpeg, kLimit + 1);
  ASSERT_EQ(at.size(), static_cast<size_t>(kLimit));

  UploadResult up_below = Upload("g", "below", below, 64 << 10);
  ASSERT_TRUE(up_below.status.ok()) << up_below.status.error_message();
  EXPECT_EQ(up_below.photo.size_bytes(), kLimit - 1);
  UploadResult up_at = Upload("g", "at", at, 64 << 10);
  ASSERT_TRUE(up_at.status.ok()) << up_at.status.error_message();
  EXPECT_EQ(up_at.photo.size_bytes(), kLimit);
  ExpectStatus(Upload("g", "above", above, 64 << 10).status, grpc::StatusCode::RESOURCE_EXHAUSTED, "photo");
  // Declared up front: refused before any byte is sent.
  ExpectStatus(Upload("g", "declared", above, 64 << 10, "", kLimit + 1).status, grpc::StatusCode::RESOURCE_EXHAUSTED,
               "photo");
  // Far over the limit: the server stops reading at the limit.
  ExpectStatus(Upload("g", "huge", std::string(20 * kLimit, 'x'), 64 << 10).status,
               grpc::StatusCode::RESOURCE_EXHAUSTED, "photo");
  std::vector<Photo> photos = ListAll("g");
  ASSERT_EQ(photos.size(), 2u);
  EXPECT_EQ(photos[0].name(), "galleries/g/photos/below");
  EXPECT_EQ(photos[1].name(), "galleries/g/photos/at");
}

TEST_F(PhotoServiceTest, CancelledUploadLeavesNothing) {
  MustCreateGallery("g");
  const std::string png = MakeImage({.format = ImageFormat::kPng, .width = 900, .height = 700, .noise = true});
  ASSERT_GT(png.size(), 3 * (256u << 10));
  for (bool all_bytes : {false, true}) {
    Photo out;
    auto ctx = Context();
    auto writer = stub_->UploadPhoto(ctx.get(), &out);
    ASSERT_TRUE(writer->Write(MetadataMessage("g", "p")));
    // Part of the photo, or all of it but without half-closing the stream.
    const size_t send = all_bytes ? png.size() : png.size() / 2;
    for (size_t at = 0; at < send; at += 256 << 10) {
      v1::UploadPhotoRequest m;
      m.set_chunk_data(png.substr(at, std::min<size_t>(256 << 10, send - at)));
      ASSERT_TRUE(writer->Write(m));
    }
    ctx->TryCancel();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // Whatever the server still had in flight has settled by now.
  absl::SleepFor(absl::Milliseconds(500));
  ExpectNoPhotoStored("g");
  // And the id is free.
  EXPECT_TRUE(Upload("g", "p", png).status.ok());
}

TEST_F(PhotoServiceTest, ReorderWithUpdatePhoto) {
  MustCreateGallery("g");
  const std::string jpeg = MakeImage({.format = ImageFormat::kJpeg, .width = 64, .height = 48});
  for (const char* id : {"a", "b", "c", "d"}) ASSERT_TRUE(Upload("g", id, jpeg).status.ok());
  Photo d = ListAll("g")[3];
  v1::UpdatePhotoRequest req;
  req.mutable_photo()->set_name("galleries/g/photos/d");
  req.mutable_photo()->set_position(1);
  req.mutable_photo()->set_etag(d.etag());
  req.mutable_update_mask()->add_paths("position");
  Photo moved;
  grpc::Status st = stub_->UpdatePhoto(Context().get(), req, &moved);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(moved.position(), 1);
  std::vector<std::string> order;
  for (const auto& p : ListAll("g")) order.push_back(p.name().substr(sizeof("galleries/g/photos/") - 1));
  EXPECT_EQ(order, (std::vector<std::string>{"a", "d", "b", "c"}));
  // The same request again carries a stale etag now.
  ExpectStatus(stub_->UpdatePhoto(Context().get(), req, &moved), grpc::StatusCode::ABORTED, "etag");
  // Metadata edits.
  v1::UpdatePhotoRequest edit;
  edit.mutable_photo()->set_name("galleries/g/photos/a");
  edit.mutable_photo()->set_caption("Nowy podpis");
  Photo edited;
  ASSERT_TRUE(stub_->UpdatePhoto(Context().get(), edit, &edited).ok());
  EXPECT_EQ(edited.caption(), "Nowy podpis");
  EXPECT_EQ(edited.position(), 0);
  edit.mutable_photo()->clear_caption();
  edit.mutable_update_mask()->add_paths("alt_text");
  ExpectStatus(stub_->UpdatePhoto(Context().get(), edit, &edited), grpc::StatusCode::INVALID_ARGUMENT,
               "photo.alt_text");
  edit.mutable_update_mask()->Clear();
  edit.mutable_update_mask()->add_paths("size_bytes");
  ExpectStatus(stub_->UpdatePhoto(Context().get(), edit, &edited), grpc::StatusCode::INVALID_ARGUMENT, "output only");
}

TEST_F(PhotoServiceTest, DeletePhotoRemovesItAndItsBytes) {
  MustCreateGallery("g");
  const std::string jpeg = MakeImage({.format = ImageFormat::kJpeg, .width = 640, .height = 480, .noise = true});
  UploadResult up = Upload("g", "p", jpeg);
  ASSERT_TRUE(up.status.ok());
  v1::DeletePhotoRequest del;
  del.set_name(up.photo.name());
  del.set_etag("stale");
  google::protobuf::Empty empty;
  ExpectStatus(stub_->DeletePhoto(Context().get(), del, &empty), grpc::StatusCode::ABORTED, "etag");
  del.set_etag(up.photo.etag());
  ASSERT_TRUE(stub_->DeletePhoto(Context().get(), del, &empty).ok());
  ExpectStatus(Download(up.photo.name()).status, grpc::StatusCode::NOT_FOUND, "galleries/g/photos/p");
  v1::GetPhotoRequest get;
  get.set_name(up.photo.name());
  Photo got;
  ExpectStatus(stub_->GetPhoto(Context().get(), get, &got), grpc::StatusCode::NOT_FOUND, "galleries/g/photos/p");
  ExpectStatus(stub_->DeletePhoto(Context().get(), del, &empty), grpc::StatusCode::NOT_FOUND, "galleries/g/photos/p");
  get.set_name("galleries/g/photo/p");
  ExpectStatus(stub_->GetPhoto(Context().get(), get, &got), grpc::StatusCode::INVALID_ARGUMENT, "name");
  ExpectNoPhotoStored("g");
}

TEST_F(PhotoServiceTest, RetryWithTheSameRequestIdReturnsTheFirstPhoto) {
  MustCreateGallery("g");
  const std::string jpeg = MakeImage({.format = ImageFormat::kJpeg, .width = 64, .height = 48});
  UploadResult first = Upload("g", "", jpeg, 1 << 20, "7d0c2b1e-retry");
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  UploadResult again = Upload("g", "", jpeg, 1 << 20, "7d0c2b1e-retry");
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  EXPECT_EQ(again.photo.name(), first.photo.name());
  EXPECT_EQ(PhotoCount("g"), 1);
}

TEST_F(PhotoServiceTest, GalleryLifecycle) {
  v1::CreateGalleryRequest create;
  create.mutable_gallery()->set_title("");
  v1::Gallery g;
  ExpectStatus(stub_->CreateGallery(Context().get(), create, &g), grpc::StatusCode::INVALID_ARGUMENT, "gallery.title");
  MustCreateGallery("almaty");
  clock_.Advance(absl::Seconds(5));
  MustCreateGallery("lublin");
  ASSERT_TRUE(Upload("almaty", "p", MakeImage({.format = ImageFormat::kJpeg})).status.ok());

  v1::ListGalleriesRequest list;
  v1::ListGalleriesResponse listed;
  ASSERT_TRUE(stub_->ListGalleries(Context().get(), list, &listed).ok());
  ASSERT_EQ(listed.galleries_size(), 2);
  EXPECT_EQ(listed.galleries(0).name(), "galleries/lublin");
  EXPECT_EQ(listed.galleries(1).photo_count(), 1);
  list.set_filter("create_time < \"2018-05-01T00:00:03Z\"");
  ASSERT_TRUE(stub_->ListGalleries(Context().get(), list, &listed).ok());
  ASSERT_EQ(listed.galleries_size(), 1);
  EXPECT_EQ(listed.galleries(0).name(), "galleries/almaty");
  list.set_filter("colour = red");
  ExpectStatus(stub_->ListGalleries(Context().get(), list, &listed), grpc::StatusCode::INVALID_ARGUMENT, "filter");

  v1::UpdateGalleryRequest update;
  update.mutable_gallery()->set_name("galleries/almaty");
  update.mutable_gallery()->set_cover_photo("galleries/almaty/photos/p");
  ASSERT_TRUE(stub_->UpdateGallery(Context().get(), update, &g).ok());
  EXPECT_EQ(g.cover_photo(), "galleries/almaty/photos/p");
  update.mutable_gallery()->set_cover_photo("galleries/lublin/photos/p");
  ExpectStatus(stub_->UpdateGallery(Context().get(), update, &g), grpc::StatusCode::INVALID_ARGUMENT,
               "gallery.cover_photo");
  update.mutable_gallery()->set_cover_photo("galleries/almaty/photos/missing");
  ExpectStatus(stub_->UpdateGallery(Context().get(), update, &g), grpc::StatusCode::FAILED_PRECONDITION,
               "gallery.cover_photo");

  v1::DeleteGalleryRequest del;
  del.set_name("galleries/almaty");
  ExpectStatus(stub_->DeleteGallery(Context().get(), del, &g), grpc::StatusCode::FAILED_PRECONDITION, "force");
  del.set_force(true);
  ASSERT_TRUE(stub_->DeleteGallery(Context().get(), del, &g).ok());
  EXPECT_TRUE(g.has_delete_time());
  v1::UndeleteGalleryRequest undelete;
  undelete.set_name("galleries/almaty");
  ASSERT_TRUE(stub_->UndeleteGallery(Context().get(), undelete, &g).ok());
  EXPECT_FALSE(g.has_delete_time());
  EXPECT_EQ(g.photo_count(), 1);
}

TEST_F(PhotoServiceTest, ArticleGalleryMustNameAnExistingGallery) {
  v1::CreateArticleRequest create;
  create.mutable_article()->set_title("Wizyta w Kazachstanie");
  create.mutable_article()->set_gallery("galleries/almaty");
  v1::Article article;
  ExpectStatus(stub_->CreateArticle(Context().get(), create, &article), grpc::StatusCode::FAILED_PRECONDITION,
               "article.gallery: galleries/almaty does not exist");
  MustCreateGallery("almaty");
  ASSERT_TRUE(stub_->CreateArticle(Context().get(), create, &article).ok());
  EXPECT_EQ(article.gallery(), "galleries/almaty");

  v1::UpdateArticleRequest update;
  update.mutable_article()->set_name(article.name());
  update.mutable_article()->set_gallery("galleries/other");
  ExpectStatus(stub_->UpdateArticle(Context().get(), update, &article), grpc::StatusCode::FAILED_PRECONDITION,
               "galleries/other");
  v1::DeleteGalleryRequest del;
  del.set_name("galleries/almaty");
  v1::Gallery g;
  ASSERT_TRUE(stub_->DeleteGallery(Context().get(), del, &g).ok());
  update.mutable_article()->set_gallery("galleries/almaty");
  ExpectStatus(stub_->UpdateArticle(Context().get(), update, &article), grpc::StatusCode::FAILED_PRECONDITION,
               "galleries/almaty is deleted");
  // Clearing it is always fine.
  update.mutable_article()->clear_gallery();
  update.mutable_update_mask()->add_paths("gallery");
  ASSERT_TRUE(stub_->UpdateArticle(Context().get(), update, &article).ok());
  EXPECT_EQ(article.gallery(), "");
}

TEST_F(PhotoServiceTest, ConcurrentUploadsKeepTheGalleryOrderDense) {
  MustCreateGallery("g");
  const std::string jpeg = MakeImage({.format = ImageFormat::kJpeg, .width = 320, .height = 240});
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        if (!Upload("g", absl::StrCat("t", t, "-", i), jpeg).status.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::vector<Photo> photos = ListAll("g");
  ASSERT_EQ(photos.size(), 12u);
  for (size_t i = 0; i < photos.size(); ++i) EXPECT_EQ(photos[i].position(), static_cast<int>(i));
  EXPECT_EQ(PhotoCount("g"), 12);
}

}  // namespace
}  // namespace newsdesk::content
