// Precision arithmetic: partial dates as intervals, leap years, time zones
// with daylight-saving changes, validation messages, and the time-window
// filter semantics built on them.
#include <gtest/gtest.h>

#include "storage/events/event_filter.h"
#include "storage/events/schedule.h"
#include "storage/kv/proto_time.h"

namespace newsdesk::events {
namespace {

using v1::Schedule;

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), absl::UTCTimeZone());
}

Schedule Partial(Schedule::Precision p, int y, int m = 0, int d = 0, const std::string& zone = "") {
  Schedule s;
  s.set_precision(p);
  s.mutable_start_date()->set_year(y);
  s.mutable_start_date()->set_month(m);
  s.mutable_start_date()->set_day(d);
  s.set_time_zone(zone);
  return s;
}

Schedule Exact(absl::Time start, absl::Time end, const std::string& zone) {
  Schedule s;
  s.set_precision(Schedule::PRECISION_EXACT);
  ToProtoTime(start, s.mutable_start_time());
  ToProtoTime(end, s.mutable_end_time());
  s.set_time_zone(zone);
  return s;
}

Interval MustInterval(const Schedule& s) {
  auto i = ScheduleInterval("event.schedule", s);
  EXPECT_TRUE(i.ok()) << i.status();
  return i.ok() ? *i : Interval{};
}

void ExpectInvalid(const Schedule& s, const std::string& needle) {
  auto i = ScheduleInterval("event.schedule", s);
  ASSERT_FALSE(i.ok());
  EXPECT_EQ(i.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(i.status().message().find(needle), std::string::npos) << i.status().message();
}

TEST(ScheduleIntervalTest, MonthSpansTheWholeMonthInUtcByDefault) {
  const Interval i = MustInterval(Partial(Schedule::PRECISION_MONTH, 2018, 5));
  EXPECT_EQ(i.start, Utc(2018, 5, 1));
  EXPECT_EQ(i.end, Utc(2018, 6, 1));
}

TEST(ScheduleIntervalTest, MonthSpansTheMonthInTheScheduleZone) {
  // Asia/Almaty was UTC+6 in 2018.
  const Interval i = MustInterval(Partial(Schedule::PRECISION_MONTH, 2018, 5, 0, "Asia/Almaty"));
  EXPECT_EQ(i.start, Utc(2018, 4, 30, 18));
  EXPECT_EQ(i.end, Utc(2018, 5, 31, 18));
}

TEST(ScheduleIntervalTest, DecemberEndsAtTheNextYear) {
  const Interval i = MustInterval(Partial(Schedule::PRECISION_MONTH, 2018, 12));
  EXPECT_EQ(i.end, Utc(2019, 1, 1));
}

TEST(ScheduleIntervalTest, YearLengthFollowsLeapYears) {
  EXPECT_EQ(MustInterval(Partial(Schedule::PRECISION_YEAR, 2016)).end -
                MustInterval(Partial(Schedule::PRECISION_YEAR, 2016)).start,
            absl::Hours(24 * 366));
  EXPECT_EQ(MustInterval(Partial(Schedule::PRECISION_YEAR, 2018)).end -
                MustInterval(Partial(Schedule::PRECISION_YEAR, 2018)).start,
            absl::Hours(24 * 365));
}

TEST(ScheduleIntervalTest, FebruaryLengthFollowsGregorianLeapRules) {
  const auto days = [](int year) {
    const Interval i = MustInterval(Partial(Schedule::PRECISION_MONTH, year, 2));
    return (i.end - i.start) / absl::Hours(24);
  };
  EXPECT_EQ(days(2016), 29);
  EXPECT_EQ(days(2018), 28);
  EXPECT_EQ(days(1900), 28);  // divisible by 100, not by 400
  EXPECT_EQ(days(2000), 29);  // divisible by 400
}

TEST(ScheduleIntervalTest, DayPrecisionAcceptsOnlyRealDates) {
  const Interval leap = MustInterval(Partial(Schedule::PRECISION_DAY, 2016, 2, 29));
  EXPECT_EQ(leap.start, Utc(2016, 2, 29));
  EXPECT_EQ(leap.end, Utc(2016, 3, 1));
  ExpectInvalid(Partial(Schedule::PRECISION_DAY, 2018, 2, 29), "event.schedule.start_date.day");
  ExpectInvalid(Partial(Schedule::PRECISION_DAY, 2018, 4, 31), "event.schedule.start_date.day");
  ExpectInvalid(Partial(Schedule::PRECISION_DAY, 2018, 13, 1), "event.schedule.start_date.month");
}

TEST(ScheduleIntervalTest, MonthAndYearNeverInventADay) {
  ExpectInvalid(Partial(Schedule::PRECISION_MONTH, 2018, 5, 14), "event.schedule.start_date.day: must be 0");
  ExpectInvalid(Partial(Schedule::PRECISION_YEAR, 2018, 5), "event.schedule.start_date.month: must be 0");
  ExpectInvalid(Partial(Schedule::PRECISION_MONTH, 2018, 0), "event.schedule.start_date.month");
}

TEST(ScheduleIntervalTest, DaylightSavingMonthsAreAnHourShorterOrLonger) {
  // Europe/Warsaw: CET → CEST on 2018-03-25, back on 2018-10-28.
  const Interval march = MustInterval(Partial(Schedule::PRECISION_MONTH, 2018, 3, 0, "Europe/Warsaw"));
  EXPECT_EQ(march.start, Utc(2018, 2, 28, 23));
  EXPECT_EQ(march.end, Utc(2018, 3, 31, 22));
  EXPECT_EQ(march.end - march.start, absl::Hours(31 * 24 - 1));
  const Interval october = MustInterval(Partial(Schedule::PRECISION_MONTH, 2018, 10, 0, "Europe/Warsaw"));
  EXPECT_EQ(october.end - october.start, absl::Hours(31 * 24 + 1));
  const Interval spring_day = MustInterval(Partial(Schedule::PRECISION_DAY, 2018, 3, 25, "Europe/Warsaw"));
  EXPECT_EQ(spring_day.end - spring_day.start, absl::Hours(23));
}

TEST(ScheduleIntervalTest, ADayWhoseMidnightIsSkippedStartsAtTheTransition) {
  // America/Sao_Paulo moved from -03 to -02 at 00:00 on 2018-11-04: that
  // day began at 01:00 local, 03:00 UTC, and lasted 23 hours.
  absl::TimeZone tz;
  ASSERT_TRUE(absl::LoadTimeZone("America/Sao_Paulo", &tz));
  EXPECT_EQ(StartOfDay(absl::CivilDay(2018, 11, 4), tz), Utc(2018, 11, 4, 3));
  const Interval day = MustInterval(Partial(Schedule::PRECISION_DAY, 2018, 11, 4, "America/Sao_Paulo"));
  EXPECT_EQ(day.end - day.start, absl::Hours(23));
}

TEST(ScheduleIntervalTest, RangesOfUnitsIncludeTheLastUnit) {
  Schedule s = Partial(Schedule::PRECISION_MONTH, 2018, 5);
  s.mutable_end_date()->set_year(2018);
  s.mutable_end_date()->set_month(6);
  const Interval i = MustInterval(s);
  EXPECT_EQ(i.start, Utc(2018, 5, 1));
  EXPECT_EQ(i.end, Utc(2018, 7, 1));

  Schedule days = Partial(Schedule::PRECISION_DAY, 2018, 5, 14);
  days.mutable_end_date()->set_year(2018);
  days.mutable_end_date()->set_month(5);
  days.mutable_end_date()->set_day(15);
  EXPECT_EQ(MustInterval(days).end, Utc(2018, 5, 16));

  Schedule backwards = Partial(Schedule::PRECISION_MONTH, 2018, 5);
  backwards.mutable_end_date()->set_year(2018);
  backwards.mutable_end_date()->set_month(4);
  ExpectInvalid(backwards, "event.schedule.end_date: before start_date");
}

TEST(ScheduleIntervalTest, ExactScheduleNeedsAZoneAndAnOrderedRange) {
  const absl::Time start = Utc(2018, 5, 14, 3);  // 09:00 in Almaty
  const absl::Time end = Utc(2018, 5, 15, 11);   // 17:00 in Almaty
  const Interval i = MustInterval(Exact(start, end, "Asia/Almaty"));
  EXPECT_EQ(i.start, start);
  EXPECT_EQ(i.end, end);
  ExpectInvalid(Exact(end, start, "Asia/Almaty"), "event.schedule.end_time: before start_time");
  ExpectInvalid(Exact(start, end, ""), "event.schedule.time_zone: required");
  ExpectInvalid(Exact(start, end, "Asia/Nowhere"), "event.schedule.time_zone");
  ExpectInvalid(Exact(start, end, "../../etc/passwd"), "event.schedule.time_zone");
  Schedule no_end = Exact(start, end, "Asia/Almaty");
  no_end.clear_end_time();
  ExpectInvalid(no_end, "event.schedule.end_time: required");
  Schedule mixed = Exact(start, end, "Asia/Almaty");
  *mixed.mutable_start_date() = Partial(Schedule::PRECISION_MONTH, 2018, 5).start_date();
  ExpectInvalid(mixed, "event.schedule.start_date");
}

TEST(ScheduleIntervalTest, PrecisionIsRequired) {
  ExpectInvalid(Schedule(), "event.schedule.precision: required");
}

TEST(ScheduleIntervalTest, NormalizeFillsTheOutputOnlyInterval) {
  Schedule s = Partial(Schedule::PRECISION_MONTH, 2018, 5);
  ASSERT_TRUE(NormalizeSchedule("event.schedule", &s).ok());
  EXPECT_EQ(FromProtoTime(s.interval_start_time()), Utc(2018, 5, 1));
  EXPECT_EQ(FromProtoTime(s.interval_end_time()), Utc(2018, 6, 1));
  EXPECT_TRUE(SameSchedule(s, Partial(Schedule::PRECISION_MONTH, 2018, 5)));
  EXPECT_FALSE(SameSchedule(s, Partial(Schedule::PRECISION_MONTH, 2018, 6)));
}

TEST(ScheduleIntervalTest, ConcreteMeansExactOrDay) {
  EXPECT_FALSE(IsConcrete(Partial(Schedule::PRECISION_MONTH, 2018, 5)));
  EXPECT_FALSE(IsConcrete(Partial(Schedule::PRECISION_YEAR, 2018)));
  EXPECT_TRUE(IsConcrete(Partial(Schedule::PRECISION_DAY, 2018, 5, 14)));
  EXPECT_TRUE(IsConcrete(Exact(Utc(2018, 5, 14), Utc(2018, 5, 15), "UTC")));
}

// The time-window filter sees a month-precision event as the whole month.
class TimeWindowFilterTest : public ::testing::Test {
 protected:
  bool Matches(const std::string& filter, const Schedule& schedule) {
    v1::Event e;
    *e.mutable_schedule() = schedule;
    EXPECT_TRUE(NormalizeSchedule("event.schedule", e.mutable_schedule()).ok());
    auto node = query::ParseFilter(filter, EventFilterSchema());
    EXPECT_TRUE(node.ok()) << node.status();
    return EventMatches(*node, e);
  }
};

TEST_F(TimeWindowFilterTest, MonthEventOverlapsWindowsInsideAndAroundIt) {
  const Schedule may = Partial(Schedule::PRECISION_MONTH, 2018, 5);
  EXPECT_TRUE(Matches(R"(start < "2018-06-01" AND end >= "2018-05-01")", may));
  // A window of one day in the middle of May.
  EXPECT_TRUE(Matches(R"(start < "2018-05-15" AND end > "2018-05-14")", may));
  EXPECT_FALSE(Matches(R"(start >= "2018-06-01")", may));
  EXPECT_FALSE(Matches(R"(end <= "2018-04-30")", may));
  EXPECT_FALSE(Matches(R"(start < "2018-05-01")", may));
  EXPECT_TRUE(Matches(R"(precision = MONTH)", may));
}

}  // namespace
}  // namespace newsdesk::events
