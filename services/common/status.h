// The one mapping from absl::Status to grpc::Status.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace newsdesk {

// Codes map one to one (they share numbers). INTERNAL and UNKNOWN are logged
// with their detail and reach the client with a generic message and a log
// reference; DATA_LOSS is logged too. Every other status keeps its message,
// which names the field or resource.
grpc::Status ToGrpcStatus(const absl::Status& status);

// A status message as a client may read it. Messages echo client input
// (names, filters, paths), which may hold NUL bytes, control characters or,
// from paths that bypass protobuf's UTF-8 check, invalid UTF-8: each such
// byte becomes "\xNN". Longer than kMaxClientMessageBytes → cut at a
// character boundary and ended with "…". ToGrpcStatus applies it to every
// message it passes on.
inline constexpr size_t kMaxClientMessageBytes = 1024;
std::string ClientMessage(absl::string_view message);

}  // namespace newsdesk
