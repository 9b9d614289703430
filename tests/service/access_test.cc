// Every ContentService method × every role: who gets in, who does not, and
// what anonymous readers can see.
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <map>

#include "absl/strings/str_cat.h"

#include "services/common/admin_service.h"
#include "storage/kv/proto_time.h"
#include "tests/testing/content_fixture.h"
#include "tests/testing/generic_call.h"

namespace newsdesk::content {
namespace {

using v1::Article;

// The expected rule of every method, written out here on purpose: a method
// added to the API without an entry fails MethodTableCoversTheWholeService,
// and a policy change that opens a method fails EveryMethodTimesEveryRole.
const std::map<std::string, Access>& ExpectedAccess() {
  static const auto* table = new std::map<std::string, Access>{
      {"CreateArticle", Access::kWrite},
      {"GetArticle", Access::kPublic},
      {"ListArticles", Access::kPublic},
      {"UpdateArticle", Access::kWrite},
      {"DeleteArticle", Access::kWrite},
      {"UndeleteArticle", Access::kWrite},
      {"PublishArticle", Access::kWrite},
      {"UnpublishArticle", Access::kWrite},
      {"ListArticleRevisions", Access::kPrivateRead},
      {"RollbackArticle", Access::kWrite},
      {"SearchArticles", Access::kPublic},
      {"CreateGallery", Access::kWrite},
      {"GetGallery", Access::kPublic},
      {"ListGalleries", Access::kPublic},
      {"UpdateGallery", Access::kWrite},
      {"DeleteGallery", Access::kWrite},
      {"UndeleteGallery", Access::kWrite},
      {"UploadPhoto", Access::kWrite},
      {"GetPhoto", Access::kPublic},
      {"ListPhotos", Access::kPublic},
      {"UpdatePhoto", Access::kWrite},
      {"DeletePhoto", Access::kWrite},
      {"DownloadPhoto", Access::kPublic},
  };
  return *table;
}

const google::protobuf::ServiceDescriptor& Service() {
  return *v1::CreateArticleRequest::descriptor()->file()->FindServiceByName("ContentService");
}

class AccessTest : public testing::ContentServerFixture {
 protected:
  grpc::Status CallEmpty(const std::string& method, grpc::ClientContext* ctx) {
    return testing::CallWithEmptyRequest(channel_, absl::StrCat("/", Service().full_name(), "/", method), ctx);
  }
};

TEST_F(AccessTest, MethodTableCoversTheWholeService) {
  for (int i = 0; i < Service().method_count(); ++i) {
    EXPECT_EQ(ExpectedAccess().count(Service().method(i)->name()), 1u)
        << Service().method(i)->name() << " has no expected access rule in this test";
  }
  EXPECT_EQ(static_cast<int>(ExpectedAccess().size()), Service().method_count());
}

TEST_F(AccessTest, EveryMethodTimesEveryRole) {
  for (const auto& [method, access] : ExpectedAccess()) {
    for (Role role : {Role::kAnonymous, Role::kService, Role::kEditor, Role::kAdmin}) {
      auto ctx = Context(role);
      const grpc::Status st = CallEmpty(method, ctx.get());
      SCOPED_TRACE(absl::StrCat(method, " as ", RoleName(role), ": ", st.error_code(), " ", st.error_message()));
      if (Allows(access, role)) {
        EXPECT_NE(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
        EXPECT_NE(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
        EXPECT_NE(st.error_code(), grpc::StatusCode::INTERNAL);
        EXPECT_NE(st.error_code(), grpc::StatusCode::UNKNOWN);
      } else if (role == Role::kAnonymous) {
        EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
      } else {
        EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
        EXPECT_NE(st.error_message().find(RoleName(role)), std::string::npos);
      }
    }
    // An unknown or malformed token is refused everywhere, reads included.
    for (const char* header : {"Bearer not-a-known-token", "Basic dXNlcjpwYXNz", "Bearer "}) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      ctx.AddMetadata("authorization", header);
      EXPECT_EQ(CallEmpty(method, &ctx).error_code(), grpc::StatusCode::UNAUTHENTICATED) << method << " " << header;
    }
  }
}

TEST_F(AccessTest, AnonymousReadersSeePublishedArticlesOnly) {
  for (const char* id : {"szkic", "opublikowany", "usuniety"}) {
    v1::CreateArticleRequest req;
    req.set_article_id(id);
    req.mutable_article()->set_title(std::string("Konferencja ") + id);
    req.mutable_article()->set_body("Szpital w Białej Podlaskiej");
    Article out;
    ASSERT_TRUE(stub_->CreateArticle(Context().get(), req, &out).ok());
  }
  Article out;
  for (const char* id : {"opublikowany", "usuniety"}) {
    v1::PublishArticleRequest pub;
    pub.set_name(std::string("articles/") + id);
    ASSERT_TRUE(stub_->PublishArticle(Context().get(), pub, &out).ok());
  }
  v1::DeleteArticleRequest del;
  del.set_name("articles/usuniety");
  ASSERT_TRUE(stub_->DeleteArticle(Context().get(), del, &out).ok());

  v1::GetArticleRequest get;
  get.set_name("articles/opublikowany");
  EXPECT_TRUE(stub_->GetArticle(Context(Role::kAnonymous).get(), get, &out).ok());
  for (const char* hidden : {"articles/szkic", "articles/usuniety", "articles/opublikowany@r1"}) {
    get.set_name(hidden);
    grpc::Status st = stub_->GetArticle(Context(Role::kAnonymous).get(), get, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << hidden;
    EXPECT_TRUE(stub_->GetArticle(Context(Role::kService).get(), get, &out).ok()) << "the service role reads drafts";
  }

  v1::ListArticlesRequest list;
  list.set_show_deleted(true);
  list.set_filter("state = DRAFT OR state = DELETED OR state = PUBLISHED");
  v1::ListArticlesResponse listed;
  ASSERT_TRUE(stub_->ListArticles(Context(Role::kAnonymous).get(), list, &listed).ok());
  ASSERT_EQ(listed.articles_size(), 1);
  EXPECT_EQ(listed.articles(0).name(), "articles/opublikowany");
  ASSERT_TRUE(stub_->ListArticles(Context(Role::kEditor).get(), list, &listed).ok());
  EXPECT_EQ(listed.articles_size(), 3);

  v1::SearchArticlesRequest search;
  search.set_query("szpital");
  search.set_filter("state = DRAFT OR state = PUBLISHED");
  v1::SearchArticlesResponse found;
  ASSERT_TRUE(stub_->SearchArticles(Context(Role::kAnonymous).get(), search, &found).ok());
  ASSERT_EQ(found.results_size(), 1);
  EXPECT_EQ(found.results(0).article().name(), "articles/opublikowany");
  ASSERT_TRUE(stub_->SearchArticles(Context(Role::kEditor).get(), search, &found).ok());
  EXPECT_EQ(found.results_size(), 2);
}

TEST_F(AccessTest, ClientsCannotClaimARoleThroughMetadata) {
  v1::CreateArticleRequest req;
  req.set_article_id("szkic");
  req.mutable_article()->set_title("Szkic");
  Article out;
  ASSERT_TRUE(stub_->CreateArticle(Context().get(), req, &out).ok());
  auto spoof = Context(Role::kAnonymous);
  spoof->AddMetadata(kPrincipalRoleKey, "editor");
  spoof->AddMetadata(kPrincipalSubjectKey, "mallory");
  v1::GetArticleRequest get;
  get.set_name("articles/szkic");
  EXPECT_EQ(stub_->GetArticle(spoof.get(), get, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  auto write = Context(Role::kAnonymous);
  write->AddMetadata(kPrincipalRoleKey, "admin");
  req.set_article_id("inny");
  EXPECT_EQ(stub_->CreateArticle(write.get(), req, &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AccessTest, ASecondServerCannotTakeABoundPort) {
  testing::TempDir other;
  auto backend = ContentBackend::Open(other.path());
  ASSERT_TRUE(backend.ok());
  ServerOptions options;
  options.listen = server_->address();
  auto second = GrpcServer::Start(options, {{Service().full_name(), (*backend)->service(), ContentAccessPolicy()}});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
}

TEST(AdminServiceTest, BackupsAreForAdminsOnly) {
  testing::TempDir dir;
  auto backend = ContentBackend::Open(dir.Sub("db"));
  ASSERT_TRUE(backend.ok());
  AdminService admin("content", (*backend)->database(), dir.Sub("backups"));
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.auth_tokens_file = testing::TestTokens::Write(dir.Sub("tokens"));
  auto server = GrpcServer::Start(
      options, {{Service().full_name(), (*backend)->service(), ContentAccessPolicy()},
                {admin::v1::AdminService::service_full_name(), &admin, AdminService::Policy()}});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = admin::v1::AdminService::NewStub(
      grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
  const auto call = [&](Role role, admin::v1::Backup* out) {
    grpc::ClientContext ctx;
    if (const char* token = testing::TestTokens::For(role)) ctx.AddMetadata("authorization", std::string("Bearer ") + token);
    return stub->CreateBackup(&ctx, admin::v1::CreateBackupRequest(), out);
  };
  admin::v1::Backup backup;
  EXPECT_EQ(call(Role::kAnonymous, &backup).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(call(Role::kEditor, &backup).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call(Role::kService, &backup).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(call(Role::kAdmin, &backup).ok());
  EXPECT_EQ(backup.backup_id(), 1u);
  EXPECT_EQ(backup.database(), "content");
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", std::string("Bearer ") + testing::TestTokens::kAdmin);
  admin::v1::ListBackupsResponse listed;
  ASSERT_TRUE(stub->ListBackups(&ctx, admin::v1::ListBackupsRequest(), &listed).ok());
  EXPECT_EQ(listed.backups_size(), 1);
  (*server)->Shutdown();

  AdminService off("content", (*backend)->database(), "");
  EXPECT_EQ(off.CreateBackup().status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(AccessPolicyTest, ServerRefusesAServiceWithoutRules) {
  testing::TempDir dir;
  auto backend = ContentBackend::Open(dir.path());
  ASSERT_TRUE(backend.ok());
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  AccessPolicy partial;
  partial.Add(Service().full_name(), "GetArticle", Access::kPublic);
  auto server = GrpcServer::Start(options, {{Service().full_name(), (*backend)->service(), partial}});
  EXPECT_EQ(server.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(server.status().message().find("CreateArticle"), absl::string_view::npos);
}

}  // namespace
}  // namespace newsdesk::content
