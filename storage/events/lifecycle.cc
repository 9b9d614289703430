#include "storage/events/lifecycle.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace newsdesk::events {
namespace {

struct Transition {
  Event::Status from;
  Action action;
  Event::Status to;
};

constexpr Transition kTransitions[] = {
    {Event::STATUS_PLANNED, Action::kConfirm, Event::STATUS_CONFIRMED},
    {Event::STATUS_PLANNED, Action::kPostpone, Event::STATUS_POSTPONED},
    {Event::STATUS_PLANNED, Action::kCancel, Event::STATUS_CANCELLED},
    {Event::STATUS_CONFIRMED, Action::kPostpone, Event::STATUS_POSTPONED},
    {Event::STATUS_CONFIRMED, Action::kCancel, Event::STATUS_CANCELLED},
    {Event::STATUS_CONFIRMED, Action::kComplete, Event::STATUS_COMPLETED},
    {Event::STATUS_POSTPONED, Action::kConfirm, Event::STATUS_CONFIRMED},
    {Event::STATUS_POSTPONED, Action::kPostpone, Event::STATUS_POSTPONED},
    {Event::STATUS_POSTPONED, Action::kCancel, Event::STATUS_CANCELLED},
};

const char* Verb(Action action) {
  switch (action) {
    case Action::kConfirm: return "confirm";
    case Action::kPostpone: return "postpone";
    case Action::kCancel: return "cancel";
    case Action::kComplete: return "complete";
  }
  return "?";
}

}  // namespace

std::string StatusName(Event::Status status) {
  std::string name = Event::Status_Name(status);
  if (absl::StartsWith(name, "STATUS_")) name = name.substr(sizeof("STATUS_") - 1);
  return name.empty() ? absl::StrCat(static_cast<int>(status)) : name;
}

absl::StatusOr<Event::Status> NextStatus(Event::Status from, Action action) {
  std::vector<std::string> allowed_from;
  for (const auto& t : kTransitions) {
    if (t.action != action) continue;
    if (t.from == from) return t.to;
    allowed_from.push_back(StatusName(t.from));
  }
  return absl::FailedPreconditionError(absl::StrCat("cannot ", Verb(action), " an event in status ",
                                                    StatusName(from), " (allowed from: ",
                                                    absl::StrJoin(allowed_from, ", "), ")"));
}

const char* ActionMethod(Action action) {
  switch (action) {
    case Action::kConfirm: return "ConfirmEvent";
    case Action::kPostpone: return "PostponeEvent";
    case Action::kCancel: return "CancelEvent";
    case Action::kComplete: return "CompleteEvent";
  }
  return "?";
}

EventChange::Type ActionChangeType(Action action) {
  switch (action) {
    case Action::kConfirm: return EventChange::TYPE_CONFIRMED;
    case Action::kPostpone: return EventChange::TYPE_POSTPONED;
    case Action::kCancel: return EventChange::TYPE_CANCELLED;
    case Action::kComplete: return EventChange::TYPE_COMPLETED;
  }
  return EventChange::TYPE_UNSPECIFIED;
}

}  // namespace newsdesk::events
