#include "services/common/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace newsdesk {
namespace {
constexpr char kVersion = 1;
constexpr size_t kMacBytes = 16;
constexpr size_t kMaxTokenChars = 1024;
}  // namespace

PageTokenCodec::PageTokenCodec(std::string secret) : secret_(std::move(secret)) {}

std::string PageTokenCodec::Mac(absl::string_view collection, absl::string_view query,
                                absl::string_view cursor) const {
  std::string input;
  // Length prefixes keep (collection, query, cursor) boundaries unambiguous.
  for (absl::string_view part : {collection, query, cursor}) {
    absl::StrAppend(&input, part.size(), ":", part);
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len);
  return std::string(reinterpret_cast<char*>(mac), kMacBytes);
}

std::string PageTokenCodec::Encode(absl::string_view collection, absl::string_view query,
                                   absl::string_view cursor) const {
  std::string raw(1, kVersion);
  raw.append(cursor.data(), cursor.size());
  raw.append(Mac(collection, query, cursor));
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::string> PageTokenCodec::Decode(absl::string_view collection, absl::string_view query,
                                                   absl::string_view token) const {
  std::string raw;
  if (token.size() > kMaxTokenChars || !absl::WebSafeBase64Unescape(token, &raw) ||
      raw.size() < 1 + kMacBytes || raw[0] != kVersion) {
    return absl::InvalidArgumentError("page_token: malformed; pass the next_page_token of a previous response");
  }
  std::string cursor = raw.substr(1, raw.size() - 1 - kMacBytes);
  const std::string expected = Mac(collection, query, cursor);
  if (CRYPTO_memcmp(expected.data(), raw.data() + raw.size() - kMacBytes, kMacBytes) != 0) {
    return absl::InvalidArgumentError(
        "page_token: not issued for this collection and these request parameters (or altered)");
  }
  return cursor;
}

}  // namespace newsdesk
