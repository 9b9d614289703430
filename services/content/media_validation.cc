#include "services/content/media_validation.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "services/common/validation.h"
#include "storage/media/image.h"

namespace newsdesk::content {
namespace {

using ::newsdesk::content::v1::Gallery;
using ::newsdesk::content::v1::Photo;

std::string Shown(absl::string_view s) {
  std::string shown(s.substr(0, 64));
  if (!CheckUtf8("", shown).ok()) shown = "<non-UTF-8>";
  return shown;
}

absl::StatusOr<std::vector<std::string>> ResolveMask(const google::protobuf::FieldMask& mask,
                                                     const std::vector<std::string>& writable,
                                                     const std::set<std::string>& output_only,
                                                     std::vector<std::string> set_fields,
                                                     absl::string_view resource) {
  if (mask.paths_size() == 0) {
    if (set_fields.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: empty and the ", resource, " sets no writable field; nothing to update"));
    }
    return set_fields;
  }
  std::vector<std::string> paths;
  for (const std::string& path : mask.paths()) {
    if (path == "*") {
      if (mask.paths_size() != 1) return absl::InvalidArgumentError("update_mask: \"*\" must be the only path");
      return writable;
    }
    if (output_only.count(path) > 0) {
      return absl::InvalidArgumentError(absl::StrCat("update_mask: \"", path, "\" is output only"));
    }
    if (std::find(writable.begin(), writable.end(), path) == writable.end()) {
      return absl::InvalidArgumentError(absl::StrCat("update_mask: unknown field \"", Shown(path),
                                                     "\"; writable fields are ", absl::StrJoin(writable, ", ")));
    }
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
  }
  return paths;
}

}  // namespace

const std::vector<std::string>& WritableGalleryFields() {
  static const auto* fields = new std::vector<std::string>{"title", "description", "cover_photo"};
  return *fields;
}

const std::vector<std::string>& WritablePhotoFields() {
  static const auto* fields = new std::vector<std::string>{"caption", "alt_text", "credit", "license", "position"};
  return *fields;
}

absl::StatusOr<std::pair<std::string, std::string>> ParsePhotoName(absl::string_view field, absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", Shown(name),
                     "\" is not a valid name; expected galleries/{gallery_id}/photos/{photo_id} with ids matching "
                     "[a-z]([a-z0-9-]{0,61}[a-z0-9])?"));
  };
  absl::string_view rest = name;
  if (!absl::ConsumePrefix(&rest, "galleries/")) return bad();
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) return bad();
  const absl::string_view gallery = rest.substr(0, slash);
  rest.remove_prefix(slash);
  if (!absl::ConsumePrefix(&rest, "/photos/")) return bad();
  if (!IsValidResourceId(gallery) || !IsValidResourceId(rest)) return bad();
  return std::make_pair(std::string(gallery), std::string(rest));
}

absl::Status ValidateGallery(const std::vector<std::string>& paths, const Gallery& g, absl::string_view gallery_id,
                             absl::string_view prefix) {
  for (const std::string& path : paths) {
    const std::string field = absl::StrCat(prefix, ".", path);
    absl::Status st;
    if (path == "title") {
      st = CheckText(field, g.title(), 1, kMaxGalleryTitleChars);
    } else if (path == "description") {
      st = CheckText(field, g.description(), 0, kMaxGalleryDescriptionChars);
    } else if (path == "cover_photo") {
      if (!g.cover_photo().empty()) {
        auto ids = ParsePhotoName(field, g.cover_photo());
        if (!ids.ok()) return ids.status();
        if (!gallery_id.empty() && ids->first != gallery_id) {
          st = absl::InvalidArgumentError(absl::StrCat(field, ": ", g.cover_photo(),
                                                       " is not a photo of galleries/", gallery_id));
        }
      }
    } else {
      st = absl::InvalidArgumentError(absl::StrCat("unknown gallery field \"", path, "\""));
    }
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ValidateNewGallery(const Gallery& g, absl::string_view gallery_id) {
  if (auto st = ValidateGallery(WritableGalleryFields(), g, gallery_id); !st.ok()) return st;
  if (!g.cover_photo().empty()) {
    return absl::InvalidArgumentError(
        "gallery.cover_photo: must be empty on create (a new gallery has no photos); set it with UpdateGallery "
        "after uploading");
  }
  return absl::OkStatus();
}

absl::Status ValidatePhoto(const std::vector<std::string>& paths, const Photo& p, absl::string_view prefix) {
  for (const std::string& path : paths) {
    const std::string field = absl::StrCat(prefix, ".", path);
    absl::Status st;
    if (path == "caption") {
      st = CheckText(field, p.caption(), 0, kMaxCaptionChars);
    } else if (path == "alt_text") {
      // Required: every photo on the site needs a text alternative.
      if (p.alt_text().empty()) {
        st = absl::InvalidArgumentError(
            absl::StrCat(field, ": required (a text alternative for readers who cannot see the photo)"));
      } else {
        st = CheckText(field, p.alt_text(), 1, kMaxAltTextChars);
      }
    } else if (path == "credit") {
      st = CheckText(field, p.credit(), 0, kMaxCreditChars);
    } else if (path == "license") {
      st = CheckText(field, p.license(), 0, kMaxLicenseChars);
    } else if (path == "position") {
      if (p.has_position() && p.position() < 0) {
        st = absl::InvalidArgumentError(absl::StrCat(field, ": ", p.position(), " is negative"));
      }
    } else {
      st = absl::InvalidArgumentError(absl::StrCat("unknown photo field \"", path, "\""));
    }
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ResolveGalleryUpdateMask(const google::protobuf::FieldMask& mask,
                                                                  const Gallery& patch) {
  static const auto* output_only =
      new std::set<std::string>{"name", "photo_count", "create_time", "update_time", "delete_time", "etag"};
  std::vector<std::string> set;
  if (!patch.title().empty()) set.push_back("title");
  if (!patch.description().empty()) set.push_back("description");
  if (!patch.cover_photo().empty()) set.push_back("cover_photo");
  return ResolveMask(mask, WritableGalleryFields(), *output_only, std::move(set), "gallery");
}

absl::StatusOr<std::vector<std::string>> ResolvePhotoUpdateMask(const google::protobuf::FieldMask& mask,
                                                                const Photo& patch) {
  static const auto* output_only = new std::set<std::string>{
      "name", "content_type", "size_bytes", "width", "height", "sha256", "create_time", "update_time",
      "etag", "renditions"};
  std::vector<std::string> set;
  if (!patch.caption().empty()) set.push_back("caption");
  if (!patch.alt_text().empty()) set.push_back("alt_text");
  if (!patch.credit().empty()) set.push_back("credit");
  if (!patch.license().empty()) set.push_back("license");
  if (patch.has_position()) set.push_back("position");
  auto paths = ResolveMask(mask, WritablePhotoFields(), *output_only, std::move(set), "photo");
  if (!paths.ok()) return paths;
  // A position in the mask needs a value: an unset one would silently move
  // the photo to the front.
  if (std::find(paths->begin(), paths->end(), "position") != paths->end() && !patch.has_position()) {
    return absl::InvalidArgumentError("photo.position: required when update_mask names it");
  }
  return paths;
}

absl::StatusOr<std::pair<std::string, std::string>> ValidateDownload(const v1::DownloadPhotoRequest& request) {
  auto ids = ParsePhotoName("name", request.name());
  if (!ids.ok()) return ids.status();
  if (!request.rendition().empty()) {
    bool known = false;
    for (const auto& spec : media::RenditionSpecs()) known = known || request.rendition() == spec.name;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("rendition: \"", Shown(request.rendition()),
                       "\" is not a rendition; use \"\" for the original, \"thumbnail\" or \"medium\""));
    }
  }
  if (request.offset() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("offset: ", request.offset(), " is negative"));
  }
  return ids;
}

}  // namespace newsdesk::content
