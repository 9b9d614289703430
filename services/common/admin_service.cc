#include "services/common/admin_service.h"

#include "absl/strings/str_cat.h"
#include "services/common/log.h"
#include "services/common/status.h"
#include "storage/kv/proto_time.h"

namespace newsdesk {

AdminService::AdminService(std::string database_name, kv::Database* db, std::string backup_dir)
    : database_name_(std::move(database_name)), db_(db), backup_dir_(std::move(backup_dir)) {}

AccessPolicy AdminService::Policy() {
  const auto* service = admin::v1::Backup::descriptor()->file()->FindServiceByName("AdminService");
  std::map<std::string, Access> all_admin;
  for (int i = 0; i < service->method_count(); ++i) all_admin[service->method(i)->name()] = Access::kAdmin;
  return AccessPolicy::ByConvention(*service, all_admin);
}

admin::v1::Backup AdminService::ToProto(const kv::Database::BackupInfo& info) const {
  admin::v1::Backup b;
  b.set_backup_id(info.backup_id);
  b.set_database(database_name_);
  ToProtoTime(info.create_time, b.mutable_create_time());
  b.set_size_bytes(info.size_bytes);
  b.set_file_count(info.file_count);
  return b;
}

absl::StatusOr<admin::v1::Backup> AdminService::CreateBackup() {
  if (backup_dir_.empty()) {
    return absl::FailedPreconditionError("backups are off: start the server with --backup_dir");
  }
  const absl::Time start = absl::Now();
  auto info = db_->CreateBackup(backup_dir_);
  if (!info.ok()) return info.status();
  Log(Severity::kInfo, "backup created",
      {{"database", database_name_},
       {"backup_id", absl::StrCat(info->backup_id)},
       {"size_bytes", absl::StrCat(info->size_bytes)},
       {"seconds", absl::StrCat(absl::ToDoubleSeconds(absl::Now() - start))}});
  return ToProto(*info);
}

absl::StatusOr<admin::v1::ListBackupsResponse> AdminService::ListBackups() {
  if (backup_dir_.empty()) {
    return absl::FailedPreconditionError("backups are off: start the server with --backup_dir");
  }
  auto infos = kv::Database::ListBackups(backup_dir_);
  if (!infos.ok()) return infos.status();
  admin::v1::ListBackupsResponse response;
  for (const auto& i : *infos) *response.add_backups() = ToProto(i);
  return response;
}

grpc::ServerUnaryReactor* AdminService::CreateBackup(grpc::CallbackServerContext* context,
                                                     const admin::v1::CreateBackupRequest*,
                                                     admin::v1::Backup* response) {
  auto* reactor = context->DefaultReactor();
  auto result = CreateBackup();
  if (result.ok()) *response = *std::move(result);
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::ListBackups(grpc::CallbackServerContext* context,
                                                    const admin::v1::ListBackupsRequest*,
                                                    admin::v1::ListBackupsResponse* response) {
  auto* reactor = context->DefaultReactor();
  auto result = ListBackups();
  if (result.ok()) *response = *std::move(result);
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

}  // namespace newsdesk
