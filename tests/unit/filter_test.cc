#include "storage/query/filter.h"

#include <gtest/gtest.h>

#include <map>

namespace newsdesk::query {
namespace {

const Schema& TestSchema() {
  static const Schema* schema = new Schema{
      {.name = "state", .type = ValueType::kEnum, .enum_values = {"DRAFT", "PUBLISHED"}, .enum_prefix = "STATE_"},
      {.name = "language", .type = ValueType::kString},
      {.name = "tags", .type = ValueType::kRepeatedString},
      {.name = "publish_time", .type = ValueType::kTimestamp},
      {.name = "organizers.region_code", .type = ValueType::kRepeatedString},
  };
  return *schema;
}

struct Valid {
  const char* filter;
  const char* canonical;
};

class FilterParseTest : public ::testing::TestWithParam<Valid> {};

TEST_P(FilterParseTest, ParsesToCanonicalForm) {
  auto node = ParseFilter(GetParam().filter, TestSchema());
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(Canonical(*node), GetParam().canonical);
}

INSTANTIATE_TEST_SUITE_P(
    Table, FilterParseTest,
    ::testing::Values(
        Valid{"", ""}, Valid{"   ", ""}, Valid{"state = PUBLISHED", "state = \"PUBLISHED\""},
        Valid{"state=STATE_DRAFT", "state = \"DRAFT\""}, Valid{"tags:\"zdrowie\"", "tags : \"zdrowie\""},
        Valid{"tags:zdrowie AND language = \"pl\"", "(tags : \"zdrowie\" AND language = \"pl\")"},
        Valid{"tags:a tags:b", "(tags : \"a\" AND tags : \"b\")"},
        // OR binds tighter than AND (AIP-160).
        Valid{"tags:a AND tags:b OR tags:c", "(tags : \"a\" AND (tags : \"b\" OR tags : \"c\"))"},
        Valid{"(tags:a AND tags:b) OR tags:c", "((tags : \"a\" AND tags : \"b\") OR tags : \"c\")"},
        Valid{"NOT tags:a", "NOT tags : \"a\""}, Valid{"-tags:a", "NOT tags : \"a\""},
        Valid{"publish_time >= \"2018-05-01T00:00:00Z\"", "publish_time >= \"2018-05-01T00:00:00+00:00\""},
        Valid{"publish_time < 2018-06-01", "publish_time < \"2018-06-01T00:00:00+00:00\""},
        Valid{"publish_time > 2018-05-01T10:00:00+06:00", "publish_time > \"2018-05-01T04:00:00+00:00\""},
        Valid{"organizers.region_code:KZ", "organizers.region_code : \"KZ\""},
        Valid{"language = \"Ałmaty \\\"x\\\"\"", "language = \"Ałmaty \\\"x\\\"\""}));

struct Invalid {
  const char* filter;
  const char* message;  // a substring, including the position
};

class FilterErrorTest : public ::testing::TestWithParam<Invalid> {};

TEST_P(FilterErrorTest, PointsAtTheProblem) {
  auto node = ParseFilter(GetParam().filter, TestSchema());
  ASSERT_FALSE(node.ok()) << GetParam().filter;
  EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(node.status().message().find(GetParam().message), absl::string_view::npos) << node.status();
  EXPECT_EQ(node.status().message().substr(0, 7), "filter:");
}

INSTANTIATE_TEST_SUITE_P(
    Table, FilterErrorTest,
    ::testing::Values(Invalid{"colour = red", "unknown field \"colour\""},
                      Invalid{"colour = red", "at position 0"},
                      Invalid{"tags:a AND bogus:x", "at position 11"},
                      Invalid{"tags = a", "\"=\" does not apply to tags"},
                      Invalid{"state < DRAFT", "\"<\" does not apply to state"},
                      Invalid{"state = GONE", "state has no value \"GONE\""},
                      Invalid{"publish_time > yesterday", "publish_time needs an RFC 3339 time"},
                      Invalid{"publish_time > yesterday", "at position 15"},
                      Invalid{"publish_time : 2018-01-01", "does not apply"},
                      Invalid{"(tags:a", "unbalanced \"(\" at position 0"},
                      Invalid{"tags:a)", "unexpected \")\" at position 6"},
                      Invalid{"tags:", "expected a value"}, Invalid{"tags", "expected a comparator"},
                      Invalid{"tags:\"open", "unterminated string at position 5"},
                      Invalid{"tags ! a", "\"!\" must be followed by \"=\""},
                      Invalid{"AND tags:a", "expected a field name"}, Invalid{"tags:a AND", "found the end"},
                      Invalid{"()", "empty parentheses"}, Invalid{"tags:a # x", "unexpected character"},
                      Invalid{"ąę = x", "unknown field \"ąę\" (filterable"},
                      Invalid{"tags:x AND żółw = 1", "at position 11"}));

TEST(FilterTest, RejectsOverlongAndDeeplyNestedFilters) {
  EXPECT_FALSE(ParseFilter(std::string(kMaxFilterChars + 1, ' '), TestSchema()).ok());
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "(";
  deep += "tags:a";
  for (int i = 0; i < 40; ++i) deep += ")";
  auto st = ParseFilter(deep, TestSchema()).status();
  EXPECT_NE(st.message().find("nested too deeply"), absl::string_view::npos) << st;
}

class MapSource : public FieldSource {
 public:
  std::map<std::string, std::vector<std::string>> strings;
  std::map<std::string, absl::Time> times;
  std::vector<std::string> Strings(absl::string_view f) const override {
    auto it = strings.find(std::string(f));
    return it == strings.end() ? std::vector<std::string>{} : it->second;
  }
  std::optional<absl::Time> Time(absl::string_view f) const override {
    auto it = times.find(std::string(f));
    if (it == times.end()) return std::nullopt;
    return it->second;
  }
};

TEST(FilterTest, EvaluatesAgainstAResource) {
  MapSource src;
  src.strings["state"] = {"PUBLISHED"};
  src.strings["tags"] = {"zdrowie", "Kazachstan"};
  src.times["publish_time"] = absl::FromUnixSeconds(1525132800);  // 2018-05-01
  const auto eval = [&](const char* f) {
    auto node = ParseFilter(f, TestSchema());
    EXPECT_TRUE(node.ok()) << node.status();
    return Matches(*node, src);
  };
  EXPECT_TRUE(eval(""));
  EXPECT_TRUE(eval("tags:zdrowie"));
  EXPECT_FALSE(eval("tags:sport"));
  EXPECT_TRUE(eval("-tags:sport AND state = PUBLISHED"));
  EXPECT_TRUE(eval("tags:sport OR tags:Kazachstan"));
  EXPECT_TRUE(eval("publish_time >= 2018-05-01 AND publish_time < 2018-06-01"));
  EXPECT_FALSE(eval("publish_time > 2018-05-01"));
  EXPECT_FALSE(eval("language = \"pl\""));
  EXPECT_TRUE(eval("language != \"pl\""));
  src.times.clear();
  EXPECT_FALSE(eval("publish_time < 2030-01-01")) << "an unset time matches no ordering comparison";
}

TEST(FilterTest, RequiredRestrictionsAreTheTopLevelConjuncts) {
  auto node = ParseFilter("tags:a AND (state = DRAFT) AND (tags:b OR tags:c)", TestSchema());
  ASSERT_TRUE(node.ok());
  auto req = RequiredRestrictions(*node);
  ASSERT_EQ(req.size(), 2u);
  EXPECT_EQ(req[0]->field, "tags");
  EXPECT_EQ(req[1]->field, "state");
  auto single = ParseFilter("tags:a", TestSchema());
  EXPECT_EQ(RequiredRestrictions(*single).size(), 1u);
  auto either = ParseFilter("tags:a OR tags:b", TestSchema());
  EXPECT_TRUE(RequiredRestrictions(*either).empty());
}

}  // namespace
}  // namespace newsdesk::query
