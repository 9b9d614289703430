#include "services/common/auth.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "newsdesk/content/v1/content_service.grpc.pb.h"
#include "tests/testing/temp_dir.h"

namespace newsdesk {
namespace {

std::string Line(absl::string_view token, absl::string_view role, absl::string_view subject) {
  return absl::StrCat("sha256:", absl::BytesToHexString(TokenHash(token)), " ", role, " ", subject, "\n");
}

TEST(TokenFileTest, ParsesEntriesCommentsAndBlankLines) {
  auto entries = ParseTokenFile(absl::StrCat("# tokens\n\n", Line("a", "editor", "redakcja"),
                                             "  ", Line("b", "service", "events"), Line("c", "admin", "ops")));
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].role, Role::kEditor);
  EXPECT_EQ((*entries)[0].subject, "redakcja");
  EXPECT_EQ((*entries)[0].sha256, TokenHash("a"));
  EXPECT_EQ((*entries)[1].role, Role::kService);
  EXPECT_EQ((*entries)[2].role, Role::kAdmin);
}

TEST(TokenFileTest, RejectsMalformedLinesNamingThem) {
  const std::string good = Line("a", "editor", "x");
  for (const std::string& bad : {std::string("sha256:abc editor x\n"), std::string("plaintext-token editor x\n"),
                                 absl::StrCat("sha256:", std::string(64, 'z'), " editor x\n"),
                                 Line("a", "root", "x"), Line("a", "editor", "x y"), std::string("sha256:\n")}) {
    auto st = ParseTokenFile(absl::StrCat(good, bad)).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(st.message().find("line 2"), absl::string_view::npos) << st;
  }
}

TEST(AccessTest, RolesAndRules) {
  struct Row {
    Access access;
    bool anonymous, service, editor, admin;
  };
  for (const Row& r : {Row{Access::kPublic, true, true, true, true}, Row{Access::kPrivateRead, false, true, true, true},
                       Row{Access::kWrite, false, false, true, true}, Row{Access::kAdmin, false, false, false, true}}) {
    EXPECT_EQ(Allows(r.access, Role::kAnonymous), r.anonymous);
    EXPECT_EQ(Allows(r.access, Role::kService), r.service);
    EXPECT_EQ(Allows(r.access, Role::kEditor), r.editor);
    EXPECT_EQ(Allows(r.access, Role::kAdmin), r.admin);
  }
}

TEST(AccessTest, ConventionsGiveEveryMethodARuleAndWritesByDefault) {
  const auto* descriptor = content::v1::CreateArticleRequest::descriptor()->file()->FindServiceByName("ContentService");
  ASSERT_NE(descriptor, nullptr);
  const std::string service = descriptor->full_name();
  auto policy = AccessPolicy::ByConvention(*descriptor, {{"ListArticleRevisions", Access::kPrivateRead}});
  EXPECT_TRUE(policy.Missing(service).empty());
  EXPECT_EQ(policy.Find("/newsdesk.content.v1.ContentService/GetArticle"), Access::kPublic);
  EXPECT_EQ(policy.Find("/newsdesk.content.v1.ContentService/SearchArticles"), Access::kPublic);
  EXPECT_EQ(policy.Find("/newsdesk.content.v1.ContentService/CreateArticle"), Access::kWrite);
  EXPECT_EQ(policy.Find("/newsdesk.content.v1.ContentService/PublishArticle"), Access::kWrite);
  EXPECT_EQ(policy.Find("/newsdesk.content.v1.ContentService/ListArticleRevisions"), Access::kPrivateRead);
  EXPECT_FALSE(policy.Find("/newsdesk.content.v1.ContentService/Nope").has_value());
  EXPECT_FALSE(AccessPolicy().Missing(service).empty());
}

class TokenStoreTest : public ::testing::Test {
 protected:
  void WriteFile(const std::string& contents) {
    // Replace the file the way a Secret update does: write aside, rename.
    const std::string tmp = path_ + ".tmp";
    std::ofstream(tmp) << contents;
    std::rename(tmp.c_str(), path_.c_str());
  }
  bool WaitFor(const std::function<bool()>& condition) {
    for (int i = 0; i < 200; ++i) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  testing::TempDir dir_;
  std::string path_ = dir_.Sub("tokens");
};

TEST_F(TokenStoreTest, LooksUpTokensAndReloadsOnChange) {
  WriteFile(Line("first", "editor", "anna"));
  TokenStore store(path_, absl::Milliseconds(20));
  auto p = store.Lookup("first");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->role, Role::kEditor);
  EXPECT_EQ(p->subject, "anna");
  EXPECT_FALSE(store.Lookup("second").has_value());
  EXPECT_FALSE(store.Lookup("").has_value());

  WriteFile(Line("second", "admin", "ops"));
  EXPECT_TRUE(WaitFor([&] { return store.Lookup("second").has_value(); })) << "rotation without restart";
  EXPECT_FALSE(store.Lookup("first").has_value()) << "the old token is revoked";
}

TEST_F(TokenStoreTest, MalformedFileKeepsTheLastGoodSet) {
  WriteFile(Line("keep", "editor", "anna"));
  TokenStore store(path_, absl::Milliseconds(20));
  ASSERT_TRUE(store.Lookup("keep").has_value());
  WriteFile("sha256:broken editor anna\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(store.Lookup("keep").has_value());
  WriteFile(Line("fixed", "editor", "anna"));
  EXPECT_TRUE(WaitFor([&] { return store.Lookup("fixed").has_value(); }));
}

TEST_F(TokenStoreTest, NoFileMeansNoTokens) {
  TokenStore none;
  EXPECT_FALSE(none.Lookup("anything").has_value());
  EXPECT_EQ(none.size(), 0u);
  TokenStore missing(dir_.Sub("absent"));
  EXPECT_FALSE(missing.Lookup("anything").has_value());
}

}  // namespace
}  // namespace newsdesk
