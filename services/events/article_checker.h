// Checks that the articles an event cites exist in the content service.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/channel.h>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "newsdesk/content/v1/content_service.grpc.pb.h"

namespace newsdesk::events {

// Thread-safe.
class ArticleChecker {
 public:
  virtual ~ArticleChecker() = default;

  // Checks every article name (already well-formed) and calls `done`
  // exactly once, on some thread, possibly before returning, with: OK;
  // FAILED_PRECONDITION naming a missing or deleted article;
  // UNAVAILABLE when the content service cannot be reached;
  // DEADLINE_EXCEEDED when it does not answer before the deadline, which is
  // min(caller_deadline - margin, now + cap).
  virtual void Check(std::vector<std::string> names, absl::Time caller_deadline,
                     std::function<void(absl::Status)> done) = 0;
};

struct ContentClientOptions {
  // host:port of the content service.
  std::string target = "127.0.0.1:50051";
  // The longest one check may take, whatever the caller's deadline.
  absl::Duration deadline_cap = absl::Seconds(2);
  // Kept back from the caller's remaining deadline, to store the event and
  // answer after the check.
  absl::Duration deadline_margin = absl::Milliseconds(100);
  // A file holding the bearer token the events service calls the content
  // service with (role service: reads drafts, writes nothing); re-read when
  // it changes. Empty: calls are anonymous, so only published articles can
  // be cited.
  std::string token_file;
  // TLS to the content service: its CA (empty: plaintext), and a client
  // certificate and key for mTLS.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  // gRPC retry policy for UNAVAILABLE (in the channel's service config).
  int max_attempts = 4;
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Milliseconds(500);
};

// Checks the TLS settings of the content channel before it is made: a
// client certificate needs its key and a CA (--content_tls_cert_file and
// --content_tls_key_file without --content_tls_ca_file would silently fall
// back to plaintext), and every file named must be readable (with an
// unreadable CA file gRPC would trust the system's root certificates
// instead). Errors: FAILED_PRECONDITION naming the flag.
absl::Status CheckContentClientOptions(const ContentClientOptions& options);

// The service config of the channel to the content service: retries
// GetArticle on UNAVAILABLE with exponential backoff, done by gRPC itself,
// and retry throttling: once most recent calls have failed, gRPC stops
// retrying, so a dead content service fails calls fast instead of
// multiplying them (a circuit breaker).
std::string ContentServiceConfig(const ContentClientOptions& options);

// Calls ContentService.GetArticle for each name, all at once, over one
// channel with ContentServiceConfig.
class GrpcArticleChecker : public ArticleChecker {
 public:
  explicit GrpcArticleChecker(ContentClientOptions options);
  void Check(std::vector<std::string> names, absl::Time caller_deadline,
             std::function<void(absl::Status)> done) override;

 private:
  // The current token (re-read when the file changes).
  std::string Token();

  ContentClientOptions options_;
  std::mutex token_mu_;
  std::string token_;
  std::string token_signature_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<::newsdesk::content::v1::ContentService::Stub> stub_;
};

}  // namespace newsdesk::events
