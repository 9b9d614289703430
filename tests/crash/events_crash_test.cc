// kill -9 loop for events-server: no acknowledged write is lost, nothing
// unacknowledged is half-visible, both indexes (start order, creation order)
// agree with the records, and a WatchEvents resume token received before the
// kill resumes after the restart with every later change, none missing and
// none repeated.
//
//   A content-server runs for the whole test, holding the articles the events
//   cite. NEWSDESK_CRASH_CYCLES (default 20) cycles of: start the real
//   events-server on the same data directory, check every acknowledged
//   operation, the indexes and the change stream of the previous cycle, open
//   a WatchEvents stream, run 4 clients (creates citing articles, etag-checked
//   updates, confirm, postpone, cancel, complete, deletes, undeletes) for a
//   random 0.2–2 s, kill -9.
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "newsdesk/content/v1/content_service.grpc.pb.h"
#include "newsdesk/events/v1/events_service.grpc.pb.h"
#include "tests/testing/content_fixture.h"
#include "tests/testing/crash_driver.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace newsdesk::events {
namespace {

using testing::EditorContext;
using testing::OutcomeUnknown;
using v1::Event;
using v1::EventChange;
using v1::Schedule;

constexpr int kClients = 4;
constexpr int kArticles = 6;
constexpr char kSentinel[] = "kontrolne";

std::string ArticleName(int i) { return absl::StrCat("articles/zrodlo-", i); }
std::string IdOf(const Event& e) { return e.name().substr(sizeof("events/") - 1); }

Schedule Day(int year, int month, int day) {
  Schedule s;
  s.set_precision(Schedule::PRECISION_DAY);
  s.mutable_start_date()->set_year(year);
  s.mutable_start_date()->set_month(month);
  s.mutable_start_date()->set_day(day);
  return s;
}

Schedule Month(int year, int month) {
  Schedule s;
  s.set_precision(Schedule::PRECISION_MONTH);
  s.mutable_start_date()->set_year(year);
  s.mutable_start_date()->set_month(month);
  return s;
}

// The call a client had in flight when the server died: what it would have
// made of the event had it been applied.
struct InFlight {
  EventChange::Type type = EventChange::TYPE_UNSPECIFIED;
  Event create;                                  // TYPE_CREATED: the event asked for
  std::optional<std::string> title;              // TYPE_UPDATED
  std::optional<std::vector<std::string>> articles;  // TYPE_UPDATED
  Event::Status status = Event::STATUS_UNSPECIFIED;  // lifecycle types
  std::optional<Schedule> schedule;              // confirm / postpone with a schedule
};

// What the clients know about one event.
struct Knowledge {
  std::optional<Event> acked;
  std::optional<InFlight> in_flight;
  // Called since the last check (read back with GetEvent at the next one).
  bool touched = false;
};

// One OK response, as a client logged it.
struct Ack {
  EventChange::Type type;
  Event event;
};

// Everything the clients log, guarded by mu.
struct ClientLog {
  std::mutex mu;
  std::map<std::string, Knowledge> model;  // by event id
  std::vector<Ack> acks;                   // this cycle's OK responses
};

std::vector<std::string> Articles(const Event& e) { return {e.source_articles().begin(), e.source_articles().end()}; }

// True when `got` differs from `before` in nothing but `may_change` and the
// fields every write changes.
bool OnlyChanged(const Event& before, const Event& got, std::vector<std::string> may_change, std::string* diff) {
  google::protobuf::util::MessageDifferencer d;
  may_change.insert(may_change.end(), {"etag", "revision", "update_time"});
  for (const auto& f : may_change) d.IgnoreField(Event::descriptor()->FindFieldByName(f));
  d.ReportDifferencesToString(diff);
  return d.Compare(before, got);
}

class Client {
 public:
  // Ids this client creates are e<index>-<first_id>, e<index>-<first_id + 1>,
  // ...; `mine` are the ones it created in earlier cycles.
  Client(const std::string& address, int index, ClientLog* log, uint32_t seed, int first_id,
         std::vector<std::string> mine)
      : stub_(v1::EventsService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        index_(index), log_(log), rng_(seed), next_(first_id), mine_(std::move(mine)) {}

  // Runs operations until `stop` or a call's outcome is unknown (the server
  // was killed under it).
  void Run(const std::atomic<bool>& stop) {
    while (!stop) {
      if (!Step()) return;
    }
  }

 private:
  std::vector<std::string> SomeArticles() {
    std::set<std::string> names;
    const int n = static_cast<int>(rng_() % 3);
    for (int i = 0; i < n; ++i) names.insert(ArticleName(static_cast<int>(rng_() % kArticles)));
    return {names.begin(), names.end()};
  }

  Schedule SomeDay() {
    return Day(2018 + static_cast<int>(rng_() % 2), 1 + static_cast<int>(rng_() % 12),
               1 + static_cast<int>(rng_() % 28));
  }

  Schedule SomeMonth() { return Month(2018 + static_cast<int>(rng_() % 2), 1 + static_cast<int>(rng_() % 12)); }

  // Logs the outcome of a call on event `id`; false when it is unknown.
  bool Finish(const std::string& id, EventChange::Type type, const grpc::Status& st, const Event& out) {
    std::lock_guard<std::mutex> lock(log_->mu);
    Knowledge& k = log_->model[id];
    if (st.ok()) {
      k = Knowledge{out, std::nullopt, true};
      log_->acks.push_back(Ack{type, out});
      return true;
    }
    if (OutcomeUnknown(st)) return false;  // in_flight stays: checked after the restart
    ADD_FAILURE() << id << ": " << st.error_code() << " " << st.error_message();
    k.in_flight.reset();
    if (!k.acked.has_value()) log_->model.erase(id);
    return true;
  }

  void Begin(const std::string& id, InFlight in_flight) {
    std::lock_guard<std::mutex> lock(log_->mu);
    log_->model[id].in_flight = std::move(in_flight);
    log_->model[id].touched = true;
  }

  bool Create() {
    const std::string id = absl::StrCat("e", index_, "-", next_++);
    v1::CreateEventRequest req;
    req.set_event_id(id);
    Event* e = req.mutable_event();
    e->set_title(absl::StrCat("Konferencja ", id, " wersja 0"));
    e->set_kind(Event::KIND_CONFERENCE);
    *e->mutable_schedule() = rng_() % 4 == 0 ? SomeMonth() : SomeDay();
    e->add_tags("crash");
    e->add_tags(absl::StrCat("klient", index_));
    for (const auto& a : SomeArticles()) e->add_source_articles(a);
    InFlight f;
    f.type = EventChange::TYPE_CREATED;
    f.create = *e;
    Begin(id, f);
    Event out;
    grpc::Status st = stub_->CreateEvent(EditorContext().get(), req, &out);
    if (st.ok()) mine_.push_back(id);
    return Finish(id, EventChange::TYPE_CREATED, st, out);
  }

  bool Update(const Event& current, bool articles) {
    v1::UpdateEventRequest req;
    req.mutable_event()->set_name(current.name());
    req.mutable_event()->set_etag(current.etag());
    InFlight f;
    f.type = EventChange::TYPE_UPDATED;
    if (articles) {
      f.articles = SomeArticles();
      for (const auto& a : *f.articles) req.mutable_event()->add_source_articles(a);
      req.mutable_update_mask()->add_paths("source_articles");
    } else {
      f.title = absl::StrCat("Konferencja ", IdOf(current), " wersja ", ++version_);
      req.mutable_event()->set_title(*f.title);
      req.mutable_update_mask()->add_paths("title");
    }
    Begin(IdOf(current), f);
    Event out;
    grpc::Status st = stub_->UpdateEvent(EditorContext().get(), req, &out);
    return Finish(IdOf(current), EventChange::TYPE_UPDATED, st, out);
  }

  // A lifecycle transition allowed from the event's status.
  bool Transition(const Event& current) {
    const std::string id = IdOf(current);
    const bool concrete = current.schedule().precision() == Schedule::PRECISION_DAY ||
                          current.schedule().precision() == Schedule::PRECISION_EXACT;
    const int r = static_cast<int>(rng_() % 10);
    InFlight f;
    Event out;
    grpc::Status st;
    const auto confirm = [&] {
      v1::ConfirmEventRequest req;
      req.set_name(current.name());
      req.set_etag(current.etag());
      if (!concrete || rng_() % 3 == 0) {
        f.schedule = SomeDay();
        *req.mutable_schedule() = *f.schedule;
      }
      f.type = EventChange::TYPE_CONFIRMED;
      f.status = Event::STATUS_CONFIRMED;
      Begin(id, f);
      st = stub_->ConfirmEvent(EditorContext().get(), req, &out);
    };
    const auto postpone = [&] {
      v1::PostponeEventRequest req;
      req.set_name(current.name());
      req.set_etag(current.etag());
      req.set_reason(absl::StrCat("Przełożone przez klienta ", index_));
      if (rng_() % 2 == 0) {
        f.schedule = rng_() % 2 == 0 ? SomeDay() : SomeMonth();
        *req.mutable_schedule() = *f.schedule;
      }
      f.type = EventChange::TYPE_POSTPONED;
      f.status = Event::STATUS_POSTPONED;
      Begin(id, f);
      st = stub_->PostponeEvent(EditorContext().get(), req, &out);
    };
    const auto cancel = [&] {
      v1::CancelEventRequest req;
      req.set_name(current.name());
      req.set_etag(current.etag());
      req.set_reason("Odwołane");
      f.type = EventChange::TYPE_CANCELLED;
      f.status = Event::STATUS_CANCELLED;
      Begin(id, f);
      st = stub_->CancelEvent(EditorContext().get(), req, &out);
    };
    const auto complete = [&] {
      v1::CompleteEventRequest req;
      req.set_name(current.name());
      req.set_etag(current.etag());
      f.type = EventChange::TYPE_COMPLETED;
      f.status = Event::STATUS_COMPLETED;
      Begin(id, f);
      st = stub_->CompleteEvent(EditorContext().get(), req, &out);
    };
    switch (current.status()) {
      case Event::STATUS_PLANNED:
      case Event::STATUS_POSTPONED:
        if (r < 5) confirm();
        else if (r < 9) postpone();
        else cancel();
        break;
      case Event::STATUS_CONFIRMED:
        if (r < 6) postpone();
        else if (r < 8) complete();
        else cancel();
        break;
      default:  // final: only the writable fields can change
        return Update(current, false);
    }
    return Finish(id, f.type, st, out);
  }

  bool Delete(const Event& current) {
    v1::DeleteEventRequest req;
    req.set_name(current.name());
    req.set_etag(current.etag());
    InFlight f;
    f.type = EventChange::TYPE_DELETED;
    Begin(IdOf(current), f);
    Event out;
    grpc::Status st = stub_->DeleteEvent(EditorContext().get(), req, &out);
    return Finish(IdOf(current), f.type, st, out);
  }

  bool Undelete(const Event& current) {
    v1::UndeleteEventRequest req;
    req.set_name(current.name());
    InFlight f;
    f.type = EventChange::TYPE_UNDELETED;
    Begin(IdOf(current), f);
    Event out;
    grpc::Status st = stub_->UndeleteEvent(EditorContext().get(), req, &out);
    return Finish(IdOf(current), f.type, st, out);
  }

  bool Step() {
    const int op = mine_.empty() ? 0 : static_cast<int>(rng_() % 12);
    if (op < 3) return Create();
    Event current;
    {
      std::lock_guard<std::mutex> lock(log_->mu);
      current = *log_->model.at(mine_[rng_() % mine_.size()]).acked;
    }
    if (current.has_delete_time()) return Undelete(current);
    if (op < 5) return Update(current, false);
    if (op < 6) return Update(current, true);
    if (op < 11) return Transition(current);
    return Delete(current);
  }

  std::unique_ptr<v1::EventsService::Stub> stub_;
  int index_;
  ClientLog* log_;
  std::mt19937 rng_;
  int next_ = 0;
  std::vector<std::string> mine_;  // created and acknowledged
  int version_ = 0;
};

// What a stream delivered of one change.
struct SeenChange {
  std::string id;
  int64_t revision = 0;
  std::string etag;
  EventChange::Type type = EventChange::TYPE_UNSPECIFIED;
  std::string resume_token;
};

SeenChange Seen(const EventChange& c) {
  return SeenChange{IdOf(c.event()), c.event().revision(), c.event().etag(), c.type(), c.resume_token()};
}

// A WatchEvents stream read on its own thread while the clients write, until
// the server dies under it.
class Watcher {
 public:
  explicit Watcher(const std::string& address)
      : stub_(v1::EventsService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
    context_.AddMetadata("authorization", std::string("Bearer ") + testing::TestTokens::kEditor);
    reader_ = stub_->WatchEvents(&context_, v1::WatchEventsRequest());
  }
  ~Watcher() {
    if (thread_.joinable()) thread_.join();
  }

  // Reads the first message (a bookmark), then reads on in the background.
  bool Start() {
    EventChange first;
    if (!reader_->Read(&first) || first.type() != EventChange::TYPE_BOOKMARK) return false;
    last_token_ = first.resume_token();
    thread_ = std::thread([this] {
      EventChange c;
      while (reader_->Read(&c)) {
        if (c.type() != EventChange::TYPE_BOOKMARK) changes_.push_back(Seen(c));
        last_token_ = c.resume_token();
      }
      (void)reader_->Finish();
    });
    return true;
  }

  // After the server died: what was seen, and the last token received.
  const std::vector<SeenChange>& Join() {
    thread_.join();
    return changes_;
  }
  const std::string& last_token() const { return last_token_; }

 private:
  std::unique_ptr<v1::EventsService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<EventChange>> reader_;
  std::thread thread_;
  std::vector<SeenChange> changes_;
  std::string last_token_;
};

class EventsCrashTest : public ::testing::Test {
 protected:
  static std::unique_ptr<grpc::ClientContext> Ctx() { return EditorContext(std::chrono::seconds(10)); }

  static std::vector<Event> ListAll(v1::EventsService::Stub* stub, const std::string& filter,
                                    const std::string& order_by, bool show_deleted) {
    return testing::AllPages<Event>([&](const std::string& token, std::vector<Event>* out, std::string* next) {
      v1::ListEventsRequest req;
      req.set_page_size(1000);
      req.set_filter(filter);
      req.set_order_by(order_by);
      req.set_show_deleted(show_deleted);
      req.set_page_token(token);
      v1::ListEventsResponse resp;
      grpc::Status st = stub->ListEvents(Ctx().get(), req, &resp);
      out->insert(out->end(), resp.events().begin(), resp.events().end());
      *next = resp.next_page_token();
      return st;
    });
  }

  static std::set<std::string> Ids(const std::vector<Event>& events) {
    std::set<std::string> ids;
    for (const auto& e : events) ids.insert(IdOf(e));
    return ids;
  }

  static std::string Diff(const std::set<std::string>& a, const std::set<std::string>& b) {
    std::vector<std::string> out;
    for (const auto& x : a) {
      if (b.count(x) == 0) out.push_back(x);
    }
    return absl::StrJoin(out, " ");
  }

  // What the cut-off call `f` may have made of `before` (nullopt: a create).
  static void ExpectAppliedAsAsked(const std::string& id, const std::optional<Event>& before, const InFlight& f,
                                   const Event& got) {
    std::string diff;
    if (!before.has_value()) {
      ASSERT_EQ(f.type, EventChange::TYPE_CREATED) << id;
      EXPECT_EQ(got.revision(), 1) << id;
      EXPECT_EQ(got.status(), Event::STATUS_PLANNED) << id;
      EXPECT_EQ(got.title(), f.create.title()) << id;
      EXPECT_EQ(Articles(got), Articles(f.create)) << id;
      EXPECT_EQ(got.schedule().start_date().ShortDebugString(), f.create.schedule().start_date().ShortDebugString())
          << id;
      return;
    }
    EXPECT_EQ(got.revision(), before->revision() + 1) << id << " changed more than once without an acknowledgement";
    std::vector<std::string> may_change;
    switch (f.type) {
      case EventChange::TYPE_UPDATED:
        if (f.title.has_value()) {
          EXPECT_EQ(got.title(), *f.title) << id;
        }
        if (f.articles.has_value()) {
          EXPECT_EQ(Articles(got), *f.articles) << id;
        }
        may_change = {f.title.has_value() ? "title" : "source_articles"};
        break;
      case EventChange::TYPE_CONFIRMED:
      case EventChange::TYPE_POSTPONED:
      case EventChange::TYPE_CANCELLED:
      case EventChange::TYPE_COMPLETED:
        EXPECT_EQ(got.status(), f.status) << id;
        if (f.schedule.has_value()) {
          EXPECT_EQ(got.schedule().start_date().ShortDebugString(), f.schedule->start_date().ShortDebugString()) << id;
        }
        may_change = {"status", "status_reason", "schedule", "schedule_history"};
        break;
      case EventChange::TYPE_DELETED:
        EXPECT_TRUE(got.has_delete_time()) << id;
        may_change = {"delete_time"};
        break;
      case EventChange::TYPE_UNDELETED:
        EXPECT_FALSE(got.has_delete_time()) << id;
        may_change = {"delete_time"};
        break;
      default:
        ADD_FAILURE() << id << ": unexpected in-flight type " << f.type;
    }
    EXPECT_TRUE(OnlyChanged(*before, got, may_change, &diff))
        << id << ": the cut-off " << EventChange::Type_Name(f.type) << " changed more than it asked: " << diff;
  }

  // Checks the restarted server against what the clients were told, and
  // adopts what it serves as the new acknowledged state. Every record is
  // compared through the creation-order listing; those written since the last
  // check (and a rotating sixteenth of the rest) are also read with GetEvent.
  // `all_indexes`: every order with and without deleted events and every
  // status; otherwise a rotating part of them (an inconsistency a kill left
  // stays until it is found).
  void Verify(v1::EventsService::Stub* stub, ClientLog* log, int cycle, bool all_indexes) {
    std::map<std::string, Event> listed;
    for (const auto& e : ListAll(stub, "tags:\"crash\"", "create_time", true)) {
      EXPECT_TRUE(listed.emplace(IdOf(e), e).second) << IdOf(e) << " listed twice in creation order";
    }
    std::vector<std::string> never_created;
    int index = 0;
    for (auto& [id, k] : log->model) {
      if (k.acked.has_value() && !k.touched && index++ % 16 != cycle % 16) {
        auto it = listed.find(id);
        ASSERT_NE(it, listed.end()) << "acknowledged event " << id << " lost from the creation-order listing";
        EXPECT_EQ(it->second.etag(), k.acked->etag()) << id << " changed without a call";
        continue;
      }
      v1::GetEventRequest get;
      get.set_name("events/" + id);
      Event got;
      grpc::Status st = stub->GetEvent(Ctx().get(), get, &got);
      if (!k.acked.has_value()) {
        // Created by a call the kill cut off: absent, or there completely.
        ASSERT_TRUE(k.in_flight.has_value()) << id;
        if (st.ok()) {
          ExpectAppliedAsAsked(id, std::nullopt, *k.in_flight, got);
          EXPECT_EQ(listed.count(id), 1u) << id << " exists but is missing from the creation-order index";
          k = Knowledge{got, std::nullopt};
        } else {
          EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << id << ": " << st.error_message();
          EXPECT_EQ(listed.count(id), 0u) << id << " is listed but cannot be read";
          never_created.push_back(id);
        }
        continue;
      }
      ASSERT_TRUE(st.ok()) << "acknowledged event " << id << " lost: " << st.error_message();
      if (got.etag() != k.acked->etag()) {
        // Only the cut-off call may have changed it, and only as it asked.
        ASSERT_TRUE(k.in_flight.has_value()) << id << " changed without a call: " << got.ShortDebugString()
                                             << " vs acknowledged " << k.acked->ShortDebugString();
        ExpectAppliedAsAsked(id, k.acked, *k.in_flight, got);
      }
      ASSERT_EQ(listed.count(id), 1u) << id << " missing from the creation-order index";
      EXPECT_EQ(listed[id].etag(), got.etag()) << id;
      k = Knowledge{got, std::nullopt};
    }
    for (const auto& id : never_created) log->model.erase(id);
    for (const auto& [id, e] : listed) EXPECT_EQ(log->model.count(id), 1u) << id << " listed but never written";

    // Both indexes agree with the records: the same events, each once, in
    // order, with and without deleted ones, and for each status.
    std::set<std::string> all, live;
    std::map<Event::Status, std::set<std::string>> by_status;
    for (const auto& [id, k] : log->model) {
      all.insert(id);
      if (k.acked->has_delete_time()) continue;
      live.insert(id);
      by_status[k.acked->status()].insert(id);
    }
    const std::vector<std::string> orders = {"start", "start desc", "create_time", "create_time desc"};
    for (size_t o = 0; o < orders.size(); ++o) {
      if (!all_indexes && o != static_cast<size_t>(cycle) % orders.size()) continue;
      const std::string& order = orders[o];
      for (const bool show_deleted : {true, false}) {
        const auto events = ListAll(stub, "tags:\"crash\"", order, show_deleted);
        const auto ids = Ids(events);
        const auto& expected = show_deleted ? all : live;
        EXPECT_EQ(events.size(), ids.size()) << order << ": an event listed twice (a stale index entry)";
        EXPECT_EQ(ids, expected) << order << (show_deleted ? " with deleted" : "") << ": listed only "
                                 << Diff(ids, expected) << "; missing " << Diff(expected, ids);
        const bool by_start = order.rfind("start", 0) == 0;
        const bool desc = order.find("desc") != std::string::npos;
        for (size_t i = 1; i < events.size(); ++i) {
          const auto& a = by_start ? events[i - 1].schedule().interval_start_time() : events[i - 1].create_time();
          const auto& b = by_start ? events[i].schedule().interval_start_time() : events[i].create_time();
          const int64_t ta = a.seconds() * 1000000000 + a.nanos(), tb = b.seconds() * 1000000000 + b.nanos();
          if (desc ? ta < tb : ta > tb) {
            ADD_FAILURE() << order << ": " << events[i - 1].name() << " listed before " << events[i].name();
            break;
          }
        }
        for (const auto& e : events) {
          auto it = log->model.find(IdOf(e));
          if (it != log->model.end()) {
            EXPECT_EQ(e.etag(), it->second.acked->etag()) << order << ": " << e.name();
          }
        }
      }
    }
    const std::vector<Event::Status> statuses = {Event::STATUS_PLANNED, Event::STATUS_CONFIRMED,
                                                 Event::STATUS_POSTPONED, Event::STATUS_CANCELLED,
                                                 Event::STATUS_COMPLETED};
    for (size_t i = 0; i < statuses.size(); ++i) {
      if (!all_indexes && i != static_cast<size_t>(cycle) % statuses.size()) continue;
      const Event::Status status = statuses[i];
      const auto ids = Ids(ListAll(stub, absl::StrCat("tags:\"crash\" AND status = ", Event::Status_Name(status)),
                                   "start", false));
      EXPECT_EQ(ids, by_status[status]) << Event::Status_Name(status) << ": listed only "
                                        << Diff(ids, by_status[status]) << "; missing "
                                        << Diff(by_status[status], ids);
    }
    // A window on the start index (the scan is narrowed to it).
    const int64_t from = 1530403200, to = 1546300800;  // 2018-07-01, 2019-01-01 (UTC)
    std::set<std::string> in_window;
    for (const auto& id : live) {
      const int64_t s = log->model[id].acked->schedule().interval_start_time().seconds();
      if (s >= from && s < to) in_window.insert(id);
    }
    const auto window =
        Ids(ListAll(stub, "tags:\"crash\" AND start >= \"2018-07-01\" AND start < \"2019-01-01\"", "start", false));
    EXPECT_EQ(window, in_window) << "start window: listed only " << Diff(window, in_window) << "; missing "
                                 << Diff(in_window, window);
  }

  // Writes the sentinel event (creates it the first time) and returns the
  // etag the write left: a stream has read everything before it once it
  // delivers that change.
  static std::string TouchSentinel(v1::EventsService::Stub* stub, int cycle) {
    Event out;
    grpc::Status st;
    if (cycle == 0) {
      v1::CreateEventRequest req;
      req.set_event_id(kSentinel);
      req.mutable_event()->set_title("Zdarzenie kontrolne 0");
      *req.mutable_event()->mutable_schedule() = Month(2017, 1);
      st = stub->CreateEvent(Ctx().get(), req, &out);
    } else {
      v1::UpdateEventRequest req;
      req.mutable_event()->set_name(absl::StrCat("events/", kSentinel));
      req.mutable_event()->set_title(absl::StrCat("Zdarzenie kontrolne ", cycle));
      req.mutable_update_mask()->add_paths("title");
      st = stub->UpdateEvent(Ctx().get(), req, &out);
    }
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.etag();
  }

  // The change stream of the cycle before the kill: `live` is what a stream
  // delivered before the server died, `token` the last resume token it
  // received. Resuming from it after the restart must deliver every later
  // change; together they hold, for every event, each revision from
  // `start_revisions` + 1 to the record's revision exactly once, and every
  // acknowledged write as acknowledged.
  void VerifyChangeStream(v1::EventsService::Stub* stub, int cycle, const std::vector<SeenChange>& live,
                          const std::string& token, const std::map<std::string, int64_t>& start_revisions,
                          ClientLog* log) {
    const std::string sentinel_etag = TouchSentinel(stub, cycle);
    std::vector<SeenChange> resumed;
    {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      v1::WatchEventsRequest req;
      req.set_resume_token(token);
      auto reader = stub->WatchEvents(&ctx, req);
      EventChange c;
      ASSERT_TRUE(reader->Read(&c)) << "the resumed stream ended at once: " << reader->Finish().error_message();
      EXPECT_EQ(c.type(), EventChange::TYPE_BOOKMARK);
      EXPECT_EQ(c.resume_token(), token);
      bool reached = false;
      while (!reached && reader->Read(&c)) {
        if (c.type() == EventChange::TYPE_BOOKMARK) continue;
        if (IdOf(c.event()) == kSentinel) {
          ASSERT_EQ(c.event().etag(), sentinel_etag) << "a sentinel change that was not written after the restart";
          reached = true;
        } else {
          resumed.push_back(Seen(c));
        }
      }
      ASSERT_TRUE(reached) << "the resumed stream ended before the change written after the restart";
      ctx.TryCancel();
      while (reader->Read(&c)) {
      }
      (void)reader->Finish();
    }
    std::map<std::string, std::map<int64_t, SeenChange>> by_event;
    for (const std::vector<SeenChange>* list : {&live, static_cast<const std::vector<SeenChange>*>(&resumed)}) {
      for (const auto& s : *list) {
        EXPECT_NE(s.id, kSentinel) << "the sentinel changed during the load";
        EXPECT_TRUE(by_event[s.id].emplace(s.revision, s).second)
            << s.id << " revision " << s.revision << " delivered twice (live and after resuming)";
      }
    }
    for (const auto& [id, changes] : by_event) {
      ASSERT_EQ(log->model.count(id), 1u) << "a change of " << id << ", which does not exist after the restart";
    }
    for (const auto& [id, k] : log->model) {
      auto start = start_revisions.find(id);
      const int64_t from = start == start_revisions.end() ? 0 : start->second;
      const int64_t to = k.acked->revision();
      const auto& changes = by_event[id];
      std::vector<int64_t> revisions;
      for (const auto& [r, s] : changes) revisions.push_back(r);
      std::vector<int64_t> expected;
      for (int64_t r = from + 1; r <= to; ++r) expected.push_back(r);
      ASSERT_EQ(revisions, expected) << id << ": the change log is not every revision from " << from + 1 << " to "
                                     << to << " (the live stream saw " << live.size() << " changes, the resumed one "
                                     << resumed.size() << ")";
      if (to > from) {
        EXPECT_EQ(changes.at(to).etag, k.acked->etag()) << id << ": the last change is not the record";
      }
    }
    for (const auto& ack : log->acks) {
      const auto& changes = by_event[IdOf(ack.event)];
      auto it = changes.find(ack.event.revision());
      ASSERT_NE(it, changes.end()) << "acknowledged " << EventChange::Type_Name(ack.type) << " of "
                                   << ack.event.name() << " (revision " << ack.event.revision()
                                   << ") is not in the change log";
      EXPECT_EQ(it->second.etag, ack.event.etag()) << ack.event.name() << " revision " << ack.event.revision();
      EXPECT_EQ(it->second.type, ack.type) << ack.event.name() << " revision " << ack.event.revision();
    }
    changes_checked_ += static_cast<int>(live.size() + resumed.size());
    resumed_ += static_cast<int>(resumed.size());
  }

  int changes_checked_ = 0;
  int resumed_ = 0;
};

TEST_F(EventsCrashTest, KillNineLoopLosesNoAcknowledgedWriteAndNoChange) {
  testing::TempDir dir;
  const testing::TwoServices services(dir);
  if (!services.available()) GTEST_SKIP() << "EVENTS_SERVER or CONTENT_SERVER is not set";
  const auto& [events_binary, content_binary, tokens, content_token] = services;

  // The content service the events' source_articles are checked with; never
  // killed here (see cross_service_crash_test.cc for that).
  testing::ServerProcess content(content_binary,
                                 {"--listen=127.0.0.1:0", "--db_path=" + dir.Sub("content"),
                                  "--auth_tokens_file=" + tokens, "--log_calls=false", "--shutdown_grace=2s"},
                                 dir.Sub("content.log"));
  ASSERT_TRUE(content.Start()) << content.Log();
  {
    auto stub = content::v1::ContentService::NewStub(
        grpc::CreateChannel(content.address(), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < kArticles; ++i) {
      content::v1::CreateArticleRequest req;
      req.set_article_id(absl::StrCat("zrodlo-", i));
      req.mutable_article()->set_title(absl::StrCat("Zapowiedź konferencji ", i));
      content::v1::Article out;
      grpc::Status st = stub->CreateArticle(Ctx().get(), req, &out);
      ASSERT_TRUE(st.ok()) << st.error_message();
    }
  }
  const std::vector<std::string> events_args = {
      "--listen=127.0.0.1:0", "--db_path=" + dir.Sub("events"), "--auth_tokens_file=" + tokens,
      "--content_target=" + content.address(), "--content_token_file=" + content_token, "--log_calls=false",
      "--shutdown_grace=2s"};

  ClientLog log;
  std::mt19937 rng(20180514);
  const int cycles = testing::CrashCycles();
  int acknowledged = 0;
  std::unique_ptr<Watcher> watcher;
  std::vector<SeenChange> live;
  std::map<std::string, int64_t> start_revisions;
  const auto begin = std::chrono::steady_clock::now();
  for (int cycle = 0; cycle <= cycles; ++cycle) {
    SCOPED_TRACE(absl::StrCat("cycle ", cycle));
    testing::ServerProcess server(events_binary, events_args, dir.Sub("events.log"));
    ASSERT_TRUE(server.Start()) << server.Log();
    auto stub = v1::EventsService::NewStub(grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
    Verify(stub.get(), &log, cycle, /*all_indexes=*/cycle == cycles);
    if (HasFailure()) return;
    if (watcher != nullptr) {
      VerifyChangeStream(stub.get(), cycle, live, watcher->last_token(), start_revisions, &log);
    } else {
      TouchSentinel(stub.get(), cycle);
    }
    if (HasFailure()) return;
    if (cycle == cycles) {
      // The last start only checks.
      auto stopped = server.Stop(SIGTERM);
      ASSERT_TRUE(stopped.has_value());
      EXPECT_EQ(stopped->first, 0) << server.Log();
      break;
    }

    log.acks.clear();
    start_revisions.clear();
    for (const auto& [id, k] : log.model) start_revisions[id] = k.acked->revision();
    watcher = std::make_unique<Watcher>(server.address());
    ASSERT_TRUE(watcher->Start()) << "WatchEvents did not begin with a bookmark";
    std::vector<std::vector<std::string>> mine(kClients);
    for (const auto& [id, k] : log.model) mine[id[1] - '0'].push_back(id);  // e<client>-<n>
    testing::LoadThenKill(server, kClients, rng, [&](int c, uint32_t seed, const std::atomic<bool>& stop) {
      Client client(server.address(), c, &log, seed, cycle * 1000, std::move(mine[c]));
      client.Run(stop);
    });
    live = watcher->Join();
    acknowledged += static_cast<int>(log.acks.size());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  auto stopped = content.Stop(SIGTERM);
  ASSERT_TRUE(stopped.has_value());
  EXPECT_EQ(stopped->first, 0);
  EXPECT_GT(acknowledged, cycles) << "the clients hardly wrote anything";
  std::cout << "[crash] events-server: " << cycles << " kill -9 cycles in " << seconds << " s, " << log.model.size()
            << " events, " << acknowledged << " acknowledged writes and " << changes_checked_
            << " changes checked (" << resumed_ << " delivered after resuming from a token taken before the kill): "
            << "none lost, none half-applied, indexes consistent, no gap in the change log" << std::endl;
}

}  // namespace
}  // namespace newsdesk::events
