// Schedules of any precision as time intervals: pure functions, no storage.
//
// A YEAR, MONTH or DAY schedule spans whole civil units in the schedule's
// time zone (UTC when it names none): "May 2018" is [2018-05-01T00:00,
// 2018-06-01T00:00). Days begin at local midnight, or at the first instant
// after it when a daylight-saving change skips midnight. An EXACT schedule
// spans [start_time, end_time).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "newsdesk/events/v1/event.pb.h"

namespace newsdesk::events {

using Schedule = ::newsdesk::events::v1::Schedule;

struct Interval {
  absl::Time start;  // inclusive
  absl::Time end;    // exclusive (equal to start for an instantaneous event)
};

inline constexpr int kMinYear = 1;
inline constexpr int kMaxYear = 9999;

// Loads an IANA zone from the system tz database (Debian: tzdata).
// Errors: INVALID_ARGUMENT naming `field` when the name is malformed or
// unknown.
absl::StatusOr<absl::TimeZone> LoadZone(absl::string_view field, absl::string_view name);

// The first instant of civil day `day` in `tz`: local midnight, or the
// instant midnight was skipped to by a daylight-saving change.
absl::Time StartOfDay(absl::CivilDay day, absl::TimeZone tz);

// Checks a client-written schedule and returns its interval. Output-only
// fields are ignored. Errors: INVALID_ARGUMENT naming the offending field
// under `field` (e.g. "event.schedule.start_date.day: must be 0 for MONTH
// precision"), including an end before the start.
absl::StatusOr<Interval> ScheduleInterval(absl::string_view field, const Schedule& schedule);

// ScheduleInterval, then stores the interval in the output-only fields.
absl::Status NormalizeSchedule(absl::string_view field, Schedule* schedule);

// Whether two schedules say the same (output-only fields ignored).
bool SameSchedule(const Schedule& a, const Schedule& b);

// Confirmed events need a concrete schedule: EXACT or DAY.
bool IsConcrete(const Schedule& schedule);

// "MONTH", "EXACT", ...
std::string PrecisionName(Schedule::Precision precision);

}  // namespace newsdesk::events
