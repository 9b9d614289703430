#include "storage/content/schema.h"

#include <iterator>

namespace newsdesk::content {

std::vector<kv::ColumnFamilySpec> ContentColumnFamilies() {
  // Order matches the CfId constants in schema.h.
  return {
      {.name = "records", .hot = true},
      {.name = "indexes", .hot = true},
      {.name = "request_ids", .expiring_values = true},
      {.name = "revisions"},
      {.name = "counters", .int64_counters = true},
      {.name = "media_indexes"},
      {.name = "media_counters", .int64_counters = true},
      // A small memtable: a photo's bytes leave memory at the next flush
      // instead of waiting for 16 MiB of other photos.
      {.name = "photo_bytes",
       .blob_files = true,
       .min_blob_size = kPhotoMinBlobBytes,
       .blob_file_size = 64 << 20,
       .blob_garbage_collection = true,
       .write_buffer_bytes = 8 << 20},
      {.name = "search", .hot = true, .entry_sets = true, .scans_bypass_cache = true},
  };
}

kv::DatabaseOptions ContentDatabaseOptions(const std::string& path) {
  kv::DatabaseOptions options;
  options.path = path;
  options.column_families = ContentColumnFamilies();
  options.schema_version = kContentSchemaVersion;
  options.rebuildable_from.assign(std::begin(kContentRebuildFrom), std::end(kContentRebuildFrom));
  return options;
}

}  // namespace newsdesk::content
