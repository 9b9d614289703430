// EventsService on an in-process server, talking to an in-process content
// server (or to small fakes of it) over gRPC on 127.0.0.1.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "absl/time/clock.h"
#include "storage/kv/proto_time.h"
#include "tests/testing/events_fixture.h"

namespace newsdesk::events {
namespace {

using v1::Event;
using v1::EventChange;
using v1::Schedule;

Schedule May2018() {
  Schedule s;
  s.set_precision(Schedule::PRECISION_MONTH);
  s.mutable_start_date()->set_year(2018);
  s.mutable_start_date()->set_month(5);
  return s;
}

Schedule ExactAlmaty() {
  Schedule s;
  s.set_precision(Schedule::PRECISION_EXACT);
  s.mutable_start_time()->set_seconds(1526266800);  // 2018-05-14T09:00+06:00
  s.mutable_end_time()->set_seconds(1526385600);    // 2018-05-15T17:00+06:00
  s.set_time_zone("Asia/Almaty");
  return s;
}

Event Conference(const std::vector<std::string>& articles = {}) {
  Event e;
  e.set_title("Wspólna konferencja szpitali z Białej Podlaskiej i Tałdykorganu");
  e.set_kind(Event::KIND_CONFERENCE);
  *e.mutable_schedule() = May2018();
  for (const auto& a : articles) e.add_source_articles(a);
  auto* host = e.add_organizers();
  host->set_display_name("Szpital w Białej Podlaskiej");
  host->set_role(v1::Organizer::ROLE_HOST);
  host->set_region_code("PL");
  auto* co = e.add_organizers();
  co->set_display_name("Szpital w Tałdykorganie");
  co->set_role(v1::Organizer::ROLE_CO_HOST);
  co->set_region_code("KZ");
  return e;
}

void ExpectStatus(const grpc::Status& st, grpc::StatusCode code, const std::string& needle) {
  EXPECT_EQ(st.error_code(), code) << st.error_message();
  EXPECT_NE(st.error_message().find(needle), std::string::npos)
      << "message \"" << st.error_message() << "\" should mention \"" << needle << "\"";
}

// A content service that never answers GetArticle: the call ends only when
// the caller's deadline cancels it.
class StallingContentService final : public content::v1::ContentService::CallbackService {
 public:
  std::atomic<int> calls{0};

 private:
  class Stall : public grpc::ServerUnaryReactor {
    void OnCancel() override { Finish(grpc::Status::CANCELLED); }
    void OnDone() override { delete this; }
  };
  grpc::ServerUnaryReactor* GetArticle(grpc::CallbackServerContext*, const content::v1::GetArticleRequest*,
                                       content::v1::Article*) override {
    ++calls;
    return new Stall();
  }
};

class EventsServiceTest : public testing::EventsServerFixture {
 protected:
  void SetUp() override {
    StartContent();
    article_ = CreateArticle("wizyta-w-obwodzie-almatynskim", "Wizyta w obwodzie Ałmatyńskim w Kazachstanie");
    StartEvents();
  }

  grpc::Status Create(const Event& event, Event* out, const std::string& id = "",
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    v1::CreateEventRequest req;
    *req.mutable_event() = event;
    req.set_event_id(id);
    return events_stub_->CreateEvent(Context(timeout).get(), req, out);
  }

  Event MustCreate(const std::string& id, const Event& event) {
    Event out;
    grpc::Status st = Create(event, &out, id);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  std::vector<std::string> List(const std::string& filter, const std::string& order_by = "") {
    v1::ListEventsRequest req;
    req.set_filter(filter);
    req.set_order_by(order_by);
    v1::ListEventsResponse resp;
    grpc::Status st = events_stub_->ListEvents(Context().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::vector<std::string> names;
    for (const auto& e : resp.events()) names.push_back(e.name());
    return names;
  }

  void ExpectNothingStored() {
    EXPECT_TRUE(List("").empty());
    EXPECT_EQ(events_backend_->store()->LastSequence(), 0u);
  }

  std::string article_;
};

TEST_F(EventsServiceTest, CreatesAnEventLinkedToAnExistingArticle) {
  Event created = MustCreate("konferencja-szpitali", Conference({article_}));
  EXPECT_EQ(created.name(), "events/konferencja-szpitali");
  EXPECT_EQ(created.status(), Event::STATUS_PLANNED);
  EXPECT_EQ(created.schedule().precision(), Schedule::PRECISION_MONTH);
  EXPECT_EQ(created.schedule().start_date().day(), 0);
  EXPECT_EQ(List("source_articles:\"" + article_ + "\""), std::vector<std::string>{created.name()});
  EXPECT_EQ(List("organizers.region_code:KZ AND status = PLANNED"), std::vector<std::string>{created.name()});
  EXPECT_EQ(List(R"(start < "2018-06-01" AND end >= "2018-05-01")"), std::vector<std::string>{created.name()});
  EXPECT_TRUE(List(R"(start >= "2018-06-01")").empty());
}

TEST_F(EventsServiceTest, MissingArticleIsAFailedPreconditionAndNothingIsStored) {
  Event out;
  grpc::Status st = Create(Conference({article_, "articles/nie-ma-takiego"}), &out, "k");
  ExpectStatus(st, grpc::StatusCode::FAILED_PRECONDITION, "articles/nie-ma-takiego");
  ExpectNothingStored();
  v1::GetEventRequest get;
  get.set_name("events/k");
  EXPECT_EQ(events_stub_->GetEvent(Context().get(), get, &out).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(EventsServiceTest, DeletedArticleIsAFailedPrecondition) {
  content::v1::DeleteArticleRequest del;
  del.set_name(article_);
  content::v1::Article deleted;
  ASSERT_TRUE(content_stub_->DeleteArticle(Context().get(), del, &deleted).ok());
  Event out;
  ExpectStatus(Create(Conference({article_}), &out), grpc::StatusCode::FAILED_PRECONDITION, "is deleted");
  ExpectNothingStored();
}

TEST_F(EventsServiceTest, ContentServerStoppedIsUnavailableAndNothingIsStored) {
  StopContent();
  Event out;
  const absl::Time begin = absl::Now();
  grpc::Status st = Create(Conference({article_}), &out, "k");
  ExpectStatus(st, grpc::StatusCode::UNAVAILABLE, "content service");
  EXPECT_LT(absl::Now() - begin, absl::Seconds(3));
  ExpectNothingStored();
  // An event that cites no article does not need the content service.
  MustCreate("bez-artykulu", Conference());
  // Back up on the same port: the channel reconnects by itself.
  StartContent();
  absl::Time until = absl::Now() + absl::Seconds(5);
  grpc::Status again;
  do {
    again = Create(Conference({article_}), &out, "k");
  } while (!again.ok() && absl::Now() < until);
  EXPECT_TRUE(again.ok()) << again.error_message();
}

TEST_F(EventsServiceTest, UpdateWithAMissingArticleChangesNothing) {
  Event created = MustCreate("k", Conference({article_}));
  v1::UpdateEventRequest req;
  *req.mutable_event() = created;
  req.mutable_event()->add_source_articles("articles/brak");
  req.mutable_update_mask()->add_paths("source_articles");
  Event out;
  ExpectStatus(events_stub_->UpdateEvent(Context().get(), req, &out), grpc::StatusCode::FAILED_PRECONDITION,
               "articles/brak");
  EXPECT_EQ(events_backend_->store()->Get("k")->revision(), 1);
  EXPECT_EQ(events_backend_->store()->LastSequence(), 1u);
}

TEST_F(EventsServiceTest, StallingContentServerIsDeadlineExceededWithinTheCap) {
  StallingContentService stalling;
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.shutdown_grace = absl::Seconds(1);
  options.auth_tokens_file = testing::TestTokens::Write(events_dir_.Sub("fake-tokens"));
  auto fake = GrpcServer::Start(
      options, {{content::v1::ContentService::service_full_name(), &stalling, content::ContentAccessPolicy()}});
  ASSERT_TRUE(fake.ok()) << fake.status();
  StopEvents();
  EventsBackendOptions backend;
  backend.content.deadline_cap = absl::Milliseconds(500);
  StartEvents(backend, (*fake)->address());

  Event out;
  const absl::Time begin = absl::Now();
  grpc::Status st = Create(Conference({article_}), &out, "k", std::chrono::seconds(10));
  const absl::Duration took = absl::Now() - begin;
  ExpectStatus(st, grpc::StatusCode::DEADLINE_EXCEEDED, "did not answer within 0.500s");
  EXPECT_GE(took, absl::Milliseconds(450));
  EXPECT_LT(took, absl::Milliseconds(500) + absl::Milliseconds(500));
  EXPECT_GE(stalling.calls.load(), 1);
  ExpectNothingStored();

  // A caller deadline shorter than the cap bounds the check (minus a margin),
  // so the events service answers before the caller gives up.
  StopEvents();
  backend.content.deadline_cap = absl::Seconds(5);
  StartEvents(backend, (*fake)->address());
  const absl::Time begin2 = absl::Now();
  st = Create(Conference({article_}), &out, "k", std::chrono::milliseconds(600));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << st.error_message();
  EXPECT_LT(absl::Now() - begin2, absl::Milliseconds(600) + absl::Milliseconds(300));
  ExpectNothingStored();
  StopEvents();
  (*fake)->Shutdown();
}

TEST_F(EventsServiceTest, UnavailableContentCallsAreRetriedByTheChannel) {
  testing::FlakyContentService flaky(2);
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.shutdown_grace = absl::Seconds(1);
  options.auth_tokens_file = testing::TestTokens::Write(events_dir_.Sub("fake-tokens"));
  auto fake = GrpcServer::Start(
      options, {{content::v1::ContentService::service_full_name(), &flaky, content::ContentAccessPolicy()}});
  ASSERT_TRUE(fake.ok()) << fake.status();
  StopEvents();
  StartEvents({}, (*fake)->address());
  Event out;
  grpc::Status st = Create(Conference({"articles/wizyta"}), &out, "k");
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(flaky.calls.load(), 3);  // two UNAVAILABLE answers, retried by gRPC's retry policy
  StopEvents();
  (*fake)->Shutdown();
}

TEST_F(EventsServiceTest, LifecycleThroughTheApi) {
  Event created = MustCreate("k", Conference({article_}));
  v1::ConfirmEventRequest confirm;
  confirm.set_name("events/k");
  Event out;
  ExpectStatus(events_stub_->ConfirmEvent(Context().get(), confirm, &out), grpc::StatusCode::FAILED_PRECONDITION,
               "MONTH");
  *confirm.mutable_schedule() = May2018();
  ExpectStatus(events_stub_->ConfirmEvent(Context().get(), confirm, &out), grpc::StatusCode::INVALID_ARGUMENT,
               "schedule");
  *confirm.mutable_schedule() = ExactAlmaty();
  confirm.set_etag("stale");
  ExpectStatus(events_stub_->ConfirmEvent(Context().get(), confirm, &out), grpc::StatusCode::ABORTED, "etag");
  confirm.set_etag(created.etag());
  ASSERT_TRUE(events_stub_->ConfirmEvent(Context().get(), confirm, &out).ok());
  EXPECT_EQ(out.status(), Event::STATUS_CONFIRMED);
  EXPECT_EQ(out.name(), "events/k");
  ASSERT_EQ(out.schedule_history_size(), 1);
  EXPECT_EQ(out.schedule_history(0).schedule().precision(), Schedule::PRECISION_MONTH);

  v1::CancelEventRequest cancel;
  cancel.set_name("events/k");
  cancel.set_reason("Odwołana z powodu epidemii");
  ASSERT_TRUE(events_stub_->CancelEvent(Context().get(), cancel, &out).ok());
  EXPECT_EQ(out.status(), Event::STATUS_CANCELLED);
  EXPECT_EQ(out.revision(), 3);

  v1::CompleteEventRequest complete;
  complete.set_name("events/k");
  ExpectStatus(events_stub_->CompleteEvent(Context().get(), complete, &out), grpc::StatusCode::FAILED_PRECONDITION,
               "in status CANCELLED");

  v1::UpdateEventRequest update;
  update.mutable_event()->set_name("events/k");
  update.mutable_event()->set_status(Event::STATUS_PLANNED);
  update.mutable_update_mask()->add_paths("status");
  ExpectStatus(events_stub_->UpdateEvent(Context().get(), update, &out), grpc::StatusCode::INVALID_ARGUMENT,
               "status");
}

TEST_F(EventsServiceTest, BadInputIsInvalidArgumentNamingTheField) {
  Event out;
  Event bad = Conference();
  bad.mutable_schedule()->mutable_start_date()->set_day(14);
  ExpectStatus(Create(bad, &out), grpc::StatusCode::INVALID_ARGUMENT, "event.schedule.start_date.day");
  bad = Conference();
  *bad.mutable_schedule() = ExactAlmaty();
  bad.mutable_schedule()->mutable_end_time()->set_seconds(1);
  ExpectStatus(Create(bad, &out), grpc::StatusCode::INVALID_ARGUMENT, "event.schedule.end_time");
  bad.mutable_schedule()->set_time_zone("Mars/Olympus");
  ExpectStatus(Create(bad, &out), grpc::StatusCode::INVALID_ARGUMENT, "event.schedule.time_zone");
  ExpectStatus(Create(Conference(), &out, "Bad_Id"), grpc::StatusCode::INVALID_ARGUMENT, "event_id");

  v1::ListEventsRequest list;
  list.set_filter("colour = red");
  v1::ListEventsResponse resp;
  ExpectStatus(events_stub_->ListEvents(Context().get(), list, &resp), grpc::StatusCode::INVALID_ARGUMENT,
               "filter");
  list.set_filter("");
  list.set_order_by("title");
  ExpectStatus(events_stub_->ListEvents(Context().get(), list, &resp), grpc::StatusCode::INVALID_ARGUMENT,
               "order_by");
  ExpectNothingStored();
}

TEST_F(EventsServiceTest, PageTokensAreBoundToTheFilterAndOrder) {
  for (int i = 0; i < 3; ++i) MustCreate("e" + std::to_string(i), Conference());
  v1::ListEventsRequest req;
  req.set_page_size(1);
  req.set_filter("status = PLANNED");
  v1::ListEventsResponse resp;
  ASSERT_TRUE(events_stub_->ListEvents(Context().get(), req, &resp).ok());
  ASSERT_FALSE(resp.next_page_token().empty());
  req.set_page_token(resp.next_page_token());
  req.set_filter("status = CONFIRMED");
  ExpectStatus(events_stub_->ListEvents(Context().get(), req, &resp), grpc::StatusCode::INVALID_ARGUMENT,
               "page_token");
  req.set_filter("status = PLANNED");
  req.set_order_by("start desc");
  ExpectStatus(events_stub_->ListEvents(Context().get(), req, &resp), grpc::StatusCode::INVALID_ARGUMENT,
               "page_token");
  // An equivalent filter (spelled differently) is the same query.
  req.set_order_by("");
  req.set_filter("status=STATUS_PLANNED");
  EXPECT_TRUE(events_stub_->ListEvents(Context().get(), req, &resp).ok());
}

TEST_F(EventsServiceTest, ExportsACalendar) {
  MustCreate("k", Conference({article_}));
  v1::ExportEventsRequest req;
  req.add_names("events/k");
  v1::ExportEventsResponse resp;
  ASSERT_TRUE(events_stub_->ExportEvents(Context().get(), req, &resp).ok());
  EXPECT_EQ(resp.content_type(), "text/calendar; charset=utf-8");
  EXPECT_NE(resp.data().find("DTSTART;VALUE=DATE:20180501\r\nDTEND;VALUE=DATE:20180601\r\n"), std::string::npos)
      << resp.data();
  req.set_names(0, "events/missing");
  EXPECT_EQ(events_stub_->ExportEvents(Context().get(), req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

// A WatchEvents stream read on the test thread.
class Watch {
 public:
  Watch(v1::EventsService::Stub* stub, const std::string& resume_token = "", const std::string& filter = "") {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::WatchEventsRequest req;
    req.set_resume_token(resume_token);
    req.set_filter(filter);
    reader_ = stub->WatchEvents(&context_, req);
  }
  ~Watch() {
    if (finished_) return;
    context_.TryCancel();
    EventChange ignored;
    while (reader_->Read(&ignored)) {
    }
    (void)reader_->Finish();
  }
  // The next message, or nullopt when the stream ended.
  std::optional<EventChange> Next() {
    EventChange c;
    if (!reader_->Read(&c)) return std::nullopt;
    return c;
  }
  // The next non-bookmark change.
  std::optional<EventChange> NextChange() {
    for (;;) {
      auto c = Next();
      if (!c.has_value() || c->type() != EventChange::TYPE_BOOKMARK) return c;
    }
  }
  // Call once, after Next() returned nullopt.
  grpc::Status Finish() {
    finished_ = true;
    return reader_->Finish();
  }

 private:
  bool finished_ = false;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<EventChange>> reader_;
};

TEST_F(EventsServiceTest, WatchStartsWithABookmarkAndStreamsChangesInOrder) {
  Watch watch(events_stub_.get());
  auto bookmark = watch.Next();
  ASSERT_TRUE(bookmark.has_value());
  EXPECT_EQ(bookmark->type(), EventChange::TYPE_BOOKMARK);
  EXPECT_FALSE(bookmark->resume_token().empty());
  MustCreate("k", Conference({article_}));
  v1::PostponeEventRequest postpone;
  postpone.set_name("events/k");
  postpone.set_reason("Termin do ustalenia");
  Event out;
  ASSERT_TRUE(events_stub_->PostponeEvent(Context().get(), postpone, &out).ok());
  auto created = watch.NextChange();
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->type(), EventChange::TYPE_CREATED);
  EXPECT_EQ(created->event().name(), "events/k");
  auto postponed = watch.NextChange();
  ASSERT_TRUE(postponed.has_value());
  EXPECT_EQ(postponed->type(), EventChange::TYPE_POSTPONED);
  EXPECT_EQ(postponed->event().status_reason(), "Termin do ustalenia");
  EXPECT_NE(postponed->resume_token(), created->resume_token());
}

TEST_F(EventsServiceTest, WatchResumesAcrossAServerRestartWithNoGapOrDuplicate) {
  std::string token;
  {
    Watch watch(events_stub_.get());
    ASSERT_TRUE(watch.Next().has_value());  // bookmark
    MustCreate("e1", Conference());
    MustCreate("e2", Conference());
    auto c1 = watch.NextChange();
    auto c2 = watch.NextChange();
    ASSERT_TRUE(c1.has_value() && c2.has_value());
    EXPECT_EQ(c1->event().name(), "events/e1");
    EXPECT_EQ(c2->event().name(), "events/e2");
    token = c2->resume_token();
    // The server goes away under the open stream, which ends at once with
    // UNAVAILABLE instead of holding the shutdown for its grace period.
    const absl::Time begin = absl::Now();
    StopEvents();
    EXPECT_LT(absl::Now() - begin, absl::Seconds(3));
    EXPECT_FALSE(watch.Next().has_value());
    ExpectStatus(watch.Finish(), grpc::StatusCode::UNAVAILABLE, "resume_token");
  }
  StartEvents();
  MustCreate("e3", Conference());
  MustCreate("e4", Conference());
  Watch resumed(events_stub_.get(), token);
  auto bookmark = resumed.Next();
  ASSERT_TRUE(bookmark.has_value());
  EXPECT_EQ(bookmark->type(), EventChange::TYPE_BOOKMARK);
  EXPECT_EQ(bookmark->resume_token(), token);
  MustCreate("e5", Conference());
  std::vector<std::string> names;
  for (int i = 0; i < 3; ++i) {
    auto c = resumed.NextChange();
    ASSERT_TRUE(c.has_value());
    names.push_back(c->event().name());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"events/e3", "events/e4", "events/e5"}));
}

TEST_F(EventsServiceTest, WatchFromATokenOlderThanTheRetainedLogIsOutOfRange) {
  StopEvents();
  EventsBackendOptions options;
  options.store.change_log_max_entries = 2;
  StartEvents(options);
  std::string first_token;
  {
    Watch watch(events_stub_.get());
    first_token = watch.Next()->resume_token();  // position 0
  }
  for (int i = 0; i < 4; ++i) MustCreate("e" + std::to_string(i), Conference());
  Watch stale(events_stub_.get(), first_token);
  EXPECT_FALSE(stale.Next().has_value());
  ExpectStatus(stale.Finish(), grpc::StatusCode::OUT_OF_RANGE, "ListEvents");

  Watch garbage(events_stub_.get(), "bm90IGEgdG9rZW4");
  EXPECT_FALSE(garbage.Next().has_value());
  ExpectStatus(garbage.Finish(), grpc::StatusCode::INVALID_ARGUMENT, "resume_token");
}

TEST_F(EventsServiceTest, WatchFilterSkipsNonMatchingChanges) {
  Watch watch(events_stub_.get(), "", "organizers.region_code:KZ");
  ASSERT_TRUE(watch.Next().has_value());
  Event polish_only = Conference();
  polish_only.mutable_organizers()->RemoveLast();
  MustCreate("tylko-pl", polish_only);
  MustCreate("z-kazachstanem", Conference());
  auto c = watch.NextChange();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->event().name(), "events/z-kazachstanem");
}

TEST_F(EventsServiceTest, ManyWatchersDoNotSlowWriters) {
  // Watchers that never read: each stream stalls on its own flow control,
  // never the writers.
  std::vector<std::unique_ptr<Watch>> idle;
  for (int i = 0; i < 30; ++i) idle.push_back(std::make_unique<Watch>(events_stub_.get()));
  Watch reader(events_stub_.get());
  ASSERT_TRUE(reader.Next().has_value());
  constexpr int kWrites = 20;
  const absl::Time begin = absl::Now();
  for (int i = 0; i < kWrites; ++i) MustCreate("e" + std::to_string(i), Conference());
  EXPECT_LT(absl::Now() - begin, absl::Seconds(10));
  for (int i = 0; i < kWrites; ++i) {
    auto c = reader.NextChange();
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->event().name(), "events/e" + std::to_string(i));
  }
  // Every idle watcher still gets everything, in order, when it reads.
  for (auto& w : idle) {
    int seen = 0;
    while (seen < kWrites) {
      auto c = w->NextChange();
      ASSERT_TRUE(c.has_value());
      EXPECT_EQ(c->event().name(), "events/e" + std::to_string(seen));
      ++seen;
    }
  }
}

}  // namespace
}  // namespace newsdesk::events
