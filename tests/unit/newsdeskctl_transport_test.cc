// newsdeskctl's gRPC transport on the real gRPC stack: an in-process server
// (no sockets) with a generic callback service, so every streaming kind,
// the bearer token, deadlines and status codes go through grpc::GenericStub
// exactly as against a real server.
#include <filesystem>
#include <fstream>
#include <mutex>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tools/newsdeskctl/errors.h"
#include "tools/newsdeskctl/testing/fakes.h"
#include "tools/newsdeskctl/transport.h"

namespace newsdesk::ctl {
namespace {

namespace pb = google::protobuf;

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// What the test server saw.
struct Seen {
  std::mutex mu;
  std::string authorization;
  std::vector<std::string> requests;
};

// Answers by method name: ".../Echo" writes every request back, ".../Fail"
// fails with NOT_FOUND, ".../Slow" never answers (until cancelled), and the
// test API's UploadPhoto / DownloadPhoto behave like a photo store holding
// `photo_bytes`.
class TestReactor : public grpc::ServerGenericBidiReactor {
 public:
  TestReactor(grpc::GenericCallbackServerContext* context, Seen* seen, const testing::TestApi* api,
              const std::string* photo_bytes)
      : method_(context->method()), seen_(seen), api_(api), photo_bytes_(photo_bytes) {
    auto auth = context->client_metadata().find("authorization");
    std::lock_guard<std::mutex> lock(seen_->mu);
    seen_->authorization = auth == context->client_metadata().end()
                               ? ""
                               : std::string(auth->second.data(), auth->second.size());
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (ok) {
      received_.push_back(ToString(in_));
      {
        std::lock_guard<std::mutex> lock(seen_->mu);
        seen_->requests.push_back(received_.back());
      }
      StartRead(&in_);
      return;
    }
    // The client has half-closed: answer.
    if (absl::EndsWith(method_, "/Slow")) return;  // OnCancel finishes
    if (absl::EndsWith(method_, "/Fail")) return Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "nic tu nie ma"));
    if (absl::EndsWith(method_, "/UploadPhoto")) {
      std::string data;
      auto request = api_->schema().New(api_->Type("newsdesk.media.testing.UploadPhotoRequest"));
      std::string parent;
      for (const std::string& bytes : received_) {
        request->ParseFromString(bytes);
        data += StringAt(*request, "chunk");
        if (parent.empty()) parent = *ToJson(*request, {});
      }
      outgoing_.push_back(testing::Encode(
          api_->schema(), api_->Type("newsdesk.media.testing.Photo"),
          absl::StrCat(R"({"name": "galleries/g/photos/p", "sizeBytes": ")", data.size(), R"(", "caption": )",
                       JsonQuote(parent), "}")));
      if (data != *photo_bytes_) return Finish(grpc::Status(grpc::StatusCode::DATA_LOSS, "bytes differ"));
    } else if (absl::EndsWith(method_, "/DownloadPhoto")) {
      const auto* type = api_->Type("newsdesk.media.testing.DownloadPhotoResponse");
      outgoing_.push_back(testing::Encode(
          api_->schema(), type,
          absl::StrCat(R"({"photo": {"name": "galleries/g/photos/p", "sizeBytes": ")", photo_bytes_->size(), R"("}})")));
      for (size_t at = 0; at < photo_bytes_->size(); at += 1 << 20) {
        auto chunk = api_->schema().New(type);
        chunk->GetReflection()->SetString(chunk.get(), type->FindFieldByName("chunk"),
                                          photo_bytes_->substr(at, 1 << 20));
        outgoing_.push_back(chunk->SerializeAsString());
      }
    } else {
      outgoing_ = received_;  // Echo
    }
    WriteNext();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
    WriteNext();
  }

  void OnCancel() override {
    if (absl::EndsWith(method_, "/Slow")) Finish(grpc::Status::CANCELLED);
  }

  void OnDone() override { delete this; }

 private:
  static std::string StringAt(const pb::Message& m, const std::string& field) {
    const pb::FieldDescriptor* f = m.GetDescriptor()->FindFieldByName(field);
    return m.GetReflection()->GetString(m, f);
  }

  void WriteNext() {
    if (next_ == outgoing_.size()) return Finish(grpc::Status::OK);
    out_ = ToBuffer(outgoing_[next_++]);
    StartWrite(&out_);
  }

  std::string method_;
  Seen* seen_;
  const testing::TestApi* api_;
  const std::string* photo_bytes_;
  grpc::ByteBuffer in_, out_;
  std::vector<std::string> received_, outgoing_;
  size_t next_ = 0;
};

class TestService : public grpc::CallbackGenericService {
 public:
  TestService(Seen* seen, const testing::TestApi* api, const std::string* photo_bytes)
      : seen_(seen), api_(api), photo_bytes_(photo_bytes) {}
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* context) override {
    return new TestReactor(context, seen_, api_, photo_bytes_);
  }

 private:
  Seen* seen_;
  const testing::TestApi* api_;
  const std::string* photo_bytes_;
};

class NewsdeskctlTransportTest : public ::testing::Test {
 protected:
  NewsdeskctlTransportTest() : service_(&seen_, &api_, &photo_bytes_) {
    // 2.5 MiB: three chunks of at most 1 MiB each way.
    photo_bytes_.resize((5 << 20) / 2);
    for (size_t i = 0; i < photo_bytes_.size(); ++i) photo_bytes_[i] = static_cast<char>((i * 31) >> 3);
    grpc::ServerBuilder builder;
    builder.RegisterCallbackGenericService(&service_);
    builder.SetMaxReceiveMessageSize(8 << 20);
    server_ = builder.BuildAndStart();
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(8 << 20);
    channel_ = server_->InProcessChannel(args);
  }
  ~NewsdeskctlTransportTest() override { server_->Shutdown(); }

  std::unique_ptr<Stream> Open(const std::string& method, ConnectionOptions options = {}) {
    transport_ = std::make_unique<GrpcTransport>(options, channel_);
    return *transport_->Open("ignored:1", method);
  }

  testing::Outcome Ctl(const std::vector<std::string>& argv) {
    std::istringstream in;
    std::ostringstream out, err;
    Environment env;
    env.schema = &api_.schema();
    env.make_transport = [this](const ConnectionOptions& options) -> absl::StatusOr<std::unique_ptr<Transport>> {
      return std::unique_ptr<Transport>(new GrpcTransport(options, channel_));
    };
    env.in = &in;
    env.out = &out;
    env.err = &err;
    testing::Outcome o;
    o.code = ctl::Run(argv, env);
    o.out = out.str();
    o.err = err.str();
    return o;
  }

  Seen seen_;
  testing::TestApi api_;
  std::string photo_bytes_;
  TestService service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<GrpcTransport> transport_;
};

TEST_F(NewsdeskctlTransportTest, StreamsRequestsAndResponsesWithTheBearerToken) {
  ConnectionOptions options;
  options.token = "sekret-123";
  auto stream = Open("/test.Test/Echo", options);
  ASSERT_TRUE(stream->Write("jeden"));
  ASSERT_TRUE(stream->Write("dwa"));
  ASSERT_TRUE(stream->WritesDone());
  std::string message;
  std::vector<std::string> got;
  while (stream->Read(&message)) got.push_back(message);
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(got, (std::vector<std::string>{"jeden", "dwa"}));
  std::lock_guard<std::mutex> lock(seen_.mu);
  EXPECT_EQ(seen_.authorization, "Bearer sekret-123");
}

TEST_F(NewsdeskctlTransportTest, AnonymousCallsSendNoAuthorization) {
  auto stream = Open("/test.Test/Echo");
  stream->WritesDone();
  std::string message;
  EXPECT_FALSE(stream->Read(&message));
  EXPECT_TRUE(stream->Finish().ok());
  std::lock_guard<std::mutex> lock(seen_.mu);
  EXPECT_EQ(seen_.authorization, "");
}

TEST_F(NewsdeskctlTransportTest, ServerStatusIsReturned) {
  auto stream = Open("/test.Test/Fail");
  stream->Write("x");
  stream->WritesDone();
  std::string message;
  EXPECT_FALSE(stream->Read(&message));
  absl::Status status = stream->Finish();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "nic tu nie ma");
}

TEST_F(NewsdeskctlTransportTest, DeadlineExceeded) {
  ConnectionOptions options;
  options.timeout = absl::Milliseconds(200);
  auto stream = Open("/test.Test/Slow", options);
  stream->Write("x");
  stream->WritesDone();
  std::string message;
  EXPECT_FALSE(stream->Read(&message));
  EXPECT_EQ(stream->Finish().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(NewsdeskctlTransportTest, NoDeadlineWhenTimeoutIsInfinite) {
  ConnectionOptions options;
  options.timeout = absl::InfiniteDuration();
  auto stream = Open("/test.Test/Echo", options);
  ASSERT_TRUE(stream->Write("bez limitu"));
  ASSERT_TRUE(stream->WritesDone());
  std::string message;
  ASSERT_TRUE(stream->Read(&message));
  EXPECT_EQ(message, "bez limitu");
  EXPECT_FALSE(stream->Read(&message));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(NewsdeskctlTransportTest, AbandonedStreamIsCancelledCleanly) {
  auto stream = Open("/test.Test/Slow");
  stream->Write("x");
  stream.reset();  // no Finish: the destructor cancels and drains
}

TEST_F(NewsdeskctlTransportTest, UnreachableTargetIsUnavailable) {
  ConnectionOptions options;
  options.timeout = absl::Seconds(5);
  auto transport = GrpcTransport::Create(options);
  ASSERT_TRUE(transport.ok());
  auto stream = (*transport)->Open("unix:/nonexistent/newsdeskctl.sock", "/test.Test/Echo");
  ASSERT_TRUE(stream.ok());
  (*stream)->Write("x");
  (*stream)->WritesDone();
  std::string message;
  EXPECT_FALSE((*stream)->Read(&message));
  EXPECT_EQ((*stream)->Finish().code(), absl::StatusCode::kUnavailable);
}

TEST_F(NewsdeskctlTransportTest, TlsFilesMustBeReadable) {
  ConnectionOptions options;
  options.tls = true;
  options.tls_ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(ExitCodeFor(GrpcTransport::Create(options).status()), kExitNoInput);
}

TEST_F(NewsdeskctlTransportTest, UploadAndDownloadAPhotoThroughGrpc) {
  const std::string dir = ::testing::TempDir();
  const std::string source = dir + "/newsdeskctl_grpc_upload.png";
  std::ofstream(source, std::ios::binary) << photo_bytes_;
  testing::Outcome o = Ctl({"upload", "galleries/g", source, "--alt_text", "Wawel o świcie"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find(absl::StrCat("\"sizeBytes\":\"", photo_bytes_.size(), "\"")), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("Wawel o świcie"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("image/png"), std::string::npos) << o.out;
  {
    std::lock_guard<std::mutex> lock(seen_.mu);
    EXPECT_EQ(seen_.requests.size(), 4u);  // metadata + 3 chunks
  }

  const std::string target = dir + "/newsdeskctl_grpc_download.png";
  o = Ctl({"download", "galleries/g/photos/p", target});
  ASSERT_EQ(o.code, 0) << o.err;
  std::ifstream in(target, std::ios::binary);
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(contents == photo_bytes_) << contents.size() << " bytes";
  EXPECT_EQ(o.out, absl::StrCat("{\"photo\":{\"name\":\"galleries/g/photos/p\",\"sizeBytes\":\"", photo_bytes_.size(),
                                "\"}}\n"));
  std::filesystem::remove(source);
  std::filesystem::remove(target);
}

}  // namespace
}  // namespace newsdesk::ctl
