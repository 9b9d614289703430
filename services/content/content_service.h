// The gRPC ContentService: validates requests, calls the article, gallery
// and photo stores and maps the result to a gRPC status. Thread-safe.
//
// Articles are in content_service.cc, galleries and photos in
// content_media.cc, the streaming photo RPCs in photo_streams.cc.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "newsdesk/content/v1/content_service.grpc.pb.h"
#include "services/common/auth.h"
#include "services/common/page_token.h"
#include "services/content/photo_streams.h"
#include "services/common/work_queue.h"
#include "storage/content/article_store.h"
#include "storage/kv/fork_join.h"
#include "storage/content/gallery_store.h"
#include "storage/content/photo_store.h"
#include "storage/kv/clock.h"
#include "storage/kv/database.h"

namespace newsdesk::content {


// UploadPhoto is registered raw (its messages arrive as bytes and are
// parsed by the reactor): in a client stream, gRPC reports a message it
// cannot decode like the end of the stream, which would store an upload cut
// short by a broken message. Parsing itself, the reactor refuses it.
class ContentService final
    : public v1::ContentService::WithRawCallbackMethod_UploadPhoto<v1::ContentService::CallbackService> {
 public:
  // Without `media` (no stores), the gallery and photo RPCs answer
  // UNIMPLEMENTED and Article.gallery is not checked. `storage_work` runs
  // the article RPCs that write or list, `search_work` SearchArticles
  // (nullptr: gRPC's threads); GetArticle, a point read, answers on the
  // calling thread. `search_helpers` join each search in progress (nullptr:
  // a search runs on one thread).
  ContentService(ArticleStore* articles, PageTokenCodec page_tokens, MediaBackend media = {},
                 WorkQueue* storage_work = nullptr, WorkQueue* search_work = nullptr,
                 kv::ForkJoinPool* search_helpers = nullptr);

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

  absl::StatusOr<v1::Gallery> CreateGallery(const v1::CreateGalleryRequest& request);
  // Anonymous callers see only galleries (and their photos) that an article
  // published now uses; any other is NOT_FOUND to them, or left out of
  // lists (GalleryStore::CheckPublic).
  absl::StatusOr<v1::Gallery> GetGallery(const Principal& caller, const v1::GetGalleryRequest& request);
  absl::StatusOr<v1::ListGalleriesResponse> ListGalleries(const Principal& caller,
                                                          const v1::ListGalleriesRequest& request);
  absl::StatusOr<v1::Gallery> UpdateGallery(const v1::UpdateGalleryRequest& request);
  absl::StatusOr<v1::Gallery> DeleteGallery(const v1::DeleteGalleryRequest& request);
  absl::StatusOr<v1::Gallery> UndeleteGallery(const v1::UndeleteGalleryRequest& request);
  absl::StatusOr<v1::Photo> GetPhoto(const Principal& caller, const v1::GetPhotoRequest& request);
  absl::StatusOr<v1::ListPhotosResponse> ListPhotos(const Principal& caller, const v1::ListPhotosRequest& request);
  absl::StatusOr<v1::Photo> UpdatePhoto(const v1::UpdatePhotoRequest& request);
  absl::StatusOr<google::protobuf::Empty> DeletePhoto(const v1::DeletePhotoRequest& request);

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

  grpc::ServerUnaryReactor* CreateGallery(grpc::CallbackServerContext* context,
                                          const v1::CreateGalleryRequest* request, v1::Gallery* response) override;
  grpc::ServerUnaryReactor* GetGallery(grpc::CallbackServerContext* context, const v1::GetGalleryRequest* request,
                                       v1::Gallery* response) override;
  grpc::ServerUnaryReactor* ListGalleries(grpc::CallbackServerContext* context,
                                          const v1::ListGalleriesRequest* request,
                                          v1::ListGalleriesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateGallery(grpc::CallbackServerContext* context,
                                          const v1::UpdateGalleryRequest* request, v1::Gallery* response) override;
  grpc::ServerUnaryReactor* DeleteGallery(grpc::CallbackServerContext* context,
                                          const v1::DeleteGalleryRequest* request, v1::Gallery* response) override;
  grpc::ServerUnaryReactor* UndeleteGallery(grpc::CallbackServerContext* context,
                                            const v1::UndeleteGalleryRequest* request,
                                            v1::Gallery* response) override;
  grpc::ServerReadReactor<grpc::ByteBuffer>* UploadPhoto(grpc::CallbackServerContext* context,
                                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetPhoto(grpc::CallbackServerContext* context, const v1::GetPhotoRequest* request,
                                     v1::Photo* response) override;
  grpc::ServerUnaryReactor* ListPhotos(grpc::CallbackServerContext* context, const v1::ListPhotosRequest* request,
                                       v1::ListPhotosResponse* response) override;
  grpc::ServerUnaryReactor* UpdatePhoto(grpc::CallbackServerContext* context, const v1::UpdatePhotoRequest* request,
                                        v1::Photo* response) override;
  grpc::ServerUnaryReactor* DeletePhoto(grpc::CallbackServerContext* context, const v1::DeletePhotoRequest* request,
                                        google::protobuf::Empty* response) override;
  grpc::ServerWriteReactor<v1::DownloadPhotoResponse>* DownloadPhoto(grpc::CallbackServerContext* context,
                                                                     const v1::DownloadPhotoRequest* request) override;

  // UNIMPLEMENTED when the service has no gallery and photo stores.
  absl::Status CheckMedia() const;
  // FAILED_PRECONDITION unless `gallery` (a validated name or empty) names
  // a live gallery.
  absl::Status CheckArticleGallery(const std::string& gallery) const;

  ArticleStore* articles_;
  PageTokenCodec page_tokens_;
  MediaBackend media_;
  WorkQueue* storage_work_;
  WorkQueue* search_work_;
  kv::ForkJoinPool* search_helpers_;
  bool force_scan_ = false;
};

// How ContentBackend::Open sets up galleries and photos.
struct ContentBackendOptions {
  MediaServiceOptions media;
  MediaStoreOptions media_store;
  // Threads for photo decoding, processing and the streaming RPCs' storage
  // work (--media_workers).
  int media_workers = 2;
  // Threads for the article RPCs that write or list (--storage_workers).
  // Synced writes mostly wait for the disk: many in flight at once let
  // RocksDB commit them as one group.
  int storage_workers = 32;
  // Threads for SearchArticles (--search_workers; 0: one per CPU core). A
  // search is CPU work on a few MB of postings: more searches at once than
  // cores only add memory, and the others wait in order.
  int search_workers = 0;
  // Threads that join a search in progress (--search_helpers; -1: one fewer
  // than CPU cores). A search is split into slices of the index, and the
  // records and snippets of its page, which the searching thread and idle
  // helpers run at once; a helper that is busy is not waited for, so under
  // full load a search simply runs on its own thread.
  int search_helpers = -1;
  // The RocksDB block cache shared by every column family (--block_cache_mb).
  size_t block_cache_bytes = size_t{64} << 20;
};

// Everything the content server owns: the database, the stores and the
// service, opened together and closed in reverse order.
class ContentBackend {
 public:
  // Opens (or creates) the database at `db_path`. Errors: see
  // kv::Database::Open.
  static absl::StatusOr<std::unique_ptr<ContentBackend>> Open(const std::string& db_path,
                                                              Clock* clock = Clock::Real());
  // Errors: as above; INTERNAL when libvips cannot start.
  static absl::StatusOr<std::unique_ptr<ContentBackend>> Open(const std::string& db_path, Clock* clock,
                                                              const ContentBackendOptions& options);
  ContentService* service() { return service_.get(); }
  ArticleStore* articles() { return articles_.get(); }
  GalleryStore* galleries() { return galleries_.get(); }
  PhotoStore* photos() { return photos_.get(); }
  kv::Database* database() { return db_.get(); }

 private:
  ContentBackend() = default;
  // Destroyed in reverse order: the storage work queue, the service, the
  // media work queue (which runs its last tasks against the stores), the
  // stores, the database. The gRPC server has stopped before, so the queues
  // are normally empty by then.
  std::unique_ptr<kv::Database> db_;
  std::unique_ptr<ArticleStore> articles_;
  std::unique_ptr<GalleryStore> galleries_;
  std::unique_ptr<PhotoStore> photos_;
  std::unique_ptr<WorkQueue> work_;
  std::unique_ptr<kv::ForkJoinPool> search_helpers_;
  std::unique_ptr<ContentService> service_;
  // Their tasks call the service: destroyed (drained) first.
  std::unique_ptr<WorkQueue> storage_work_;
  std::unique_ptr<WorkQueue> search_work_;
};

}  // namespace newsdesk::content
