// Field validation shared by the services: each check returns
// INVALID_ARGUMENT with a message that names the field.
#pragma once

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include <google/protobuf/repeated_ptr_field.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace newsdesk {

// Number of Unicode code points in valid UTF-8.
size_t CodePointCount(absl::string_view utf8);

// Valid UTF-8 with no NUL bytes.
absl::Status CheckUtf8(absl::string_view field, absl::string_view value);

// Valid UTF-8 and min..max code points.
absl::Status CheckText(absl::string_view field, absl::string_view value, size_t min_chars, size_t max_chars);

// A repeated string field: at most max_items values of 1..max_chars code
// points each (errors name field[i]); exact duplicates are dropped, keeping
// the first occurrence's order.
absl::Status CheckStringList(absl::string_view field, google::protobuf::RepeatedPtrField<std::string>* values,
                             size_t max_items, size_t max_chars);

// Matches [a-z]([a-z0-9-]{0,61}[a-z0-9])? (AIP-122 resource ids).
bool IsValidResourceId(absl::string_view id);

// Checks a resource id given by the caller (e.g. article_id).
absl::Status CheckResourceId(absl::string_view field, absl::string_view id);

// Parses "{collection}/{id}" and returns the id. Errors name `field` and the
// expected pattern.
absl::StatusOr<std::string> ParseResourceName(absl::string_view field, absl::string_view name,
                                              absl::string_view collection);

// page_size: 0 → default, above max → max, negative → INVALID_ARGUMENT.
absl::StatusOr<int> EffectivePageSize(int32_t page_size, int default_size = 50, int max_size = 1000);

// A well-formed BCP-47 tag, returned in canonical form ("PL" → "pl").
absl::StatusOr<std::string> CanonicalLanguageTag(absl::string_view field, absl::string_view tag);

// An idempotency key: empty, or 1..128 printable ASCII characters.
absl::Status CheckRequestId(absl::string_view field, absl::string_view request_id);

}  // namespace newsdesk
