#include "services/events/icalendar.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "storage/events/lifecycle.h"
#include "storage/events/schedule.h"
#include "storage/kv/proto_time.h"

namespace newsdesk::events {
namespace {

using ::newsdesk::events::v1::Event;
using ::newsdesk::events::v1::Organizer;

constexpr size_t kMaxLineOctets = 75;
// A zone changing its offset more often than this within one export's span
// is not a real zone; stop listing observances there.
constexpr int kMaxObservances = 2000;

std::string UtcStamp(absl::Time t) { return absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone()); }
std::string LocalStamp(absl::Time t, absl::TimeZone tz) { return absl::FormatTime("%Y%m%dT%H%M%S", t, tz); }
std::string CivilStamp(absl::CivilSecond c) {
  return absl::StrFormat("%04d%02d%02dT%02d%02d%02d", static_cast<int>(c.year()), c.month(), c.day(), c.hour(),
                         c.minute(), c.second());
}

std::string Offset(int seconds) {
  const char sign = seconds < 0 ? '-' : '+';
  const int a = std::abs(seconds);
  if (a % 60 != 0) return absl::StrFormat("%c%02d%02d%02d", sign, a / 3600, a / 60 % 60, a % 60);
  return absl::StrFormat("%c%02d%02d", sign, a / 3600, a / 60 % 60);
}

std::string DateValue(absl::CivilDay d) {
  return absl::StrFormat("%04d%02d%02d", static_cast<int>(d.year()), d.month(), d.day());
}

// RFC 5545 3.1: a content line holds no CONTROL characters (all below
// 0x20 but TAB, and DEL). TEXT values are escaped before they get here, but
// others (the UID from the event's name, URL, TZID) are written as stored:
// dropping them here means no value can start a line of its own.
std::string WithoutControls(absl::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) continue;
    out.push_back(c);
  }
  return out;
}

// A parameter value (RFC 5545 3.1 param-value): DQUOTE is never allowed, and
// a value holding ";", ":" or "," must be quoted.
std::string ParamValue(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c != '"') out.push_back(c);
  }
  if (out.find_first_of(";:,") != std::string::npos) out = absl::StrCat("\"", out, "\"");
  return out;
}

class Writer {
 public:
  void Line(absl::string_view line) { out_ += FoldLine(WithoutControls(line)); }
  void Prop(absl::string_view name, absl::string_view value) { Line(absl::StrCat(name, ":", value)); }
  void Text(absl::string_view name, absl::string_view value) {
    if (!value.empty()) Prop(name, EscapeText(value));
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

// The first civil day of a partial date and the day after its last unit.
void PartialDays(const Schedule& s, absl::CivilDay* first, absl::CivilDay* after) {
  const auto& a = s.start_date();
  const auto& b = s.has_end_date() ? s.end_date() : s.start_date();
  switch (s.precision()) {
    case Schedule::PRECISION_YEAR:
      *first = absl::CivilDay(absl::CivilYear(a.year()));
      *after = absl::CivilDay(absl::CivilYear(b.year()) + 1);
      break;
    case Schedule::PRECISION_MONTH:
      *first = absl::CivilDay(absl::CivilMonth(a.year(), a.month()));
      *after = absl::CivilDay(absl::CivilMonth(b.year(), b.month()) + 1);
      break;
    default:
      *first = absl::CivilDay(a.year(), a.month(), a.day());
      *after = absl::CivilDay(b.year(), b.month(), b.day()) + 1;
      break;
  }
}

const char* IcsStatus(Event::Status status) {
  switch (status) {
    case Event::STATUS_CONFIRMED:
    case Event::STATUS_COMPLETED:
      return "CONFIRMED";
    case Event::STATUS_CANCELLED:
      return "CANCELLED";
    default:
      return "TENTATIVE";
  }
}

std::string Bare(const std::string& name, absl::string_view prefix) {
  return absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
}

}  // namespace

std::string EscapeText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '\\': out += "\\\\"; break;
      case ';': out += "\\;"; break;
      case ',': out += "\\,"; break;
      case '\n': out += "\\n"; break;
      case '\r':
        // CRLF and a lone CR are both one line break.
        if (i + 1 >= text.size() || text[i + 1] != '\n') out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') break;  // CONTROL characters are not TEXT
        if (c == 0x7f) break;
        out.push_back(c);
    }
  }
  return out;
}

std::string FoldLine(absl::string_view line) {
  std::string out;
  out.reserve(line.size() + line.size() / 70 * 3 + 2);
  size_t used = 0;  // octets on the current physical line
  size_t i = 0;
  while (i < line.size()) {
    // The length of the UTF-8 sequence starting at i (continuation bytes of
    // malformed input are taken one at a time).
    const unsigned char lead = static_cast<unsigned char>(line[i]);
    size_t n = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 1;
    n = std::min(n, line.size() - i);
    if (used + n > kMaxLineOctets) {
      out += "\r\n ";
      used = 1;
    }
    out.append(line.data() + i, n);
    used += n;
    i += n;
  }
  out += "\r\n";
  return out;
}

std::string EncodeTimeZone(absl::TimeZone tz, absl::string_view tzid, absl::Time from, absl::Time to) {
  Writer w;
  w.Line("BEGIN:VTIMEZONE");
  w.Prop("TZID", tzid);

  const auto observance = [&](absl::Time at, absl::CivilSecond local_before, int offset_from) {
    const absl::TimeZone::CivilInfo after = tz.At(at);
    const char* kind = after.is_dst ? "DAYLIGHT" : "STANDARD";
    w.Line(absl::StrCat("BEGIN:", kind));
    w.Prop("DTSTART", CivilStamp(local_before));
    w.Prop("TZOFFSETFROM", Offset(offset_from));
    w.Prop("TZOFFSETTO", Offset(after.offset));
    if (after.zone_abbr != nullptr) w.Text("TZNAME", after.zone_abbr);
    w.Line(absl::StrCat("END:", kind));
  };

  // The observance in force at `from`: it began at the last transition
  // before it (or, for a zone without transitions, "always").
  absl::TimeZone::CivilTransition trans;
  if (tz.PrevTransition(from + absl::Seconds(1), &trans)) {
    const absl::Time at = tz.At(trans.to).trans;
    observance(at, trans.from, tz.At(at - absl::Seconds(1)).offset);
  } else {
    const int offset = tz.At(from).offset;
    observance(from, absl::CivilSecond(1970, 1, 1), offset);
  }
  absl::Time t = from + absl::Seconds(1);
  for (int n = 0; n < kMaxObservances && tz.NextTransition(t, &trans); ++n) {
    const absl::Time at = tz.At(trans.to).trans;
    if (at > to) break;
    observance(at, trans.from, tz.At(at - absl::Seconds(1)).offset);
    t = at;
  }
  w.Line("END:VTIMEZONE");
  return w.out();
}

absl::StatusOr<std::string> EncodeCalendar(const std::vector<Event>& events) {
  Writer w;
  w.Line("BEGIN:VCALENDAR");
  w.Prop("VERSION", "2.0");
  w.Prop("PRODID", "-//newsdesk//events v1//EN");
  w.Prop("CALSCALE", "GREGORIAN");

  // Time zones of exact schedules, with the span each must cover.
  std::map<std::string, std::pair<absl::Time, absl::Time>> zones;
  for (const Event& e : events) {
    const Schedule& s = e.schedule();
    if (s.precision() != Schedule::PRECISION_EXACT) continue;
    auto interval = ScheduleInterval(absl::StrCat(e.name(), ".schedule"), s);
    if (!interval.ok()) return interval.status();
    auto [it, inserted] = zones.try_emplace(s.time_zone(), interval->start, interval->end);
    if (!inserted) {
      it->second.first = std::min(it->second.first, interval->start);
      it->second.second = std::max(it->second.second, interval->end);
    }
  }
  for (const auto& [name, span] : zones) {
    auto tz = LoadZone("schedule.time_zone", name);
    if (!tz.ok()) return tz.status();
    w.out() += EncodeTimeZone(*tz, name, span.first, span.second);
  }

  for (const Event& e : events) {
    const Schedule& s = e.schedule();
    const std::string id = e.name().substr(std::min(e.name().size(), sizeof("events/") - 1));
    w.Line("BEGIN:VEVENT");
    w.Prop("UID", absl::StrCat(id, "@newsdesk-events"));
    w.Prop("DTSTAMP", UtcStamp(FromProtoTime(e.update_time())));
    w.Prop("CREATED", UtcStamp(FromProtoTime(e.create_time())));
    w.Prop("LAST-MODIFIED", UtcStamp(FromProtoTime(e.update_time())));
    w.Prop("SEQUENCE", absl::StrCat(e.revision()));
    if (s.precision() == Schedule::PRECISION_EXACT) {
      auto tz = LoadZone("schedule.time_zone", s.time_zone());
      if (!tz.ok()) return tz.status();
      const absl::Time start = FromProtoTime(s.start_time());
      const absl::Time end = FromProtoTime(s.end_time());
      w.Prop(absl::StrCat("DTSTART;TZID=", ParamValue(s.time_zone())), LocalStamp(start, *tz));
      // RFC 5545: DTEND must be later than DTSTART; an instant has none.
      if (end > start) w.Prop(absl::StrCat("DTEND;TZID=", ParamValue(s.time_zone())), LocalStamp(end, *tz));
    } else {
      absl::CivilDay first, after;
      PartialDays(s, &first, &after);
      w.Prop("DTSTART;VALUE=DATE", DateValue(first));
      w.Prop("DTEND;VALUE=DATE", DateValue(after));
    }
    const std::string lang = e.language().empty() ? "" : absl::StrCat(";LANGUAGE=", ParamValue(e.language()));
    w.Text(absl::StrCat("SUMMARY", lang), e.title());
    w.Text(absl::StrCat("DESCRIPTION", lang), e.description());
    w.Prop("STATUS", IcsStatus(e.status()));
    if (e.status() == Event::STATUS_COMPLETED || e.status() == Event::STATUS_POSTPONED) {
      w.Text("X-NEWSDESK-STATUS", StatusName(e.status()));
    }
    if (!e.status_reason().empty()) w.Text("X-NEWSDESK-STATUS-REASON", e.status_reason());
    w.Text("X-NEWSDESK-KIND", Bare(Event::Kind_Name(e.kind()), "KIND_"));
    w.Text("X-NEWSDESK-PRECISION", PrecisionName(s.precision()));

    const auto& l = e.location();
    std::vector<std::string> place;
    for (const std::string* part : {&l.venue(), &l.locality(), &l.administrative_area(), &l.region_code()}) {
      if (!part->empty()) place.push_back(EscapeText(*part));
    }
    if (!place.empty()) w.Prop(absl::StrCat("LOCATION", lang), absl::StrJoin(place, "\\, "));
    if (l.has_latitude() && l.has_longitude()) {
      w.Prop("GEO", absl::StrFormat("%.6f;%.6f", l.latitude(), l.longitude()));
    }
    if (!l.online_url().empty()) w.Prop("URL;VALUE=URI", l.online_url());
    if (e.tags_size() > 0) {
      std::vector<std::string> tags;
      for (const auto& t : e.tags()) tags.push_back(EscapeText(t));
      w.Prop(absl::StrCat("CATEGORIES", lang), absl::StrJoin(tags, ","));
    }
    for (const Organizer& o : e.organizers()) {
      std::vector<std::string> parts = {Bare(Organizer::Role_Name(o.role()), "ROLE_")};
      if (!o.region_code().empty()) parts.push_back(o.region_code());
      if (!o.locality().empty()) parts.push_back(o.locality());
      w.Text("X-NEWSDESK-ORGANIZER", absl::StrCat(o.display_name(), " (", absl::StrJoin(parts, ", "), ")"));
    }
    for (const auto& a : e.source_articles()) w.Text("X-NEWSDESK-SOURCE-ARTICLE", a);
    w.Line("END:VEVENT");
  }
  w.Line("END:VCALENDAR");
  return std::move(w.out());
}

}  // namespace newsdesk::events
