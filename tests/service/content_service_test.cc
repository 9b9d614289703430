#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/testing/content_fixture.h"

namespace newsdesk::content {
namespace {

using v1::Article;

class ContentServiceTest : public testing::ContentServerFixture {
 protected:
  grpc::Status Create(const Article& article, Article* out, const std::string& id = "",
                      const std::string& request_id = "") {
    v1::CreateArticleRequest req;
    *req.mutable_article() = article;
    req.set_article_id(id);
    req.set_request_id(request_id);
    return stub_->CreateArticle(Context().get(), req, out);
  }

  Article MakeArticle(const std::string& title = "Wizyta w obwodzie Ałmatyńskim w Kazachstanie") {
    Article a;
    a.set_title(title);
    a.set_lead("Delegacja z Lubelszczyzny podpisała memorandum o współpracy.");
    a.set_body("Szpitale w Białej Podlaskiej i Tałdykorganie zaplanowały wspólną konferencję.");
    a.add_tags("zdrowie");
    a.add_authors("Biuro prasowe");
    return a;
  }

  Article MustCreate(const std::string& id, const std::string& title = "Tytuł") {
    Article out;
    grpc::Status st = Create(MakeArticle(title), &out, id);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  static void ExpectStatus(const grpc::Status& st, grpc::StatusCode code, const std::string& needle) {
    EXPECT_EQ(st.error_code(), code) << st.error_message();
    EXPECT_NE(st.error_message().find(needle), std::string::npos)
        << "message \"" << st.error_message() << "\" should mention \"" << needle << "\"";
  }
};

TEST_F(ContentServiceTest, CreateGetRoundTripsPolishText) {
  Article a = MakeArticle();
  a.set_body("Zażółć gęślą jaźń. ZAŻÓŁĆ GĘŚLĄ JAŹŃ. Tałdykorgan, Ałmaty — „cytat”.");
  Article created;
  ASSERT_TRUE(Create(a, &created, "wizyta").ok());
  EXPECT_EQ(created.name(), "articles/wizyta");
  EXPECT_EQ(created.slug(), "wizyta-w-obwodzie-almatynskim-w-kazachstanie");
  EXPECT_EQ(created.language(), "pl");
  EXPECT_EQ(created.state(), Article::STATE_DRAFT);

  v1::GetArticleRequest get;
  get.set_name("articles/wizyta");
  Article got;
  ASSERT_TRUE(stub_->GetArticle(Context().get(), get, &got).ok());
  EXPECT_EQ(got.body(), a.body());
  EXPECT_EQ(got.title(), a.title());
  EXPECT_EQ(got.etag(), created.etag());
}

TEST_F(ContentServiceTest, ListPagesNewestFirstAndCoercesPageSize) {
  for (int i = 0; i < 5; ++i) {
    MustCreate("a" + std::to_string(i));
    clock_.Advance(absl::Seconds(1));
  }
  v1::ListArticlesRequest req;
  req.set_page_size(2);
  std::vector<std::string> names;
  int pages = 0;
  do {
    v1::ListArticlesResponse resp;
    ASSERT_TRUE(stub_->ListArticles(Context().get(), req, &resp).ok());
    ++pages;
    for (const auto& a : resp.articles()) names.push_back(a.name());
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names, (std::vector<std::string>{"articles/a4", "articles/a3", "articles/a2", "articles/a1",
                                             "articles/a0"}));

  v1::ListArticlesRequest big;
  big.set_page_size(5000);
  v1::ListArticlesResponse resp;
  ASSERT_TRUE(stub_->ListArticles(Context().get(), big, &resp).ok());
  EXPECT_EQ(resp.articles_size(), 5);
  EXPECT_TRUE(resp.next_page_token().empty());
}

TEST_F(ContentServiceTest, UpdateAppliesTheMaskAndChecksEtags) {
  Article created = MustCreate("u");
  v1::UpdateArticleRequest req;
  req.mutable_article()->set_name("articles/u");
  req.mutable_article()->set_title("Poprawiony tytuł");
  req.mutable_article()->set_lead("this is not in the mask");
  req.mutable_article()->set_etag(created.etag());
  req.mutable_update_mask()->add_paths("title");
  Article updated;
  ASSERT_TRUE(stub_->UpdateArticle(Context().get(), req, &updated).ok());
  EXPECT_EQ(updated.title(), "Poprawiony tytuł");
  EXPECT_EQ(updated.lead(), created.lead());
  EXPECT_NE(updated.etag(), created.etag());

  Article ignored;
  ExpectStatus(stub_->UpdateArticle(Context().get(), req, &ignored), grpc::StatusCode::ABORTED, "etag");

  req.mutable_article()->clear_etag();
  req.mutable_update_mask()->set_paths(0, "slug");
  ExpectStatus(stub_->UpdateArticle(Context().get(), req, &ignored), grpc::StatusCode::INVALID_ARGUMENT,
               "update_mask: \"slug\" is output only");
  req.mutable_update_mask()->set_paths(0, "nonsense");
  ExpectStatus(stub_->UpdateArticle(Context().get(), req, &ignored), grpc::StatusCode::INVALID_ARGUMENT,
               "update_mask: unknown field");
  req.mutable_update_mask()->set_paths(0, "title");
  req.mutable_article()->set_title("");
  ExpectStatus(stub_->UpdateArticle(Context().get(), req, &ignored), grpc::StatusCode::INVALID_ARGUMENT,
               "article.title: required");
  req.mutable_article()->set_name("articles/missing");
  req.mutable_article()->set_title("x");
  ExpectStatus(stub_->UpdateArticle(Context().get(), req, &ignored), grpc::StatusCode::NOT_FOUND,
               "articles/missing");
}

TEST_F(ContentServiceTest, DeleteAndUndeleteFollowAip164) {
  Article created = MustCreate("d");
  v1::DeleteArticleRequest del;
  del.set_name("articles/d");
  del.set_etag("stale");
  Article out;
  ExpectStatus(stub_->DeleteArticle(Context().get(), del, &out), grpc::StatusCode::ABORTED, "articles/d");
  del.set_etag(created.etag());
  ASSERT_TRUE(stub_->DeleteArticle(Context().get(), del, &out).ok());
  EXPECT_EQ(out.state(), Article::STATE_DELETED);
  EXPECT_TRUE(out.has_delete_time());
  del.clear_etag();
  ExpectStatus(stub_->DeleteArticle(Context().get(), del, &out), grpc::StatusCode::NOT_FOUND, "already deleted");

  v1::ListArticlesRequest live;
  v1::ListArticlesResponse resp;
  ASSERT_TRUE(stub_->ListArticles(Context().get(), live, &resp).ok());
  EXPECT_EQ(resp.articles_size(), 0);
  v1::ListArticlesRequest all;
  all.set_show_deleted(true);
  ASSERT_TRUE(stub_->ListArticles(Context().get(), all, &resp).ok());
  EXPECT_EQ(resp.articles_size(), 1);

  v1::UpdateArticleRequest upd;
  upd.mutable_article()->set_name("articles/d");
  upd.mutable_article()->set_title("x");
  ExpectStatus(stub_->UpdateArticle(Context().get(), upd, &out), grpc::StatusCode::FAILED_PRECONDITION,
               "STATE_DELETED");

  v1::UndeleteArticleRequest undel;
  undel.set_name("articles/d");
  ASSERT_TRUE(stub_->UndeleteArticle(Context().get(), undel, &out).ok());
  EXPECT_EQ(out.state(), Article::STATE_DRAFT);
  ExpectStatus(stub_->UndeleteArticle(Context().get(), undel, &out), grpc::StatusCode::ALREADY_EXISTS,
               "not deleted");
}

TEST_F(ContentServiceTest, CreateErrorsNameTheField) {
  Article out;
  ExpectStatus(stub_->CreateArticle(Context().get(), v1::CreateArticleRequest(), &out),
               grpc::StatusCode::INVALID_ARGUMENT, "article: required");
  Article no_title = MakeArticle();
  no_title.clear_title();
  ExpectStatus(Create(no_title, &out), grpc::StatusCode::INVALID_ARGUMENT, "article.title: required");
  ExpectStatus(Create(MakeArticle(std::string(301, 'x')), &out), grpc::StatusCode::INVALID_ARGUMENT,
               "article.title");
  Article long_lead = MakeArticle();
  long_lead.set_lead(std::string(2001, 'x'));
  ExpectStatus(Create(long_lead, &out), grpc::StatusCode::INVALID_ARGUMENT, "article.lead");
  Article big_body = MakeArticle();
  big_body.set_body(std::string((1 << 20) + 1, 'x'));
  ExpectStatus(Create(big_body, &out), grpc::StatusCode::INVALID_ARGUMENT, "article.body");
  Article many_tags = MakeArticle();
  for (int i = 0; i < 51; ++i) many_tags.add_tags("t" + std::to_string(i));
  ExpectStatus(Create(many_tags, &out), grpc::StatusCode::INVALID_ARGUMENT, "article.tags");
  Article long_tag = MakeArticle();
  long_tag.add_tags(std::string(65, 't'));
  ExpectStatus(Create(long_tag, &out), grpc::StatusCode::INVALID_ARGUMENT, "article.tags[1]");
  Article bad_lang = MakeArticle();
  bad_lang.set_language("polski!");
  ExpectStatus(Create(bad_lang, &out), grpc::StatusCode::INVALID_ARGUMENT, "article.language");
  ExpectStatus(Create(MakeArticle(), &out, "Bad_Id"), grpc::StatusCode::INVALID_ARGUMENT, "article_id");
  ExpectStatus(Create(MakeArticle(), &out, "", "has space"), grpc::StatusCode::INVALID_ARGUMENT, "request_id");

  v1::ListArticlesResponse resp;
  ASSERT_TRUE(stub_->ListArticles(Context().get(), v1::ListArticlesRequest(), &resp).ok());
  EXPECT_EQ(resp.articles_size(), 0) << "no failed create left anything behind";
}

TEST_F(ContentServiceTest, TakenIdIsAlreadyExists) {
  MustCreate("taken");
  Article out;
  ExpectStatus(Create(MakeArticle(), &out, "taken"), grpc::StatusCode::ALREADY_EXISTS, "articles/taken");
}

TEST_F(ContentServiceTest, RequestIdMakesCreateIdempotent) {
  Article first, second;
  ASSERT_TRUE(Create(MakeArticle(), &first, "", "7c9e6679-7425-40de-944b-e07fc1f90ae7").ok());
  ASSERT_TRUE(Create(MakeArticle(), &second, "", "7c9e6679-7425-40de-944b-e07fc1f90ae7").ok());
  EXPECT_EQ(first.name(), second.name());
  EXPECT_EQ(first.etag(), second.etag());
  v1::ListArticlesResponse resp;
  ASSERT_TRUE(stub_->ListArticles(Context().get(), v1::ListArticlesRequest(), &resp).ok());
  EXPECT_EQ(resp.articles_size(), 1);
}

TEST_F(ContentServiceTest, MalformedNamesAreInvalidArgument) {
  Article out;
  for (const char* name : {"", "articles/", "articles/UPPER", "galleries/x", "articles/a/b", "articles/..",
                           "articles/a\xc3"}) {
    v1::GetArticleRequest req;
    req.set_name(name);
    grpc::Status st = stub_->GetArticle(Context().get(), req, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << name << ": " << st.error_message();
  }
  v1::GetArticleRequest req;
  req.set_name("articles/unknown");
  ExpectStatus(stub_->GetArticle(Context().get(), req, &out), grpc::StatusCode::NOT_FOUND, "articles/unknown");
}

TEST_F(ContentServiceTest, PageTokensAreCheckedAndBound) {
  for (int i = 0; i < 3; ++i) MustCreate("p" + std::to_string(i));
  v1::ListArticlesRequest req;
  req.set_page_size(1);
  v1::ListArticlesResponse resp;
  ASSERT_TRUE(stub_->ListArticles(Context().get(), req, &resp).ok());
  ASSERT_FALSE(resp.next_page_token().empty());

  v1::ListArticlesRequest other = req;
  other.set_page_token(resp.next_page_token());
  other.set_show_deleted(true);
  v1::ListArticlesResponse ignored;
  ExpectStatus(stub_->ListArticles(Context().get(), other, &ignored), grpc::StatusCode::INVALID_ARGUMENT,
               "page_token");

  std::string garbled = resp.next_page_token();
  garbled[garbled.size() / 2] = garbled[garbled.size() / 2] == 'A' ? 'B' : 'A';
  req.set_page_token(garbled);
  ExpectStatus(stub_->ListArticles(Context().get(), req, &ignored), grpc::StatusCode::INVALID_ARGUMENT,
               "page_token");
  req.set_page_token("bm90IGEgdG9rZW4");
  ExpectStatus(stub_->ListArticles(Context().get(), req, &ignored), grpc::StatusCode::INVALID_ARGUMENT,
               "page_token");
  req.set_page_token("");
  req.set_page_size(-1);
  ExpectStatus(stub_->ListArticles(Context().get(), req, &ignored), grpc::StatusCode::INVALID_ARGUMENT,
               "page_size");
}

TEST_F(ContentServiceTest, UndecodableRequestIsInvalidArgument) {
  // CreateArticleRequest{article{title: <invalid UTF-8>}} as raw wire bytes:
  // field 1 (article), length 4: field 2 (title), length 2, bytes C3 28.
  const char wire[] = {0x0a, 0x04, 0x12, 0x02, static_cast<char>(0xc3), 0x28};
  grpc::Slice slice(wire, sizeof(wire));
  grpc::ByteBuffer request(&slice, 1);
  grpc::GenericStub generic(channel_);
  grpc::ByteBuffer response;
  auto ctx = Context();
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(ctx.get(), "/newsdesk.content.v1.ContentService/CreateArticle", grpc::StubOptions(), &request,
                    &response, [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = s;
                      done = true;
                      cv.notify_one();
                    });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  ExpectStatus(status, grpc::StatusCode::INVALID_ARGUMENT, "could not be decoded");
}

TEST_F(ContentServiceTest, HealthReportsServing) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  ASSERT_TRUE(health->Check(Context().get(), req, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  req.set_service("newsdesk.content.v1.ContentService");
  ASSERT_TRUE(health->Check(Context().get(), req, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

class SmallLimitTest : public testing::ContentServerFixture {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.max_receive_message_bytes = 64 * 1024;
    StartServer(options);
  }
};

TEST_F(SmallLimitTest, OversizedRequestIsResourceExhausted) {
  v1::CreateArticleRequest req;
  req.mutable_article()->set_title("Duży");
  req.mutable_article()->set_body(std::string(100 * 1024, 'x'));
  Article out;
  grpc::Status st = stub_->CreateArticle(Context().get(), req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  req.mutable_article()->set_body(std::string(1000, 'x'));
  EXPECT_TRUE(stub_->CreateArticle(Context().get(), req, &out).ok()) << "the server keeps serving";
}

}  // namespace
}  // namespace newsdesk::content
