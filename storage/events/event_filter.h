// The fields ListEvents, ExportEvents and WatchEvents filter on, evaluated
// with the shared AIP-160 filter language (storage/query/filter.h).
#pragma once

#include "newsdesk/events/v1/event.pb.h"
#include "storage/query/filter.h"

namespace newsdesk::events {

// status, kind, precision (enums: PLANNED or STATUS_PLANNED), tags,
// source_articles, organizers.region_code (repeated: ":"), language,
// location.region_code (strings), start, end, create_time, update_time
// (timestamps). `start` and `end` are the schedule's interval (see
// schedule.h), so `start < "2018-06-01" AND end > "2018-05-01"` finds every
// event that overlaps May 2018, a month-precision "May 2018" included.
const query::Schema& EventFilterSchema();

bool EventMatches(const query::Node& filter, const ::newsdesk::events::v1::Event& event);

}  // namespace newsdesk::events
