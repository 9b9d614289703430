#include "services/content/content_service.h"

#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/common/validation.h"
#include "services/content/article_validation.h"
#include "storage/content/schema.h"

namespace newsdesk::content {
namespace {

constexpr char kArticles[] = "articles";

// Finishes a unary call with a result computed synchronously.
template <typename Response>
grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context, absl::StatusOr<Response> result,
                                Response* response) {
  auto* reactor = context->DefaultReactor();
  if (result.ok()) {
    *response = *std::move(result);
    reactor->Finish(grpc::Status::OK);
  } else {
    reactor->Finish(ToGrpcStatus(result.status()));
  }
  return reactor;
}

std::string ListQuery(bool show_deleted) { return show_deleted ? "show_deleted" : "live"; }

}  // namespace

ContentService::ContentService(ArticleStore* articles, PageTokenCodec page_tokens)
    : articles_(articles), page_tokens_(std::move(page_tokens)) {}

absl::StatusOr<v1::Article> ContentService::CreateArticle(const v1::CreateArticleRequest& request) {
  if (!request.has_article()) return absl::InvalidArgumentError("article: required");
  if (!request.article_id().empty()) {
    if (auto st = CheckResourceId("article_id", request.article_id()); !st.ok()) return st;
  }
  if (auto st = CheckRequestId("request_id", request.request_id()); !st.ok()) return st;
  v1::Article article = request.article();
  if (auto st = ValidateAndNormalize(WritableArticleFields(), &article); !st.ok()) return st;
  return articles_->Create(article, request.article_id(), request.request_id());
}

absl::StatusOr<v1::Article> ContentService::GetArticle(const v1::GetArticleRequest& request) {
  auto id = ParseResourceName("name", request.name(), kArticles);
  if (!id.ok()) return id.status();
  return articles_->Get(*id);
}

absl::StatusOr<v1::ListArticlesResponse> ContentService::ListArticles(const v1::ListArticlesRequest& request) {
  auto page_size = EffectivePageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  const std::string query = ListQuery(request.show_deleted());
  std::string cursor;
  if (!request.page_token().empty()) {
    auto decoded = page_tokens_.Decode(kArticles, query, request.page_token());
    if (!decoded.ok()) return decoded.status();
    cursor = *std::move(decoded);
  }
  auto page = articles_->List(request.show_deleted(), *page_size, cursor);
  if (!page.ok()) return page.status();
  v1::ListArticlesResponse response;
  for (auto& a : page->articles) *response.add_articles() = std::move(a);
  if (!page->next_cursor.empty()) {
    response.set_next_page_token(page_tokens_.Encode(kArticles, query, page->next_cursor));
  }
  return response;
}

absl::StatusOr<v1::Article> ContentService::UpdateArticle(const v1::UpdateArticleRequest& request) {
  if (!request.has_article()) return absl::InvalidArgumentError("article: required");
  auto id = ParseResourceName("article.name", request.article().name(), kArticles);
  if (!id.ok()) return id.status();
  auto paths = ResolveUpdateMask(request.update_mask(), request.article());
  if (!paths.ok()) return paths.status();
  v1::Article patch = request.article();
  if (auto st = ValidateAndNormalize(*paths, &patch); !st.ok()) return st;
  return articles_->Update(*id, patch, *paths, request.article().etag());
}

absl::StatusOr<v1::Article> ContentService::DeleteArticle(const v1::DeleteArticleRequest& request) {
  auto id = ParseResourceName("name", request.name(), kArticles);
  if (!id.ok()) return id.status();
  return articles_->Delete(*id, request.etag());
}

absl::StatusOr<v1::Article> ContentService::UndeleteArticle(const v1::UndeleteArticleRequest& request) {
  auto id = ParseResourceName("name", request.name(), kArticles);
  if (!id.ok()) return id.status();
  return articles_->Undelete(*id);
}

grpc::ServerUnaryReactor* ContentService::CreateArticle(grpc::CallbackServerContext* context,
                                                        const v1::CreateArticleRequest* request,
                                                        v1::Article* response) {
  return Reply(context, CreateArticle(*request), response);
}

grpc::ServerUnaryReactor* ContentService::GetArticle(grpc::CallbackServerContext* context,
                                                     const v1::GetArticleRequest* request, v1::Article* response) {
  return Reply(context, GetArticle(*request), response);
}

grpc::ServerUnaryReactor* ContentService::ListArticles(grpc::CallbackServerContext* context,
                                                       const v1::ListArticlesRequest* request,
                                                       v1::ListArticlesResponse* response) {
  return Reply(context, ListArticles(*request), response);
}

grpc::ServerUnaryReactor* ContentService::UpdateArticle(grpc::CallbackServerContext* context,
                                                        const v1::UpdateArticleRequest* request,
                                                        v1::Article* response) {
  return Reply(context, UpdateArticle(*request), response);
}

grpc::ServerUnaryReactor* ContentService::DeleteArticle(grpc::CallbackServerContext* context,
                                                        const v1::DeleteArticleRequest* request,
                                                        v1::Article* response) {
  return Reply(context, DeleteArticle(*request), response);
}

grpc::ServerUnaryReactor* ContentService::UndeleteArticle(grpc::CallbackServerContext* context,
                                                          const v1::UndeleteArticleRequest* request,
                                                          v1::Article* response) {
  return Reply(context, UndeleteArticle(*request), response);
}

absl::StatusOr<std::unique_ptr<ContentBackend>> ContentBackend::Open(const std::string& db_path, Clock* clock) {
  kv::DatabaseOptions options;
  options.path = db_path;
  options.column_families = ContentColumnFamilies();
  options.schema_version = kContentSchemaVersion;
  auto db = kv::Database::Open(options);
  if (!db.ok()) return db.status();
  auto secret = (*db)->GetOrCreateSecret("page_token");
  if (!secret.ok()) return secret.status();

  auto backend = std::unique_ptr<ContentBackend>(new ContentBackend());
  backend->db_ = *std::move(db);
  backend->articles_ = std::make_unique<ArticleStore>(backend->db_.get(), clock);
  backend->service_ =
      std::make_unique<ContentService>(backend->articles_.get(), PageTokenCodec(*std::move(secret)));
  return backend;
}

}  // namespace newsdesk::content
