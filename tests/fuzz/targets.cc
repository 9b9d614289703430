#include "tests/fuzz/targets.h"

#include <cstdlib>

#include <google/protobuf/stubs/logging.h>

#include "absl/strings/string_view.h"
#include "newsdesk/content/v1/content_service.pb.h"
#include "services/common/page_token.h"
#include "services/common/validation.h"
#include "services/content/article_validation.h"
#include "storage/content/article_store.h"
#include "storage/query/filter.h"
#include "storage/text/text_analysis.h"

namespace newsdesk::fuzz {
namespace {

absl::string_view View(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

void Check(bool condition) {
  if (!condition) std::abort();
}

// The filter parser: any input parses or fails with INVALID_ARGUMENT naming
// the filter; a parsed filter renders canonically and re-parses to the same.
void Filter(const uint8_t* data, size_t size) {
  auto node = query::ParseFilter(View(data, size), content::ArticleFilterSchema());
  if (!node.ok()) {
    Check(node.status().code() == absl::StatusCode::kInvalidArgument);
    Check(node.status().message().substr(0, 7) == "filter:");
    return;
  }
  const std::string canonical = query::Canonical(*node);
  auto again = query::ParseFilter(canonical, content::ArticleFilterSchema());
  Check(again.ok());
  Check(query::Canonical(*again) == canonical);
}

// Page tokens: nothing but a token this codec issued decodes, and a decoded
// cursor is what was encoded.
void PageToken(const uint8_t* data, size_t size) {
  static const PageTokenCodec codec(std::string(32, 'k'));
  auto cursor = codec.Decode("articles", "q", View(data, size));
  if (!cursor.ok()) {
    Check(cursor.status().code() == absl::StatusCode::kInvalidArgument);
  }
  const std::string token = codec.Encode("articles", "q", View(data, size));
  auto back = codec.Decode("articles", "q", token);
  if (token.size() <= 1024) {
    Check(back.ok() && *back == std::string(View(data, size)));
  }
  Check(!codec.Decode("galleries", "q", token).ok());
}

// Request validation on whatever a client may send: wire bytes that parse
// as a CreateArticleRequest / UpdateArticleRequest are validated without a
// crash and with INVALID_ARGUMENT only.
void ArticleRequest(const uint8_t* data, size_t size) {
  content::v1::UpdateArticleRequest update;
  if (update.ParseFromArray(data, static_cast<int>(size))) {
    auto paths = content::ResolveUpdateMask(update.update_mask(), update.article());
    if (paths.ok()) {
      content::v1::Article patch = update.article();
      auto st = content::ValidateAndNormalize(*paths, &patch);
      Check(st.ok() || st.code() == absl::StatusCode::kInvalidArgument);
    }
    (void)ParseResourceName("article.name", update.article().name(), "articles");
  }
  content::v1::CreateArticleRequest create;
  if (create.ParseFromArray(data, static_cast<int>(size))) {
    content::v1::Article a = create.article();
    auto st = content::ValidateAndNormalize(content::WritableArticleFields(), &a);
    Check(st.ok() || st.code() == absl::StatusCode::kInvalidArgument);
    if (st.ok()) Check(CheckUtf8("title", a.title()).ok());
    (void)CheckResourceId("article_id", create.article_id());
    (void)CheckRequestId("request_id", create.request_id());
  }
}

// The search query language and the text analysis behind it.
void SearchQuery(const uint8_t* data, size_t size) {
  auto q = text::ParseQuery(View(data, size));
  if (!q.ok()) {
    Check(q.status().code() == absl::StatusCode::kInvalidArgument);
  } else {
    Check(!q->required.empty());
    (void)text::Canonical(*q);
  }
  if (size <= 4096) {
    auto analyzed = text::AnalyzeForIndex(View(data, size));
    for (const auto& t : analyzed.terms) Check(!t.term.empty());
    (void)text::Snippet(View(data, size), {"a"}, 50);
  }
}

}  // namespace

const std::vector<Target>& Targets() {
  // Invalid UTF-8 in a string field is an expected input here, not news.
  static const bool silenced = [] {
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
    return true;
  }();
  (void)silenced;
  static const auto* targets = new std::vector<Target>{
      {"filter", Filter},
      {"page_token", PageToken},
      {"article_request", ArticleRequest},
      {"search_query", SearchQuery},
  };
  return *targets;
}

}  // namespace newsdesk::fuzz
