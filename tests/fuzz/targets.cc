#include "tests/fuzz/targets.h"

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "newsdesk/content/v1/content_service.pb.h"
#include "services/common/page_token.h"
#include "services/common/validation.h"
#include "services/content/article_validation.h"
#include "storage/content/article_store.h"
#include "storage/kv/entry_set.h"
#include "storage/media/chunked_bytes.h"
#include "storage/media/image.h"
#include "storage/query/filter.h"
#include "storage/text/text_analysis.h"
#ifdef NEWSDESK_FUZZ_EVENTS
#include "newsdesk/events/v1/events_service.pb.h"
#include "services/events/event_validation.h"
#include "services/events/icalendar.h"
#endif

namespace newsdesk::fuzz {
namespace {

absl::string_view View(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

void Check(bool condition) {
  if (!condition) std::abort();
}

// The filter parser: any input parses or fails with INVALID_ARGUMENT naming
// the filter; a parsed filter renders canonically and re-parses to the same.
void Filter(const uint8_t* data, size_t size) {
  auto node = query::ParseFilter(View(data, size), content::ArticleFilterSchema());
  if (!node.ok()) {
    Check(node.status().code() == absl::StatusCode::kInvalidArgument);
    Check(node.status().message().substr(0, 7) == "filter:");
    return;
  }
  const std::string canonical = query::Canonical(*node);
  auto again = query::ParseFilter(canonical, content::ArticleFilterSchema());
  Check(again.ok());
  Check(query::Canonical(*again) == canonical);
}

// Page tokens: nothing but a token this codec issued decodes, and a decoded
// cursor is what was encoded.
void PageToken(const uint8_t* data, size_t size) {
  static const PageTokenCodec codec(std::string(32, 'k'));
  auto cursor = codec.Decode("articles", "q", View(data, size));
  if (!cursor.ok()) {
    Check(cursor.status().code() == absl::StatusCode::kInvalidArgument);
  }
  const std::string token = codec.Encode("articles", "q", View(data, size));
  auto back = codec.Decode("articles", "q", token);
  if (token.size() <= 1024) {
    Check(back.ok() && *back == std::string(View(data, size)));
  }
  Check(!codec.Decode("galleries", "q", token).ok());
}

// Request validation on whatever a client may send: wire bytes that parse
// as a CreateArticleRequest / UpdateArticleRequest are validated without a
// crash and with INVALID_ARGUMENT only.
void ArticleRequest(const uint8_t* data, size_t size) {
  content::v1::UpdateArticleRequest update;
  if (update.ParseFromArray(data, static_cast<int>(size))) {
    auto paths = content::ResolveUpdateMask(update.update_mask(), update.article());
    if (paths.ok()) {
      content::v1::Article patch = update.article();
      auto st = content::ValidateAndNormalize(*paths, &patch);
      Check(st.ok() || st.code() == absl::StatusCode::kInvalidArgument);
    }
    (void)ParseResourceName("article.name", update.article().name(), "articles");
  }
  content::v1::CreateArticleRequest create;
  if (create.ParseFromArray(data, static_cast<int>(size))) {
    content::v1::Article a = create.article();
    auto st = content::ValidateAndNormalize(content::WritableArticleFields(), &a);
    Check(st.ok() || st.code() == absl::StatusCode::kInvalidArgument);
    if (st.ok()) Check(CheckUtf8("title", a.title()).ok());
    (void)CheckResourceId("article_id", create.article_id());
    (void)CheckRequestId("request_id", create.request_id());
  }
}

// The search query language and the text analysis behind it.
void SearchQuery(const uint8_t* data, size_t size) {
  auto q = text::ParseQuery(View(data, size));
  if (!q.ok()) {
    Check(q.status().code() == absl::StatusCode::kInvalidArgument);
  } else {
    Check(!q->required.empty());
    (void)text::Canonical(*q);
  }
  if (size <= 4096) {
    auto analyzed = text::AnalyzeForIndex(View(data, size));
    for (const auto& t : analyzed.terms) Check(!t.term.empty());
    (void)text::Snippet(View(data, size), {"a"}, 50);
    (void)text::SnippetAt(View(data, size), {0, 2, 5, 1000}, 50);
    const auto tokens = text::Tokenize(View(data, size));
    const auto bounds = text::TokenizeBounds(View(data, size));
    Check(tokens.size() == bounds.size());
    // A soft hyphen after a space adds no word but leaves the text to ICU:
    // text word-broken without ICU must break the same way.
    const auto by_icu = text::TokenizeBounds(absl::StrCat(View(data, size), " \u00AD"));
    Check(by_icu.size() == bounds.size());
    for (size_t i = 0; i < bounds.size() && i < by_icu.size(); ++i) {
      Check(bounds[i].begin == by_icu[i].begin && bounds[i].end == by_icu[i].end);
    }
  }
}

// Entry sets (the search index's blocks): arbitrary bytes as a stored set and
// merge operands. Merging either refuses the input or gives a canonical set
// (strictly ascending members; removals only when operands are combined),
// and combining operands first gives the same set as merging them one by one.
void EntrySet(const uint8_t* data, size_t size) {
  // Inputs are separated by 0xff bytes (never a valid varint's last byte).
  std::vector<absl::string_view> sets;
  absl::string_view rest = View(data, size);
  for (size_t cut; (cut = rest.find('\xff')) != absl::string_view::npos && sets.size() < 16;) {
    sets.push_back(rest.substr(0, cut));
    rest = rest.substr(cut + 1);
  }
  sets.push_back(rest);
  const auto canonical = [](absl::string_view set, bool removals_allowed) {
    kv::SetEntryReader r(set);
    absl::string_view member, payload, previous;
    bool removal = false, first = true;
    while (r.Next(&member, &payload, &removal)) {
      Check(first || previous < member);
      Check(removals_allowed || !removal);
      previous = member;
      first = false;
    }
    Check(r.ok());
  };
  std::string full, combined;
  const bool ok = kv::MergeSets(sets, /*keep_removals=*/false, &full);
  Check(ok == kv::MergeSets(sets, /*keep_removals=*/true, &combined));
  if (!ok) return;
  canonical(full, false);
  canonical(combined, true);
  std::string again;
  Check(kv::MergeSets({full}, false, &again) && again == full);
  if (sets.size() >= 2) {
    std::string operands, stepwise;
    std::vector<absl::string_view> tail(sets.begin() + 1, sets.end());
    Check(kv::MergeSets(tail, true, &operands));
    Check(kv::MergeSets({sets[0], operands}, false, &stepwise));
    Check(stepwise == full);
  }
}

// Image header parsing and checking of uploaded bytes (libvips): any bytes
// are either refused with INVALID_ARGUMENT naming the photo or described
// consistently; small images go through the whole upload processing, with
// a pixel cap low enough that a header declaring huge dimensions (a
// decompression bomb) is refused before any pixel is decoded.
void ImageHeader(const uint8_t* data, size_t size) {
  const absl::string_view bytes = View(data, size);
  const auto format = media::SniffFormat(bytes.substr(0, 16));
  auto info = media::InspectImage(bytes);
  if (!info.ok()) {
    Check(info.status().code() == absl::StatusCode::kInvalidArgument);
    Check(absl::StartsWith(info.status().message(), "photo:"));
  } else {
    Check(format.has_value() && info->format == *format);
    Check(info->width > 0 && info->height > 0);
  }
  if (size > (256 << 10)) return;
  media::ProcessOptions options;
  options.max_pixels = 512 * 512;
  auto processed = media::ProcessPhoto(media::ChunkedBytes::Copy(bytes), options);
  if (!processed.ok()) {
    Check(processed.status().code() == absl::StatusCode::kInvalidArgument);
    Check(absl::StartsWith(processed.status().message(), "photo:"));
    return;
  }
  // What was accepted decodes whole, and is what it says it is.
  Check(media::InspectImage(bytes, /*decode_pixels=*/true).ok());
  Check(format.has_value() && processed->original.format == *format);
  Check(processed->original.sha256 == processed->original.bytes.Sha256Hex());
  Check(static_cast<uint64_t>(processed->original.width) * static_cast<uint64_t>(processed->original.height) <=
        options.max_pixels);
  Check(processed->renditions.size() == media::RenditionSpecs().size());
  for (size_t i = 0; i < processed->renditions.size(); ++i) {
    const auto& r = processed->renditions[i];
    Check(r.name == media::RenditionSpecs()[i].name);
    Check(r.image.width > 0 && r.image.width <= media::RenditionSpecs()[i].max_width);
    Check(r.image.format == *format);
  }
}

#ifdef NEWSDESK_FUZZ_EVENTS
// Physical lines of iCalendar text: each ends with CRLF, holds no other CR
// or LF and at most 75 octets.
std::vector<std::string> CheckedPhysicalLines(absl::string_view text) {
  Check(absl::EndsWith(text, "\r\n"));
  std::vector<std::string> lines = absl::StrSplit(text.substr(0, text.size() - 2), "\r\n");
  for (const auto& line : lines) {
    Check(line.size() <= 75);
    Check(line.find('\r') == std::string::npos && line.find('\n') == std::string::npos);
  }
  return lines;
}

// RFC 5545 TEXT unescaping, the inverse of EscapeText.
std::string UnescapeText(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      const char next = text[++i];
      out.push_back(next == 'n' ? '\n' : next);
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// The iCalendar encoder. The input is a ListEventsResponse (any number of
// events, validated or not, as stored events could be after a schema or
// tz database change) and, as raw text, the escaping and folding. Whatever
// the events hold, the output is well-formed: CRLF-terminated lines of at
// most 75 octets, one VEVENT per event, no line a value could have injected.
// Validated events always encode.
void ICalendar(const uint8_t* data, size_t size) {
  const absl::string_view raw = View(data, size);
  if (size <= 4096) {
    // Escaping: no control characters but TAB survive, and unescaping gives
    // the text back with line breaks as LF and other controls dropped.
    const std::string escaped = events::EscapeText(raw);
    std::string expected;
    for (size_t i = 0; i < raw.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(raw[i]);
      if (c == '\r') {
        if (i + 1 >= raw.size() || raw[i + 1] != '\n') expected.push_back('\n');
      } else if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f)) {
        expected.push_back(static_cast<char>(c));
      }
    }
    for (unsigned char c : escaped) Check(c == '\t' || (c >= 0x20 && c != 0x7f));
    Check(UnescapeText(escaped) == expected);
    // Folding a line that holds no line break: unfolding gives it back, and
    // valid UTF-8 is never split.
    if (raw.find_first_of("\r\n") == absl::string_view::npos) {
      const bool utf8 = CheckUtf8("", raw).ok();  // (NUL-free too)
      const std::vector<std::string> lines = CheckedPhysicalLines(events::FoldLine(raw));
      std::string unfolded;
      for (size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) Check(!lines[i].empty() && lines[i][0] == ' ');
        unfolded += i == 0 ? lines[i] : lines[i].substr(1);
        if (utf8) Check(CheckUtf8("", lines[i]).ok());
      }
      Check(unfolded == raw);
    }
  }

  events::v1::ListEventsResponse list;
  if (!list.ParseFromArray(data, static_cast<int>(size)) || list.events_size() > 50) return;
  const std::vector<events::v1::Event> raw_events(list.events().begin(), list.events().end());
  std::vector<events::v1::Event> validated;
  const std::vector<const std::vector<events::v1::Event>*> batches = {&raw_events, &validated};
  for (const auto& e : raw_events) {
    events::v1::Event v = e;
    if (events::ValidateAndNormalize(events::WritableEventFields(), &v).ok()) validated.push_back(std::move(v));
  }
  for (const auto* batch : batches) {
    auto calendar = events::EncodeCalendar(*batch);
    if (!calendar.ok()) {
      Check(batch != &validated);
      Check(calendar.status().code() == absl::StatusCode::kInvalidArgument);
      continue;
    }
    // Logical lines: the structure is exactly the calendar, its time zones
    // and one VEVENT per event.
    std::vector<std::string> logical;
    for (const auto& line : CheckedPhysicalLines(*calendar)) {
      if (!line.empty() && line[0] == ' ') {
        Check(!logical.empty());
        logical.back() += line.substr(1);
      } else {
        logical.push_back(line);
      }
    }
    Check(logical.size() >= 2 && logical.front() == "BEGIN:VCALENDAR" && logical.back() == "END:VCALENDAR");
    static const auto* known = new std::set<std::string>{
        "BEGIN", "END", "VERSION", "PRODID", "CALSCALE", "TZID", "DTSTART", "TZOFFSETFROM", "TZOFFSETTO",
        "TZNAME", "UID", "DTSTAMP", "CREATED", "LAST-MODIFIED", "SEQUENCE", "DTEND", "SUMMARY", "DESCRIPTION",
        "STATUS", "LOCATION", "GEO", "URL", "CATEGORIES"};
    static const auto* components =
        new std::set<std::string>{"VCALENDAR", "VEVENT", "VTIMEZONE", "STANDARD", "DAYLIGHT"};
    size_t begins = 0, ends = 0, calendars = 0, uids = 0;
    for (const auto& line : logical) {
      // Every line is a property the encoder writes (a value cannot have
      // started a line of its own), without control characters but TAB.
      const size_t name_end = line.find_first_of(";:");
      Check(name_end != std::string::npos && line.find(':') != std::string::npos);
      const std::string name = line.substr(0, name_end);
      Check(known->count(name) == 1 || absl::StartsWith(name, "X-NEWSDESK-"));
      if (name == "BEGIN" || name == "END") Check(components->count(line.substr(name_end + 1)) == 1);
      for (unsigned char c : line) Check(c == '\t' || (c >= 0x20 && c != 0x7f));
      begins += line == "BEGIN:VEVENT";
      ends += line == "END:VEVENT";
      uids += name == "UID";
      calendars += line == "BEGIN:VCALENDAR" || line == "END:VCALENDAR";
    }
    Check(begins == batch->size() && ends == batch->size() && uids == batch->size() && calendars == 2);
  }
}
#endif

}  // namespace

const std::vector<Target>& Targets() {
  // Invalid UTF-8 in a string field is an expected input here, not news.
  static const bool silenced = [] {
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
    return true;
  }();
  (void)silenced;
  static const auto* targets = new std::vector<Target>{
      {"filter", Filter},
      {"page_token", PageToken},
      {"article_request", ArticleRequest},
      {"search_query", SearchQuery},
      {"image_header", ImageHeader},
      {"entry_set", EntrySet},
#ifdef NEWSDESK_FUZZ_EVENTS
      {"icalendar", ICalendar},
#endif
  };
  return *targets;
}

}  // namespace newsdesk::fuzz
