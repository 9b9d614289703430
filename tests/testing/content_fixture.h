// An in-process content server on 127.0.0.1:0 with real storage in a temp
// dir, and a client stub with deadlines. Stopped when the fixture ends.
#pragma once

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <memory>

#include "newsdesk/content/v1/content_service.grpc.pb.h"
#include "services/common/server.h"
#include "services/content/content_service.h"
#include "tests/testing/temp_dir.h"

namespace newsdesk::testing {

class ContentServerFixture : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    auto backend = content::ContentBackend::Open(dir_.path(), &clock_);
    ASSERT_TRUE(backend.ok()) << backend.status();
    backend_ = *std::move(backend);
    if (options.listen.empty()) options.listen = "127.0.0.1:0";
    options.shutdown_grace = absl::Seconds(2);
    auto server = GrpcServer::Start(
        options, {{content::v1::ContentService::service_full_name(), backend_->service()}});
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

  std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
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
