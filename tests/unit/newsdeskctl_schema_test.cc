// newsdeskctl: what it reads from descriptors (services, methods, AIP
// resources) and the message helpers.
#include <gtest/gtest.h>

#include "tools/newsdeskctl/errors.h"
#include "tools/newsdeskctl/schema.h"
#include "tools/newsdeskctl/testing/fakes.h"

namespace newsdesk::ctl {
namespace {

namespace pb = google::protobuf;

TEST(NewsdeskctlSchemaTest, GeneratedPoolHasTheLinkedServices) {
  auto schema = Schema::FromGeneratedPool();
  std::vector<std::string> names;
  for (const auto* service : schema->services()) names.push_back(service->full_name());
  EXPECT_NE(std::find(names.begin(), names.end(), "newsdesk.content.v1.ContentService"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "newsdesk.admin.v1.AdminService"), names.end());
  EXPECT_GE(LinkedApiCount(), 2);
}

TEST(NewsdeskctlSchemaTest, ArticlesAreFoundByConvention) {
  auto schema = Schema::FromGeneratedPool();
  auto articles = schema->FindCollection("articles");
  ASSERT_TRUE(articles.ok()) << articles.status();
  const Resource& r = **articles;
  EXPECT_EQ(r.singular, "article");
  EXPECT_EQ(r.type->full_name(), "newsdesk.content.v1.Article");
  EXPECT_EQ(r.get->name(), "GetArticle");
  EXPECT_EQ(r.list->name(), "ListArticles");  // not ListArticleRevisions
  EXPECT_EQ(r.list_items->name(), "articles");
  EXPECT_EQ(r.create->name(), "CreateArticle");
  EXPECT_EQ(r.update->name(), "UpdateArticle");
  EXPECT_EQ(r.remove->name(), "DeleteArticle");
  ASSERT_NE(r.CustomMethod("Publish"), nullptr);
  EXPECT_EQ(r.CustomMethod("Publish")->name(), "PublishArticle");
  EXPECT_EQ(r.CustomMethod("Frobnicate"), nullptr);
  EXPECT_EQ(*schema->FindType("article"), &r);
  EXPECT_EQ(*schema->FindType("Article"), &r);
  EXPECT_EQ(*schema->FindByName("articles/x@r2"), &r);
  EXPECT_EQ(ExitCodeFor(schema->FindCollection("widgets").status()), kExitUsage);
}

TEST(NewsdeskctlSchemaTest, NestedResourcesOfAnotherApi) {
  testing::TestApi api;
  const Schema& schema = api.schema();
  auto photos = schema.FindByName("galleries/g/photos/p");
  ASSERT_TRUE(photos.ok()) << photos.status();
  EXPECT_EQ((*photos)->get->full_name(), "newsdesk.media.testing.MediaService.GetPhoto");
  EXPECT_EQ((*photos)->singular, "photo");
  auto galleries = schema.FindByName("galleries/g");
  ASSERT_TRUE(galleries.ok());
  EXPECT_EQ((*galleries)->collection, "galleries");
  EXPECT_EQ((*galleries)->update, nullptr);
  // EventsService has GetEvent but no List: the collection is the plural.
  auto events = schema.FindCollection("events");
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ((*events)->list, nullptr);
  EXPECT_EQ(schema.FindStreamingMethods("Upload", true, false).size(), 1u);
  EXPECT_EQ(schema.FindStreamingMethods("Download", false, true).size(), 1u);
}

TEST(NewsdeskctlSchemaTest, FindMethodAcceptsEverySpelling) {
  auto schema = Schema::FromGeneratedPool();
  for (const char* spec : {"newsdesk.content.v1.ContentService/GetArticle", "ContentService/GetArticle",
                           "/newsdesk.content.v1.ContentService/GetArticle",
                           "newsdesk.content.v1.ContentService.GetArticle"}) {
    auto method = schema->FindMethod(spec);
    ASSERT_TRUE(method.ok()) << spec << ": " << method.status();
    EXPECT_EQ((*method)->full_name(), "newsdesk.content.v1.ContentService.GetArticle");
  }
  for (const char* spec : {"ContentService/Nope", "NoService/GetArticle", "GetArticle"}) {
    EXPECT_EQ(ExitCodeFor(schema->FindMethod(spec).status()), kExitUsage) << spec;
  }
}

TEST(NewsdeskctlSchemaTest, ResourceNamesSplitAtTheLastCollection) {
  auto name = ParseResourceName("galleries/g1/photos/p2@r3");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->parent, "galleries/g1");
  EXPECT_EQ(name->collection, "photos");
  EXPECT_EQ(name->id, "p2");
  EXPECT_EQ(name->revision, "r3");
  for (const char* bad : {"", "articles", "articles/", "/articles/x", "a/b/c"}) {
    EXPECT_EQ(ExitCodeFor(ParseResourceName(bad).status()), kExitUsage) << bad;
  }
  auto path = ParseCollectionPath("galleries/g1/photos");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(path->parent, "galleries/g1");
  EXPECT_EQ(path->collection, "photos");
  EXPECT_EQ(ParseCollectionPath("articles")->parent, "");
  EXPECT_FALSE(ParseCollectionPath("articles/x").ok());
}

TEST(NewsdeskctlSchemaTest, NamingHelpers) {
  EXPECT_EQ(SnakeCase("PhotoRendition"), "photo_rendition");
  EXPECT_EQ(Plural("gallery"), "galleries");
  EXPECT_EQ(Plural("photo"), "photos");
  EXPECT_EQ(Plural("address"), "addresses");
  EXPECT_EQ(Plural("day"), "days");
}

TEST(NewsdeskctlSchemaTest, SetFromTextHandlesEveryKindOfField) {
  testing::TestApi api;
  const Schema& schema = api.schema();
  auto download = schema.New(api.Type("newsdesk.media.testing.DownloadPhotoRequest"));
  const pb::FieldDescriptor* rendition = Field(download->GetDescriptor(), "rendition");
  for (const char* text : {"thumbnail", "THUMBNAIL", "RENDITION_THUMBNAIL", "2"}) {
    ASSERT_TRUE(SetFromText(download.get(), rendition, text).ok()) << text;
    EXPECT_EQ(download->GetReflection()->GetEnum(*download, rendition)->name(), "RENDITION_THUMBNAIL");
  }
  absl::Status bad = SetFromText(download.get(), rendition, "huge");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("RENDITION_ORIGINAL"), std::string::npos);

  auto update = schema.New(api.Type("newsdesk.media.testing.UpdatePhotoRequest"));
  ASSERT_TRUE(SetFromText(update.get(), Field(update->GetDescriptor(), "update_mask"), "alt_text, caption").ok());
  EXPECT_EQ(*ToJson(*update, {}), R"({"updateMask":"altText,caption"})");

  auto list = schema.New(api.Type("newsdesk.media.testing.ListPhotosRequest"));
  EXPECT_TRUE(SetFromText(list.get(), Field(list->GetDescriptor(), "page_size"), "25").ok());
  EXPECT_FALSE(SetFromText(list.get(), Field(list->GetDescriptor(), "page_size"), "many").ok());
  EXPECT_TRUE(SetFromText(list.get(), Field(list->GetDescriptor(), "show_deleted"), "true").ok());
  EXPECT_EQ(*ToJson(*list, {}), R"({"pageSize":25,"showDeleted":true})");

  auto photo = schema.New(api.Type("newsdesk.media.testing.Photo"));
  ASSERT_TRUE(SetFromText(photo.get(), Field(photo->GetDescriptor(), "create_time"), "2024-05-01T10:00:00Z").ok());
  EXPECT_EQ(*ToJson(*photo, {}), R"({"createTime":"2024-05-01T10:00:00Z"})");
}

TEST(NewsdeskctlSchemaTest, FieldPathsReachIntoNestedMessages) {
  testing::TestApi api;
  const pb::Descriptor* upload = api.Type("newsdesk.media.testing.UploadPhotoRequest");
  FieldPath alt = FindFieldPath(upload, "alt_text");
  ASSERT_EQ(alt.size(), 3u);
  EXPECT_EQ(alt[0]->name(), "metadata");
  EXPECT_EQ(alt[1]->name(), "photo");
  FieldPath parent = FindFieldPath(upload, "parent");
  ASSERT_EQ(parent.size(), 2u);  // metadata.parent, not deeper
  FieldPath chunk = FindBytesField(upload);
  ASSERT_EQ(chunk.size(), 1u);
  EXPECT_EQ(chunk[0]->name(), "chunk");
  EXPECT_TRUE(FindFieldPath(upload, "nope").empty());

  auto message = api.schema().New(upload);
  EXPECT_EQ(ParentIfSet(*message, alt), nullptr);
  pb::Message* holder = MutableParent(message.get(), alt);
  holder->GetReflection()->SetString(holder, alt.back(), "Widok na Tatry");
  EXPECT_NE(ParentIfSet(*message, alt), nullptr);
  EXPECT_EQ(*ToJson(*message, {}), R"({"metadata":{"photo":{"altText":"Widok na Tatry"}}})");
}

TEST(NewsdeskctlSchemaTest, ParseJsonMergesAndRejectsUnknownFields) {
  auto schema = Schema::FromGeneratedPool();
  auto article = schema->New(schema->FindCollection("articles").value()->type);
  ASSERT_TRUE(ParseJson(R"({"title": "Zażółć", "tags": ["a"]})", article.get(), "article").ok());
  ASSERT_TRUE(ParseJson(R"({"lead": "Łódź", "tags": ["b"]})", article.get(), "article").ok());
  EXPECT_EQ(*ToJson(*article, {}), R"({"title":"Zażółć","lead":"Łódź","tags":["a","b"]})");
  EXPECT_EQ(*ToJson(*article, {.proto_names = true, .emit_defaults = false}),
            R"({"title":"Zażółć","lead":"Łódź","tags":["a","b"]})");
  absl::Status st = ParseJson(R"({"titel": "x"})", article.get(), "article");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("titel"), std::string::npos);
}

}  // namespace
}  // namespace newsdesk::ctl
