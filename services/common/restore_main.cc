// newsdesk-restore: brings a data directory back from a backup that a
// server's AdminService.CreateBackup took. The server must be stopped.
#include <cstdio>
#include <filesystem>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "services/common/log.h"
#include "storage/kv/database.h"

ABSL_FLAG(std::string, backup_dir, "", "The server's --backup_dir");
ABSL_FLAG(std::string, db_path, "", "The data directory to restore into (must not be in use)");
ABSL_FLAG(uint32_t, backup_id, 0, "The backup to restore; 0: the latest");
ABSL_FLAG(bool, list, false, "List the backups and exit");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("restore a newsdesk database from a backup");
  absl::ParseCommandLine(argc, argv);
  const std::string backup_dir = absl::GetFlag(FLAGS_backup_dir);
  if (backup_dir.empty()) {
    std::fprintf(stderr, "newsdesk-restore: --backup_dir is required\n");
    return 2;
  }
  if (absl::GetFlag(FLAGS_list)) {
    auto backups = newsdesk::kv::Database::ListBackups(backup_dir);
    if (!backups.ok()) {
      std::fprintf(stderr, "newsdesk-restore: %s\n", backups.status().ToString().c_str());
      return 1;
    }
    for (const auto& b : *backups) {
      std::printf("%u\t%s\t%llu bytes\t%u files\n", b.backup_id,
                  absl::FormatTime(absl::RFC3339_sec, b.create_time, absl::UTCTimeZone()).c_str(),
                  static_cast<unsigned long long>(b.size_bytes), b.file_count);
    }
    return 0;
  }
  const std::string db_path = absl::GetFlag(FLAGS_db_path);
  if (db_path.empty()) {
    std::fprintf(stderr, "newsdesk-restore: --db_path is required\n");
    return 2;
  }
  std::filesystem::create_directories(db_path);
  auto st = newsdesk::kv::Database::RestoreBackup(backup_dir, absl::GetFlag(FLAGS_backup_id), db_path);
  if (!st.ok()) {
    newsdesk::Log(newsdesk::Severity::kError, "restore failed", {{"error", st.ToString()}});
    return 1;
  }
  newsdesk::Log(newsdesk::Severity::kInfo, "restored", {{"db_path", db_path}, {"backup_dir", backup_dir}});
  return 0;
}
