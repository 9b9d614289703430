#include "services/common/page_token.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"

namespace newsdesk {
namespace {

const std::string kSecret(32, 's');

TEST(PageTokenTest, RoundTripsBinaryCursors) {
  PageTokenCodec codec(kSecret);
  const std::string cursor("\x00\x7f\xff" "abc", 6);
  const std::string token = codec.Encode("articles", "live", cursor);
  auto back = codec.Decode("articles", "live", token);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, cursor);
  EXPECT_EQ(token.find_first_of("+/="), std::string::npos) << "URL-safe";
}

TEST(PageTokenTest, RejectsEveryAlteredByte) {
  PageTokenCodec codec(kSecret);
  const std::string token = codec.Encode("articles", "live", "cursor-bytes");
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string altered = raw;
    altered[i] ^= 0x01;
    auto st = codec.Decode("articles", "live", absl::WebSafeBase64Escape(altered)).status();
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << "byte " << i;
    EXPECT_NE(st.message().find("page_token"), absl::string_view::npos);
  }
}

TEST(PageTokenTest, RejectsTruncatedAndGarbledTokens) {
  PageTokenCodec codec(kSecret);
  const std::string token = codec.Encode("articles", "live", "cursor-bytes");
  for (const std::string& bad : {token.substr(0, token.size() - 3), std::string("not base64 !!"),
                                 std::string(""), std::string("AA"), std::string(5000, 'A')}) {
    EXPECT_EQ(codec.Decode("articles", "live", bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(PageTokenTest, IsBoundToCollectionQueryAndSecret) {
  PageTokenCodec codec(kSecret);
  const std::string token = codec.Encode("articles", "live", "c");
  EXPECT_EQ(codec.Decode("galleries", "live", token).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(codec.Decode("articles", "show_deleted", token).status().code(), absl::StatusCode::kInvalidArgument);
  PageTokenCodec other(std::string(32, 't'));
  EXPECT_EQ(other.Decode("articles", "live", token).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace newsdesk
