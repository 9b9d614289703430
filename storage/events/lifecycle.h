// The event lifecycle: which status each action leads to, from which status.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "newsdesk/events/v1/event.pb.h"

namespace newsdesk::events {

using Event = ::newsdesk::events::v1::Event;
using EventChange = ::newsdesk::events::v1::EventChange;

enum class Action { kConfirm, kPostpone, kCancel, kComplete };

// The transition table (also in event.proto and docs/EVENTS.md):
//   PLANNED   → Confirm: CONFIRMED, Postpone: POSTPONED, Cancel: CANCELLED
//   CONFIRMED → Postpone: POSTPONED, Cancel: CANCELLED, Complete: COMPLETED
//   POSTPONED → Confirm: CONFIRMED, Postpone: POSTPONED, Cancel: CANCELLED
//   CANCELLED, COMPLETED: final
// Returns the status after `action`. Errors: FAILED_PRECONDITION naming the
// current status and the action, e.g. "cannot complete an event in status
// PLANNED (allowed from: CONFIRMED)".
absl::StatusOr<Event::Status> NextStatus(Event::Status from, Action action);

// "PLANNED", "CONFIRMED", ...
std::string StatusName(Event::Status status);

// "ConfirmEvent", ...
const char* ActionMethod(Action action);

// The change type an action is logged as.
EventChange::Type ActionChangeType(Action action);

}  // namespace newsdesk::events
