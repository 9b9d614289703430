// content-server: the newsdesk content service (articles, galleries and
// photos) over gRPC.
#include "absl/flags/flag.h"
#include "services/common/server.h"
#include "services/content/content_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "Address to serve gRPC on (host:port; port 0 picks one)");
ABSL_FLAG(std::string, db_path, "./var/content", "Directory of the content service's RocksDB database");
ABSL_FLAG(bool, rebuild_indexes, false,
          "Regenerate every index (listing, tags, slugs, search, galleries, photo order and counts) from the "
          "records before serving");
ABSL_FLAG(int64_t, max_photo_bytes, int64_t{25} << 20,
          "Largest photo UploadPhoto accepts, in bytes; a larger upload gets RESOURCE_EXHAUSTED as soon as it "
          "passes the limit");
ABSL_FLAG(int64_t, max_photo_pixels, 100'000'000,
          "Largest photo in pixels (width x height, read from the header before decoding); more is "
          "INVALID_ARGUMENT");
ABSL_FLAG(bool, keep_photo_private_metadata, false,
          "Keep EXIF GPS positions, camera serial numbers and similar metadata in stored photos (removed by "
          "default)");
ABSL_FLAG(int32_t, media_workers, 2,
          "Threads that decode, process and store uploaded photos and read downloads");

ABSL_FLAG(int32_t, storage_workers, 32,
          "Threads that run the article RPCs which write or list; synced writes in flight together are committed "
          "as one group");
ABSL_FLAG(int32_t, search_workers, 0,
          "Threads that run SearchArticles (CPU-bound; further searches wait their turn); 0: one per CPU core");
ABSL_FLAG(int32_t, search_helpers, -1,
          "Threads that join a search in progress (slices of the index, the page's records and snippets); an idle "
          "helper takes a share, a busy one is not waited for; -1: one fewer than CPU cores, 0: none");
ABSL_FLAG(int32_t, block_cache_mb, 64,
          "Size of the RocksDB block cache (data, index and filter blocks of every column family), in MiB");

int main(int argc, char** argv) {
  newsdesk::InitServerProgram(argc, argv, "newsdesk content service (articles, galleries, photos) over gRPC");
  newsdesk::content::ContentBackendOptions backend;
  backend.media.max_photo_bytes = absl::GetFlag(FLAGS_max_photo_bytes);
  backend.media.processing.max_pixels = static_cast<uint64_t>(absl::GetFlag(FLAGS_max_photo_pixels));
  backend.media.processing.strip_private_metadata = !absl::GetFlag(FLAGS_keep_photo_private_metadata);
  backend.media_workers = absl::GetFlag(FLAGS_media_workers);
  backend.storage_workers = absl::GetFlag(FLAGS_storage_workers);
  backend.search_workers = absl::GetFlag(FLAGS_search_workers);
  backend.search_helpers = absl::GetFlag(FLAGS_search_helpers);
  backend.block_cache_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_block_cache_mb)) << 20;
  return newsdesk::content::RunContentServer(newsdesk::ServerOptionsFromFlags(absl::GetFlag(FLAGS_listen)),
                                             {.db_path = absl::GetFlag(FLAGS_db_path),
                                              .rebuild_indexes = absl::GetFlag(FLAGS_rebuild_indexes),
                                              .backend = backend});
}
