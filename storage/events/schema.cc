#include "storage/events/schema.h"

namespace newsdesk::events {

std::vector<kv::ColumnFamilySpec> EventsColumnFamilies() {
  // Order matches the CfId constants in schema.h.
  return {
      {.name = "records"},
      {.name = "indexes"},
      {.name = "request_ids", .expiring_values = true},
      {.name = "changes"},
  };
}

}  // namespace newsdesk::events
