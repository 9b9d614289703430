#include "services/events/article_checker.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "services/common/run.h"

namespace newsdesk::events {
namespace {

namespace content_v1 = ::newsdesk::content::v1;

std::string Seconds(absl::Duration d) { return absl::StrFormat("%.3fs", absl::ToDoubleSeconds(d)); }

// One check: the calls in flight and the first failure by article order.
struct CheckState {
  struct Call {
    grpc::ClientContext context;
    content_v1::GetArticleRequest request;
    content_v1::Article response;
  };
  std::mutex mu;
  std::vector<std::unique_ptr<Call>> calls;
  size_t pending = 0;
  size_t failed_index = SIZE_MAX;
  absl::Status failure;
  std::function<void(absl::Status)> done;
};

absl::Status MapResult(const ContentClientOptions& options, absl::Duration budget, size_t index,
                       const std::string& name, const grpc::Status& status, const content_v1::Article& article) {
  const std::string field = absl::StrCat("event.source_articles[", index, "]");
  if (status.ok()) {
    if (article.state() == content_v1::Article::STATE_DELETED) {
      return absl::FailedPreconditionError(
          absl::StrCat(field, ": ", name, " is deleted in the content service; nothing was stored"));
    }
    return absl::OkStatus();
  }
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return absl::FailedPreconditionError(
          absl::StrCat(field, ": ", name, " does not exist in the content service; nothing was stored"));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(absl::StrCat("the content service (", options.target,
                                                      ") did not answer within ", Seconds(budget), " while checking ",
                                                      field, " (", name, "); nothing was stored"));
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(absl::StrCat("the content service (", options.target,
                                                 ") is unavailable while checking ", field, " (", name,
                                                 "): ", status.error_message(), "; nothing was stored, retry later"));
    case grpc::StatusCode::INVALID_ARGUMENT:
      return absl::FailedPreconditionError(absl::StrCat(field, ": the content service refused ", name, ": ",
                                                        status.error_message(), "; nothing was stored"));
    default:
      return absl::UnavailableError(absl::StrCat("the content service (", options.target, ") answered ",
                                                 static_cast<int>(status.error_code()), " (",
                                                 status.error_message(), ") while checking ", field, " (", name,
                                                 "); nothing was stored"));
  }
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string FileSignature(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return "";
  return absl::StrCat(st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, "/", st.st_size, "/", st.st_ino);
}

absl::Status CheckContentClientOptions(const ContentClientOptions& o) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::FailedPreconditionError("--content_tls_cert_file and --content_tls_key_file must be given together");
  }
  if (!o.tls_cert_file.empty() && o.tls_ca_file.empty()) {
    return absl::FailedPreconditionError(
        "--content_tls_cert_file needs --content_tls_ca_file (without it the channel would be plaintext)");
  }
  const std::pair<const char*, const std::string*> files[] = {{"--content_tls_ca_file", &o.tls_ca_file},
                                                              {"--content_tls_cert_file", &o.tls_cert_file},
                                                              {"--content_tls_key_file", &o.tls_key_file}};
  for (const auto& [flag, path] : files) {
    if (!path->empty() && (access(path->c_str(), R_OK) != 0 || ReadFile(*path).empty())) {
      return absl::FailedPreconditionError(absl::StrCat(flag, ": cannot read ", *path));
    }
  }
  return absl::OkStatus();
}

std::string ContentServiceConfig(const ContentClientOptions& o) {
  // https://github.com/grpc/proposal/blob/master/A6-client-retries.md
  return absl::StrFormat(
      R"({"methodConfig":[{"name":[{"service":"newsdesk.content.v1.ContentService","method":"GetArticle"}],)"
      R"("retryPolicy":{"maxAttempts":%d,"initialBackoff":"%s","maxBackoff":"%s","backoffMultiplier":2,)"
      R"("retryableStatusCodes":["UNAVAILABLE"]}}],)"
      R"("retryThrottling":{"maxTokens":10,"tokenRatio":0.1}})",
      o.max_attempts, Seconds(o.initial_backoff), Seconds(o.max_backoff));
}

GrpcArticleChecker::GrpcArticleChecker(ContentClientOptions options) : options_(std::move(options)) {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(ContentServiceConfig(options_));
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);
  // A content service that restarts is found again quickly (the default
  // reconnect backoff starts at 1 s and grows to 120 s).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options_.tls_ca_file.empty()) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ReadFile(options_.tls_ca_file);
    if (!options_.tls_cert_file.empty()) {
      tls.pem_cert_chain = ReadFile(options_.tls_cert_file);
      tls.pem_private_key = ReadFile(options_.tls_key_file);
    }
    credentials = grpc::SslCredentials(tls);
  }
  channel_ = grpc::CreateCustomChannel(options_.target, credentials, args);
  stub_ = content_v1::ContentService::NewStub(channel_);
}

std::string GrpcArticleChecker::Token() {
  if (options_.token_file.empty()) return "";
  std::lock_guard<std::mutex> lock(token_mu_);
  const std::string signature = FileSignature(options_.token_file);
  if (signature != token_signature_) {
    token_signature_ = signature;
    token_ = std::string(absl::StripAsciiWhitespace(ReadFile(options_.token_file)));
  }
  return token_;
}

void GrpcArticleChecker::Check(std::vector<std::string> names, absl::Time caller_deadline,
                               std::function<void(absl::Status)> done) {
  if (names.empty()) {
    done(absl::OkStatus());
    return;
  }
  const absl::Time now = absl::Now();
  const absl::Time deadline = std::min(caller_deadline - options_.deadline_margin, now + options_.deadline_cap);
  const absl::Duration budget = deadline - now;
  if (budget <= absl::ZeroDuration()) {
    done(absl::DeadlineExceededError(
        "not enough of the call's deadline is left to check event.source_articles with the content service; "
        "nothing was stored"));
    return;
  }
  const std::string token = Token();
  auto state = std::make_shared<CheckState>();
  state->done = std::move(done);
  state->pending = names.size();
  for (size_t i = 0; i < names.size(); ++i) {
    auto call = std::make_unique<CheckState::Call>();
    call->context.set_deadline(absl::ToChronoTime(deadline));
    if (!token.empty()) call->context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    call->request.set_name(names[i]);
    state->calls.push_back(std::move(call));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    CheckState::Call* call = state->calls[i].get();
    stub_->async()->GetArticle(
        &call->context, &call->request, &call->response,
        [this, state, call, i, budget, start = now, name = names[i]](grpc::Status status) {
          ProcessMetrics().ClientCallFinished("/newsdesk.content.v1.ContentService/GetArticle",
                                              static_cast<int>(status.error_code()),
                                              absl::ToDoubleSeconds(absl::Now() - start));
          absl::Status result = MapResult(options_, budget, i, name, status, call->response);
          std::function<void(absl::Status)> done;
          absl::Status outcome;
          {
            std::lock_guard<std::mutex> lock(state->mu);
            if (!result.ok() && i < state->failed_index) {
              state->failed_index = i;
              state->failure = result;
            }
            if (--state->pending > 0) return;
            done = std::move(state->done);
            outcome = state->failure;
          }
          done(outcome);
        });
  }
}

}  // namespace newsdesk::events
