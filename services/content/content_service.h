// The gRPC ContentService: validates requests, calls the article store and
// maps the result to a gRPC status. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "newsdesk/content/v1/content_service.grpc.pb.h"
#include "services/common/auth.h"
#include "services/common/page_token.h"
#include "storage/content/article_store.h"
#include "storage/kv/clock.h"
#include "storage/kv/database.h"

namespace newsdesk::content {


class ContentService final : public v1::ContentService::CallbackService {
 public:
  ContentService(ArticleStore* articles, PageTokenCodec page_tokens);

  // Each method below returns the response or a status whose message names
  // the offending field or resource; the gRPC handlers only wrap them. Reads
  // take the caller: anonymous callers see published articles only (a draft
  // or deleted article is NOT_FOUND to them, so its existence is not
  // revealed). Who may call which method at all is decided before any
  // handler runs (content_access.h).
  absl::StatusOr<v1::Article> CreateArticle(const v1::CreateArticleRequest& request);
  absl::StatusOr<v1::Article> GetArticle(const Principal& caller, const v1::GetArticleRequest& request);
  absl::StatusOr<v1::ListArticlesResponse> ListArticles(const Principal& caller, const v1::ListArticlesRequest& request);
  absl::StatusOr<v1::Article> UpdateArticle(const v1::UpdateArticleRequest& request);
  absl::StatusOr<v1::Article> DeleteArticle(const v1::DeleteArticleRequest& request);
  absl::StatusOr<v1::Article> UndeleteArticle(const v1::UndeleteArticleRequest& request);
  absl::StatusOr<v1::Article> PublishArticle(const v1::PublishArticleRequest& request);
  absl::StatusOr<v1::Article> UnpublishArticle(const v1::UnpublishArticleRequest& request);
  absl::StatusOr<v1::ListArticleRevisionsResponse> ListArticleRevisions(
      const v1::ListArticleRevisionsRequest& request);
  absl::StatusOr<v1::Article> RollbackArticle(const v1::RollbackArticleRequest& request);
  absl::StatusOr<v1::SearchArticlesResponse> SearchArticles(const Principal& caller, const v1::SearchArticlesRequest& request);

  // Lists with the index path disabled (tests compare both paths).
  void set_force_scan_for_testing(bool force) { force_scan_ = force; }

 private:
  grpc::ServerUnaryReactor* CreateArticle(grpc::CallbackServerContext* context,
                                          const v1::CreateArticleRequest* request, v1::Article* response) override;
  grpc::ServerUnaryReactor* GetArticle(grpc::CallbackServerContext* context, const v1::GetArticleRequest* request,
                                       v1::Article* response) override;
  grpc::ServerUnaryReactor* ListArticles(grpc::CallbackServerContext* context,
                                         const v1::ListArticlesRequest* request,
                                         v1::ListArticlesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateArticle(grpc::CallbackServerContext* context,
                                          const v1::UpdateArticleRequest* request, v1::Article* response) override;
  grpc::ServerUnaryReactor* DeleteArticle(grpc::CallbackServerContext* context,
                                          const v1::DeleteArticleRequest* request, v1::Article* response) override;
  grpc::ServerUnaryReactor* UndeleteArticle(grpc::CallbackServerContext* context,
                                            const v1::UndeleteArticleRequest* request,
                                            v1::Article* response) override;
  grpc::ServerUnaryReactor* PublishArticle(grpc::CallbackServerContext* context,
                                           const v1::PublishArticleRequest* request, v1::Article* response) override;
  grpc::ServerUnaryReactor* UnpublishArticle(grpc::CallbackServerContext* context,
                                             const v1::UnpublishArticleRequest* request,
                                             v1::Article* response) override;
  grpc::ServerUnaryReactor* ListArticleRevisions(grpc::CallbackServerContext* context,
                                                 const v1::ListArticleRevisionsRequest* request,
                                                 v1::ListArticleRevisionsResponse* response) override;
  grpc::ServerUnaryReactor* RollbackArticle(grpc::CallbackServerContext* context,
                                            const v1::RollbackArticleRequest* request,
                                            v1::Article* response) override;
  grpc::ServerUnaryReactor* SearchArticles(grpc::CallbackServerContext* context,
                                           const v1::SearchArticlesRequest* request,
                                           v1::SearchArticlesResponse* response) override;

  ArticleStore* articles_;
  PageTokenCodec page_tokens_;
  bool force_scan_ = false;
};

// Everything the content server owns: the database, the stores and the
// service, opened together and closed in reverse order.
class ContentBackend {
 public:
  // Opens (or creates) the database at `db_path`. Errors: see
  // kv::Database::Open.
  static absl::StatusOr<std::unique_ptr<ContentBackend>> Open(const std::string& db_path,
                                                              Clock* clock = Clock::Real());
  ContentService* service() { return service_.get(); }
  ArticleStore* articles() { return articles_.get(); }
  kv::Database* database() { return db_.get(); }

 private:
  ContentBackend() = default;
  std::unique_ptr<kv::Database> db_;  // destroyed last
  std::unique_ptr<ArticleStore> articles_;
  std::unique_ptr<ContentService> service_;
};

}  // namespace newsdesk::content
