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

}  // namespace newsdesk
