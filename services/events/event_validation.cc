#include "services/events/event_validation.h"

#include <unicode/locid.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/validation.h"
#include "storage/events/schedule.h"

namespace newsdesk::events {
namespace {

using ::newsdesk::events::v1::Event;
using ::newsdesk::events::v1::Location;
using ::newsdesk::events::v1::Organizer;

const std::set<std::string>& OutputOnlyFields() {
  static const auto* fields = new std::set<std::string>{"name",        "status",      "schedule_history",
                                                        "revision",    "etag",        "create_time",
                                                        "update_time", "delete_time", "status_reason"};
  return *fields;
}

std::string Shown(absl::string_view s) {
  std::string out(s.substr(0, 64));
  return CheckUtf8("", out).ok() ? out : "<non-UTF-8>";
}

absl::Status CheckOrganizers(google::protobuf::RepeatedPtrField<Organizer>* organizers) {
  if (static_cast<size_t>(organizers->size()) > kMaxOrganizers) {
    return absl::InvalidArgumentError(
        absl::StrCat("event.organizers: ", organizers->size(), " organizers; at most ", kMaxOrganizers, " allowed"));
  }
  for (int i = 0; i < organizers->size(); ++i) {
    Organizer* o = organizers->Mutable(i);
    const std::string field = absl::StrCat("event.organizers[", i, "]");
    if (auto st = CheckText(absl::StrCat(field, ".display_name"), o->display_name(), 1, kMaxNameChars); !st.ok()) {
      return st;
    }
    if (o->role() == Organizer::ROLE_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".role: required (ROLE_HOST, ROLE_CO_HOST or ROLE_PARTNER)"));
    }
    if (!Organizer::Role_IsValid(o->role())) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".role: ", static_cast<int>(o->role()), " is not a known role"));
    }
    if (!o->region_code().empty()) {
      auto code = CanonicalRegionCode(absl::StrCat(field, ".region_code"), o->region_code());
      if (!code.ok()) return code.status();
      o->set_region_code(*code);
    }
    if (auto st = CheckText(absl::StrCat(field, ".locality"), o->locality(), 0, kMaxNameChars); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status CheckUrl(absl::string_view field, absl::string_view url) {
  if (url.size() > kMaxUrlChars) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", url.size(), " characters; at most ", kMaxUrlChars));
  }
  const std::string lower = absl::AsciiStrToLower(url.substr(0, 8));
  const bool scheme = absl::StartsWith(lower, "https://") || absl::StartsWith(lower, "http://");
  bool clean = true;
  for (unsigned char c : url) clean = clean && c > 0x20 && c < 0x7f;
  if (!scheme || !clean) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": \"", Shown(url), "\" is not an http(s) URL (printable ASCII, no spaces; percent-encode the rest)"));
  }
  return absl::OkStatus();
}

absl::Status CheckLocation(Location* l) {
  if (auto st = CheckText("event.location.venue", l->venue(), 0, kMaxVenueChars); !st.ok()) return st;
  if (auto st = CheckText("event.location.locality", l->locality(), 0, kMaxNameChars); !st.ok()) return st;
  if (auto st = CheckText("event.location.administrative_area", l->administrative_area(), 0, kMaxNameChars);
      !st.ok()) {
    return st;
  }
  if (!l->region_code().empty()) {
    auto code = CanonicalRegionCode("event.location.region_code", l->region_code());
    if (!code.ok()) return code.status();
    l->set_region_code(*code);
  }
  if (l->has_latitude() != l->has_longitude()) {
    return absl::InvalidArgumentError(absl::StrCat("event.location.", l->has_latitude() ? "longitude" : "latitude",
                                                   ": required when the other coordinate is set"));
  }
  if (l->has_latitude() && !(std::isfinite(l->latitude()) && std::fabs(l->latitude()) <= 90)) {
    return absl::InvalidArgumentError("event.location.latitude: must be within -90..90");
  }
  if (l->has_longitude() && !(std::isfinite(l->longitude()) && std::fabs(l->longitude()) <= 180)) {
    return absl::InvalidArgumentError("event.location.longitude: must be within -180..180");
  }
  if (!l->online_url().empty()) return CheckUrl("event.location.online_url", l->online_url());
  return absl::OkStatus();
}

absl::Status CheckSourceArticles(google::protobuf::RepeatedPtrField<std::string>* names) {
  if (static_cast<size_t>(names->size()) > kMaxSourceArticles) {
    return absl::InvalidArgumentError(absl::StrCat("event.source_articles: ", names->size(),
                                                   " articles; at most ", kMaxSourceArticles, " allowed"));
  }
  std::set<std::string> seen;
  google::protobuf::RepeatedPtrField<std::string> unique;
  for (int i = 0; i < names->size(); ++i) {
    const std::string& name = names->Get(i);
    auto id = ParseResourceName(absl::StrCat("event.source_articles[", i, "]"), name, "articles");
    if (!id.ok()) return id.status();
    if (seen.insert(name).second) *unique.Add() = name;
  }
  names->Swap(&unique);
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& WritableEventFields() {
  static const auto* fields = new std::vector<std::string>{
      "title", "description", "kind", "schedule", "organizers", "location", "source_articles", "language", "tags"};
  return *fields;
}

absl::StatusOr<std::string> CanonicalRegionCode(absl::string_view field, absl::string_view code) {
  const std::string upper = absl::AsciiStrToUpper(code);
  if (upper.size() == 2 && absl::ascii_isalpha(static_cast<unsigned char>(upper[0])) &&
      absl::ascii_isalpha(static_cast<unsigned char>(upper[1]))) {
    for (const char* const* c = icu::Locale::getISOCountries(); *c != nullptr; ++c) {
      if (upper == *c) return upper;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": \"", Shown(code), "\" is not an ISO 3166-1 alpha-2 region code (e.g. PL, KZ)"));
}

absl::Status CheckReason(absl::string_view field, absl::string_view reason) {
  return CheckText(field, reason, 0, kMaxReasonChars);
}

absl::Status ValidateAndNormalize(const std::vector<std::string>& paths, Event* e) {
  for (const std::string& path : paths) {
    absl::Status st;
    if (path == "title") {
      st = CheckText("event.title", e->title(), 1, kMaxTitleChars);
    } else if (path == "description") {
      st = CheckText("event.description", e->description(), 0, kMaxDescriptionChars);
    } else if (path == "kind") {
      if (e->kind() == Event::KIND_UNSPECIFIED) e->set_kind(Event::KIND_OTHER);
      if (!Event::Kind_IsValid(e->kind())) {
        st = absl::InvalidArgumentError(absl::StrCat("event.kind: ", static_cast<int>(e->kind()), " is not a known kind"));
      }
    } else if (path == "schedule") {
      if (!e->has_schedule()) {
        st = absl::InvalidArgumentError("event.schedule: required (precision YEAR, MONTH, DAY or EXACT)");
      } else {
        st = NormalizeSchedule("event.schedule", e->mutable_schedule());
      }
    } else if (path == "organizers") {
      st = CheckOrganizers(e->mutable_organizers());
    } else if (path == "location") {
      if (e->has_location()) st = CheckLocation(e->mutable_location());
    } else if (path == "source_articles") {
      st = CheckSourceArticles(e->mutable_source_articles());
    } else if (path == "language") {
      if (e->language().empty()) {
        e->set_language(kDefaultLanguage);
      } else {
        auto tag = CanonicalLanguageTag("event.language", e->language());
        if (tag.ok()) e->set_language(*tag);
        st = tag.status();
      }
    } else if (path == "tags") {
      st = CheckStringList("event.tags", e->mutable_tags(), kMaxTags, kMaxTagChars);
    } else {
      st = absl::InvalidArgumentError(absl::StrCat("unknown event field \"", path, "\""));
    }
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ResolveUpdateMask(const google::protobuf::FieldMask& mask,
                                                           const Event& patch) {
  const auto& writable = WritableEventFields();
  std::vector<std::string> paths;
  if (mask.paths_size() == 0) {
    if (!patch.title().empty()) paths.push_back("title");
    if (!patch.description().empty()) paths.push_back("description");
    if (patch.kind() != Event::KIND_UNSPECIFIED) paths.push_back("kind");
    if (patch.has_schedule()) paths.push_back("schedule");
    if (patch.organizers_size() > 0) paths.push_back("organizers");
    if (patch.has_location()) paths.push_back("location");
    if (patch.source_articles_size() > 0) paths.push_back("source_articles");
    if (!patch.language().empty()) paths.push_back("language");
    if (patch.tags_size() > 0) paths.push_back("tags");
    if (paths.empty()) {
      return absl::InvalidArgumentError("update_mask: empty and the event sets no writable field; nothing to update");
    }
    return paths;
  }
  for (const std::string& path : mask.paths()) {
    if (path == "*") {
      if (mask.paths_size() != 1) return absl::InvalidArgumentError("update_mask: \"*\" must be the only path");
      return writable;
    }
    if (path == "status") {
      return absl::InvalidArgumentError(
          "update_mask: \"status\" is output only; use ConfirmEvent, PostponeEvent, CancelEvent or CompleteEvent");
    }
    if (OutputOnlyFields().count(path) > 0) {
      return absl::InvalidArgumentError(absl::StrCat("update_mask: \"", path, "\" is output only"));
    }
    if (std::find(writable.begin(), writable.end(), path) == writable.end()) {
      return absl::InvalidArgumentError(absl::StrCat("update_mask: unknown field \"", Shown(path),
                                                     "\"; writable fields are ", absl::StrJoin(writable, ", "),
                                                     " (whole fields only)"));
    }
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
  }
  return paths;
}

}  // namespace newsdesk::events
