// Calls methods by descriptor: builds the gRPC path, picks the server by
// service, and moves messages through a Transport.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/newsdeskctl/schema.h"
#include "tools/newsdeskctl/transport.h"

namespace newsdesk::ctl {

// Where each service is served.
struct Targets {
  std::string content = "127.0.0.1:50051";  // content service, admin and anything not below
  std::string events = "127.0.0.1:50052";   // newsdesk.events.*
};

// Not thread-safe (the transport is not).
class Client {
 public:
  // Fills `request` with the next message to send; false when there are no
  // more. An error cancels the call.
  using NextRequest = std::function<absl::StatusOr<bool>(google::protobuf::Message* request)>;
  // Takes one response; an error cancels the call.
  using OnResponse = std::function<absl::Status(const google::protobuf::Message& response)>;

  Client(const Schema* schema, Transport* transport, Targets targets)
      : schema_(schema), transport_(transport), targets_(std::move(targets)) {}

  const Schema& schema() const { return *schema_; }

  // The address that serves `service`.
  std::string TargetFor(const google::protobuf::ServiceDescriptor* service) const;

  // Any kind of call: sends every message `next` gives, then passes each
  // response to `on_response`. Errors: the call's status, or the first error
  // from `next` / `on_response`; INTERNAL for a response that does not parse.
  absl::Status Call(const google::protobuf::MethodDescriptor* method, const NextRequest& next,
                    const OnResponse& on_response);

  // A unary call. Errors: as Call; INTERNAL when the server sent no response.
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Unary(const google::protobuf::MethodDescriptor* method,
                                                                   const google::protobuf::Message& request);

 private:
  const Schema* schema_;
  Transport* transport_;
  Targets targets_;
};

}  // namespace newsdesk::ctl
