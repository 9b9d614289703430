#include "services/common/validation.h"

#include <gtest/gtest.h>

#include "services/content/article_validation.h"

namespace newsdesk {
namespace {

using ::newsdesk::content::ResolveUpdateMask;
using ::newsdesk::content::ValidateAndNormalize;
using ::newsdesk::content::WritableArticleFields;
using Article = ::newsdesk::content::v1::Article;

Article ValidArticle() {
  Article a;
  a.set_title("Wizyta w obwodzie Ałmatyńskim");
  a.set_lead("Delegacja województwa lubelskiego odwiedziła Kazachstan.");
  a.set_body("Treść artykułu.");
  a.add_tags("zdrowie");
  a.add_authors("Redakcja");
  return a;
}

struct Case {
  const char* name;
  void (*mutate)(Article*);
  const char* field_in_message;  // nullptr → valid
};

class ArticleValidationTest : public ::testing::TestWithParam<Case> {};

TEST_P(ArticleValidationTest, ChecksEachField) {
  Article a = ValidArticle();
  GetParam().mutate(&a);
  absl::Status st = ValidateAndNormalize(WritableArticleFields(), &a);
  if (GetParam().field_in_message == nullptr) {
    EXPECT_TRUE(st.ok()) << st;
  } else {
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
    EXPECT_NE(st.message().find(GetParam().field_in_message), absl::string_view::npos) << st;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ArticleValidationTest,
    ::testing::Values(
        Case{"valid", [](Article*) {}, nullptr},
        Case{"title_missing", [](Article* a) { a->clear_title(); }, "article.title: required"},
        Case{"title_300_chars", [](Article* a) { a->set_title(std::string(300, 'x')); }, nullptr},
        Case{"title_300_polish_chars",
             [](Article* a) {
               std::string t;
               for (int i = 0; i < 300; ++i) t += "ł";
               a->set_title(t);
             },
             nullptr},
        Case{"title_301_chars", [](Article* a) { a->set_title(std::string(301, 'x')); }, "article.title"},
        Case{"title_invalid_utf8", [](Article* a) { a->set_title("ab\xc3"); }, "article.title: invalid UTF-8"},
        Case{"title_nul", [](Article* a) { a->set_title(std::string("a\0b", 3)); }, "article.title: NUL"},
        Case{"lead_2000", [](Article* a) { a->set_lead(std::string(2000, 'x')); }, nullptr},
        Case{"lead_2001", [](Article* a) { a->set_lead(std::string(2001, 'x')); }, "article.lead"},
        Case{"body_1mib", [](Article* a) { a->set_body(std::string(1 << 20, 'x')); }, nullptr},
        Case{"body_over_1mib", [](Article* a) { a->set_body(std::string((1 << 20) + 1, 'x')); }, "article.body"},
        Case{"body_invalid_utf8", [](Article* a) { a->set_body("\xff\xfe"); }, "article.body: invalid UTF-8"},
        Case{"tags_50",
             [](Article* a) {
               a->clear_tags();
               for (int i = 0; i < 50; ++i) a->add_tags("t" + std::to_string(i));
             },
             nullptr},
        Case{"tags_51",
             [](Article* a) {
               a->clear_tags();
               for (int i = 0; i < 51; ++i) a->add_tags("t" + std::to_string(i));
             },
             "article.tags: 51 values"},
        Case{"tag_64_chars", [](Article* a) { a->add_tags(std::string(64, 'z')); }, nullptr},
        Case{"tag_65_chars", [](Article* a) { a->add_tags(std::string(65, 'z')); }, "article.tags[1]"},
        Case{"tag_empty", [](Article* a) { a->add_tags(""); }, "article.tags[1]: required"},
        Case{"authors_21",
             [](Article* a) {
               for (int i = 0; i < 21; ++i) a->add_authors("a" + std::to_string(i));
             },
             "article.authors"},
        Case{"language_en_gb", [](Article* a) { a->set_language("en-GB"); }, nullptr},
        Case{"language_garbage", [](Article* a) { a->set_language("not a tag!"); }, "article.language"},
        Case{"language_too_long_subtag", [](Article* a) { a->set_language("abcdefghij"); }, "article.language"},
        Case{"gallery_valid", [](Article* a) { a->set_gallery("galleries/almaty-2018"); }, nullptr},
        Case{"gallery_malformed", [](Article* a) { a->set_gallery("photos/x"); }, "article.gallery"}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(ArticleNormalizationTest, DefaultsAndCanonicalisesLanguageAndDropsDuplicateTags) {
  Article a = ValidArticle();
  a.add_tags("zdrowie");
  ASSERT_TRUE(ValidateAndNormalize(WritableArticleFields(), &a).ok());
  EXPECT_EQ(a.language(), "pl");
  EXPECT_EQ(a.tags_size(), 1);
  a.set_language("EN-gb");
  ASSERT_TRUE(ValidateAndNormalize({"language"}, &a).ok());
  EXPECT_EQ(a.language(), "en-GB");
}

TEST(UpdateMaskTest, ResolvesExplicitPaths) {
  google::protobuf::FieldMask mask;
  mask.add_paths("title");
  mask.add_paths("tags");
  auto paths = ResolveUpdateMask(mask, Article());
  ASSERT_TRUE(paths.ok());
  EXPECT_EQ(*paths, (std::vector<std::string>{"title", "tags"}));
}

TEST(UpdateMaskTest, StarMeansEveryWritableField) {
  google::protobuf::FieldMask mask;
  mask.add_paths("*");
  auto paths = ResolveUpdateMask(mask, Article());
  ASSERT_TRUE(paths.ok());
  EXPECT_EQ(*paths, WritableArticleFields());
}

TEST(UpdateMaskTest, EmptyMaskMeansPopulatedFields) {
  Article patch;
  patch.set_lead("Nowy lead");
  patch.add_tags("x");
  auto paths = ResolveUpdateMask(google::protobuf::FieldMask(), patch);
  ASSERT_TRUE(paths.ok());
  EXPECT_EQ(*paths, (std::vector<std::string>{"lead", "tags"}));
  EXPECT_EQ(ResolveUpdateMask(google::protobuf::FieldMask(), Article()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(UpdateMaskTest, RejectsUnknownAndOutputOnlyPaths) {
  for (const char* bad : {"slug", "state", "etag", "create_time", "name", "titel", "title.x", ""}) {
    google::protobuf::FieldMask mask;
    mask.add_paths(bad);
    auto paths = ResolveUpdateMask(mask, Article());
    EXPECT_EQ(paths.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(paths.status().message().find("update_mask"), absl::string_view::npos);
  }
  google::protobuf::FieldMask mixed;
  mixed.add_paths("*");
  mixed.add_paths("title");
  EXPECT_EQ(ResolveUpdateMask(mixed, Article()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ResourceNameTest, ParsesAndRejects) {
  auto id = ParseResourceName("name", "articles/wizyta-2018", "articles");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "wizyta-2018");
  for (const char* bad : {"", "articles/", "articles/Wizyta", "articles/a/b", "galleries/x", "articles/-a",
                          "articles/a-", "articles/../x", "articles/1abc"}) {
    auto st = ParseResourceName("name", bad, "articles").status();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(st.message().substr(0, 5), "name:") << st;
  }
  EXPECT_FALSE(IsValidResourceId(std::string(64, 'a')));
  EXPECT_TRUE(IsValidResourceId(std::string(63, 'a')));
  EXPECT_TRUE(IsValidResourceId("a"));
}

TEST(PageSizeTest, DefaultsCoercesAndRejects) {
  EXPECT_EQ(*EffectivePageSize(0), 50);
  EXPECT_EQ(*EffectivePageSize(1), 1);
  EXPECT_EQ(*EffectivePageSize(1000), 1000);
  EXPECT_EQ(*EffectivePageSize(1001), 1000);
  EXPECT_EQ(EffectivePageSize(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RequestIdTest, AcceptsUuidsAndRejectsOthers) {
  EXPECT_TRUE(CheckRequestId("request_id", "").ok());
  EXPECT_TRUE(CheckRequestId("request_id", "7c9e6679-7425-40de-944b-e07fc1f90ae7").ok());
  EXPECT_FALSE(CheckRequestId("request_id", std::string(129, 'a')).ok());
  EXPECT_FALSE(CheckRequestId("request_id", "with space").ok());
  EXPECT_FALSE(CheckRequestId("request_id", "zażółć").ok());
}

TEST(RevisionIdTest, AcceptsOnlyIdsTheStoreIssues) {
  for (const char* ok : {"r1", "r2", "r27", "r9223372036854775807"}) {
    EXPECT_TRUE(content::CheckRevisionId("revision_id", ok).ok()) << ok;
  }
  for (const char* bad : {"", "r", "r0", "r01", "r-1", "R1", "1", "r1x", "r 1", "../r1", "r9223372036854775808",
                          "r99999999999999999999"}) {
    auto st = content::CheckRevisionId("revision_id", bad);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(st.message().substr(0, 12), "revision_id:") << st;
  }
}

}  // namespace
}  // namespace newsdesk
