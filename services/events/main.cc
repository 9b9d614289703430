// events-server: the newsdesk events service (planned events) over gRPC.
#include "absl/flags/flag.h"
#include "services/common/server.h"
#include "services/events/events_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50052", "Address to serve gRPC on (host:port; port 0 picks one)");
ABSL_FLAG(std::string, db_path, "./var/events", "Directory of the events service's RocksDB database");
ABSL_FLAG(std::string, content_target, "127.0.0.1:50051",
          "The content service (host:port) that source_articles are checked with");
ABSL_FLAG(absl::Duration, content_deadline, absl::Seconds(2),
          "The longest one check of source_articles with the content service may take (further capped by the "
          "caller's own deadline)");
ABSL_FLAG(std::string, content_token_file, "",
          "File with the bearer token (role service) for calls to the content service; re-read when it changes");
ABSL_FLAG(std::string, content_tls_ca_file, "", "PEM CA of the content service's TLS certificate (unset: plaintext)");
ABSL_FLAG(std::string, content_tls_cert_file, "", "PEM client certificate for mTLS to the content service");
ABSL_FLAG(std::string, content_tls_key_file, "", "PEM key of --content_tls_cert_file");
ABSL_FLAG(uint64_t, change_log_max_entries, 100000,
          "WatchEvents: the change log keeps at most this many newest changes");
ABSL_FLAG(absl::Duration, change_log_max_age, absl::Hours(24 * 7),
          "WatchEvents: the change log drops changes older than this (resume tokens older than the log get "
          "OUT_OF_RANGE)");

ABSL_FLAG(int32_t, storage_workers, 32,
          "Threads that run the RPCs which write (after the article check), list or export; synced writes in "
          "flight together are committed as one group");

int main(int argc, char** argv) {
  newsdesk::InitServerProgram(argc, argv, "newsdesk events service (planned events) over gRPC");
  newsdesk::events::EventsBackendOptions backend;
  backend.content.target = absl::GetFlag(FLAGS_content_target);
  backend.content.deadline_cap = absl::GetFlag(FLAGS_content_deadline);
  backend.content.token_file = absl::GetFlag(FLAGS_content_token_file);
  backend.content.tls_ca_file = absl::GetFlag(FLAGS_content_tls_ca_file);
  backend.content.tls_cert_file = absl::GetFlag(FLAGS_content_tls_cert_file);
  backend.content.tls_key_file = absl::GetFlag(FLAGS_content_tls_key_file);
  backend.store.change_log_max_entries = absl::GetFlag(FLAGS_change_log_max_entries);
  backend.store.change_log_max_age = absl::GetFlag(FLAGS_change_log_max_age);
  backend.storage_workers = absl::GetFlag(FLAGS_storage_workers);
  return newsdesk::events::RunEventsServer(newsdesk::ServerOptionsFromFlags(absl::GetFlag(FLAGS_listen)),
                                           absl::GetFlag(FLAGS_db_path), backend);
}
