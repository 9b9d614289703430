#include "services/common/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <google/protobuf/descriptor.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/log.h"

namespace newsdesk {
namespace {


std::optional<Role> ParseRole(absl::string_view s) {
  if (s == "service") return Role::kService;
  if (s == "editor") return Role::kEditor;
  if (s == "admin") return Role::kAdmin;
  return std::nullopt;
}

std::string FileSignature(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return "";
  return absl::StrCat(st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, "/", st.st_size, "/", st.st_ino);
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAnonymous: return "anonymous";
    case Role::kService: return "service";
    case Role::kEditor: return "editor";
    case Role::kAdmin: return "admin";
  }
  return "anonymous";
}

bool Allows(Access access, Role role) {
  switch (access) {
    case Access::kPublic: return true;
    case Access::kPrivateRead: return role != Role::kAnonymous;
    case Access::kWrite: return role == Role::kEditor || role == Role::kAdmin;
    case Access::kAdmin: return role == Role::kAdmin;
  }
  return false;
}

std::string TokenHash(absl::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return std::string(reinterpret_cast<char*>(digest), sizeof(digest));
}

absl::StatusOr<std::vector<TokenEntry>> ParseTokenFile(absl::string_view contents) {
  std::vector<TokenEntry> entries;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("token file line ", line_number, ": ", why,
                                                     " (expected: sha256:<64 hex digits> <role> <subject>)"));
    };
    if (parts.size() != 3) return bad("three fields needed");
    absl::string_view hex = parts[0];
    if (!absl::ConsumePrefix(&hex, "sha256:") || hex.size() != 64) return bad("the first field is not sha256:<hex>");
    for (char c : hex) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return bad("the hash is not hexadecimal");
    }
    auto role = ParseRole(parts[1]);
    if (!role.has_value()) return bad(absl::StrCat("unknown role \"", parts[1], "\" (service, editor or admin)"));
    TokenEntry entry;
    entry.sha256 = absl::HexStringToBytes(absl::AsciiStrToLower(hex));
    entry.role = *role;
    entry.subject = std::string(parts[2]);
    entries.push_back(std::move(entry));
  }
  return entries;
}

TokenStore::TokenStore(std::string path, absl::Duration poll_interval)
    : path_(std::move(path)), poll_interval_(poll_interval) {
  if (path_.empty()) return;
  if (auto st = Reload(); !st.ok()) {
    Log(Severity::kError, "cannot load the token file; no token is valid until it loads",
        {{"path", path_}, {"error", st.ToString()}});
  }
  watcher_ = std::thread([this] { Watch(); });
}

TokenStore::~TokenStore() {
  {
    absl::MutexLock lock(&stop_mu_);
    stop_ = true;
  }
  if (watcher_.joinable()) watcher_.join();
}

absl::Status TokenStore::Reload() {
  const std::string signature = FileSignature(path_);
  std::ifstream in(path_);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read token file ", path_));
  std::stringstream contents;
  contents << in.rdbuf();
  auto entries = ParseTokenFile(contents.str());
  absl::MutexLock lock(&mu_);
  loaded_signature_ = signature;  // a bad file is not retried until it changes again
  if (!entries.ok()) return entries.status();
  entries_ = *std::move(entries);
  return absl::OkStatus();
}

void TokenStore::Watch() {
  for (;;) {
    {
      absl::MutexLock lock(&stop_mu_);
      const auto stopped = [this]() ABSL_SHARED_LOCKS_REQUIRED(stop_mu_) { return stop_; };
      if (stop_mu_.AwaitWithTimeout(absl::Condition(&stopped), poll_interval_)) return;
    }
    const std::string signature = FileSignature(path_);
    bool changed;
    {
      absl::MutexLock lock(&mu_);
      changed = signature != loaded_signature_;
    }
    if (!changed || signature.empty()) continue;
    if (auto st = Reload(); st.ok()) {
      Log(Severity::kInfo, "token file reloaded", {{"path", path_}, {"tokens", absl::StrCat(size())}});
    } else {
      Log(Severity::kError, "token file is malformed; keeping the previous tokens",
          {{"path", path_}, {"error", st.ToString()}});
    }
  }
}

std::optional<Principal> TokenStore::Lookup(absl::string_view token) const {
  const std::string hash = TokenHash(token);
  absl::MutexLock lock(&mu_);
  const TokenEntry* found = nullptr;
  for (const auto& e : entries_) {
    // No early exit: every entry is compared, in constant time.
    if (CRYPTO_memcmp(e.sha256.data(), hash.data(), hash.size()) == 0) found = &e;
  }
  if (found == nullptr) return std::nullopt;
  return Principal{found->role, found->subject};
}

size_t TokenStore::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

AccessPolicy& AccessPolicy::Add(absl::string_view service, absl::string_view method, Access access) {
  rules_[absl::StrCat("/", service, "/", method)] = access;
  return *this;
}

std::optional<Access> AccessPolicy::Find(absl::string_view path) const {
  auto it = rules_.find(path);
  if (it == rules_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> AccessPolicy::Missing(absl::string_view service) const {
  std::vector<std::string> missing;
  const auto* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(std::string(service));
  if (descriptor == nullptr) return {absl::StrCat(service, " (unknown service)")};
  for (int i = 0; i < descriptor->method_count(); ++i) {
    const std::string path = absl::StrCat("/", service, "/", descriptor->method(i)->name());
    if (rules_.count(path) == 0) missing.push_back(path);
  }
  return missing;
}

AccessPolicy AccessPolicy::Standard() {
  AccessPolicy p;
  p.Add("grpc.health.v1.Health", "Check", Access::kPublic);
  p.Add("grpc.health.v1.Health", "Watch", Access::kPublic);
  p.Add("grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo", Access::kPublic);
  p.Add("grpc.reflection.v1.ServerReflection", "ServerReflectionInfo", Access::kPublic);
  return p;
}

AccessPolicy AccessPolicy::ByConvention(const google::protobuf::ServiceDescriptor& service,
                                        const std::map<std::string, Access>& overrides) {
  AccessPolicy p;
  for (int i = 0; i < service.method_count(); ++i) {
    const std::string& name = service.method(i)->name();
    Access access = Access::kWrite;
    for (const char* read : {"Get", "List", "Search", "Download", "Export", "Watch"}) {
      if (absl::StartsWith(name, read)) access = Access::kPublic;
    }
    if (auto it = overrides.find(name); it != overrides.end()) access = it->second;
    p.Add(service.full_name(), name, access);
  }
  return p;
}

void AccessPolicy::Merge(const AccessPolicy& other) {
  for (const auto& [k, v] : other.rules_) rules_[k] = v;
}

AuthProcessor::AuthProcessor(std::shared_ptr<const TokenStore> tokens, AccessPolicy policy)
    : tokens_(std::move(tokens)), policy_(std::move(policy)) {}

grpc::Status AuthProcessor::Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                                    OutputMetadata* consumed_auth_metadata, OutputMetadata* response_metadata) {
  absl::string_view path;
  std::optional<absl::string_view> authorization;
  for (const auto& [key, value] : auth_metadata) {
    const absl::string_view k(key.data(), key.size());
    if (k == ":path") path = absl::string_view(value.data(), value.size());
    if (k == "authorization") authorization = absl::string_view(value.data(), value.size());
  }
  Principal caller;
  if (authorization.has_value()) {
    absl::string_view token = *authorization;
    if (!absl::ConsumePrefix(&token, "Bearer ") || token.empty()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "authorization metadata must be \"Bearer <token>\"");
    }
    auto principal = tokens_->Lookup(token);
    if (!principal.has_value()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "the bearer token is not valid");
    }
    caller = *std::move(principal);
  }
  const std::optional<Access> access = policy_.Find(path);
  if (!access.has_value()) {
    // Not one of ours: gRPC answers UNIMPLEMENTED. Our services' methods all
    // have rules (GrpcServer::Start refuses to serve otherwise).
    return grpc::Status::OK;
  }
  if (!Allows(*access, caller.role)) {
    if (caller.role == Role::kAnonymous) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          absl::StrCat(std::string(path), " needs a bearer token (authorization: Bearer <token>)"));
    }
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("role ", RoleName(caller.role), " may not call ", std::string(path)));
  }
  return grpc::Status::OK;
}

Principal CallerOf(const grpc::ServerContextBase& context) {
  Principal p;
  const auto& metadata = context.client_metadata();
  auto role = metadata.find(kPrincipalRoleKey);
  if (role != metadata.end()) {
    if (auto r = ParseRole(absl::string_view(role->second.data(), role->second.size())); r.has_value()) p.role = *r;
  }
  auto subject = metadata.find(kPrincipalSubjectKey);
  if (subject != metadata.end()) p.subject = std::string(subject->second.data(), subject->second.size());
  return p;
}

}  // namespace newsdesk
