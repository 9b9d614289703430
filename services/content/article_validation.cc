#include "services/content/article_validation.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/validation.h"

namespace newsdesk::content {
namespace {

using ::newsdesk::content::v1::Article;

const std::set<std::string>& OutputOnlyFields() {
  static const auto* fields = new std::set<std::string>{"name", "slug", "state", "create_time",
                                                        "update_time", "delete_time", "etag"};
  return *fields;
}

}  // namespace

const std::vector<std::string>& WritableArticleFields() {
  static const auto* fields =
      new std::vector<std::string>{"title", "lead", "body", "language", "authors", "tags", "gallery"};
  return *fields;
}

absl::Status ValidateAndNormalize(const std::vector<std::string>& paths, Article* a) {
  for (const std::string& path : paths) {
    absl::Status st;
    if (path == "title") {
      st = CheckText("article.title", a->title(), 1, kMaxTitleChars);
    } else if (path == "lead") {
      st = CheckText("article.lead", a->lead(), 0, kMaxLeadChars);
    } else if (path == "body") {
      if (a->body().size() > kMaxBodyBytes) {
        st = absl::InvalidArgumentError(
            absl::StrCat("article.body: ", a->body().size(), " bytes; at most ", kMaxBodyBytes, " allowed"));
      } else {
        st = CheckUtf8("article.body", a->body());
      }
    } else if (path == "language") {
      if (a->language().empty()) {
        a->set_language(kDefaultLanguage);
      } else {
        auto tag = CanonicalLanguageTag("article.language", a->language());
        if (tag.ok()) a->set_language(*tag);
        st = tag.status();
      }
    } else if (path == "authors") {
      st = CheckStringList("article.authors", a->mutable_authors(), kMaxAuthors, kMaxAuthorChars);
    } else if (path == "tags") {
      st = CheckStringList("article.tags", a->mutable_tags(), kMaxTags, kMaxTagChars);
    } else if (path == "gallery") {
      if (!a->gallery().empty()) st = ParseResourceName("article.gallery", a->gallery(), "galleries").status();
    } else {
      st = absl::InvalidArgumentError(absl::StrCat("unknown article field \"", path, "\""));
    }
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status CheckRevisionId(absl::string_view field, absl::string_view revision_id) {
  if (revision_id.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  int64_t n = 0;
  const absl::string_view digits = revision_id.substr(1);
  const bool ok = revision_id[0] == 'r' && !digits.empty() && digits[0] != '0' &&
                  std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                  absl::SimpleAtoi(digits, &n) && n >= 1;
  if (ok) return absl::OkStatus();
  std::string shown(revision_id.substr(0, 32));
  if (!CheckUtf8("", shown).ok()) shown = "<non-UTF-8>";
  return absl::InvalidArgumentError(absl::StrCat(field, ": \"", shown, revision_id.size() > 32 ? "…" : "",
                                                 "\" is not a revision id; revision ids are r1, r2, r3, ..."));
}

absl::StatusOr<std::vector<std::string>> ResolveUpdateMask(const google::protobuf::FieldMask& mask,
                                                           const Article& patch) {
  const auto& writable = WritableArticleFields();
  std::vector<std::string> paths;
  if (mask.paths_size() == 0) {
    if (!patch.title().empty()) paths.push_back("title");
    if (!patch.lead().empty()) paths.push_back("lead");
    if (!patch.body().empty()) paths.push_back("body");
    if (!patch.language().empty()) paths.push_back("language");
    if (patch.authors_size() > 0) paths.push_back("authors");
    if (patch.tags_size() > 0) paths.push_back("tags");
    if (!patch.gallery().empty()) paths.push_back("gallery");
    if (paths.empty()) {
      return absl::InvalidArgumentError("update_mask: empty and the article sets no writable field; nothing to update");
    }
    return paths;
  }
  for (const std::string& path : mask.paths()) {
    if (path == "*") {
      if (mask.paths_size() != 1) {
        return absl::InvalidArgumentError("update_mask: \"*\" must be the only path");
      }
      return writable;
    }
    if (OutputOnlyFields().count(path) > 0) {
      return absl::InvalidArgumentError(absl::StrCat("update_mask: \"", path, "\" is output only"));
    }
    if (std::find(writable.begin(), writable.end(), path) == writable.end()) {
      std::string shown = path.substr(0, 64);
      if (!CheckUtf8("", shown).ok()) shown = "<non-UTF-8>";
      return absl::InvalidArgumentError(absl::StrCat("update_mask: unknown field \"", shown,
                                                     "\"; writable fields are ", absl::StrJoin(writable, ", ")));
    }
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
  }
  return paths;
}

}  // namespace newsdesk::content
