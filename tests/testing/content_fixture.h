// An in-process content server on 127.0.0.1:0 with real storage in a temp
// dir, and a client stub with deadlines. Stopped when the fixture ends.
#pragma once

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <memory>

#include "newsdesk/content/v1/content_service.grpc.pb.h"
#include <fstream>

#include "absl/strings/escaping.h"
#include "services/common/auth.h"
#include "services/common/server.h"
#include "services/content/content_access.h"
#include "services/content/content_service.h"
#include "tests/testing/temp_dir.h"

namespace newsdesk::testing {

// Bearer tokens of each role, written (as hashes) to a token file.
struct TestTokens {
  static constexpr char kEditor[] = "editor-token-0123456789";
  static constexpr char kAdmin[] = "admin-token-0123456789";
  static constexpr char kService[] = "service-token-0123456789";

  static const char* For(Role role) {
    switch (role) {
      case Role::kEditor: return kEditor;
      case Role::kAdmin: return kAdmin;
      case Role::kService: return kService;
      default: return nullptr;
    }
  }

  // Writes the token file and returns its path.
  static std::string Write(const std::string& path) {
    std::ofstream out(path);
    out << "# test tokens\n";
    out << "sha256:" << absl::BytesToHexString(TokenHash(kEditor)) << " editor redakcja\n";
    out << "sha256:" << absl::BytesToHexString(TokenHash(kAdmin)) << " admin administrator\n";
    out << "sha256:" << absl::BytesToHexString(TokenHash(kService)) << " service events-service\n";
    return path;
  }
};

class ContentServerFixture : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}, const content::ContentBackendOptions& backend_options = {}) {
    auto backend = content::ContentBackend::Open(dir_.path(), &clock_, backend_options);
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *std::move(backend);
    if (options.listen.empty()) options.listen = "127.0.0.1:0";
    options.shutdown_grace = absl::Seconds(2);
    options.auth_tokens_file = TestTokens::Write(dir_.Sub("tokens"));
    auto server = GrpcServer::Start(options, {{content::v1::ContentService::service_full_name(), backend_->service(),
                                               content::ContentAccessPolicy()}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    stub_ = content::v1::ContentService::NewStub(channel_);
  }

  void SetUp() override { StartServer(); }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
    server_.reset();
    backend_.reset();
  }

  // A call context with a deadline and the bearer token of `role` (editor
  // by default; kAnonymous sends none).
  std::unique_ptr<grpc::ClientContext> Context(Role role = Role::kEditor) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (const char* token = TestTokens::For(role); token != nullptr) {
      ctx->AddMetadata("authorization", std::string("Bearer ") + token);
    }
    return ctx;
  }

  TempDir dir_;
  FakeClock clock_{absl::FromUnixSeconds(1525132800)};
  std::unique_ptr<content::ContentBackend> backend_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<content::v1::ContentService::Stub> stub_;
};

}  // namespace newsdesk::testing
