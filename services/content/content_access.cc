#include "services/content/content_access.h"

#include "newsdesk/content/v1/content_service.grpc.pb.h"

namespace newsdesk::content {

AccessPolicy ContentAccessPolicy() {
  // Taking the descriptor from a generated message also links it in.
  const auto* service = v1::CreateArticleRequest::descriptor()->file()->FindServiceByName("ContentService");
  return AccessPolicy::ByConvention(*service, {{"ListArticleRevisions", Access::kPrivateRead}});
}

}  // namespace newsdesk::content
