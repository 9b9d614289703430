#include "services/common/status.h"

#include <gtest/gtest.h>

namespace newsdesk {
namespace {

TEST(StatusMappingTest, KeepsCodeAndMessageForClientErrors) {
  const std::vector<absl::Status> cases = {
      absl::InvalidArgumentError("article.title: required"),
      absl::NotFoundError("articles/x not found"),
      absl::AlreadyExistsError("articles/x already exists"),
      absl::AbortedError("etag of articles/x does not match"),
      absl::FailedPreconditionError("articles/x is deleted"),
      absl::UnauthenticatedError("missing token"),
      absl::PermissionDeniedError("editor role required"),
      absl::ResourceExhaustedError("the data volume is full"),
      absl::UnavailableError("storage I/O error"),
      absl::DeadlineExceededError("content service too slow"),
      absl::OutOfRangeError("resume token expired"),
      absl::DataLossError("stored article articles/x is unreadable"),
  };
  for (const auto& st : cases) {
    grpc::Status g = ToGrpcStatus(st);
    EXPECT_EQ(static_cast<int>(g.error_code()), static_cast<int>(st.code())) << st;
    EXPECT_EQ(g.error_message(), std::string(st.message()));
  }
}

TEST(StatusMappingTest, HidesInternalDetail) {
  for (const auto& st : {absl::InternalError("rocksdb: /var/secret/path CURRENT missing"),
                         absl::UnknownError("boom at 0xdeadbeef")}) {
    grpc::Status g = ToGrpcStatus(st);
    EXPECT_EQ(static_cast<int>(g.error_code()), static_cast<int>(st.code()));
    EXPECT_EQ(g.error_message().find("/var/secret"), std::string::npos);
    EXPECT_EQ(g.error_message().find("0xdeadbeef"), std::string::npos);
    EXPECT_NE(g.error_message().find("logged as ref"), std::string::npos);
  }
}

TEST(StatusMappingTest, OkStaysOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

}  // namespace
}  // namespace newsdesk
