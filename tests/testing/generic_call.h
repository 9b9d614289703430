// Calls any method with request messages given as raw wire bytes, as a
// generic stream, reads whatever comes back and returns the final status and
// the responses' bytes: the same code for unary and streaming methods, for
// tests that sweep every method of a service and for bytes no generated
// client would send (invalid UTF-8, malformed protobuf).
#pragma once

#include <grpcpp/generic/generic_stub.h>

#include <memory>
#include <string>
#include <vector>

namespace newsdesk::testing {

struct RawReply {
  grpc::Status status;
  // Each response message's bytes, in order.
  std::vector<std::string> responses;
};

// Sends `messages` in order (one for unary and server-streaming methods,
// any number for client streams), half-closes, reads up to `max_responses`
// responses and finishes. A write the server no longer takes (it already
// answered) ends the sending early; the status tells why.
inline RawReply CallRaw(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                        grpc::ClientContext* ctx, const std::vector<std::string>& messages,
                        int max_responses = 1000) {
  grpc::GenericStub generic(channel);
  grpc::CompletionQueue cq;
  auto call = generic.PrepareCall(ctx, method, &cq);
  void* tag;
  bool ok;
  RawReply reply;
  call->StartCall(reinterpret_cast<void*>(1));
  cq.Next(&tag, &ok);
  bool open = ok;
  for (const std::string& message : messages) {
    if (!open) break;
    grpc::Slice slice(message);
    grpc::ByteBuffer request(&slice, 1);
    call->Write(request, reinterpret_cast<void*>(2));
    cq.Next(&tag, &ok);
    open = ok;
  }
  if (open) {
    call->WritesDone(reinterpret_cast<void*>(3));
    cq.Next(&tag, &ok);
  }
  for (int i = 0; i < max_responses; ++i) {
    grpc::ByteBuffer response;
    call->Read(&response, reinterpret_cast<void*>(4));
    cq.Next(&tag, &ok);
    if (!ok) break;
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (response.Dump(&slices).ok()) {
      for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    reply.responses.push_back(std::move(bytes));
  }
  call->Finish(&reply.status, reinterpret_cast<void*>(5));
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return reply;
}

// One empty request message.
inline grpc::Status CallWithEmptyRequest(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                                         grpc::ClientContext* ctx) {
  return CallRaw(channel, method, ctx, {std::string()}).status;
}

}  // namespace newsdesk::testing
