// Validation of article input: pure functions, no storage, no server.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/field_mask.pb.h"
#include "newsdesk/content/v1/article.pb.h"

namespace newsdesk::content {

// Limits (documented in docs/API.md).
inline constexpr size_t kMaxTitleChars = 300;
inline constexpr size_t kMaxLeadChars = 2000;
inline constexpr size_t kMaxBodyBytes = 1 << 20;
inline constexpr size_t kMaxTags = 50;
inline constexpr size_t kMaxTagChars = 64;
inline constexpr size_t kMaxAuthors = 20;
inline constexpr size_t kMaxAuthorChars = 200;
inline constexpr char kDefaultLanguage[] = "pl";

// The fields a client may write, in field-number order.
const std::vector<std::string>& WritableArticleFields();

// Checks the fields named in `paths` and normalises them in place: language
// canonical (or "pl" when empty), duplicate tags and authors dropped.
// Errors: INVALID_ARGUMENT naming the field, e.g. "article.title: required".
absl::Status ValidateAndNormalize(const std::vector<std::string>& paths,
                                  newsdesk::content::v1::Article* article);

// A revision id as the store issues them: "r" and a number from 1 up, in
// decimal without leading zeros, within int64 ("r1", "r27"). Errors:
// INVALID_ARGUMENT naming `field` (empty → required).
absl::Status CheckRevisionId(absl::string_view field, absl::string_view revision_id);

// The paths an UpdateArticle request changes: the mask's paths, "*" → all
// writable fields, an empty mask → the writable fields `patch` sets to a
// non-default value. Errors: INVALID_ARGUMENT for an unknown or output-only
// path, or an empty effective mask.
absl::StatusOr<std::vector<std::string>> ResolveUpdateMask(const google::protobuf::FieldMask& mask,
                                                           const newsdesk::content::v1::Article& patch);

}  // namespace newsdesk::content
