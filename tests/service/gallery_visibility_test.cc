// Anonymous readers see a gallery and its photos only while an article that
// uses it is published, through the public API of the real ContentService
// (in-process server, a fake clock for scheduled publication).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/kv/proto_time.h"
#include "tests/testing/content_fixture.h"
#include "tests/unit/media_test_images.h"

namespace newsdesk::content {
namespace {

using grpc::StatusCode;

class GalleryVisibilityTest : public testing::ContentServerFixture {
 protected:
  void SetUp() override {
    ContentServerFixture::SetUp();
    image_ = testing::MakeImage({.format = media::ImageFormat::kJpeg, .width = 64, .height = 48});
    for (const char* id : {"almaty", "lublin"}) {
      v1::CreateGalleryRequest req;
      req.set_gallery_id(id);
      req.mutable_gallery()->set_title(absl::StrCat("Galeria ", id));
      v1::Gallery out;
      ASSERT_TRUE(stub_->CreateGallery(Context().get(), req, &out).ok());
      Upload(id, "zdjecie");
    }
  }

  void Upload(const std::string& gallery, const std::string& id) {
    v1::Photo out;
    auto ctx = Context();
    auto writer = stub_->UploadPhoto(ctx.get(), &out);
    v1::UploadPhotoRequest meta;
    meta.mutable_metadata()->set_parent("galleries/" + gallery);
    meta.mutable_metadata()->set_photo_id(id);
    meta.mutable_metadata()->mutable_photo()->set_alt_text("Delegacja przed szpitalem");
    v1::UploadPhotoRequest chunk;
    chunk.set_chunk_data(image_);
    ASSERT_TRUE(writer->Write(meta) && writer->Write(chunk));
    writer->WritesDone();
    grpc::Status st = writer->Finish();
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  void CreateArticle(const std::string& id, const std::string& gallery) {
    v1::CreateArticleRequest req;
    req.set_article_id(id);
    req.mutable_article()->set_title(absl::StrCat("Wizyta ", id));
    req.mutable_article()->set_gallery("galleries/" + gallery);
    v1::Article out;
    grpc::Status st = stub_->CreateArticle(Context().get(), req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  void Publish(const std::string& id, std::optional<absl::Time> when = std::nullopt) {
    v1::PublishArticleRequest req;
    req.set_name("articles/" + id);
    if (when.has_value()) ToProtoTime(*when, req.mutable_publish_time());
    v1::Article out;
    grpc::Status st = stub_->PublishArticle(Context().get(), req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  void Unpublish(const std::string& id) {
    v1::UnpublishArticleRequest req;
    req.set_name("articles/" + id);
    v1::Article out;
    grpc::Status st = stub_->UnpublishArticle(Context().get(), req, &out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  // What `role` sees of a gallery through every read method: the codes of
  // GetGallery, GetPhoto, ListPhotos and DownloadPhoto must agree (all OK
  // or all NOT_FOUND with the message a missing resource gets), and
  // ListGalleries must list it exactly when they are OK. Returns whether it
  // is visible.
  bool Sees(const std::string& gallery, Role role = Role::kAnonymous) {
    const std::string name = "galleries/" + gallery;
    const std::string photo = name + "/photos/zdjecie";
    std::vector<grpc::Status> statuses;
    std::vector<std::string> expected_messages;
    {
      v1::GetGalleryRequest req;
      req.set_name(name);
      v1::Gallery out;
      statuses.push_back(stub_->GetGallery(Context(role).get(), req, &out));
      expected_messages.push_back(name + " not found");
      if (statuses.back().ok()) {
        EXPECT_EQ(out.photo_count(), 1);
      }
    }
    {
      v1::GetPhotoRequest req;
      req.set_name(photo);
      v1::Photo out;
      statuses.push_back(stub_->GetPhoto(Context(role).get(), req, &out));
      expected_messages.push_back(photo + " not found");
    }
    {
      v1::ListPhotosRequest req;
      req.set_parent(name);
      v1::ListPhotosResponse out;
      statuses.push_back(stub_->ListPhotos(Context(role).get(), req, &out));
      expected_messages.push_back(name + " not found");
      if (statuses.back().ok()) {
        EXPECT_EQ(out.photos_size(), 1);
      }
    }
    {
      v1::DownloadPhotoRequest req;
      req.set_name(photo);
      auto ctx = Context(role);
      auto reader = stub_->DownloadPhoto(ctx.get(), req);
      v1::DownloadPhotoResponse msg;
      std::string bytes;
      while (reader->Read(&msg)) bytes += msg.chunk_data();
      statuses.push_back(reader->Finish());
      expected_messages.push_back(photo + " not found");
      if (statuses.back().ok()) {
        EXPECT_EQ(bytes, image_);
      }
    }
    const bool visible = statuses[0].ok();
    for (size_t i = 0; i < statuses.size(); ++i) {
      EXPECT_EQ(statuses[i].ok(), visible) << gallery << " call " << i << ": " << statuses[i].error_message();
      if (!statuses[i].ok()) {
        EXPECT_EQ(statuses[i].error_code(), StatusCode::NOT_FOUND);
        EXPECT_EQ(statuses[i].error_message(), expected_messages[i]) << "a hidden gallery looks like a missing one";
      }
    }
    v1::ListGalleriesRequest list;
    list.set_show_deleted(true);  // ignored for anonymous readers
    v1::ListGalleriesResponse listed;
    grpc::Status st = stub_->ListGalleries(Context(role).get(), list, &listed);
    EXPECT_TRUE(st.ok()) << st.error_message();
    bool listed_it = false;
    for (const auto& g : listed.galleries()) listed_it = listed_it || g.name() == name;
    EXPECT_EQ(listed_it, visible) << gallery << " in ListGalleries";
    return visible;
  }

  std::string image_;
};

TEST_F(GalleryVisibilityTest, AGalleryNoArticleUsesIsHiddenFromAnonymousReaders) {
  EXPECT_FALSE(Sees("almaty"));
  EXPECT_TRUE(Sees("almaty", Role::kEditor));
  EXPECT_TRUE(Sees("almaty", Role::kService));
  // Bad input is still INVALID_ARGUMENT, checked before visibility.
  v1::ListPhotosRequest list;
  list.set_parent("galleries/almaty");
  list.set_page_size(-1);
  v1::ListPhotosResponse listed;
  EXPECT_EQ(stub_->ListPhotos(Context(Role::kAnonymous).get(), list, &listed).error_code(),
            StatusCode::INVALID_ARGUMENT);
  v1::DownloadPhotoRequest download;
  download.set_name("galleries/almaty/photos/zdjecie");
  download.set_rendition("original");
  auto ctx = Context(Role::kAnonymous);
  auto reader = stub_->DownloadPhoto(ctx.get(), download);
  v1::DownloadPhotoResponse msg;
  while (reader->Read(&msg)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(GalleryVisibilityTest, DraftHidesPublishShowsUnpublishHidesAgain) {
  CreateArticle("wizyta", "almaty");
  EXPECT_FALSE(Sees("almaty")) << "a draft does not make its gallery public";
  Publish("wizyta");
  EXPECT_TRUE(Sees("almaty"));
  EXPECT_FALSE(Sees("lublin")) << "only the gallery the article uses";
  Unpublish("wizyta");
  EXPECT_FALSE(Sees("almaty"));
  EXPECT_TRUE(Sees("almaty", Role::kEditor));
}

TEST_F(GalleryVisibilityTest, ScheduledArticleShowsItsGalleryFromPublishTimeWithoutAWrite) {
  CreateArticle("zapowiedz", "almaty");
  const absl::Time at = clock_.Now() + absl::Hours(2);
  Publish("zapowiedz", at);
  EXPECT_FALSE(Sees("almaty")) << "scheduled for the future";
  clock_.Set(at - absl::Microseconds(1));
  EXPECT_FALSE(Sees("almaty"));
  clock_.Set(at);
  EXPECT_TRUE(Sees("almaty")) << "published at publish_time, with no write";
  clock_.Advance(absl::Hours(1));
  EXPECT_TRUE(Sees("almaty"));
}

TEST_F(GalleryVisibilityTest, DeletingTheArticleOrTheGalleryHidesIt) {
  CreateArticle("wizyta", "almaty");
  Publish("wizyta");
  ASSERT_TRUE(Sees("almaty"));
  v1::DeleteArticleRequest del;
  del.set_name("articles/wizyta");
  v1::Article out;
  ASSERT_TRUE(stub_->DeleteArticle(Context().get(), del, &out).ok());
  EXPECT_FALSE(Sees("almaty"));
  v1::UndeleteArticleRequest undel;
  undel.set_name("articles/wizyta");
  ASSERT_TRUE(stub_->UndeleteArticle(Context().get(), undel, &out).ok());
  EXPECT_TRUE(Sees("almaty")) << "undeleted as published";

  v1::DeleteGalleryRequest del_gallery;
  del_gallery.set_name("galleries/almaty");
  del_gallery.set_force(true);
  v1::Gallery g;
  ASSERT_TRUE(stub_->DeleteGallery(Context().get(), del_gallery, &g).ok());
  EXPECT_FALSE(Sees("almaty")) << "a deleted gallery, even of a published article";
}

TEST_F(GalleryVisibilityTest, MovingTheArticleToAnotherGalleryMovesVisibility) {
  CreateArticle("wizyta", "almaty");
  Publish("wizyta");
  ASSERT_TRUE(Sees("almaty"));
  v1::UpdateArticleRequest update;
  update.mutable_article()->set_name("articles/wizyta");
  update.mutable_article()->set_gallery("galleries/lublin");
  v1::Article out;
  ASSERT_TRUE(stub_->UpdateArticle(Context().get(), update, &out).ok());
  EXPECT_FALSE(Sees("almaty"));
  EXPECT_TRUE(Sees("lublin"));
  // Rolling back to the first revision brings the old gallery back.
  v1::RollbackArticleRequest rollback;
  rollback.set_name("articles/wizyta");
  rollback.set_revision_id("r1");
  ASSERT_TRUE(stub_->RollbackArticle(Context().get(), rollback, &out).ok());
  EXPECT_TRUE(Sees("almaty"));
  EXPECT_FALSE(Sees("lublin"));
}

TEST_F(GalleryVisibilityTest, OnePublishedArticleIsEnough) {
  CreateArticle("szkic", "almaty");
  CreateArticle("wizyta", "almaty");
  Publish("wizyta");
  EXPECT_TRUE(Sees("almaty"));
  Publish("szkic");
  Unpublish("wizyta");
  EXPECT_TRUE(Sees("almaty")) << "still used by a published article";
  Unpublish("szkic");
  EXPECT_FALSE(Sees("almaty"));
}

TEST_F(GalleryVisibilityTest, AnonymousListingsPageThroughPublicGalleriesOnly) {
  for (int i = 0; i < 5; ++i) {
    const std::string id = absl::StrCat("g", i);
    v1::CreateGalleryRequest req;
    req.set_gallery_id(id);
    req.mutable_gallery()->set_title(id);
    v1::Gallery out;
    ASSERT_TRUE(stub_->CreateGallery(Context().get(), req, &out).ok());
    clock_.Advance(absl::Seconds(1));
    if (i % 2 == 0) {
      CreateArticle(absl::StrCat("a", i), id);
      Publish(absl::StrCat("a", i));
    }
  }
  std::vector<std::string> seen;
  v1::ListGalleriesRequest req;
  req.set_page_size(1);
  std::string editor_token;
  for (int pages = 0; pages < 10; ++pages) {
    v1::ListGalleriesResponse resp;
    ASSERT_TRUE(stub_->ListGalleries(Context(Role::kAnonymous).get(), req, &resp).ok());
    for (const auto& g : resp.galleries()) seen.push_back(g.name());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"galleries/g4", "galleries/g2", "galleries/g0"}));
  // An editor's page token is not an anonymous reader's.
  v1::ListGalleriesRequest first;
  first.set_page_size(1);
  v1::ListGalleriesResponse resp;
  ASSERT_TRUE(stub_->ListGalleries(Context(Role::kEditor).get(), first, &resp).ok());
  first.set_page_token(resp.next_page_token());
  EXPECT_EQ(stub_->ListGalleries(Context(Role::kAnonymous).get(), first, &resp).error_code(),
            StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace newsdesk::content
