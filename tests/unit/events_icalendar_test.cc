// The iCalendar encoder: escaping, folding at 75 octets without splitting
// UTF-8 characters, DATE values for partial schedules, DATE-TIME with TZID
// and a VTIMEZONE for exact ones.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "services/common/validation.h"
#include "services/events/icalendar.h"
#include "storage/events/schedule.h"
#include "storage/kv/proto_time.h"

namespace newsdesk::events {
namespace {

using v1::Event;
using v1::Schedule;

absl::Time Utc(int y, int m, int d, int hh = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, 0, 0), absl::UTCTimeZone());
}

// Physical lines (without CRLF); fails the test on a bare LF or CR.
std::vector<std::string> PhysicalLines(const std::string& text) {
  EXPECT_GE(text.size(), 2u);
  EXPECT_EQ(text.substr(text.size() - 2), "\r\n");
  std::vector<std::string> lines = absl::StrSplit(text.substr(0, text.size() - 2), "\r\n");
  for (const auto& l : lines) {
    EXPECT_EQ(l.find('\n'), std::string::npos) << l;
    EXPECT_EQ(l.find('\r'), std::string::npos) << l;
  }
  return lines;
}

std::string Unfold(const std::string& text) {
  std::string out;
  for (const auto& l : PhysicalLines(text)) {
    if (!l.empty() && l[0] == ' ') {
      out += l.substr(1);
    } else {
      if (!out.empty()) out += "\n";
      out += l;
    }
  }
  return out;
}

void ExpectFoldedCorrectly(const std::string& line) {
  const std::string folded = FoldLine(line);
  for (const auto& physical : PhysicalLines(folded)) {
    EXPECT_LE(physical.size(), 75u) << physical;
    // Every physical line is valid UTF-8 on its own: no character was split.
    EXPECT_TRUE(CheckUtf8("line", physical).ok()) << physical;
  }
  EXPECT_EQ(Unfold(folded), line);
}

TEST(ICalendarTest, EscapesTextSpecials) {
  EXPECT_EQ(EscapeText("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
  EXPECT_EQ(EscapeText("one\r\ntwo\rthree"), "one\\ntwo\\nthree");
  EXPECT_EQ(EscapeText(std::string("bell\a tab\t")), "bell tab\t");
  EXPECT_EQ(EscapeText("Zażółć: \"gęślą\""), "Zażółć: \"gęślą\"");
}

TEST(ICalendarTest, ShortLinesAreNotFolded) {
  EXPECT_EQ(FoldLine("SUMMARY:Konferencja"), "SUMMARY:Konferencja\r\n");
  const std::string exactly75(75, 'x');
  EXPECT_EQ(FoldLine(exactly75), exactly75 + "\r\n");
  EXPECT_EQ(FoldLine(exactly75 + "y"), exactly75 + "\r\n y\r\n");
}

TEST(ICalendarTest, FoldsAsciiAt75Octets) {
  ExpectFoldedCorrectly("DESCRIPTION:" + std::string(500, 'a'));
}

TEST(ICalendarTest, FoldsWithoutSplittingMultiByteCharacters) {
  // Two-, three- and four-byte characters, with one- and two-byte offsets so
  // that the 75-octet boundary falls inside characters at many positions.
  for (const std::string& unit : {std::string("ż"), std::string("€"), std::string("🇵🇱"), std::string("aż€🎉")}) {
    for (const std::string& prefix : {std::string("S:"), std::string("SU:"), std::string("SUM:")}) {
      std::string line = prefix;
      for (int i = 0; i < 80; ++i) line += unit;
      SCOPED_TRACE(prefix + unit);
      ExpectFoldedCorrectly(line);
    }
  }
}

Event MayConference() {
  Event e;
  e.set_name("events/konferencja-2018");
  e.set_title("Wspólna konferencja szpitali z Białej Podlaskiej i Tałdykorganu; medycyna, staże");
  e.set_description("Pierwsza linia.\nDruga linia, z przecinkiem; i średnikiem.");
  e.set_kind(Event::KIND_CONFERENCE);
  e.set_status(Event::STATUS_PLANNED);
  e.set_language("pl");
  e.set_revision(3);
  e.add_tags("zdrowie");
  e.add_tags("Kazachstan, współpraca");
  e.mutable_location()->set_locality("Tałdykorgan");
  e.mutable_location()->set_region_code("KZ");
  Schedule* s = e.mutable_schedule();
  s->set_precision(Schedule::PRECISION_MONTH);
  s->mutable_start_date()->set_year(2018);
  s->mutable_start_date()->set_month(5);
  EXPECT_TRUE(NormalizeSchedule("schedule", s).ok());
  ToProtoTime(Utc(2018, 1, 10, 8), e.mutable_create_time());
  ToProtoTime(Utc(2018, 1, 12, 9), e.mutable_update_time());
  return e;
}

TEST(ICalendarTest, MonthPrecisionIsAWholeMonthOfDates) {
  auto ics = EncodeCalendar({MayConference()});
  ASSERT_TRUE(ics.ok()) << ics.status();
  const std::string text = Unfold(*ics);
  EXPECT_NE(text.find("BEGIN:VCALENDAR\nVERSION:2.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nUID:konferencja-2018@newsdesk-events\n"), std::string::npos);
  EXPECT_NE(text.find("\nDTSTAMP:20180112T090000Z\n"), std::string::npos);
  EXPECT_NE(text.find("\nSEQUENCE:3\n"), std::string::npos);
  EXPECT_NE(text.find("\nDTSTART;VALUE=DATE:20180501\n"), std::string::npos);
  EXPECT_NE(text.find("\nDTEND;VALUE=DATE:20180601\n"), std::string::npos);
  EXPECT_NE(text.find("\nSTATUS:TENTATIVE\n"), std::string::npos);
  EXPECT_NE(text.find("\nSUMMARY;LANGUAGE=pl:Wspólna konferencja szpitali z Białej Podlaskiej i "
                      "Tałdykorganu\\; medycyna\\, staże\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nDESCRIPTION;LANGUAGE=pl:Pierwsza linia.\\nDruga linia\\, z przecinkiem\\; i średnikiem.\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nCATEGORIES;LANGUAGE=pl:zdrowie,Kazachstan\\, współpraca\n"), std::string::npos);
  EXPECT_EQ(text.find("VTIMEZONE"), std::string::npos);
  for (const auto& l : PhysicalLines(*ics)) EXPECT_LE(l.size(), 75u);
}

TEST(ICalendarTest, UidIsStableAcrossRevisions) {
  Event a = MayConference();
  Event b = a;
  b.set_revision(9);
  b.set_status(Event::STATUS_CANCELLED);
  auto ia = EncodeCalendar({a});
  auto ib = EncodeCalendar({b});
  ASSERT_TRUE(ia.ok() && ib.ok());
  EXPECT_NE(ib->find("UID:konferencja-2018@newsdesk-events\r\n"), std::string::npos);
  EXPECT_NE(ib->find("STATUS:CANCELLED\r\n"), std::string::npos);
  EXPECT_NE(ib->find("SEQUENCE:9\r\n"), std::string::npos);
}

TEST(ICalendarTest, NoStoredValueCanStartALineOrAParameter) {
  // Values the encoder writes without TEXT escaping: the UID (from the name),
  // the URL, LANGUAGE. Found by fuzz_icalendar (a NUL byte in the name).
  Event e = MayConference();
  static constexpr char kName[] = "events/a\r\nBEGIN:VEVENT\r\nX\0y";
  e.set_name(std::string(kName, sizeof(kName) - 1));
  e.mutable_location()->set_online_url("https://example.org/\r\nATTACH:evil");
  e.set_language("pl:EVIL;X=1");
  auto ics = EncodeCalendar({e});
  ASSERT_TRUE(ics.ok()) << ics.status();
  const std::string text = Unfold(*ics);
  size_t begins = 0;
  for (size_t at = text.find("BEGIN:VEVENT"); at != std::string::npos; at = text.find("BEGIN:VEVENT", at + 1)) {
    begins += at == 0 || text[at - 1] == '\n';
  }
  EXPECT_EQ(begins, 1u) << text;
  EXPECT_NE(text.find("\nUID:aBEGIN:VEVENTXy@newsdesk-events\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nURL;VALUE=URI:https://example.org/ATTACH:evil\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nSUMMARY;LANGUAGE=\"pl:EVIL;X=1\":"), std::string::npos) << text;
  EXPECT_EQ(text.find('\0'), std::string::npos);
}

TEST(ICalendarTest, YearAndDayRangesUseExclusiveEndDates) {
  Event year = MayConference();
  Schedule* s = year.mutable_schedule();
  s->Clear();
  s->set_precision(Schedule::PRECISION_YEAR);
  s->mutable_start_date()->set_year(2016);
  Event days = MayConference();
  Schedule* d = days.mutable_schedule();
  d->Clear();
  d->set_precision(Schedule::PRECISION_DAY);
  d->mutable_start_date()->set_year(2016);
  d->mutable_start_date()->set_month(2);
  d->mutable_start_date()->set_day(28);
  d->mutable_end_date()->set_year(2016);
  d->mutable_end_date()->set_month(2);
  d->mutable_end_date()->set_day(29);
  auto ics = EncodeCalendar({year, days});
  ASSERT_TRUE(ics.ok()) << ics.status();
  EXPECT_NE(ics->find("DTSTART;VALUE=DATE:20160101\r\nDTEND;VALUE=DATE:20170101\r\n"), std::string::npos);
  EXPECT_NE(ics->find("DTSTART;VALUE=DATE:20160228\r\nDTEND;VALUE=DATE:20160301\r\n"), std::string::npos);
}

TEST(ICalendarTest, ExactTimesUseTzidAndAVTimezone) {
  Event e = MayConference();
  e.set_status(Event::STATUS_CONFIRMED);
  Schedule* s = e.mutable_schedule();
  s->Clear();
  s->set_precision(Schedule::PRECISION_EXACT);
  ToProtoTime(Utc(2018, 5, 14, 3), s->mutable_start_time());  // 09:00 +06
  ToProtoTime(Utc(2018, 5, 15, 11), s->mutable_end_time());   // 17:00 +06
  s->set_time_zone("Asia/Almaty");
  auto ics = EncodeCalendar({e});
  ASSERT_TRUE(ics.ok()) << ics.status();
  const std::string text = Unfold(*ics);
  EXPECT_NE(text.find("\nDTSTART;TZID=Asia/Almaty:20180514T090000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nDTEND;TZID=Asia/Almaty:20180515T170000\n"), std::string::npos);
  EXPECT_NE(text.find("BEGIN:VTIMEZONE\nTZID:Asia/Almaty\nBEGIN:STANDARD\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nTZOFFSETTO:+0600\n"), std::string::npos);
  EXPECT_NE(text.find("\nSTATUS:CONFIRMED\n"), std::string::npos);
  // The VTIMEZONE comes before the event that uses it.
  EXPECT_LT(text.find("END:VTIMEZONE"), text.find("BEGIN:VEVENT"));
}

TEST(ICalendarTest, VTimezoneListsDaylightSavingChangesInTheSpan) {
  absl::TimeZone warsaw;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Warsaw", &warsaw));
  const std::string vtz = EncodeTimeZone(warsaw, "Europe/Warsaw", Utc(2018, 3, 1), Utc(2018, 11, 30));
  const std::string text = Unfold(vtz);
  // In force on 2018-03-01: CET since 2017-10-29 03:00 CEST.
  EXPECT_NE(text.find("BEGIN:STANDARD\nDTSTART:20171029T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nTZNAME:CET"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("BEGIN:DAYLIGHT\nDTSTART:20180325T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nTZNAME:CEST"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("BEGIN:STANDARD\nDTSTART:20181028T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("2019"), std::string::npos) << text;
}

}  // namespace
}  // namespace newsdesk::events
