// content-server: the newsdesk content service (articles) over gRPC.
#include "absl/flags/flag.h"
#include "services/common/server.h"
#include "services/content/content_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "Address to serve gRPC on (host:port; port 0 picks one)");
ABSL_FLAG(std::string, db_path, "./var/content", "Directory of the content service's RocksDB database");

int main(int argc, char** argv) {
  newsdesk::InitServerProgram(argc, argv, "content-server: newsdesk articles over gRPC. Flags:");
  return newsdesk::content::RunContentServer(newsdesk::ServerOptionsFromFlags(absl::GetFlag(FLAGS_listen)),
                                             absl::GetFlag(FLAGS_db_path));
}
