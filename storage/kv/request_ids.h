// Idempotent creates (AIP-155): the stored first response to a request id.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/kv/database.h"

namespace newsdesk::kv {

// The response stored under `key` (a value written with EncodeExpiring) if
// it has not expired at `now`; nullopt otherwise. Errors: UNAVAILABLE
// (storage), DATA_LOSS (an unreadable stored response).
template <typename Message>
absl::StatusOr<std::optional<Message>> FindRequestResponse(const Database& db, CfId cf, absl::string_view key,
                                                           absl::Time now, absl::string_view request_id) {
  auto seen = db.Get(cf, key);
  if (!seen.ok()) return seen.status();
  if (!seen->has_value()) return std::optional<Message>();
  auto payload = DecodeExpiring(**seen, now);
  if (!payload.has_value()) return std::optional<Message>();
  Message first;
  if (!first.ParseFromArray(payload->data(), static_cast<int>(payload->size()))) {
    return absl::DataLossError(absl::StrCat("stored response for request_id ", request_id, " is unreadable"));
  }
  return std::optional<Message>(std::move(first));
}

}  // namespace newsdesk::kv
