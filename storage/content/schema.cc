#include "storage/content/schema.h"

namespace newsdesk::content {

std::vector<kv::ColumnFamilySpec> ContentColumnFamilies() {
  // Order matches the CfId constants in schema.h.
  return {
      {.name = "records"},
      {.name = "indexes"},
      {.name = "request_ids", .expiring_values = true},
      {.name = "revisions"},
      {.name = "counters", .int64_counters = true},
  };
}

}  // namespace newsdesk::content
