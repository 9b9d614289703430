// Test helpers for newsdeskctl: a Transport that answers from a function,
// the test API's descriptor pool, and a way to run a whole command line.
#pragma once

#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>

#include "absl/status/status.h"
#include "tools/newsdeskctl/ctl.h"
#include "tools/newsdeskctl/schema.h"
#include "tools/newsdeskctl/transport.h"

namespace newsdesk::ctl::testing {

// One call the fake transport saw.
struct RecordedCall {
  std::string target;
  std::string method;  // "/package.Service/Method"
  std::vector<std::string> requests;  // serialized
};

// Answers a call: fills `responses` (serialized) and returns the status.
using Handler = std::function<absl::Status(const RecordedCall& call, std::vector<std::string>* responses)>;

// A Transport that hands each call, once its requests are all written, to
// a Handler. Records every call and the connection options it was made
// with.
class FakeTransport : public Transport {
 public:
  struct State {
    Handler handler;
    std::vector<RecordedCall> calls;
    ConnectionOptions options;
  };

  explicit FakeTransport(std::shared_ptr<State> state) : state_(std::move(state)) {}

  absl::StatusOr<std::unique_ptr<Stream>> Open(const std::string& target, const std::string& method) override {
    state_->calls.push_back({target, method, {}});
    return std::unique_ptr<Stream>(new FakeStream(state_, state_->calls.size() - 1));
  }

 private:
  class FakeStream : public Stream {
   public:
    FakeStream(std::shared_ptr<State> state, size_t index) : state_(std::move(state)), index_(index) {}
    bool Write(const std::string& message) override {
      state_->calls[index_].requests.push_back(message);
      return true;
    }
    bool WritesDone() override { return true; }
    bool Read(std::string* message) override {
      if (!answered_) {
        answered_ = true;
        status_ = state_->handler(state_->calls[index_], &responses_);
      }
      if (next_ >= responses_.size()) return false;
      *message = responses_[next_++];
      return true;
    }
    absl::Status Finish() override { return status_; }

   private:
    std::shared_ptr<State> state_;
    size_t index_;
    bool answered_ = false;
    std::vector<std::string> responses_;
    size_t next_ = 0;
    absl::Status status_;
  };

  std::shared_ptr<State> state_;
};

// The test API (tools/newsdeskctl/testing/*.proto) in a pool of its own,
// loaded from the descriptor set the build makes.
class TestApi {
 public:
  TestApi() {
    std::ifstream in(NEWSDESKCTL_TEST_DESCRIPTORS, std::ios::binary);
    google::protobuf::FileDescriptorSet set;
    if (!set.ParseFromIstream(&in)) std::abort();
    for (const auto& file : set.file()) {
      const google::protobuf::FileDescriptor* built = pool_.BuildFile(file);
      if (built == nullptr) std::abort();
      if (file.package().find("testing") != std::string::npos) files_.push_back(built);
    }
    schema_ = Schema::FromFiles(files_);
  }
  const Schema& schema() const { return *schema_; }
  const google::protobuf::Descriptor* Type(const std::string& name) const {
    return pool_.FindMessageTypeByName(name);
  }

 private:
  google::protobuf::DescriptorPool pool_;
  std::vector<const google::protobuf::FileDescriptor*> files_;
  std::unique_ptr<Schema> schema_;
};

// Serialized `json` as a message of `type` (a full name) from `schema`'s pool.
inline std::string Encode(const Schema& schema, const google::protobuf::Descriptor* type, const std::string& json) {
  auto message = schema.New(type);
  if (!ParseJson(json, message.get(), "test JSON").ok()) std::abort();
  return message->SerializeAsString();
}

// `bytes` of `type` as JSON with proto field names.
inline std::string Decode(const Schema& schema, const google::protobuf::Descriptor* type, const std::string& bytes) {
  auto message = schema.New(type);
  if (!message->ParseFromString(bytes)) return "<unparsable>";
  return *ToJson(*message, JsonOutput{.proto_names = true});
}

// What a command line printed and returned.
struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs newsdeskctl with a fake transport.
inline Outcome RunWith(const Schema& schema, std::shared_ptr<FakeTransport::State> state,
                       const std::vector<std::string>& argv, const std::string& input = "",
                       const std::map<std::string, std::string>& environment = {}) {
  std::istringstream in(input);
  std::ostringstream out, err;
  Environment env;
  env.schema = &schema;
  env.make_transport = [state](const ConnectionOptions& options) -> absl::StatusOr<std::unique_ptr<Transport>> {
    state->options = options;
    return std::unique_ptr<Transport>(new FakeTransport(state));
  };
  env.in = &in;
  env.out = &out;
  env.err = &err;
  env.getenv = [environment](const std::string& name) -> std::optional<std::string> {
    auto it = environment.find(name);
    if (it == environment.end()) return std::nullopt;
    return it->second;
  };
  Outcome outcome;
  outcome.code = Run(argv, env);
  outcome.out = out.str();
  outcome.err = err.str();
  return outcome;
}

}  // namespace newsdesk::ctl::testing
