// kill -9 of the content service while events are created citing its
// articles: the events service never stores an event whose articles the
// content service did not durably hold, and a create that returned an error
// stored nothing.
//
//   content-server on a fixed loopback port (so events-server finds it again
//   after each restart) and events-server run the real binaries. 4 clients
//   keep creating events that cite articles created beforehand, articles they
//   have just created (or tried to: a create cut off by the kill may or may
//   not have been applied), a deleted article or a missing one.
//   NEWSDESK_CRASH_CYCLES (default 20) times the content service is killed
//   at a random moment (0.2–2 s), left down for 0.1–0.5 s and restarted on the
//   same data. At the end both services are killed and restarted, and every
//   stored event's articles must exist in content.
#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
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

constexpr int kClients = 4;
constexpr int kArticles = 10;
constexpr char kDeletedArticle[] = "articles/wycofany";

// What the clients were told, guarded by mu.
struct Outcomes {
  std::mutex mu;
  std::map<std::string, Event> stored;      // CreateEvent OK, by event id
  std::map<std::string, grpc::Status> failed;  // CreateEvent returned an error
  std::set<std::string> articles;           // CreateArticle OK (article names)
  std::map<grpc::StatusCode, int> event_codes;
  int article_creates_unknown = 0;
};

// A channel that finds a restarted server again within 100–500 ms (the
// default reconnect backoff starts at 1 s and grows to 120 s).
std::shared_ptr<grpc::Channel> QuickReconnectChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

void RunClient(const std::string& events_address, const std::string& content_address, int index, uint32_t seed,
               const std::atomic<bool>& stop, Outcomes* outcomes) {
  auto events = v1::EventsService::NewStub(grpc::CreateChannel(events_address, grpc::InsecureChannelCredentials()));
  auto content = content::v1::ContentService::NewStub(QuickReconnectChannel(content_address));
  std::mt19937 rng(seed);
  for (int n = 0; !stop; ++n) {
    v1::CreateEventRequest req;
    req.set_event_id(absl::StrCat("w", index, "-", n));
    Event* e = req.mutable_event();
    e->set_title(absl::StrCat("Wizyta delegacji ", index, "-", n));
    e->mutable_schedule()->set_precision(v1::Schedule::PRECISION_MONTH);
    e->mutable_schedule()->mutable_start_date()->set_year(2018);
    e->mutable_schedule()->mutable_start_date()->set_month(1 + static_cast<int>(rng() % 12));
    e->add_tags("crash");
    const int kind = static_cast<int>(rng() % 8);
    if (kind < 3) {
      // An article created just now: the event may only be stored if the
      // content service holds it durably, whatever the kill did to its
      // create.
      content::v1::CreateArticleRequest article;
      article.set_article_id(absl::StrCat("swiezy-", index, "-", n));
      article.mutable_article()->set_title(absl::StrCat("Relacja z wizyty ", index, "-", n));
      content::v1::Article out;
      grpc::Status st = content->CreateArticle(EditorContext(std::chrono::seconds(2)).get(), article, &out);
      {
        std::lock_guard<std::mutex> lock(outcomes->mu);
        if (st.ok()) {
          outcomes->articles.insert(out.name());
        } else if (OutcomeUnknown(st)) {
          ++outcomes->article_creates_unknown;
        } else {
          ADD_FAILURE() << "CreateArticle: " << st.error_code() << " " << st.error_message();
        }
      }
      e->add_source_articles("articles/" + article.article_id());
    }
    if (kind < 7) e->add_source_articles(absl::StrCat("articles/zrodlo-", rng() % kArticles));
    if (kind == 7) {
      e->add_source_articles(rng() % 2 == 0 ? std::string(kDeletedArticle)
                                            : absl::StrCat("articles/brak-", index, "-", n));
    }
    Event out;
    // Far beyond the events service's own 2 s cap on the check, so every
    // answer is the events service's.
    grpc::Status st = events->CreateEvent(EditorContext(std::chrono::seconds(15)).get(), req, &out);
    // A refused create comes back at once while content is down; pause as a
    // client would before trying again.
    if (st.error_code() == grpc::StatusCode::UNAVAILABLE) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard<std::mutex> lock(outcomes->mu);
    ++outcomes->event_codes[st.error_code()];
    if (st.ok()) {
      outcomes->stored[req.event_id()] = out;
      if (kind == 7) ADD_FAILURE() << req.event_id() << " stored citing " << e->source_articles(0);
    } else {
      outcomes->failed[req.event_id()] = st;
      const grpc::StatusCode code = st.error_code();
      if (code != grpc::StatusCode::UNAVAILABLE && code != grpc::StatusCode::FAILED_PRECONDITION &&
          code != grpc::StatusCode::DEADLINE_EXCEEDED) {
        ADD_FAILURE() << req.event_id() << ": " << st.error_code() << " " << st.error_message();
      }
    }
  }
}

TEST(CrossServiceCrashTest, ContentKilledUnderEventCreatesLeavesNoEventCitingALostArticle) {
  testing::TempDir dir;
  const testing::TwoServices services(dir);
  if (!services.available()) GTEST_SKIP() << "EVENTS_SERVER or CONTENT_SERVER is not set";
  const auto& [events_binary, content_binary, tokens, content_token] = services;
  const int port = testing::PickFreePort();
  ASSERT_NE(port, 0);
  const std::string content_address = absl::StrCat("127.0.0.1:", port);
  const std::vector<std::string> content_args = {"--listen=" + content_address, "--db_path=" + dir.Sub("content"),
                                                 "--auth_tokens_file=" + tokens, "--log_calls=false",
                                                 "--shutdown_grace=2s"};
  const std::vector<std::string> events_args = {
      "--listen=127.0.0.1:0", "--db_path=" + dir.Sub("events"), "--auth_tokens_file=" + tokens,
      "--content_target=" + content_address, "--content_token_file=" + content_token, "--log_calls=false",
      "--shutdown_grace=2s"};

  auto content = std::make_unique<testing::ServerProcess>(content_binary, content_args, dir.Sub("content.log"));
  ASSERT_TRUE(content->Start()) << content->Log();
  {
    auto stub = content::v1::ContentService::NewStub(
        grpc::CreateChannel(content_address, grpc::InsecureChannelCredentials()));
    const auto create = [&](const std::string& id) {
      content::v1::CreateArticleRequest req;
      req.set_article_id(id);
      req.mutable_article()->set_title("Zapowiedź wizyty " + id);
      content::v1::Article out;
      grpc::Status st = stub->CreateArticle(EditorContext().get(), req, &out);
      EXPECT_TRUE(st.ok()) << st.error_message();
      return out;
    };
    for (int i = 0; i < kArticles; ++i) create(absl::StrCat("zrodlo-", i));
    content::v1::DeleteArticleRequest del;
    del.set_name(create("wycofany").name());
    content::v1::Article deleted;
    ASSERT_TRUE(stub->DeleteArticle(EditorContext().get(), del, &deleted).ok());
  }
  auto events = std::make_unique<testing::ServerProcess>(events_binary, events_args, dir.Sub("events.log"));
  ASSERT_TRUE(events->Start()) << events->Log();

  Outcomes outcomes;
  std::mt19937 rng(20180515);
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c, seed = static_cast<uint32_t>(rng())] {
      RunClient(events->address(), content_address, c, seed, stop, &outcomes);
    });
  }
  const int cycles = testing::CrashCycles();
  bool restarted = true;
  for (int cycle = 0; cycle < cycles && restarted; ++cycle) {
    std::this_thread::sleep_for(testing::RandomKillDelay(rng));
    content->Kill();
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 400));
    content = std::make_unique<testing::ServerProcess>(content_binary, content_args, dir.Sub("content.log"));
    restarted = content->Start();
    EXPECT_TRUE(restarted) << "content-server did not come back on " << content_address << " in cycle " << cycle
                           << ": " << content->Log().substr(0, 4000);
  }
  // The clients stop first, so that every create has the events service's
  // answer; then both services die.
  std::this_thread::sleep_for(testing::RandomKillDelay(rng));
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_TRUE(restarted);
  events->Kill();
  content->Kill();

  // Both restart on the same data.
  content = std::make_unique<testing::ServerProcess>(content_binary, content_args, dir.Sub("content.log"));
  ASSERT_TRUE(content->Start()) << content->Log();
  events = std::make_unique<testing::ServerProcess>(events_binary, events_args, dir.Sub("events.log"));
  ASSERT_TRUE(events->Start()) << events->Log();
  auto content_stub =
      content::v1::ContentService::NewStub(grpc::CreateChannel(content_address, grpc::InsecureChannelCredentials()));
  auto events_stub =
      v1::EventsService::NewStub(grpc::CreateChannel(events->address(), grpc::InsecureChannelCredentials()));

  const auto all = testing::AllPages<Event>([&](const std::string& token, std::vector<Event>* out, std::string* next) {
    v1::ListEventsRequest req;
    req.set_page_size(200);
    req.set_show_deleted(true);
    req.set_page_token(token);
    v1::ListEventsResponse resp;
    grpc::Status st = events_stub->ListEvents(EditorContext(std::chrono::seconds(10)).get(), req, &resp);
    out->insert(out->end(), resp.events().begin(), resp.events().end());
    *next = resp.next_page_token();
    return st;
  });
  std::set<std::string> cited;
  std::set<std::string> listed;
  for (const auto& e : all) {
    const std::string id = e.name().substr(7);
    listed.insert(id);
    if (auto f = outcomes.failed.find(id); f != outcomes.failed.end()) {
      ADD_FAILURE() << id << " exists although its create returned " << f->second.error_code() << " "
                    << f->second.error_message();
    } else if (auto s = outcomes.stored.find(id); s != outcomes.stored.end()) {
      EXPECT_EQ(e.etag(), s->second.etag()) << id;
    } else {
      ADD_FAILURE() << id << " exists but no create of it was answered";
    }
    for (const auto& a : e.source_articles()) cited.insert(a);
  }
  for (const auto& [id, event] : outcomes.stored) EXPECT_EQ(listed.count(id), 1u) << "stored event " << id << " lost";
  for (const auto& name : cited) {
    content::v1::GetArticleRequest get;
    get.set_name(name);
    content::v1::Article article;
    grpc::Status st = content_stub->GetArticle(EditorContext().get(), get, &article);
    EXPECT_TRUE(st.ok()) << "an event cites " << name << ", which the content service no longer has: "
                         << st.error_message();
    EXPECT_NE(article.state(), content::v1::Article::STATE_DELETED) << "an event cites deleted " << name;
  }
  for (const auto& name : outcomes.articles) {
    content::v1::GetArticleRequest get;
    get.set_name(name);
    content::v1::Article article;
    EXPECT_TRUE(content_stub->GetArticle(EditorContext().get(), get, &article).ok())
        << "acknowledged " << name << " lost";
  }
  // The run exercised both sides: events stored while content was up, and
  // creates refused while it was down.
  EXPECT_GT(outcomes.stored.size(), 0u);
  EXPECT_GT(outcomes.event_codes[grpc::StatusCode::UNAVAILABLE], 0) << "no create ever found content down";
  auto events_stopped = events->Stop(SIGTERM);
  auto content_stopped = content->Stop(SIGTERM);
  ASSERT_TRUE(events_stopped.has_value() && content_stopped.has_value());
  EXPECT_EQ(events_stopped->first, 0);
  EXPECT_EQ(content_stopped->first, 0);
  std::cout << "[crash] content-server killed " << cycles << " times under event creates: " << all.size()
            << " events stored citing " << cited.size() << " articles, all present; "
            << outcomes.event_codes[grpc::StatusCode::OK] << " creates OK, "
            << outcomes.event_codes[grpc::StatusCode::UNAVAILABLE] << " UNAVAILABLE, "
            << outcomes.event_codes[grpc::StatusCode::FAILED_PRECONDITION] << " FAILED_PRECONDITION, "
            << outcomes.event_codes[grpc::StatusCode::DEADLINE_EXCEEDED] << " DEADLINE_EXCEEDED; none of the "
            << outcomes.failed.size() << " failed creates left an event; " << outcomes.article_creates_unknown
            << " article creates had an unknown outcome (content down or killed under them)" << std::endl;
}

}  // namespace
}  // namespace newsdesk::events
