// Validation of event input: pure functions, no storage, no server.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/field_mask.pb.h"
#include "newsdesk/events/v1/event.pb.h"

namespace newsdesk::events {

// Limits (documented in docs/EVENTS.md).
inline constexpr size_t kMaxTitleChars = 300;
inline constexpr size_t kMaxDescriptionChars = 10000;
inline constexpr size_t kMaxOrganizers = 20;
inline constexpr size_t kMaxNameChars = 200;
inline constexpr size_t kMaxVenueChars = 300;
inline constexpr size_t kMaxUrlChars = 2000;
inline constexpr size_t kMaxSourceArticles = 20;
inline constexpr size_t kMaxTags = 50;
inline constexpr size_t kMaxTagChars = 64;
inline constexpr size_t kMaxReasonChars = 1000;
inline constexpr char kDefaultLanguage[] = "pl";

// The fields a client may write, in field-number order.
const std::vector<std::string>& WritableEventFields();

// Checks the fields named in `paths` and normalises them in place: kind
// OTHER when unset, language canonical ("pl" when empty), region codes upper
// case, duplicate tags and source articles dropped, the schedule's interval
// filled in. Errors: INVALID_ARGUMENT naming the field, e.g.
// "event.organizers[1].role: required".
absl::Status ValidateAndNormalize(const std::vector<std::string>& paths, ::newsdesk::events::v1::Event* event);

// The paths an UpdateEvent request changes: the mask's paths, "*" → all
// writable fields, an empty mask → the writable fields `patch` sets.
// Errors: INVALID_ARGUMENT for an unknown or output-only path (status names
// the lifecycle methods), or nothing to update.
absl::StatusOr<std::vector<std::string>> ResolveUpdateMask(const google::protobuf::FieldMask& mask,
                                                           const ::newsdesk::events::v1::Event& patch);

// An ISO 3166-1 alpha-2 code (any case), returned in upper case.
absl::StatusOr<std::string> CanonicalRegionCode(absl::string_view field, absl::string_view code);

// An optional free-text reason (PostponeEvent, CancelEvent).
absl::Status CheckReason(absl::string_view field, absl::string_view reason);

}  // namespace newsdesk::events
