// EventStore against a real RocksDB in a fresh temp dir per test.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "storage/events/event_filter.h"
#include "storage/events/event_store.h"
#include "storage/events/schema.h"
#include "storage/kv/proto_time.h"
#include "tests/testing/temp_dir.h"

namespace newsdesk::events {
namespace {

using v1::Schedule;

absl::Time Utc(int y, int m, int d, int hh = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, 0, 0), absl::UTCTimeZone());
}

Schedule Month(int y, int m) {
  Schedule s;
  s.set_precision(Schedule::PRECISION_MONTH);
  s.mutable_start_date()->set_year(y);
  s.mutable_start_date()->set_month(m);
  return s;
}

Schedule Exact(absl::Time start, absl::Time end, const std::string& zone = "Asia/Almaty") {
  Schedule s;
  s.set_precision(Schedule::PRECISION_EXACT);
  ToProtoTime(start, s.mutable_start_time());
  ToProtoTime(end, s.mutable_end_time());
  s.set_time_zone(zone);
  return s;
}

Event MakeEvent(const std::string& title, const Schedule& schedule) {
  Event e;
  e.set_title(title);
  e.set_kind(Event::KIND_CONFERENCE);
  e.set_language("pl");
  *e.mutable_schedule() = schedule;
  return e;
}

class EventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(EventStoreOptions options = {}) {
    store_.reset();
    db_.reset();
    kv::DatabaseOptions o;
    o.path = dir_.path();
    o.column_families = EventsColumnFamilies();
    o.schema_version = kEventsSchemaVersion;
    auto db = kv::Database::Open(o);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto store = EventStore::Open(db_.get(), &clock_, options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  Event MustCreate(const std::string& id, const Schedule& schedule, const std::string& title = "Konferencja") {
    auto e = store_->Create(MakeEvent(title, schedule), id, "");
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : Event();
  }

  std::vector<std::string> ListNames(ListQuery q) {
    std::vector<std::string> names;
    for (int pages = 0; pages < 100; ++pages) {
      auto page = store_->List(q);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const auto& e : page->events) names.push_back(e.name());
      if (page->next_cursor.empty()) break;
      q.cursor = page->next_cursor;
    }
    return names;
  }

  testing::TempDir dir_;
  FakeClock clock_{Utc(2018, 1, 10)};
  std::unique_ptr<kv::Database> db_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(EventStoreTest, CreateStoresAPlannedFirstRevision) {
  const Event e = MustCreate("konferencja", Month(2018, 5));
  EXPECT_EQ(e.name(), "events/konferencja");
  EXPECT_EQ(e.status(), Event::STATUS_PLANNED);
  EXPECT_EQ(e.revision(), 1);
  EXPECT_FALSE(e.etag().empty());
  EXPECT_EQ(FromProtoTime(e.create_time()), Utc(2018, 1, 10));
  EXPECT_EQ(FromProtoTime(e.schedule().interval_start_time()), Utc(2018, 5, 1));
  EXPECT_EQ(e.schedule().start_date().day(), 0);  // no invented day
  auto got = store_->Get("konferencja");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->SerializeAsString(), e.SerializeAsString());
}

TEST_F(EventStoreTest, CreateRejectsATakenIdAndReplaysARequestId) {
  MustCreate("a", Month(2018, 5));
  auto again = store_->Create(MakeEvent("x", Month(2018, 5)), "a", "");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);

  auto first = store_->Create(MakeEvent("x", Month(2018, 5)), "", "req-1");
  ASSERT_TRUE(first.ok());
  auto replay = store_->Create(MakeEvent("y", Month(2018, 6)), "", "req-1");
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->name(), first->name());
  EXPECT_EQ(replay->title(), "x");
  EXPECT_EQ(store_->LastSequence(), 2u);  // the replay wrote nothing
}

TEST_F(EventStoreTest, ListsByStartFromTheIndexWithTimeWindowsAndPages) {
  MustCreate("june", Month(2018, 6));
  MustCreate("may", Month(2018, 5));
  MustCreate("may-14", Exact(Utc(2018, 5, 14, 3), Utc(2018, 5, 15, 11)));
  MustCreate("april", Month(2018, 4));
  MustCreate("year-2019", [] {
    Schedule s;
    s.set_precision(Schedule::PRECISION_YEAR);
    s.mutable_start_date()->set_year(2019);
    return s;
  }());

  ListQuery q;
  q.page_size = 2;
  EXPECT_EQ(ListNames(q),
            (std::vector<std::string>{"events/april", "events/may", "events/may-14", "events/june",
                                      "events/year-2019"}));
  q.descending = true;
  EXPECT_EQ(ListNames(q),
            (std::vector<std::string>{"events/year-2019", "events/june", "events/may-14", "events/may",
                                      "events/april"}));

  // `end` is exclusive: April ends at 2018-05-01T00:00, so `end >= "2018-05-01"`
  // includes it and `end > "2018-05-01"` (the overlap test) does not.
  auto window = query::ParseFilter(R"(start < "2018-06-01" AND end > "2018-05-01")", EventFilterSchema());
  ASSERT_TRUE(window.ok());
  ListQuery w;
  w.filter = &*window;
  w.page_size = 1;
  EXPECT_EQ(ListNames(w), (std::vector<std::string>{"events/may", "events/may-14"}));
  w.descending = true;
  EXPECT_EQ(ListNames(w), (std::vector<std::string>{"events/may-14", "events/may"}));
  auto touching = query::ParseFilter(R"(start < "2018-06-01" AND end >= "2018-05-01")", EventFilterSchema());
  ASSERT_TRUE(touching.ok());
  ListQuery t;
  t.filter = &*touching;
  EXPECT_EQ(ListNames(t), (std::vector<std::string>{"events/april", "events/may", "events/may-14"}));
}

TEST_F(EventStoreTest, StartIndexOrdersEventsBeforeAndAfter1970) {
  const auto year = [](int y) {
    Schedule s;
    s.set_precision(Schedule::PRECISION_YEAR);
    s.mutable_start_date()->set_year(y);
    return s;
  };
  MustCreate("y2018", year(2018));
  MustCreate("y1900", year(1900));
  MustCreate("y1969", year(1969));
  MustCreate("y1", year(1));
  MustCreate("y9999", year(9999));
  EXPECT_EQ(ListNames(ListQuery()), (std::vector<std::string>{"events/y1", "events/y1900", "events/y1969",
                                                              "events/y2018", "events/y9999"}));
  auto before_1970 = query::ParseFilter(R"(start < "1970-01-01")", EventFilterSchema());
  ASSERT_TRUE(before_1970.ok());
  ListQuery q;
  q.filter = &*before_1970;
  EXPECT_EQ(ListNames(q), (std::vector<std::string>{"events/y1", "events/y1900", "events/y1969"}));
}

TEST_F(EventStoreTest, ListSkipsDeletedUnlessAskedAndStopsAtTheExaminedLimit) {
  MustCreate("a", Month(2018, 5));
  MustCreate("b", Month(2018, 6));
  ASSERT_TRUE(store_->Delete("a", "").ok());
  ListQuery q;
  EXPECT_EQ(ListNames(q), (std::vector<std::string>{"events/b"}));
  q.show_deleted = true;
  EXPECT_EQ(ListNames(q), (std::vector<std::string>{"events/a", "events/b"}));

  auto none = query::ParseFilter("tags:\"nothing\"", EventFilterSchema());
  ASSERT_TRUE(none.ok());
  ListQuery limited;
  limited.filter = &*none;
  limited.max_examined = 1;
  auto page = store_->List(limited);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->events.empty());
  EXPECT_FALSE(page->next_cursor.empty());  // an empty page that is not the end
}

TEST_F(EventStoreTest, ListByCreateTimeAndRefusesForeignCursors) {
  MustCreate("first", Month(2019, 1));
  clock_.Advance(absl::Seconds(1));
  MustCreate("second", Month(2018, 1));
  ListQuery q;
  q.order = OrderField::kCreateTime;
  q.descending = true;
  EXPECT_EQ(ListNames(q), (std::vector<std::string>{"events/second", "events/first"}));
  q.cursor = "short";
  EXPECT_EQ(store_->List(q).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EventStoreTest, UpdateKeepsScheduleHistoryAndMovesTheStartIndex) {
  const Event created = MustCreate("konferencja", Month(2018, 5));
  clock_.Advance(absl::Hours(1));
  Event patch;
  *patch.mutable_schedule() = Exact(Utc(2018, 5, 14, 3), Utc(2018, 5, 15, 11));
  ASSERT_TRUE(NormalizeSchedule("event.schedule", patch.mutable_schedule()).ok());
  auto updated = store_->Update("konferencja", patch, {"schedule"}, created.etag());
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->name(), "events/konferencja");
  EXPECT_EQ(updated->revision(), 2);
  EXPECT_NE(updated->etag(), created.etag());
  ASSERT_EQ(updated->schedule_history_size(), 1);
  EXPECT_EQ(updated->schedule_history(0).schedule().precision(), Schedule::PRECISION_MONTH);
  EXPECT_EQ(updated->schedule_history(0).reason(), "UpdateEvent");
  EXPECT_EQ(FromProtoTime(updated->schedule_history(0).change_time()), Utc(2018, 1, 10, 1));

  // Stale etag.
  auto stale = store_->Update("konferencja", patch, {"title"}, created.etag());
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);

  // The start index follows the new schedule: exactly one entry per event.
  auto after_may_14 = query::ParseFilter(R"(start >= "2018-05-14")", EventFilterSchema());
  ListQuery q;
  q.filter = &*after_may_14;
  EXPECT_EQ(ListNames(q), (std::vector<std::string>{"events/konferencja"}));
  EXPECT_EQ(ListNames(ListQuery()), (std::vector<std::string>{"events/konferencja"}));

  // The same schedule again adds no history.
  auto same = store_->Update("konferencja", patch, {"schedule"}, "");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->schedule_history_size(), 1);
}

TEST_F(EventStoreTest, LifecycleFollowsTheTableAndConfirmNeedsAConcreteSchedule) {
  MustCreate("k", Month(2018, 5));
  auto vague = store_->Transition("k", "", Action::kConfirm, nullptr, "");
  EXPECT_EQ(vague.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(vague.status().message().find("MONTH"), std::string::npos) << vague.status();

  Schedule exact = Exact(Utc(2018, 5, 14, 3), Utc(2018, 5, 15, 11));
  ASSERT_TRUE(NormalizeSchedule("schedule", &exact).ok());
  auto confirmed = store_->Transition("k", "", Action::kConfirm, &exact, "");
  ASSERT_TRUE(confirmed.ok()) << confirmed.status();
  EXPECT_EQ(confirmed->status(), Event::STATUS_CONFIRMED);
  EXPECT_EQ(confirmed->schedule_history_size(), 1);
  EXPECT_EQ(confirmed->schedule_history(0).reason(), "ConfirmEvent");

  // A confirmed event cannot be made vague through UpdateEvent.
  Event patch;
  *patch.mutable_schedule() = Month(2018, 6);
  EXPECT_EQ(store_->Update("k", patch, {"schedule"}, "").status().code(), absl::StatusCode::kFailedPrecondition);

  auto cancelled = store_->Transition("k", confirmed->etag(), Action::kCancel, nullptr, "brak sali");
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->status(), Event::STATUS_CANCELLED);
  EXPECT_EQ(cancelled->status_reason(), "brak sali");
  auto complete = store_->Transition("k", "", Action::kComplete, nullptr, "");
  EXPECT_EQ(complete.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(complete.status().message().find("CANCELLED"), std::string::npos);
  EXPECT_EQ(store_->Get("k")->revision(), 3);
}

TEST_F(EventStoreTest, SoftDeleteAndUndelete) {
  const Event e = MustCreate("k", Month(2018, 5));
  EXPECT_EQ(store_->Delete("k", "stale").status().code(), absl::StatusCode::kAborted);
  auto deleted = store_->Delete("k", e.etag());
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(deleted->has_delete_time());
  EXPECT_EQ(store_->Delete("k", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Transition("k", "", Action::kCancel, nullptr, "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto back = store_->Undelete("k");
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->has_delete_time());
  EXPECT_EQ(store_->Undelete("k").status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->Get("missing").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EventStoreTest, EveryWriteAppendsOneChangeInCommitOrder) {
  const Event e = MustCreate("k", Month(2018, 5));
  ASSERT_TRUE(store_->Transition("k", "", Action::kPostpone, nullptr, "").ok());
  ASSERT_TRUE(store_->Delete("k", "").ok());
  auto changes = store_->ReadChanges(0, 100);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->size(), 3u);
  EXPECT_EQ((*changes)[0].sequence, 1u);
  EXPECT_EQ((*changes)[0].change.type(), EventChange::TYPE_CREATED);
  EXPECT_EQ((*changes)[1].change.type(), EventChange::TYPE_POSTPONED);
  EXPECT_EQ((*changes)[2].change.type(), EventChange::TYPE_DELETED);
  EXPECT_EQ((*changes)[2].change.event().revision(), 3);
  // A change carries exactly the record it committed.
  EXPECT_EQ((*changes)[2].change.event().SerializeAsString(), store_->Get("k")->SerializeAsString());
  EXPECT_EQ(store_->ReadChanges(3, 10)->size(), 0u);
  EXPECT_EQ(store_->ReadChanges(4, 10).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->notifier()->last(), 3u);
  (void)e;
}

TEST_F(EventStoreTest, SequenceNumbersContinueAfterReopen) {
  MustCreate("a", Month(2018, 5));
  MustCreate("b", Month(2018, 6));
  Open();
  EXPECT_EQ(store_->LastSequence(), 2u);
  MustCreate("c", Month(2018, 7));
  auto changes = store_->ReadChanges(1, 10);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[0].change.event().name(), "events/b");
  EXPECT_EQ((*changes)[1].sequence, 3u);
  EXPECT_EQ((*changes)[1].change.event().name(), "events/c");
}

TEST_F(EventStoreTest, RetentionByCountMakesOldPositionsOutOfRange) {
  EventStoreOptions options;
  options.change_log_max_entries = 3;
  Open(options);
  for (int i = 0; i < 6; ++i) MustCreate("e" + std::to_string(i), Month(2018, 5));
  auto old = store_->ReadChanges(1, 10);
  EXPECT_EQ(old.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(old.status().message().find("oldest retained change is number 4"), std::string::npos) << old.status();
  auto kept = store_->ReadChanges(3, 10);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->size(), 3u);
  // The bounds survive a reopen.
  Open(options);
  MustCreate("e6", Month(2018, 5));
  EXPECT_EQ(store_->ReadChanges(3, 10).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(store_->ReadChanges(4, 10)->size(), 3u);
}

TEST_F(EventStoreTest, RetentionByAgeKeepsTheNewestEntry) {
  EventStoreOptions options;
  options.change_log_max_age = absl::Hours(1);
  Open(options);
  MustCreate("a", Month(2018, 5));
  MustCreate("b", Month(2018, 5));
  clock_.Advance(absl::Hours(2));
  MustCreate("c", Month(2018, 5));  // trims a and b
  EXPECT_EQ(store_->ReadChanges(0, 10).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(store_->ReadChanges(2, 10)->size(), 1u);
  clock_.Advance(absl::Hours(2));
  Open(options);
  EXPECT_EQ(store_->LastSequence(), 3u);  // the newest entry is kept however old
}

TEST_F(EventStoreTest, ConcurrentWritersProduceAGaplessLog) {
  constexpr int kThreads = 4, kPerThread = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto e = store_->Create(MakeEvent("x", Month(2018, 5)), absl::StrCat("t", t, "-", i), "");
        EXPECT_TRUE(e.ok()) << e.status();
      }
    });
  }
  for (auto& t : threads) t.join();
  auto changes = store_->ReadChanges(0, 1000);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), static_cast<size_t>(kThreads * kPerThread));
  std::set<std::string> names;
  for (size_t i = 0; i < changes->size(); ++i) {
    EXPECT_EQ((*changes)[i].sequence, i + 1);
    names.insert((*changes)[i].change.event().name());
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_F(EventStoreTest, NotifierWakesAWaiterOnCommit) {
  std::atomic<uint64_t> seen{0};
  std::thread waiter([&] { seen = store_->notifier()->WaitBeyond(0, absl::Seconds(10)); });
  MustCreate("a", Month(2018, 5));
  waiter.join();
  EXPECT_EQ(seen.load(), 1u);
}

}  // namespace
}  // namespace newsdesk::events
