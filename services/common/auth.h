// Who may call what: bearer tokens, roles and per-method access rules,
// enforced for every call by one gRPC AuthMetadataProcessor before any
// handler runs.
#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/security/auth_metadata_processor.h>
#include <google/protobuf/descriptor.h>
#include <grpcpp/server_context.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace newsdesk {

enum class Role { kAnonymous, kService, kEditor, kAdmin };

const char* RoleName(Role role);

// What a method requires.
enum class Access {
  kPublic,       // anyone; anonymous callers see only public data (the handler filters)
  kPrivateRead,  // service, editor, admin: reads that expose unpublished data
  kWrite,        // editor, admin
  kAdmin,        // admin
};

// Whether `role` may call a method that requires `access`.
bool Allows(Access access, Role role);

struct Principal {
  Role role = Role::kAnonymous;
  std::string subject;  // from the token file; empty for anonymous callers
};

struct TokenEntry {
  std::string sha256;  // 32 raw bytes
  Role role = Role::kAnonymous;
  std::string subject;
};

// Parses a token file: one entry per line, `sha256:<64 hex digits> <role>
// <subject>`, where role is service, editor or admin; blank lines and lines
// starting with '#' are ignored. The file holds hashes only, never tokens.
// Errors: INVALID_ARGUMENT naming the line.
absl::StatusOr<std::vector<TokenEntry>> ParseTokenFile(absl::string_view contents);

// The SHA-256 of a token, as ParseTokenFile stores it (raw bytes).
std::string TokenHash(absl::string_view token);

// The set of valid tokens, reloaded when its file changes (a Kubernetes
// Secret rotation replaces the file) without a restart. A file that fails to
// parse keeps the last good set and is logged. Thread-safe.
class TokenStore {
 public:
  // Without a path the store is empty: every caller is anonymous.
  explicit TokenStore(std::string path = "", absl::Duration poll_interval = absl::Seconds(1));
  ~TokenStore();
  TokenStore(const TokenStore&) = delete;
  TokenStore& operator=(const TokenStore&) = delete;

  // Loads the file now. Errors: NOT_FOUND / INVALID_ARGUMENT; the previous
  // set stays in force.
  absl::Status Reload();

  // The principal of a bearer token, or nullopt for an unknown token. Every
  // known hash is compared in constant time, so timing reveals nothing.
  std::optional<Principal> Lookup(absl::string_view token) const;

  size_t size() const;

 private:
  void Watch();

  const std::string path_;
  const absl::Duration poll_interval_;
  mutable absl::Mutex mu_;
  std::vector<TokenEntry> entries_ ABSL_GUARDED_BY(mu_);
  std::string loaded_signature_ ABSL_GUARDED_BY(mu_);  // mtime + size + inode of the loaded file
  absl::Mutex stop_mu_;
  bool stop_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread watcher_;
};

// Access rules by full method name ("/newsdesk.content.v1.ContentService/GetArticle").
class AccessPolicy {
 public:
  AccessPolicy& Add(absl::string_view service, absl::string_view method, Access access);
  // nullopt when the method has no rule.
  std::optional<Access> Find(absl::string_view path) const;
  // The methods of `service` (by its protobuf descriptor) without a rule.
  std::vector<std::string> Missing(absl::string_view service) const;
  // Rules for the standard services every server exposes (health, reflection).
  static AccessPolicy Standard();
  // A rule for every method of `service` (by its protobuf descriptor) from
  // the AIP verb it starts with: Get, List, Search, Download, Export and
  // Watch are kPublic reads (handlers show anonymous callers public data
  // only); every other method — Create, Update, Delete, Undelete, Publish,
  // Upload, custom verbs, anything new — is kWrite, so a new method is never
  // accidentally open. `overrides` (method name → access) replace those
  // defaults, e.g. a read that exposes drafts (kPrivateRead) or an admin
  // operation (kAdmin).
  static AccessPolicy ByConvention(const google::protobuf::ServiceDescriptor& service,
                                   const std::map<std::string, Access>& overrides = {});
  void Merge(const AccessPolicy& other);

 private:
  std::map<std::string, Access, std::less<>> rules_;
};

// Authenticates the bearer token and authorises the method, once per call,
// before any handler runs. Calls to paths outside the policy (unknown
// methods) pass through to gRPC's own UNIMPLEMENTED.
class AuthProcessor : public grpc::AuthMetadataProcessor {
 public:
  AuthProcessor(std::shared_ptr<const TokenStore> tokens, AccessPolicy policy);
  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata, OutputMetadata* response_metadata) override;

 private:
  std::shared_ptr<const TokenStore> tokens_;
  AccessPolicy policy_;
};

// Call metadata the server's interceptor sets from the verified token (and
// strips when a client sends it).
inline constexpr char kPrincipalRoleKey[] = "x-newsdesk-principal-role";
inline constexpr char kPrincipalSubjectKey[] = "x-newsdesk-principal-subject";

// The authenticated caller of a call: anonymous unless the server verified a
// token for it.
Principal CallerOf(const grpc::ServerContextBase& context);

}  // namespace newsdesk
