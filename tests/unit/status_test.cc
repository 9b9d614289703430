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

TEST(StatusMappingTest, MessagesEchoingClientInputStayReadable) {
  const std::string nul = std::string("order_by: \"create_time") + '\0' + "\" is not supported";
  EXPECT_EQ(ToGrpcStatus(absl::InvalidArgumentError(nul)).error_message(),
            "order_by: \"create_time\\x00\" is not supported");
  EXPECT_EQ(ClientMessage("filter: \"a\x01\x7f\""), "filter: \"a\\x01\\x7f\"");
  // Invalid UTF-8 byte by byte; valid multi-byte characters stay.
  EXPECT_EQ(ClientMessage("ż\xc3\x28ł\xff"), "ż\\xc3(ł\\xff");
  EXPECT_EQ(ClientMessage("name: \xe2\x82"), "name: \\xe2\\x82");
  // Long messages are cut at a character boundary.
  const std::string cut = ClientMessage(std::string(600, 'a') + std::string(600, '\x01'));
  EXPECT_LE(cut.size(), kMaxClientMessageBytes + 3);
  EXPECT_EQ(cut.substr(cut.size() - 3), "\xe2\x80\xa6");
  EXPECT_EQ(ClientMessage(std::string(2000, 'x')).size(), kMaxClientMessageBytes + 3);
  EXPECT_EQ(ClientMessage(std::string(300, '\xc5')).substr(0, 8), "\\xc5\\xc5");
}

TEST(StatusMappingTest, OkStaysOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

}  // namespace
}  // namespace newsdesk
