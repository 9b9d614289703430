#include "storage/content/slug.h"

#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace newsdesk::content {
namespace {

constexpr size_t kMaxSlugLength = 80;

// ICU transliterators are not safe for concurrent use: one per thread.
icu::Transliterator* ThreadTransliterator() {
  thread_local std::unique_ptr<icu::Transliterator> t = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> tr(icu::Transliterator::createInstance(
        "Any-Latin; Latin-ASCII; Lower", UTRANS_FORWARD, status));
    if (U_FAILURE(status)) tr.reset();
    return tr;
  }();
  return t.get();
}

std::string TrimToLength(std::string slug, size_t max) {
  if (slug.size() <= max) return slug;
  slug.resize(max);
  // Cut at the last hyphen so no word is broken, unless that leaves too little.
  if (auto pos = slug.rfind('-'); pos != std::string::npos && pos >= max / 2) slug.resize(pos);
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

}  // namespace

std::string SlugFromTitle(absl::string_view title) {
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(icu::StringPiece(title.data(), title.size()));
  if (auto* t = ThreadTransliterator(); t != nullptr) t->transliterate(text);
  std::string ascii;
  text.toUTF8String(ascii);

  std::string slug;
  bool pending_hyphen = false;
  for (char c : ascii) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum) {
      // Apostrophes join words ("don't" → "dont") rather than split them.
      if (c != '\'') pending_hyphen = true;
      continue;
    }
    if (pending_hyphen && !slug.empty()) slug.push_back('-');
    pending_hyphen = false;
    slug.push_back(c);
  }
  slug = TrimToLength(std::move(slug), kMaxSlugLength);
  return slug.empty() ? "article" : slug;
}

std::string SlugCandidate(absl::string_view base, int n) {
  const std::string suffix = absl::StrCat("-", n);
  return absl::StrCat(TrimToLength(std::string(base), kMaxSlugLength - suffix.size()), suffix);
}

}  // namespace newsdesk::content
