#include "storage/kv/key_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace newsdesk::kv {
namespace {

TEST(KeyCodecTest, U64RoundTripsAndOrders) {
  const std::vector<uint64_t> values = {0, 1, 255, 256, 65535, uint64_t{1} << 32, std::numeric_limits<uint64_t>::max()};
  std::vector<std::string> encoded;
  for (uint64_t v : values) {
    std::string s;
    AppendU64(&s, v);
    ASSERT_EQ(s.size(), 8u);
    KeyReader r(s);
    uint64_t back = 0;
    ASSERT_TRUE(r.ReadU64(&back));
    EXPECT_EQ(back, v);
    EXPECT_TRUE(r.empty());
    encoded.push_back(s);
  }
  EXPECT_TRUE(std::is_sorted(encoded.begin(), encoded.end()));
}

TEST(KeyCodecTest, I64RoundTripsAndOrdersAcrossZero) {
  const std::vector<int64_t> values = {std::numeric_limits<int64_t>::min(), -1000000, -1, 0, 1, 42,
                                       std::numeric_limits<int64_t>::max()};
  std::vector<std::string> encoded;
  for (int64_t v : values) {
    std::string s;
    AppendI64(&s, v);
    KeyReader r(s);
    int64_t back = 0;
    ASSERT_TRUE(r.ReadI64(&back));
    EXPECT_EQ(back, v);
    encoded.push_back(s);
  }
  EXPECT_TRUE(std::is_sorted(encoded.begin(), encoded.end()));
}

TEST(KeyCodecTest, NegatedTimesSortNewestFirst) {
  std::string older, newer;
  AppendI64(&older, -1000);
  AppendI64(&newer, -2000);
  EXPECT_LT(newer, older);
}

TEST(KeyCodecTest, U32RoundTripsAndOrders) {
  std::string a, b;
  AppendU32(&a, 7);
  AppendU32(&b, 70000);
  EXPECT_LT(a, b);
  KeyReader r(b);
  uint32_t v = 0;
  ASSERT_TRUE(r.ReadU32(&v));
  EXPECT_EQ(v, 70000u);
}

TEST(KeyCodecTest, LengthPrefixedRoundTripsWithEmbeddedZeros) {
  std::string s;
  const std::string part("a\0b", 3);
  AppendLengthPrefixed(&s, part);
  AppendU64(&s, 9);
  KeyReader r(s);
  absl::string_view back;
  ASSERT_TRUE(r.ReadLengthPrefixed(&back));
  EXPECT_EQ(std::string(back), part);
  uint64_t n = 0;
  ASSERT_TRUE(r.ReadU64(&n));
  EXPECT_EQ(n, 9u);
}

TEST(KeyCodecTest, LengthPrefixedOrdersByLengthThenBytes) {
  std::string short_key, long_key, short_key2;
  AppendLengthPrefixed(&short_key, "zz");
  AppendLengthPrefixed(&long_key, "aaa");
  AppendLengthPrefixed(&short_key2, "zy");
  EXPECT_LT(short_key, long_key);
  EXPECT_LT(short_key2, short_key);
}

TEST(KeyCodecTest, ReaderRejectsShortInput) {
  KeyReader r(absl::string_view("\x01\x02\x03", 3));
  uint64_t v = 0;
  EXPECT_FALSE(r.ReadU64(&v));
  uint32_t w = 0;
  EXPECT_FALSE(r.ReadU32(&w));
  absl::string_view s;
  KeyReader r2(absl::string_view("\x00\x05" "ab", 4));
  EXPECT_FALSE(r2.ReadLengthPrefixed(&s));
  EXPECT_EQ(r2.rest().size(), 4u);
}

TEST(KeyCodecTest, PrefixSuccessorBoundsAPrefixScan) {
  EXPECT_EQ(PrefixSuccessor("ab"), "ac");
  EXPECT_EQ(PrefixSuccessor(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixSuccessor(std::string("\xff\xff", 2)), "");
  const std::string p = "\x01";
  const std::string inside = p + std::string("\xff\xff\xff", 3);
  EXPECT_LT(inside, PrefixSuccessor(p));
  EXPECT_GE(std::string("\x02"), PrefixSuccessor(p));
}

}  // namespace
}  // namespace newsdesk::kv
