// RFC 5545 iCalendar encoding of events: pure functions, no storage, no
// server.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "newsdesk/events/v1/event.pb.h"

namespace newsdesk::events {

inline constexpr char kCalendarContentType[] = "text/calendar; charset=utf-8";

// TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma and
// newline escaped; CR and other control characters (except TAB) dropped.
std::string EscapeText(absl::string_view text);

// One content line (without its CRLF) as physical lines of at most 75
// octets each, CRLF-terminated, continuation lines starting with a space
// (RFC 5545 3.1). Never splits a multi-byte UTF-8 character.
std::string FoldLine(absl::string_view line);

// A VTIMEZONE for `tz` that covers [from, to]: the observance in force at
// `from` and one observance per offset change up to `to`.
std::string EncodeTimeZone(absl::TimeZone tz, absl::string_view tzid, absl::Time from, absl::Time to);

// A VCALENDAR with one VEVENT per event (in the given order) and a
// VTIMEZONE per time zone of an EXACT schedule. UID "{event_id}@newsdesk-events"
// (stable), DTSTAMP and LAST-MODIFIED the update time, SEQUENCE the
// revision, STATUS TENTATIVE (planned, postponed) / CONFIRMED (confirmed,
// completed) / CANCELLED. YEAR, MONTH and DAY schedules are DATE values
// (DTEND exclusive: May 2018 is 20180501..20180601); EXACT schedules are
// DATE-TIME values with TZID. Errors: INVALID_ARGUMENT for a stored schedule
// that no longer validates (e.g. a time zone removed from the system).
// Whatever the events hold, the output is well-formed: values that are not
// TEXT lose control characters and parameter values are quoted when needed,
// so no value can start a line or a parameter of its own.
absl::StatusOr<std::string> EncodeCalendar(const std::vector<::newsdesk::events::v1::Event>& events);

}  // namespace newsdesk::events
