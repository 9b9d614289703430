// A documented subset of AIP-160 filters, shared by every service.
//
//   filter      := [expression]
//   expression  := sequence { "AND" sequence }
//   sequence    := factor { factor }            (juxtaposition means AND)
//   factor      := term { "OR" term }           (OR binds tighter than AND, as in AIP-160)
//   term        := [ "NOT" | "-" ] simple
//   simple      := restriction | "(" expression ")"
//   restriction := field comparator value
//   comparator  := "=" | "!=" | "<" | "<=" | ">" | ">=" | ":"
//   value       := "quoted string" | bare-word
//
// Fields are declared in a Schema with a type that decides which comparators
// apply: strings (= != :), enums (= !=, a declared value), timestamps (all but
// ':', RFC 3339 or a YYYY-MM-DD date meaning midnight UTC), and repeated
// strings (":" = has). Errors are INVALID_ARGUMENT with a message that starts
// with "filter:" and gives the 0-based character position of the problem.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace newsdesk::query {

enum class ValueType { kString, kEnum, kTimestamp, kRepeatedString };

struct FieldSpec {
  std::string name;  // as written in filters, e.g. "organizers.region_code"
  ValueType type = ValueType::kString;
  // kEnum: the accepted values. A value may also be written with
  // `enum_prefix` in front ("STATE_PUBLISHED" for "PUBLISHED"); the parsed
  // node always holds the bare value.
  std::vector<std::string> enum_values;
  std::string enum_prefix;
};

using Schema = std::vector<FieldSpec>;

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kHas };

struct Node {
  enum class Kind { kTrue, kAnd, kOr, kNot, kCompare };
  Kind kind = Kind::kTrue;
  std::vector<Node> children;  // kAnd, kOr: two or more; kNot: one

  // kCompare only.
  std::string field;
  ValueType type = ValueType::kString;
  Op op = Op::kEq;
  std::string text;  // string and enum values
  absl::Time time;   // timestamp values
  int position = 0;  // where the restriction starts in the filter
};

inline constexpr size_t kMaxFilterChars = 2000;
inline constexpr int kMaxFilterDepth = 32;

// Parses and type-checks `filter` against `schema`. An empty (or blank)
// filter gives a kTrue node.
absl::StatusOr<Node> ParseFilter(absl::string_view filter, const Schema& schema);

// A canonical, fully parenthesised rendering: equal filters render equally
// (used to bind page tokens to the filter they were issued for).
std::string Canonical(const Node& node);

// The restrictions that must all hold for the whole filter to hold: the
// node itself, or the kCompare children of a top-level kAnd. Stores use them
// to pick an index.
std::vector<const Node*> RequiredRestrictions(const Node& root);

// What a resource offers to filter evaluation.
class FieldSource {
 public:
  virtual ~FieldSource() = default;
  // Values of a string, enum or repeated string field (one value for
  // singular fields).
  virtual std::vector<std::string> Strings(absl::string_view field) const = 0;
  // The value of a timestamp field; nullopt when unset (an unset time matches
  // no comparison except "!=").
  virtual std::optional<absl::Time> Time(absl::string_view field) const = 0;
};

bool Matches(const Node& node, const FieldSource& source);

}  // namespace newsdesk::query
