// Validation of gallery and photo input: pure functions, no storage, no
// server. Every error is INVALID_ARGUMENT with a message naming the field.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/field_mask.pb.h"
#include "newsdesk/content/v1/content_service.pb.h"
#include "newsdesk/content/v1/gallery.pb.h"

namespace newsdesk::content {

// Limits (documented in gallery.proto).
inline constexpr size_t kMaxGalleryTitleChars = 300;
inline constexpr size_t kMaxGalleryDescriptionChars = 5000;
inline constexpr size_t kMaxCaptionChars = 2000;
inline constexpr size_t kMaxAltTextChars = 1000;
inline constexpr size_t kMaxCreditChars = 300;
inline constexpr size_t kMaxLicenseChars = 300;

// The fields a client may write, in field-number order.
const std::vector<std::string>& WritableGalleryFields();
const std::vector<std::string>& WritablePhotoFields();

// Checks the gallery fields named in `paths`; `gallery_id` is the gallery's
// own id (a cover photo must belong to it). `prefix` names the message in
// errors, e.g. "gallery".
absl::Status ValidateGallery(const std::vector<std::string>& paths, const newsdesk::content::v1::Gallery& gallery,
                             absl::string_view gallery_id, absl::string_view prefix = "gallery");

// Checks the gallery of a CreateGallery request: its writable fields, and
// no cover_photo (a new gallery has no photos to choose from).
absl::Status ValidateNewGallery(const newsdesk::content::v1::Gallery& gallery, absl::string_view gallery_id);

// Checks the photo fields named in `paths`, e.g. "metadata.photo.alt_text:
// required".
absl::Status ValidatePhoto(const std::vector<std::string>& paths, const newsdesk::content::v1::Photo& photo,
                           absl::string_view prefix = "photo");

// The paths an update changes: the mask's paths ("*" → all writable fields),
// or for an empty mask the writable fields set to a non-default value (for a
// photo also `position` when present). Errors: an unknown or output-only
// path, or nothing to update.
absl::StatusOr<std::vector<std::string>> ResolveGalleryUpdateMask(const google::protobuf::FieldMask& mask,
                                                                  const newsdesk::content::v1::Gallery& patch);
absl::StatusOr<std::vector<std::string>> ResolvePhotoUpdateMask(const google::protobuf::FieldMask& mask,
                                                                const newsdesk::content::v1::Photo& patch);

// Parses "galleries/{gallery_id}/photos/{photo_id}" into the two ids.
absl::StatusOr<std::pair<std::string, std::string>> ParsePhotoName(absl::string_view field, absl::string_view name);

// Checks a DownloadPhotoRequest before anything is looked up: the name, the
// rendition ("" for the original, or a name in media::RenditionSpecs()) and
// a non-negative offset; returns the gallery and photo ids. Whether the
// photo has that rendition and the offset is within it is checked later
// (PlanDownload).
absl::StatusOr<std::pair<std::string, std::string>> ValidateDownload(
    const newsdesk::content::v1::DownloadPhotoRequest& request);

}  // namespace newsdesk::content
