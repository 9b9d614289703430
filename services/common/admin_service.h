// The AdminService: backups of the server's database. Thread-safe.
#pragma once

#include <string>

#include "newsdesk/admin/v1/admin_service.grpc.pb.h"
#include "services/common/auth.h"
#include "storage/kv/database.h"

namespace newsdesk {

class AdminService final : public admin::v1::AdminService::CallbackService {
 public:
  // `db` (not owned) is backed up into `backup_dir` (empty: backups off).
  AdminService(std::string database_name, kv::Database* db, std::string backup_dir);

  absl::StatusOr<admin::v1::Backup> CreateBackup();
  absl::StatusOr<admin::v1::ListBackupsResponse> ListBackups();

  // Every method: admin only.
  static AccessPolicy Policy();

 private:
  grpc::ServerUnaryReactor* CreateBackup(grpc::CallbackServerContext* context,
                                         const admin::v1::CreateBackupRequest* request,
                                         admin::v1::Backup* response) override;
  grpc::ServerUnaryReactor* ListBackups(grpc::CallbackServerContext* context,
                                        const admin::v1::ListBackupsRequest* request,
                                        admin::v1::ListBackupsResponse* response) override;
  admin::v1::Backup ToProto(const kv::Database::BackupInfo& info) const;

  std::string database_name_;
  kv::Database* db_;
  std::string backup_dir_;
};

}  // namespace newsdesk
