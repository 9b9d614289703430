// ContentService: galleries and photos.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/reply.h"
#include "services/common/status.h"
#include "services/common/validation.h"
#include "services/content/content_service.h"
#include "services/content/media_validation.h"
#include "storage/kv/key_codec.h"

namespace newsdesk::content {
namespace {

constexpr char kGalleries[] = "galleries";

}  // namespace

absl::Status ContentService::CheckMedia() const {
  if (media_.galleries == nullptr || media_.photos == nullptr || media_.work == nullptr) {
    return absl::UnimplementedError("galleries and photos are not served by this server");
  }
  return absl::OkStatus();
}

absl::Status ContentService::CheckArticleGallery(const std::string& gallery) const {
  if (gallery.empty() || media_.galleries == nullptr) return absl::OkStatus();
  // The name is validated (galleries/{id}) by ValidateAndNormalize.
  const std::string id = gallery.substr(sizeof("galleries/") - 1);
  absl::Status st = media_.galleries->CheckLive(id);
  if (absl::IsNotFound(st)) {
    return absl::FailedPreconditionError(absl::StrCat("article.gallery: ", gallery, " does not exist"));
  }
  if (absl::IsFailedPrecondition(st)) {
    return absl::FailedPreconditionError(absl::StrCat("article.gallery: ", st.message()));
  }
  return st;
}

absl::StatusOr<v1::Gallery> ContentService::CreateGallery(const v1::CreateGalleryRequest& request) {
  if (auto st = CheckMedia(); !st.ok()) return st;
  if (!request.has_gallery()) return absl::InvalidArgumentError("gallery: required");
  if (!request.gallery_id().empty()) {
    if (auto st = CheckResourceId("gallery_id", request.gallery_id()); !st.ok()) return st;
  }
  if (auto st = CheckRequestId("request_id", request.request_id()); !st.ok()) return st;
  if (auto st = ValidateNewGallery(request.gallery(), request.gallery_id()); !st.ok()) return st;
  return media_.galleries->Create(request.gallery(), request.gallery_id(), request.request_id());
}

absl::StatusOr<v1::Gallery> ContentService::GetGallery(const Principal& caller, const v1::GetGalleryRequest& request) {
  if (auto st = CheckMedia(); !st.ok()) return st;
  auto id = ParseResourceName("name", request.name(), kGalleries);
  if (!id.ok()) return id.status();
  if (caller.role == Role::kAnonymous) {
    if (auto st = media_.galleries->CheckPublic(*id); !st.ok()) return st;
  }
  return media_.galleries->Get(*id);
}

absl::StatusOr<v1::ListGalleriesResponse> ContentService::ListGalleries(const Principal& caller,
                                                                       const v1::ListGalleriesRequest& request) {
  if (auto st = CheckMedia(); !st.ok()) return st;
  auto page_size = EffectivePageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  auto filter = query::ParseFilter(request.filter(), GalleryFilterSchema());
  if (!filter.ok()) return filter.status();
  GalleryListQuery query;
  query.filter = &*filter;
  query.public_only = caller.role == Role::kAnonymous;
  query.show_deleted = request.show_deleted() && !query.public_only;
  query.page_size = *page_size;
  const std::string shape =
      absl::StrCat(query::Canonical(*filter), "|", query.show_deleted, query.public_only ? "|public" : "");
  if (!request.page_token().empty()) {
    auto cursor = page_tokens_.Decode(kGalleries, shape, request.page_token());
    if (!cursor.ok()) return cursor.status();
    query.cursor = *std::move(cursor);
  }
  auto page = media_.galleries->List(query);
  if (!page.ok()) return page.status();
  v1::ListGalleriesResponse response;
  for (auto& g : page->galleries) *response.add_galleries() = std::move(g);
  if (!page->next_cursor.empty()) {
    response.set_next_page_token(page_tokens_.Encode(kGalleries, shape, page->next_cursor));
  }
  return response;
}

absl::StatusOr<v1::Gallery> ContentService::UpdateGallery(const v1::UpdateGalleryRequest& request) {
  if (auto st = CheckMedia(); !st.ok()) return st;
  if (!request.has_gallery()) return absl::InvalidArgumentError("gallery: required");
  auto id = ParseResourceName("gallery.name", request.gallery().name(), kGalleries);
  if (!id.ok()) return id.status();
  auto paths = ResolveGalleryUpdateMask(request.update_mask(), request.gallery());
  if (!paths.ok()) return paths.status();
  if (auto st = ValidateGallery(*paths, request.gallery(), *id); !st.ok()) return st;
  return media_.galleries->Update(*id, request.gallery(), *paths, request.gallery().etag());
}

absl::StatusOr<v1::Gallery> ContentService::DeleteGallery(const v1::DeleteGalleryRequest& request) {
  if (auto st = CheckMedia(); !st.ok()) return st;
  auto id = ParseResourceName("name", request.name(), kGalleries);
  if (!id.ok()) return id.status();
  return media_.galleries->Delete(*id, request.etag(), request.force());
}

absl::StatusOr<v1::Gallery> ContentService::UndeleteGallery(const v1::UndeleteGalleryRequest& request) {
  if (auto st = CheckMedia(); !st.ok()) return st;
  auto id = ParseResourceName("name", request.name(), kGalleries);
  if (!id.ok()) return id.status();
  return media_.galleries->Undelete(*id);
}

absl::StatusOr<v1::Photo> ContentService::GetPhoto(const Principal& caller, const v1::GetPhotoRequest& request) {
  if (auto st = CheckMedia(); !st.ok()) return st;
  auto ids = ParsePhotoName("name", request.name());
  if (!ids.ok()) return ids.status();
  if (caller.role == Role::kAnonymous) {
    if (auto st = media_.galleries->CheckPublic(ids->first); !st.ok()) {
      // The same answer as for a photo that does not exist.
      return absl::IsNotFound(st) ? absl::NotFoundError(absl::StrCat(request.name(), " not found")) : st;
    }
  }
  return media_.photos->Get(ids->first, ids->second);
}

absl::StatusOr<v1::ListPhotosResponse> ContentService::ListPhotos(const Principal& caller,
                                                                 const v1::ListPhotosRequest& request) {
  if (auto st = CheckMedia(); !st.ok()) return st;
  auto gallery_id = ParseResourceName("parent", request.parent(), kGalleries);
  if (!gallery_id.ok()) return gallery_id.status();
  auto page_size = EffectivePageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  const std::string collection = absl::StrCat(request.parent(), "/photos");
  std::string cursor;
  if (!request.page_token().empty()) {
    auto decoded = page_tokens_.Decode(collection, "", request.page_token());
    if (!decoded.ok()) return decoded.status();
    cursor = *std::move(decoded);
  }
  if (caller.role == Role::kAnonymous) {
    if (auto st = media_.galleries->CheckPublic(*gallery_id); !st.ok()) return st;
  }
  auto page = media_.photos->List(*gallery_id, *page_size, cursor);
  if (!page.ok()) return page.status();
  v1::ListPhotosResponse response;
  for (auto& p : page->photos) *response.add_photos() = std::move(p);
  if (!page->next_cursor.empty()) {
    response.set_next_page_token(page_tokens_.Encode(collection, "", page->next_cursor));
  }
  return response;
}

absl::StatusOr<v1::Photo> ContentService::UpdatePhoto(const v1::UpdatePhotoRequest& request) {
  if (auto st = CheckMedia(); !st.ok()) return st;
  if (!request.has_photo()) return absl::InvalidArgumentError("photo: required");
  auto ids = ParsePhotoName("photo.name", request.photo().name());
  if (!ids.ok()) return ids.status();
  auto paths = ResolvePhotoUpdateMask(request.update_mask(), request.photo());
  if (!paths.ok()) return paths.status();
  if (auto st = ValidatePhoto(*paths, request.photo()); !st.ok()) return st;
  return media_.photos->Update(ids->first, ids->second, request.photo(), *paths, request.photo().etag());
}

absl::StatusOr<google::protobuf::Empty> ContentService::DeletePhoto(const v1::DeletePhotoRequest& request) {
  if (auto st = CheckMedia(); !st.ok()) return st;
  auto ids = ParsePhotoName("name", request.name());
  if (!ids.ok()) return ids.status();
  if (auto st = media_.photos->Delete(ids->first, ids->second, request.etag()); !st.ok()) return st;
  return google::protobuf::Empty();
}

grpc::ServerUnaryReactor* ContentService::CreateGallery(grpc::CallbackServerContext* context,
                                                        const v1::CreateGalleryRequest* request,
                                                        v1::Gallery* response) {
  return Reply(context, CreateGallery(*request), response);
}

grpc::ServerUnaryReactor* ContentService::GetGallery(grpc::CallbackServerContext* context,
                                                     const v1::GetGalleryRequest* request, v1::Gallery* response) {
  return Reply(context, GetGallery(CallerOf(*context), *request), response);
}

grpc::ServerUnaryReactor* ContentService::ListGalleries(grpc::CallbackServerContext* context,
                                                        const v1::ListGalleriesRequest* request,
                                                        v1::ListGalleriesResponse* response) {
  return Reply(context, ListGalleries(CallerOf(*context), *request), response);
}

grpc::ServerUnaryReactor* ContentService::UpdateGallery(grpc::CallbackServerContext* context,
                                                        const v1::UpdateGalleryRequest* request,
                                                        v1::Gallery* response) {
  return Reply(context, UpdateGallery(*request), response);
}

grpc::ServerUnaryReactor* ContentService::DeleteGallery(grpc::CallbackServerContext* context,
                                                        const v1::DeleteGalleryRequest* request,
                                                        v1::Gallery* response) {
  return Reply(context, DeleteGallery(*request), response);
}

grpc::ServerUnaryReactor* ContentService::UndeleteGallery(grpc::CallbackServerContext* context,
                                                          const v1::UndeleteGalleryRequest* request,
                                                          v1::Gallery* response) {
  return Reply(context, UndeleteGallery(*request), response);
}

grpc::ServerUnaryReactor* ContentService::GetPhoto(grpc::CallbackServerContext* context,
                                                   const v1::GetPhotoRequest* request, v1::Photo* response) {
  return Reply(context, GetPhoto(CallerOf(*context), *request), response);
}

grpc::ServerUnaryReactor* ContentService::ListPhotos(grpc::CallbackServerContext* context,
                                                     const v1::ListPhotosRequest* request,
                                                     v1::ListPhotosResponse* response) {
  return Reply(context, ListPhotos(CallerOf(*context), *request), response);
}

grpc::ServerUnaryReactor* ContentService::UpdatePhoto(grpc::CallbackServerContext* context,
                                                      const v1::UpdatePhotoRequest* request, v1::Photo* response) {
  return Reply(context, UpdatePhoto(*request), response);
}

grpc::ServerUnaryReactor* ContentService::DeletePhoto(grpc::CallbackServerContext* context,
                                                      const v1::DeletePhotoRequest* request,
                                                      google::protobuf::Empty* response) {
  return Reply(context, DeletePhoto(*request), response);
}

namespace {

// Answers a streaming call that cannot be served with one status.
class RejectUpload final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  explicit RejectUpload(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

class RejectDownload final : public grpc::ServerWriteReactor<v1::DownloadPhotoResponse> {
 public:
  explicit RejectDownload(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerReadReactor<grpc::ByteBuffer>* ContentService::UploadPhoto(grpc::CallbackServerContext* context,
                                                                       grpc::ByteBuffer* response) {
  if (auto st = CheckMedia(); !st.ok()) return new RejectUpload(st);
  return NewUploadPhotoReactor(media_, context, response);
}

grpc::ServerWriteReactor<v1::DownloadPhotoResponse>* ContentService::DownloadPhoto(
    grpc::CallbackServerContext* context, const v1::DownloadPhotoRequest* request) {
  if (auto st = CheckMedia(); !st.ok()) return new RejectDownload(st);
  if (auto ids = ValidateDownload(*request); !ids.ok()) return new RejectDownload(ids.status());
  return NewDownloadPhotoReactor(media_, context, *request,
                                 /*public_only=*/CallerOf(*context).role == Role::kAnonymous);
}

}  // namespace newsdesk::content
