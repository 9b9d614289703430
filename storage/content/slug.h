// URL slugs for articles.
#pragma once

#include <string>
#include "absl/strings/string_view.h"

namespace newsdesk::content {

// Turns a title into a slug: lowercase ASCII letters, digits and single
// hyphens, at most 80 characters, cut at a word boundary. Non-Latin scripts
// and diacritics are transliterated with ICU ("Any-Latin; Latin-ASCII"), so
// Polish letters map to their base letters (ł → l, Ż → z) and Cyrillic is
// romanised. Returns "article" when nothing usable remains.
std::string SlugFromTitle(absl::string_view title);

// The n-th candidate for a slug whose base is taken: "base-2", "base-3", ...,
// keeping the whole within 80 characters.
std::string SlugCandidate(absl::string_view base, int n);

}  // namespace newsdesk::content
