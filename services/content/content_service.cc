#include "services/content/content_service.h"

#include <algorithm>
#include <thread>
#include <iterator>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/log.h"
#include "services/common/reply.h"
#include "services/common/status.h"
#include "services/common/validation.h"
#include "services/content/article_validation.h"
#include "storage/content/article_search.h"
#include "storage/content/gallery_usage.h"
#include "storage/content/schema.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/proto_time.h"

namespace newsdesk::content {
namespace {

constexpr char kArticles[] = "articles";

// Parses `order_by`: one of create_time, update_time, publish_time, each
// optionally followed by "desc" (or "asc").
absl::Status ParseOrderBy(absl::string_view order_by, const query::Node& filter, ListQuery* out) {
  std::vector<std::string> words = absl::StrSplit(order_by, ' ', absl::SkipEmpty());
  if (words.empty()) {
    // Readers of published articles want the newest publications first.
    out->order = OrderField::kCreateTime;
    for (const auto* r : query::RequiredRestrictions(filter)) {
      if (r->field == "state" && r->op == query::Op::kEq && (r->text == "PUBLISHED" || r->text == "SCHEDULED")) {
        out->order = OrderField::kPublishTime;
      }
    }
    out->descending = true;
    return absl::OkStatus();
  }
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "order_by: \"", std::string(order_by.substr(0, 100)),
        "\" is not supported; use create_time, update_time or publish_time, optionally followed by desc"));
  };
  if (words.size() > 2) return bad();
  if (words[0] == "create_time") out->order = OrderField::kCreateTime;
  else if (words[0] == "update_time") out->order = OrderField::kUpdateTime;
  else if (words[0] == "publish_time") out->order = OrderField::kPublishTime;
  else return bad();
  out->descending = false;
  if (words.size() == 2) {
    if (words[1] == "desc") out->descending = true;
    else if (words[1] != "asc") return bad();
  }
  return absl::OkStatus();
}

absl::StatusOr<query::Node> ParseArticleFilter(absl::string_view filter) {
  return query::ParseFilter(filter, ArticleFilterSchema());
}

// `filter AND state = PUBLISHED`: what an anonymous reader may see.
query::Node PublishedOnly(query::Node filter) {
  query::Node published;
  published.kind = query::Node::Kind::kCompare;
  published.field = "state";
  published.type = query::ValueType::kEnum;
  published.op = query::Op::kEq;
  published.text = "PUBLISHED";
  if (filter.kind == query::Node::Kind::kTrue) return published;
  query::Node both;
  both.kind = query::Node::Kind::kAnd;
  both.children.push_back(std::move(filter));
  both.children.push_back(std::move(published));
  return both;
}

}  // namespace

ContentService::ContentService(ArticleStore* articles, PageTokenCodec page_tokens, MediaBackend media,
                               WorkQueue* storage_work, WorkQueue* search_work, kv::ForkJoinPool* search_helpers)
    : articles_(articles),
      page_tokens_(std::move(page_tokens)),
      media_(media),
      storage_work_(storage_work),
      search_work_(search_work),
      search_helpers_(search_helpers) {}

absl::StatusOr<v1::Article> ContentService::CreateArticle(const v1::CreateArticleRequest& request) {
  if (!request.has_article()) return absl::InvalidArgumentError("article: required");
  if (!request.article_id().empty()) {
    if (auto st = CheckResourceId("article_id", request.article_id()); !st.ok()) return st;
  }
  if (auto st = CheckRequestId("request_id", request.request_id()); !st.ok()) return st;
  v1::Article article = request.article();
  if (auto st = ValidateAndNormalize(WritableArticleFields(), &article); !st.ok()) return st;
  if (auto st = CheckArticleGallery(article.gallery()); !st.ok()) return st;
  return articles_->Create(article, request.article_id(), request.request_id());
}

absl::StatusOr<v1::Article> ContentService::GetArticle(const Principal& caller,
                                                     const v1::GetArticleRequest& request) {
  absl::string_view name = request.name();
  const size_t at = name.find('@');
  if (at != absl::string_view::npos) {
    auto id = ParseResourceName("name", name.substr(0, at), kArticles);
    if (!id.ok()) return id.status();
    const absl::string_view revision = name.substr(at + 1);
    if (auto st = CheckRevisionId("name: the revision id after \"@\"", revision); !st.ok()) return st;
    // Revisions hold unpublished text: not for anonymous readers.
    if (caller.role == Role::kAnonymous) return absl::NotFoundError(absl::StrCat(name, " not found"));
    return articles_->GetRevision(*id, std::string(revision));
  }
  auto id = ParseResourceName("name", name, kArticles);
  if (!id.ok()) return id.status();
  auto article = articles_->Get(*id);
  if (article.ok() && caller.role == Role::kAnonymous && article->state() != v1::Article::STATE_PUBLISHED) {
    return absl::NotFoundError(absl::StrCat(ArticleName(*id), " not found"));
  }
  return article;
}

absl::StatusOr<v1::ListArticlesResponse> ContentService::ListArticles(const Principal& caller,
                                                                     const v1::ListArticlesRequest& request) {
  auto page_size = EffectivePageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  auto filter = ParseArticleFilter(request.filter());
  if (!filter.ok()) return filter.status();
  const bool anonymous = caller.role == Role::kAnonymous;
  if (anonymous) *filter = PublishedOnly(*std::move(filter));
  ListQuery query;
  query.filter = &*filter;
  query.show_deleted = request.show_deleted() && !anonymous;
  query.page_size = *page_size;
  query.force_scan = force_scan_;
  if (auto st = ParseOrderBy(request.order_by(), *filter, &query); !st.ok()) return st;
  // A token is bound to everything that shapes the listing.
  const std::string shape = absl::StrCat(query::Canonical(*filter), "|", static_cast<int>(query.order), "|",
                                         query.descending, "|", query.show_deleted);
  if (!request.page_token().empty()) {
    auto cursor = page_tokens_.Decode(kArticles, shape, request.page_token());
    if (!cursor.ok()) return cursor.status();
    query.cursor = *std::move(cursor);
  }
  auto page = articles_->List(query);
  if (!page.ok()) return page.status();
  v1::ListArticlesResponse response;
  for (auto& a : page->articles) *response.add_articles() = std::move(a);
  if (!page->next_cursor.empty()) {
    response.set_next_page_token(page_tokens_.Encode(kArticles, shape, page->next_cursor));
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
  if (std::find(paths->begin(), paths->end(), "gallery") != paths->end()) {
    if (auto st = CheckArticleGallery(patch.gallery()); !st.ok()) return st;
  }
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

absl::StatusOr<v1::Article> ContentService::PublishArticle(const v1::PublishArticleRequest& request) {
  auto id = ParseResourceName("name", request.name(), kArticles);
  if (!id.ok()) return id.status();
  std::optional<absl::Time> when;
  if (request.has_publish_time()) {
    const auto& ts = request.publish_time();
    if (ts.nanos() < 0 || ts.nanos() > 999999999 || ts.seconds() < -62135596800 || ts.seconds() > 253402300799) {
      return absl::InvalidArgumentError("publish_time: not a valid timestamp");
    }
    when = FromProtoTime(ts);
  }
  return articles_->Publish(*id, request.etag(), when);
}

absl::StatusOr<v1::Article> ContentService::UnpublishArticle(const v1::UnpublishArticleRequest& request) {
  auto id = ParseResourceName("name", request.name(), kArticles);
  if (!id.ok()) return id.status();
  return articles_->Unpublish(*id, request.etag());
}

absl::StatusOr<v1::ListArticleRevisionsResponse> ContentService::ListArticleRevisions(
    const v1::ListArticleRevisionsRequest& request) {
  auto id = ParseResourceName("name", request.name(), kArticles);
  if (!id.ok()) return id.status();
  auto page_size = EffectivePageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  const std::string collection = absl::StrCat(ArticleName(*id), "/revisions");
  std::string cursor;
  if (!request.page_token().empty()) {
    auto decoded = page_tokens_.Decode(collection, "", request.page_token());
    if (!decoded.ok()) return decoded.status();
    cursor = *std::move(decoded);
  }
  auto page = articles_->ListRevisions(*id, *page_size, cursor);
  if (!page.ok()) return page.status();
  v1::ListArticleRevisionsResponse response;
  for (auto& a : page->articles) *response.add_articles() = std::move(a);
  if (!page->next_cursor.empty()) {
    response.set_next_page_token(page_tokens_.Encode(collection, "", page->next_cursor));
  }
  return response;
}

absl::StatusOr<v1::Article> ContentService::RollbackArticle(const v1::RollbackArticleRequest& request) {
  auto id = ParseResourceName("name", request.name(), kArticles);
  if (!id.ok()) return id.status();
  if (auto st = CheckRevisionId("revision_id", request.revision_id()); !st.ok()) return st;
  return articles_->Rollback(*id, request.revision_id(), request.etag());
}

absl::StatusOr<v1::SearchArticlesResponse> ContentService::SearchArticles(
    const Principal& caller, const v1::SearchArticlesRequest& request) {
  if (auto st = CheckText("query", request.query(), 1, 1000); !st.ok()) return st;
  auto page_size = EffectivePageSize(request.page_size(), 20, 100);
  if (!page_size.ok()) return page_size.status();
  auto filter = ParseArticleFilter(request.filter());
  if (!filter.ok()) return filter.status();
  if (caller.role == Role::kAnonymous) *filter = PublishedOnly(*std::move(filter));
  SearchRequest search;
  search.query = request.query();
  search.filter = &*filter;
  search.page_size = *page_size;
  search.pool = search_helpers_;
  const std::string shape = absl::StrCat(request.query(), "|", query::Canonical(*filter));
  if (!request.page_token().empty()) {
    auto cursor = page_tokens_.Decode("articles:search", shape, request.page_token());
    if (!cursor.ok()) return cursor.status();
    kv::KeyReader reader(*cursor);
    uint32_t offset = 0;
    if (!reader.ReadU32(&offset) || !reader.empty()) {
      return absl::InvalidArgumentError("page_token: malformed; pass the next_page_token of a previous response");
    }
    search.offset = static_cast<int>(offset);
  }
  auto page = content::SearchArticles(*articles_->db(), articles_->clock(), search);
  if (!page.ok()) return page.status();
  v1::SearchArticlesResponse response;
  for (auto& hit : page->hits) {
    auto* r = response.add_results();
    *r->mutable_article() = std::move(hit.article);
    r->set_score(hit.score);
    r->set_snippet(std::move(hit.snippet));
  }
  if (page->next_offset > 0) {
    std::string cursor;
    kv::AppendU32(&cursor, static_cast<uint32_t>(page->next_offset));
    response.set_next_page_token(page_tokens_.Encode("articles:search", shape, cursor));
  }
  return response;
}

grpc::ServerUnaryReactor* ContentService::PublishArticle(grpc::CallbackServerContext* context,
                                                         const v1::PublishArticleRequest* request,
                                                         v1::Article* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return PublishArticle(*request); });
}

grpc::ServerUnaryReactor* ContentService::UnpublishArticle(grpc::CallbackServerContext* context,
                                                           const v1::UnpublishArticleRequest* request,
                                                           v1::Article* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return UnpublishArticle(*request); });
}

grpc::ServerUnaryReactor* ContentService::ListArticleRevisions(grpc::CallbackServerContext* context,
                                                               const v1::ListArticleRevisionsRequest* request,
                                                               v1::ListArticleRevisionsResponse* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return ListArticleRevisions(*request); });
}

grpc::ServerUnaryReactor* ContentService::RollbackArticle(grpc::CallbackServerContext* context,
                                                          const v1::RollbackArticleRequest* request,
                                                          v1::Article* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return RollbackArticle(*request); });
}

grpc::ServerUnaryReactor* ContentService::SearchArticles(grpc::CallbackServerContext* context,
                                                         const v1::SearchArticlesRequest* request,
                                                         v1::SearchArticlesResponse* response) {
  return ReplyFrom(search_work_, context, response,
                   [this, context, request] { return SearchArticles(CallerOf(*context), *request); });
}

grpc::ServerUnaryReactor* ContentService::CreateArticle(grpc::CallbackServerContext* context,
                                                        const v1::CreateArticleRequest* request,
                                                        v1::Article* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return CreateArticle(*request); });
}

grpc::ServerUnaryReactor* ContentService::GetArticle(grpc::CallbackServerContext* context,
                                                     const v1::GetArticleRequest* request, v1::Article* response) {
  return Reply(context, GetArticle(CallerOf(*context), *request), response);
}

grpc::ServerUnaryReactor* ContentService::ListArticles(grpc::CallbackServerContext* context,
                                                       const v1::ListArticlesRequest* request,
                                                       v1::ListArticlesResponse* response) {
  return ReplyFrom(storage_work_, context, response,
                   [this, context, request] { return ListArticles(CallerOf(*context), *request); });
}

grpc::ServerUnaryReactor* ContentService::UpdateArticle(grpc::CallbackServerContext* context,
                                                        const v1::UpdateArticleRequest* request,
                                                        v1::Article* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return UpdateArticle(*request); });
}

grpc::ServerUnaryReactor* ContentService::DeleteArticle(grpc::CallbackServerContext* context,
                                                        const v1::DeleteArticleRequest* request,
                                                        v1::Article* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return DeleteArticle(*request); });
}

grpc::ServerUnaryReactor* ContentService::UndeleteArticle(grpc::CallbackServerContext* context,
                                                          const v1::UndeleteArticleRequest* request,
                                                          v1::Article* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return UndeleteArticle(*request); });
}

absl::StatusOr<std::unique_ptr<ContentBackend>> ContentBackend::Open(const std::string& db_path, Clock* clock) {
  return Open(db_path, clock, ContentBackendOptions());
}

absl::StatusOr<std::unique_ptr<ContentBackend>> ContentBackend::Open(const std::string& db_path, Clock* clock,
                                                                     const ContentBackendOptions& backend_options) {
  if (auto st = media::InitMedia(); !st.ok()) return st;
  if (backend_options.storage_workers < 1 || backend_options.media_workers < 1) {
    return absl::InvalidArgumentError("--storage_workers and --media_workers must be at least 1");
  }
  if (backend_options.search_workers < 0) {
    return absl::InvalidArgumentError("--search_workers must be at least 0 (0: one per CPU core)");
  }
  if (backend_options.search_helpers < -1) {
    return absl::InvalidArgumentError("--search_helpers must be at least -1 (-1: one fewer than CPU cores)");
  }
  if (backend_options.block_cache_bytes < (size_t{1} << 20)) {
    return absl::InvalidArgumentError("--block_cache_mb must be at least 1");
  }
  kv::DatabaseOptions db_options = ContentDatabaseOptions(db_path);
  db_options.block_cache_bytes = backend_options.block_cache_bytes;
  auto db = kv::Database::Open(db_options);
  if (!db.ok()) return db.status();
  auto secret = (*db)->GetOrCreateSecret("page_token");
  if (!secret.ok()) return secret.status();

  auto backend = std::unique_ptr<ContentBackend>(new ContentBackend());
  backend->db_ = *std::move(db);
  backend->articles_ = std::make_unique<ArticleStore>(backend->db_.get(), clock);
  backend->galleries_ = std::make_unique<GalleryStore>(backend->db_.get(), clock, backend_options.media_store);
  backend->photos_ = std::make_unique<PhotoStore>(backend->galleries_.get());
  if (const uint32_t stored = backend->db_->stored_schema_version(); stored != kContentSchemaVersion) {
    // An older layout of derived data: regenerate every index from the
    // records, then record the current version (an interrupted rebuild is
    // repeated at the next start).
    Log(Severity::kInfo, "rebuilding indexes for a schema upgrade",
        {{"from", absl::StrCat(stored)}, {"to", absl::StrCat(kContentSchemaVersion)}});
    if (auto st = backend->articles_->RebuildIndexes(); !st.ok()) return st;
    if (auto st = backend->galleries_->RebuildIndexes(); !st.ok()) return st;
    if (auto st = backend->db_->MarkSchemaCurrent(); !st.ok()) return st;
  }
  // A database whose gallery → articles index was never completed gets it now.
  if (auto st = EnsureGalleryUsageIndex(backend->db_.get()); !st.ok()) return st;
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  backend->work_ = std::make_unique<WorkQueue>(backend_options.media_workers);
  backend->storage_work_ = std::make_unique<WorkQueue>(backend_options.storage_workers);
  backend->search_work_ = std::make_unique<WorkQueue>(
      backend_options.search_workers > 0 ? backend_options.search_workers : cores);
  backend->search_helpers_ = std::make_unique<kv::ForkJoinPool>(
      backend_options.search_helpers >= 0 ? backend_options.search_helpers : cores - 1);
  MediaBackend media{.galleries = backend->galleries_.get(),
                     .photos = backend->photos_.get(),
                     .work = backend->work_.get(),
                     .options = backend_options.media};
  backend->service_ =
      std::make_unique<ContentService>(backend->articles_.get(), PageTokenCodec(*std::move(secret)), media,
                                       backend->storage_work_.get(), backend->search_work_.get(),
                                       backend->search_helpers_.get());
  return backend;
}

}  // namespace newsdesk::content
