// content-server: the newsdesk content service (articles) over gRPC.
#include "absl/flags/flag.h"
#include "services/common/server.h"
#include "services/content/content_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "Address to serve gRPC on (host:port; port 0 picks one)");
ABSL_FLAG(std::string, db_path, "./var/content", "Directory of the content service's RocksDB database");
ABSL_FLAG(bool, rebuild_indexes, false,
          "Regenerate every index (listing, tags, slugs, search) from the records before serving");

int main(int argc, char** argv) {
  newsdesk::InitServerProgram(argc, argv, "newsdesk content service (articles) over gRPC");
  return newsdesk::content::RunContentServer(
      newsdesk::ServerOptionsFromFlags(absl::GetFlag(FLAGS_listen)),
      {.db_path = absl::GetFlag(FLAGS_db_path), .rebuild_indexes = absl::GetFlag(FLAGS_rebuild_indexes)});
}
