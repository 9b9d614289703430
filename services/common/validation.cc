#include "services/common/validation.h"

#include <unicode/locid.h>
#include <unicode/utf8.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"

namespace newsdesk {

size_t CodePointCount(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

absl::Status CheckUtf8(absl::string_view field, absl::string_view value) {
  const auto* p = reinterpret_cast<const uint8_t*>(value.data());
  const int32_t length = static_cast<int32_t>(value.size());
  int32_t i = 0;
  while (i < length) {
    UChar32 c;
    const int32_t at = i;
    U8_NEXT(p, i, length, c);
    if (c < 0) return absl::InvalidArgumentError(absl::StrCat(field, ": invalid UTF-8 at byte ", at));
    if (c == 0) return absl::InvalidArgumentError(absl::StrCat(field, ": NUL character at byte ", at));
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view field, absl::string_view value, size_t min_chars, size_t max_chars) {
  if (auto st = CheckUtf8(field, value); !st.ok()) return st;
  const size_t n = CodePointCount(value);
  if (n < min_chars) {
    return absl::InvalidArgumentError(min_chars == 1 ? absl::StrCat(field, ": required")
                                                     : absl::StrCat(field, ": at least ", min_chars, " characters"));
  }
  if (n > max_chars) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", n, " characters; at most ", max_chars, " allowed"));
  }
  return absl::OkStatus();
}

absl::Status CheckStringList(absl::string_view field, google::protobuf::RepeatedPtrField<std::string>* values,
                             size_t max_items, size_t max_chars) {
  if (static_cast<size_t>(values->size()) > max_items) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", values->size(), " values; at most ", max_items, " allowed"));
  }
  std::set<std::string> seen;
  google::protobuf::RepeatedPtrField<std::string> unique;
  for (int i = 0; i < values->size(); ++i) {
    const std::string& v = values->Get(i);
    if (auto st = CheckText(absl::StrCat(field, "[", i, "]"), v, 1, max_chars); !st.ok()) return st;
    if (seen.insert(v).second) *unique.Add() = v;
  }
  values->Swap(&unique);
  return absl::OkStatus();
}

bool IsValidResourceId(absl::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  if (id.front() < 'a' || id.front() > 'z') return false;
  if (id.back() == '-') return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

namespace {
std::string Shown(absl::string_view s) {
  // Echo at most 80 bytes of a bad value back, never invalid UTF-8.
  std::string out(s.substr(0, 80));
  if (!CheckUtf8("", out).ok()) return "<non-UTF-8 value>";
  return s.size() > 80 ? absl::StrCat(out, "…") : out;
}
}  // namespace

absl::Status CheckResourceId(absl::string_view field, absl::string_view id) {
  if (IsValidResourceId(id)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": \"", Shown(id), "\" must match [a-z]([a-z0-9-]{0,61}[a-z0-9])? (lowercase letters, digits, hyphens)"));
}

absl::StatusOr<std::string> ParseResourceName(absl::string_view field, absl::string_view name,
                                              absl::string_view collection) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  const std::string prefix = absl::StrCat(collection, "/");
  absl::string_view id = name;
  if (!absl::ConsumePrefix(&id, prefix) || !IsValidResourceId(id)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": \"", Shown(name), "\" is not a valid name; expected ",
                                                   collection, "/{id} with an id matching [a-z]([a-z0-9-]{0,61}[a-z0-9])?"));
  }
  return std::string(id);
}

absl::StatusOr<int> EffectivePageSize(int32_t page_size, int default_size, int max_size) {
  if (page_size < 0) return absl::InvalidArgumentError(absl::StrCat("page_size: ", page_size, " is negative"));
  if (page_size == 0) return default_size;
  return page_size > max_size ? max_size : static_cast<int>(page_size);
}

absl::StatusOr<std::string> CanonicalLanguageTag(absl::string_view field, absl::string_view tag) {
  if (auto st = CheckUtf8(field, tag); !st.ok()) return st;
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", Shown(tag), "\" is not a well-formed BCP-47 language tag (e.g. pl, en-GB)"));
  };
  if (tag.empty() || tag.size() > 64) return bad();
  for (char c : tag) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return bad();
  }
  UErrorCode status = U_ZERO_ERROR;
  icu::Locale locale = icu::Locale::forLanguageTag(icu::StringPiece(tag.data(), tag.size()), status);
  if (U_FAILURE(status) || locale.isBogus() || absl::string_view(locale.getLanguage()).empty()) return bad();
  std::string canonical = locale.toLanguageTag<std::string>(status);
  if (U_FAILURE(status) || canonical.empty() || canonical == "und") return bad();
  return canonical;
}

absl::Status CheckRequestId(absl::string_view field, absl::string_view request_id) {
  if (request_id.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": at most 128 characters"));
  }
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": only printable ASCII characters are allowed"));
    }
  }
  return absl::OkStatus();
}

}  // namespace newsdesk
