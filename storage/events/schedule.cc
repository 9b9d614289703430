#include "storage/events/schedule.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/kv/proto_time.h"

namespace newsdesk::events {
namespace {

using Date = ::newsdesk::events::v1::Date;

absl::Status Invalid(absl::string_view field, absl::string_view sub, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ".", sub, ": ", what));
}

// proto Timestamp limits: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

absl::Status CheckTimestamp(absl::string_view field, absl::string_view sub,
                            const google::protobuf::Timestamp& ts) {
  if (ts.seconds() < kMinTimestampSeconds || ts.seconds() > kMaxTimestampSeconds || ts.nanos() < 0 ||
      ts.nanos() > 999999999) {
    return Invalid(field, sub, "outside 0001-01-01..9999-12-31");
  }
  return absl::OkStatus();
}

// Checks that `date` has exactly the parts `precision` names and that they
// form a real date; returns the first civil day of the unit it names and the
// first day after it.
absl::Status CheckDate(absl::string_view field, absl::string_view sub, Schedule::Precision precision,
                       const Date& date, absl::CivilDay* first, absl::CivilDay* after) {
  const std::string name = PrecisionName(precision);
  if (date.year() < kMinYear || date.year() > kMaxYear) {
    return Invalid(field, absl::StrCat(sub, ".year"), absl::StrCat(date.year(), " is outside ", kMinYear, "..", kMaxYear));
  }
  switch (precision) {
    case Schedule::PRECISION_YEAR:
      if (date.month() != 0) return Invalid(field, absl::StrCat(sub, ".month"), "must be 0 for YEAR precision");
      if (date.day() != 0) return Invalid(field, absl::StrCat(sub, ".day"), "must be 0 for YEAR precision");
      *first = absl::CivilDay(absl::CivilYear(date.year()));
      *after = absl::CivilDay(absl::CivilYear(date.year()) + 1);
      return absl::OkStatus();
    case Schedule::PRECISION_MONTH:
      if (date.month() < 1 || date.month() > 12) {
        return Invalid(field, absl::StrCat(sub, ".month"), absl::StrCat(date.month(), " is outside 1..12"));
      }
      if (date.day() != 0) {
        return Invalid(field, absl::StrCat(sub, ".day"), "must be 0 for MONTH precision (no day is known)");
      }
      *first = absl::CivilDay(absl::CivilMonth(date.year(), date.month()));
      *after = absl::CivilDay(absl::CivilMonth(date.year(), date.month()) + 1);
      return absl::OkStatus();
    case Schedule::PRECISION_DAY: {
      if (date.month() < 1 || date.month() > 12) {
        return Invalid(field, absl::StrCat(sub, ".month"), absl::StrCat(date.month(), " is outside 1..12"));
      }
      // CivilDay normalises 2018-02-29 to 2018-03-01: a real date survives
      // unchanged.
      const absl::CivilDay day(date.year(), date.month(), date.day());
      if (date.day() < 1 || day.year() != date.year() || day.month() != date.month() || day.day() != date.day()) {
        return Invalid(field, absl::StrCat(sub, ".day"),
                       absl::StrCat(date.day(), " is not a day of ", date.year(), "-", date.month() < 10 ? "0" : "",
                                    date.month()));
      }
      *first = day;
      *after = day + 1;
      return absl::OkStatus();
    }
    default:
      return Invalid(field, "precision", absl::StrCat(name, " has no dates"));
  }
}

bool IsZoneNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
         c == '-' || c == '+';
}

}  // namespace

std::string PrecisionName(Schedule::Precision precision) {
  std::string name = Schedule::Precision_Name(precision);
  if (absl::StartsWith(name, "PRECISION_")) name = name.substr(sizeof("PRECISION_") - 1);
  return name.empty() ? absl::StrCat(static_cast<int>(precision)) : name;
}

absl::StatusOr<absl::TimeZone> LoadZone(absl::string_view field, absl::string_view name) {
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": \"", name.substr(0, 64), "\" ", why));
  };
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  // The loader reads files under the zoneinfo directory: only names that
  // look like IANA names reach it.
  bool ok = name.size() <= 64 && name.front() != '/' && !absl::StrContains(name, "..");
  for (char c : name) ok = ok && IsZoneNameChar(c);
  if (!ok) return bad("is not an IANA time zone name such as Asia/Almaty or Europe/Warsaw");
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(std::string(name), &tz)) {
    return bad("is not in the time zone database (an IANA name such as Asia/Almaty or Europe/Warsaw)");
  }
  return tz;
}

absl::Time StartOfDay(absl::CivilDay day, absl::TimeZone tz) {
  const absl::TimeZone::TimeInfo info = tz.At(absl::CivilSecond(day));
  // SKIPPED: midnight did not exist; the day starts at the transition.
  // REPEATED: the first midnight. UNIQUE: pre == post == the instant.
  return info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
}

absl::StatusOr<Interval> ScheduleInterval(absl::string_view field, const Schedule& s) {
  switch (s.precision()) {
    case Schedule::PRECISION_YEAR:
    case Schedule::PRECISION_MONTH:
    case Schedule::PRECISION_DAY: {
      const std::string name = PrecisionName(s.precision());
      if (s.has_start_time()) return Invalid(field, "start_time", absl::StrCat("only for EXACT precision (this is ", name, ")"));
      if (s.has_end_time()) return Invalid(field, "end_time", absl::StrCat("only for EXACT precision (this is ", name, ")"));
      if (!s.has_start_date()) return Invalid(field, "start_date", absl::StrCat("required for ", name, " precision"));
      absl::TimeZone tz = absl::UTCTimeZone();
      if (!s.time_zone().empty()) {
        auto loaded = LoadZone(absl::StrCat(field, ".time_zone"), s.time_zone());
        if (!loaded.ok()) return loaded.status();
        tz = *loaded;
      }
      absl::CivilDay first, after;
      if (auto st = CheckDate(field, "start_date", s.precision(), s.start_date(), &first, &after); !st.ok()) return st;
      if (s.has_end_date()) {
        absl::CivilDay end_first, end_after;
        if (auto st = CheckDate(field, "end_date", s.precision(), s.end_date(), &end_first, &end_after); !st.ok()) {
          return st;
        }
        if (end_first < first) return Invalid(field, "end_date", "before start_date");
        after = end_after;
      }
      return Interval{StartOfDay(first, tz), StartOfDay(after, tz)};
    }
    case Schedule::PRECISION_EXACT: {
      if (s.has_start_date()) return Invalid(field, "start_date", "not used with EXACT precision (use start_time)");
      if (s.has_end_date()) return Invalid(field, "end_date", "not used with EXACT precision (use end_time)");
      if (!s.has_start_time()) return Invalid(field, "start_time", "required for EXACT precision");
      if (!s.has_end_time()) return Invalid(field, "end_time", "required for EXACT precision");
      if (s.time_zone().empty()) {
        return Invalid(field, "time_zone", "required for EXACT precision (an IANA name such as Asia/Almaty)");
      }
      if (auto st = CheckTimestamp(field, "start_time", s.start_time()); !st.ok()) return st;
      if (auto st = CheckTimestamp(field, "end_time", s.end_time()); !st.ok()) return st;
      auto tz = LoadZone(absl::StrCat(field, ".time_zone"), s.time_zone());
      if (!tz.ok()) return tz.status();
      const absl::Time start = FromProtoTime(s.start_time());
      const absl::Time end = FromProtoTime(s.end_time());
      if (end < start) return Invalid(field, "end_time", "before start_time");
      return Interval{start, end};
    }
    case Schedule::PRECISION_UNSPECIFIED:
      return Invalid(field, "precision", "required (YEAR, MONTH, DAY or EXACT)");
    default:
      return Invalid(field, "precision", absl::StrCat(static_cast<int>(s.precision()), " is not a known precision"));
  }
}

absl::Status NormalizeSchedule(absl::string_view field, Schedule* schedule) {
  auto interval = ScheduleInterval(field, *schedule);
  if (!interval.ok()) return interval.status();
  ToProtoTime(interval->start, schedule->mutable_interval_start_time());
  ToProtoTime(interval->end, schedule->mutable_interval_end_time());
  return absl::OkStatus();
}

bool SameSchedule(const Schedule& a, const Schedule& b) {
  Schedule x = a, y = b;
  for (Schedule* s : {&x, &y}) {
    s->clear_interval_start_time();
    s->clear_interval_end_time();
  }
  return x.SerializeAsString() == y.SerializeAsString();
}

bool IsConcrete(const Schedule& schedule) {
  return schedule.precision() == Schedule::PRECISION_EXACT || schedule.precision() == Schedule::PRECISION_DAY;
}

}  // namespace newsdesk::events
