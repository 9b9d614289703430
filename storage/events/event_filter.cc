#include "storage/events/event_filter.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "storage/kv/proto_time.h"

namespace newsdesk::events {
namespace {

using ::newsdesk::events::v1::Event;
using ::newsdesk::events::v1::Schedule;

// Enum value names without their prefix, as filters write them.
template <typename Descriptor>
std::vector<std::string> BareNames(const Descriptor* d, absl::string_view prefix) {
  std::vector<std::string> out;
  for (int i = 0; i < d->value_count(); ++i) {
    std::string name = d->value(i)->name();
    if (absl::EndsWith(name, "_UNSPECIFIED")) continue;
    if (absl::StartsWith(name, prefix)) name = name.substr(prefix.size());
    out.push_back(name);
  }
  return out;
}

std::string Bare(const std::string& name, absl::string_view prefix) {
  return absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name;
}

class EventSource : public query::FieldSource {
 public:
  explicit EventSource(const Event& e) : e_(e) {}

  std::vector<std::string> Strings(absl::string_view field) const override {
    if (field == "status") return {Bare(Event::Status_Name(e_.status()), "STATUS_")};
    if (field == "kind") return {Bare(Event::Kind_Name(e_.kind()), "KIND_")};
    if (field == "precision") return {Bare(Schedule::Precision_Name(e_.schedule().precision()), "PRECISION_")};
    if (field == "tags") return {e_.tags().begin(), e_.tags().end()};
    if (field == "source_articles") return {e_.source_articles().begin(), e_.source_articles().end()};
    if (field == "language") return {e_.language()};
    if (field == "location.region_code") return {e_.location().region_code()};
    if (field == "organizers.region_code") {
      std::vector<std::string> out;
      for (const auto& o : e_.organizers()) {
        if (!o.region_code().empty()) out.push_back(o.region_code());
      }
      return out;
    }
    return {};
  }

  std::optional<absl::Time> Time(absl::string_view field) const override {
    const auto get = [](bool has, const google::protobuf::Timestamp& ts) -> std::optional<absl::Time> {
      if (!has) return std::nullopt;
      return FromProtoTime(ts);
    };
    if (field == "start") return get(e_.schedule().has_interval_start_time(), e_.schedule().interval_start_time());
    if (field == "end") return get(e_.schedule().has_interval_end_time(), e_.schedule().interval_end_time());
    if (field == "create_time") return get(e_.has_create_time(), e_.create_time());
    if (field == "update_time") return get(e_.has_update_time(), e_.update_time());
    return std::nullopt;
  }

 private:
  const Event& e_;
};

}  // namespace

const query::Schema& EventFilterSchema() {
  static const query::Schema* schema = [] {
    auto* s = new query::Schema{
        {.name = "status",
         .type = query::ValueType::kEnum,
         .enum_values = BareNames(Event::Status_descriptor(), "STATUS_"),
         .enum_prefix = "STATUS_"},
        {.name = "kind",
         .type = query::ValueType::kEnum,
         .enum_values = BareNames(Event::Kind_descriptor(), "KIND_"),
         .enum_prefix = "KIND_"},
        {.name = "precision",
         .type = query::ValueType::kEnum,
         .enum_values = BareNames(Schedule::Precision_descriptor(), "PRECISION_"),
         .enum_prefix = "PRECISION_"},
        {.name = "organizers.region_code", .type = query::ValueType::kRepeatedString},
        {.name = "location.region_code", .type = query::ValueType::kString},
        {.name = "tags", .type = query::ValueType::kRepeatedString},
        {.name = "source_articles", .type = query::ValueType::kRepeatedString},
        {.name = "language", .type = query::ValueType::kString},
        {.name = "start", .type = query::ValueType::kTimestamp},
        {.name = "end", .type = query::ValueType::kTimestamp},
        {.name = "create_time", .type = query::ValueType::kTimestamp},
        {.name = "update_time", .type = query::ValueType::kTimestamp},
    };
    return s;
  }();
  return *schema;
}

bool EventMatches(const query::Node& filter, const Event& event) {
  return query::Matches(filter, EventSource(event));
}

}  // namespace newsdesk::events
