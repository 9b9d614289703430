// Finishing a unary callback call with a result computed on the calling
// thread (Reply) or on a work queue (ReplyFrom).
#pragma once

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "absl/status/statusor.h"
#include "services/common/status.h"
#include "services/common/work_queue.h"

namespace newsdesk {

// Finishes `reactor` with `result` (copied into `response` when OK).
template <typename Response>
void FinishWith(grpc::ServerUnaryReactor* reactor, absl::StatusOr<Response> result, Response* response) {
  if (result.ok()) {
    *response = *std::move(result);
    reactor->Finish(grpc::Status::OK);
  } else {
    reactor->Finish(ToGrpcStatus(result.status()));
  }
}

template <typename Response>
grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context, absl::StatusOr<Response> result,
                                Response* response) {
  auto* reactor = context->DefaultReactor();
  FinishWith(reactor, std::move(result), response);
  return reactor;
}

// Runs `task` on `work`, or right here without a work queue (nullptr).
inline void RunOn(WorkQueue* work, std::function<void()> task) {
  if (work == nullptr) {
    task();
  } else {
    work->Schedule(std::move(task));
  }
}

// Computes the result on `work` and finishes the call from there, for
// handlers that wait on storage (synced writes, scans, search). `compute`
// runs while the call is alive: the request, response and context it
// captures stay valid until the reactor finishes. Without a work queue
// (nullptr) it runs on the calling thread.
template <typename Response, typename Compute>
grpc::ServerUnaryReactor* ReplyFrom(WorkQueue* work, grpc::CallbackServerContext* context, Response* response,
                                    Compute compute) {
  if (work == nullptr) return Reply(context, compute(), response);
  auto* reactor = context->DefaultReactor();
  work->Schedule([reactor, response, compute = std::move(compute)]() mutable {
    FinishWith<Response>(reactor, compute(), response);
  });
  return reactor;
}

}  // namespace newsdesk
