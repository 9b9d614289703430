// The lifecycle transition table, checked exhaustively.
#include <gtest/gtest.h>

#include <map>
#include <utility>

#include "storage/events/lifecycle.h"

namespace newsdesk::events {
namespace {

TEST(LifecycleTest, TransitionTableIsExactlyTheDocumentedOne) {
  using S = Event;
  const std::map<std::pair<Event::Status, Action>, Event::Status> allowed = {
      {{S::STATUS_PLANNED, Action::kConfirm}, S::STATUS_CONFIRMED},
      {{S::STATUS_PLANNED, Action::kPostpone}, S::STATUS_POSTPONED},
      {{S::STATUS_PLANNED, Action::kCancel}, S::STATUS_CANCELLED},
      {{S::STATUS_CONFIRMED, Action::kPostpone}, S::STATUS_POSTPONED},
      {{S::STATUS_CONFIRMED, Action::kCancel}, S::STATUS_CANCELLED},
      {{S::STATUS_CONFIRMED, Action::kComplete}, S::STATUS_COMPLETED},
      {{S::STATUS_POSTPONED, Action::kConfirm}, S::STATUS_CONFIRMED},
      {{S::STATUS_POSTPONED, Action::kPostpone}, S::STATUS_POSTPONED},
      {{S::STATUS_POSTPONED, Action::kCancel}, S::STATUS_CANCELLED},
  };
  for (Event::Status from : {S::STATUS_PLANNED, S::STATUS_CONFIRMED, S::STATUS_POSTPONED, S::STATUS_CANCELLED,
                             S::STATUS_COMPLETED}) {
    for (Action action : {Action::kConfirm, Action::kPostpone, Action::kCancel, Action::kComplete}) {
      auto next = NextStatus(from, action);
      auto it = allowed.find({from, action});
      SCOPED_TRACE(StatusName(from) + " " + ActionMethod(action));
      if (it == allowed.end()) {
        ASSERT_FALSE(next.ok());
        EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_NE(next.status().message().find("in status " + StatusName(from)), std::string::npos)
            << next.status().message();
      } else {
        ASSERT_TRUE(next.ok()) << next.status();
        EXPECT_EQ(*next, it->second);
      }
    }
  }
}

TEST(LifecycleTest, RefusalNamesTheStatusesItIsAllowedFrom) {
  auto next = NextStatus(Event::STATUS_CANCELLED, Action::kComplete);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().message(), "cannot complete an event in status CANCELLED (allowed from: CONFIRMED)");
}

TEST(LifecycleTest, ActionsAreLoggedAsTheirOwnChangeTypes) {
  EXPECT_EQ(ActionChangeType(Action::kConfirm), EventChange::TYPE_CONFIRMED);
  EXPECT_EQ(ActionChangeType(Action::kPostpone), EventChange::TYPE_POSTPONED);
  EXPECT_EQ(ActionChangeType(Action::kCancel), EventChange::TYPE_CANCELLED);
  EXPECT_EQ(ActionChangeType(Action::kComplete), EventChange::TYPE_COMPLETED);
}

}  // namespace
}  // namespace newsdesk::events
