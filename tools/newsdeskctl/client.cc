#include "tools/newsdeskctl/client.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace newsdesk::ctl {

namespace pb = google::protobuf;

std::string Client::TargetFor(const pb::ServiceDescriptor* service) const {
  if (absl::StartsWith(service->full_name(), "newsdesk.events.")) return targets_.events;
  return targets_.content;
}

absl::Status Client::Call(const pb::MethodDescriptor* method, const NextRequest& next,
                          const OnResponse& on_response) {
  const std::string path = absl::StrCat("/", method->service()->full_name(), "/", method->name());
  auto stream = transport_->Open(TargetFor(method->service()), path);
  if (!stream.ok()) return stream.status();
  bool writes_open = true;
  std::string bytes;
  while (true) {
    std::unique_ptr<pb::Message> request = schema_->New(method->input_type());
    auto more = next(request.get());
    if (!more.ok()) return more.status();  // destroying the stream cancels the call
    if (!*more) break;
    bytes.clear();
    if (!request->SerializeToString(&bytes)) {
      return absl::InvalidArgumentError(absl::StrCat("cannot serialize a ", method->input_type()->full_name()));
    }
    if (!(*stream)->Write(bytes)) {
      // The server has finished the call; Finish says why.
      writes_open = false;
      break;
    }
  }
  if (writes_open) (*stream)->WritesDone();
  while ((*stream)->Read(&bytes)) {
    std::unique_ptr<pb::Message> response = schema_->New(method->output_type());
    if (!response->ParseFromString(bytes)) {
      return absl::InternalError(
          absl::StrCat("the server's response is not a valid ", method->output_type()->full_name()));
    }
    if (auto st = on_response(*response); !st.ok()) return st;
  }
  return (*stream)->Finish();
}

absl::StatusOr<std::unique_ptr<pb::Message>> Client::Unary(const pb::MethodDescriptor* method,
                                                           const pb::Message& request) {
  bool sent = false;
  std::unique_ptr<pb::Message> response;
  absl::Status status = Call(
      method,
      [&](pb::Message* out) -> absl::StatusOr<bool> {
        if (sent) return false;
        out->CopyFrom(request);
        sent = true;
        return true;
      },
      [&](const pb::Message& in) {
        response.reset(in.New());
        response->CopyFrom(in);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  if (!response) return absl::InternalError(absl::StrCat(method->full_name(), ": the server sent no response"));
  return response;
}

}  // namespace newsdesk::ctl
