// Opaque page tokens (AIP-158).
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace newsdesk {

// Wraps a storage cursor in a token that is bound to one collection and one
// query (the request fields that shape the listing, e.g. show_deleted) and
// signed with HMAC-SHA-256 under a per-database secret. A token that was
// garbled, forged, or issued for another collection or query is refused, so
// a client can never steer a scan to keys outside its collection. Thread-safe.
class PageTokenCodec {
 public:
  explicit PageTokenCodec(std::string secret);

  std::string Encode(absl::string_view collection, absl::string_view query, absl::string_view cursor) const;

  // Returns the cursor. Errors: INVALID_ARGUMENT naming page_token.
  absl::StatusOr<std::string> Decode(absl::string_view collection, absl::string_view query,
                                     absl::string_view token) const;

 private:
  std::string Mac(absl::string_view collection, absl::string_view query, absl::string_view cursor) const;
  std::string secret_;
};

}  // namespace newsdesk
