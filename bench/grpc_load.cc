// bench-grpc-load: a gRPC load client for the content service (and the echo
// baseline), on the callback API.
//
// Closed loop (default): --connections channels, each its own TCP connection
// (a local subchannel pool per channel), each with --streams calls in
// flight; a call's completion issues the next. Open loop (--rate): calls
// start on a fixed schedule, spread over the same channels, and latency is
// measured from the scheduled start (no coordinated omission).
//
// Every response's status is checked; the report counts non-OK statuses by
// code. Output: one markdown table row on stdout, key=value lines appended to
// --kv with the --label prefix.
//
//   bench-grpc-load --target=127.0.0.1:50051 --method=get --count=100000
//       --connections=16 --streams=32 --seconds=10 --label=get_content
//
// Methods: get (random article), list (first page of 50), list_deep (page of
// 50 at --deep items, reached by page tokens first), search (one random
// word), create (a new draft per call; unique titles), create_event
// (EventsService.CreateEvent citing --event_sources random corpus articles,
// one by default, which the events server checks with the content service
// before its synced write; needs an events-server as --target and a build
// with the events service).
// --wait_serving=S only polls grpc.health.v1.Health/Check until SERVING (at
// most S seconds) and exits 0, or 1 on timeout.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/corpus.h"
#include "bench/stats.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "newsdesk/content/v1/content_service.grpc.pb.h"
#ifdef NEWSDESK_BENCH_EVENTS
#include "newsdesk/events/v1/events_service.grpc.pb.h"
#endif

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "Server address (127.0.0.1 only in the suite)");
ABSL_FLAG(std::string, method, "get", "get | list | list_deep | search | create | create_event");
ABSL_FLAG(int, connections, 1, "Channels, each on its own TCP connection");
ABSL_FLAG(int, streams, 1, "Calls in flight per connection (closed loop)");
ABSL_FLAG(double, seconds, 5, "Measured duration");
ABSL_FLAG(double, warmup_seconds, 1, "Unmeasured warm-up before it");
ABSL_FLAG(int64_t, max_calls, 50000000, "Stop after this many measured calls");
ABSL_FLAG(double, rate, 0, "Open loop: calls per second (0: closed loop)");
ABSL_FLAG(uint64_t, count, 1000, "Articles in the database (ids a0000000000 ..)");
ABSL_FLAG(uint64_t, deep, 99000, "list_deep: position of the page");
ABSL_FLAG(uint64_t, seed, 42, "Corpus seed");
ABSL_FLAG(std::string, label, "", "Prefix of the key=value results");
ABSL_FLAG(std::string, kv, "", "Append key=value results to this file");
ABSL_FLAG(double, deadline_seconds, 10, "Per-call deadline");
ABSL_FLAG(std::string, token, "", "Bearer token sent with every call (creates need an editor's)");
ABSL_FLAG(int, event_sources, 1, "create_event: source articles each event cites (0 skips the content check)");
ABSL_FLAG(double, wait_serving, 0, "Only wait (at most this many seconds) for health SERVING, then exit");

namespace v1 = newsdesk::content::v1;
namespace nb = newsdesk::bench;
#ifdef NEWSDESK_BENCH_EVENTS
namespace ev1 = newsdesk::events::v1;
#endif

namespace {

void AddToken(grpc::ClientContext* context) {
  static const std::string token = absl::GetFlag(FLAGS_token);
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
}


struct Result {
  std::mutex mu;
  nb::Samples latency;
  std::map<int, int64_t> codes;  // status code → count (measured calls)
  std::string first_error;
  int64_t bytes = 0;             // response bytes (measured calls)
};

// Prepared requests, built before the run so the client spends little CPU
// per call.
struct Requests {
  std::string method;
  std::vector<v1::GetArticleRequest> gets;
  std::vector<v1::CreateArticleRequest> creates;
  std::vector<v1::SearchArticlesRequest> searches;
  v1::ListArticlesRequest list;
#ifdef NEWSDESK_BENCH_EVENTS
  std::vector<ev1::CreateEventRequest> events;
#endif
  uint64_t run_id = 0;
};

// The stubs of the --connections channels (the events stubs only for
// create_event).
struct Stubs {
  std::vector<std::unique_ptr<v1::ContentService::Stub>> content;
#ifdef NEWSDESK_BENCH_EVENTS
  std::vector<std::unique_ptr<ev1::EventsService::Stub>> events;
#endif
};

#ifdef NEWSDESK_BENCH_EVENTS
// A planned event made from corpus article `i`, citing it and the
// `sources - 1` articles after it (none when `sources` is 0): the title and
// lead become the event's, its first author the organiser, a day in 2027
// the schedule. The content service checks the cited articles on every call.
ev1::CreateEventRequest MakeEvent(const nb::Corpus& corpus, uint64_t count, uint64_t i, int sources) {
  const nb::Article article = corpus.Make(i);
  ev1::CreateEventRequest r;
  ev1::Event* e = r.mutable_event();
  static constexpr ev1::Event::Kind kKinds[] = {ev1::Event::KIND_CONFERENCE, ev1::Event::KIND_MEETING,
                                                ev1::Event::KIND_FAIR, ev1::Event::KIND_VISIT};
  e->set_title(absl::StrCat("Spotkanie: ", article.title()));
  e->set_description(article.lead());
  e->set_kind(kKinds[i % 4]);
  ev1::Schedule* schedule = e->mutable_schedule();
  schedule->set_precision(ev1::Schedule::PRECISION_DAY);
  schedule->mutable_start_date()->set_year(2027);
  schedule->mutable_start_date()->set_month(static_cast<int32_t>(1 + i % 12));
  schedule->mutable_start_date()->set_day(static_cast<int32_t>(1 + i % 28));
  schedule->set_time_zone("Europe/Warsaw");
  ev1::Organizer* organizer = e->add_organizers();
  organizer->set_display_name(article.authors().empty() ? "Redakcja" : article.authors(0));
  organizer->set_role(ev1::Organizer::ROLE_HOST);
  organizer->set_region_code("PL");
  e->mutable_location()->set_region_code("PL");
  for (int k = 0; k < sources; ++k) {
    e->add_source_articles(absl::StrCat("articles/", nb::Corpus::IdOf((i + static_cast<uint64_t>(k)) % count)));
  }
  e->set_language("pl");
  for (const std::string& tag : article.tags()) e->add_tags(tag);
  return r;
}
#endif

class Client {
 public:
  Client(const Stubs& stubs, const Requests& requests, Result* result)
      : stubs_(stubs), requests_(requests), result_(result) {}

  // Issues call number `n` on connection `conn`; `done(ok_to_continue)` runs
  // on a gRPC thread when it finishes.
  void Issue(size_t conn, uint64_t n, nb::SteadyClock::time_point start, bool measured,
             std::function<void()> next) {
    auto* call = new Call;
    call->start = start;
    call->measured = measured;
    call->next = std::move(next);
    call->context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::milliseconds(static_cast<int64_t>(
                                   absl::GetFlag(FLAGS_deadline_seconds) * 1000)));
    const std::string& m = requests_.method;
    auto finish = [this, call](grpc::Status status) { Finish(call, std::move(status)); };
#ifdef NEWSDESK_BENCH_EVENTS
    if (m == "create_event") {
      AddToken(&call->context);
      stubs_.events[conn]->async()->CreateEvent(&call->context, &requests_.events[n % requests_.events.size()],
                                                &call->event, finish);
      return;
    }
#endif
    auto* async = stubs_.content[conn]->async();
    if (m == "get") {
      AddToken(&call->context);
      async->GetArticle(&call->context, &requests_.gets[n % requests_.gets.size()], &call->article, finish);
    } else if (m == "list" || m == "list_deep") {
      AddToken(&call->context);
      async->ListArticles(&call->context, &requests_.list, &call->list, finish);
    } else if (m == "search") {
      AddToken(&call->context);
      async->SearchArticles(&call->context, &requests_.searches[n % requests_.searches.size()], &call->search,
                            finish);
    } else {
      // Every create gets a title of its own (a run-unique number first), so
      // slugs never clash however many calls the run makes.
      call->create = requests_.creates[n % requests_.creates.size()];
      call->create.mutable_article()->set_title(
          absl::StrCat("Nr ", requests_.run_id, "-", n, " ", call->create.article().title()));
      AddToken(&call->context);
      async->CreateArticle(&call->context, &call->create, &call->article, finish);
    }
  }

 private:
  struct Call {
    grpc::ClientContext context;
    v1::CreateArticleRequest create;
    v1::Article article;
    v1::ListArticlesResponse list;
    v1::SearchArticlesResponse search;
#ifdef NEWSDESK_BENCH_EVENTS
    ev1::Event event;
#endif
    nb::SteadyClock::time_point start;
    bool measured = false;
    std::function<void()> next;
  };

  void Finish(Call* call, grpc::Status status) {
    const double us = nb::MicrosSince(call->start);
    if (call->measured) {
      int64_t bytes = static_cast<int64_t>(call->article.ByteSizeLong() + call->list.ByteSizeLong() +
                                           call->search.ByteSizeLong());
#ifdef NEWSDESK_BENCH_EVENTS
      bytes += static_cast<int64_t>(call->event.ByteSizeLong());
#endif
      std::lock_guard<std::mutex> lock(result_->mu);
      result_->latency.Add(us);
      ++result_->codes[status.error_code()];
      result_->bytes += bytes;
      if (!status.ok() && result_->first_error.empty()) {
        result_->first_error = absl::StrCat(status.error_code(), ": ", status.error_message());
      }
    }
    auto next = std::move(call->next);
    delete call;
    if (next) next();
  }

  const Stubs& stubs_;
  const Requests& requests_;
  Result* result_;
};

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, int index) {
  grpc::ChannelArguments args;
  // Its own subchannel (TCP connection), not one shared with the other
  // channels to the same target.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("newsdesk.bench.channel", index);
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

int WaitServing(const std::string& target, double seconds) {
  const auto begin = nb::SteadyClock::now();
  const auto end = begin + std::chrono::duration<double>(seconds);
  for (int attempt = 0; nb::SteadyClock::now() < end; ++attempt) {
    // A fresh channel per attempt: a channel whose first connection was
    // refused waits out gRPC's reconnect backoff (seconds) before retrying.
    auto stub = grpc::health::v1::Health::NewStub(NewChannel(target, attempt));
    grpc::ClientContext context;
    AddToken(&context);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    if (stub->Check(&context, req, &resp).ok() &&
        resp.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      std::printf("serving after %.1f ms of polling\n", nb::MicrosSince(begin) / 1000);
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::fprintf(stderr, "%s not SERVING after %.1f s\n", target.c_str(), seconds);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string target = absl::GetFlag(FLAGS_target);
  if (absl::GetFlag(FLAGS_wait_serving) > 0) return WaitServing(target, absl::GetFlag(FLAGS_wait_serving));

  const int connections = std::max(1, absl::GetFlag(FLAGS_connections));
  const int streams = std::max(1, absl::GetFlag(FLAGS_streams));
  const uint64_t count = std::max<uint64_t>(1, absl::GetFlag(FLAGS_count));
  Stubs stubs;
  for (int c = 0; c < connections; ++c) {
    auto channel = NewChannel(target, c);
    stubs.content.push_back(v1::ContentService::NewStub(channel));
#ifdef NEWSDESK_BENCH_EVENTS
    stubs.events.push_back(ev1::EventsService::NewStub(channel));
#endif
  }

  Requests requests;
  requests.method = absl::GetFlag(FLAGS_method);
  nb::Corpus corpus(absl::GetFlag(FLAGS_seed));
  uint64_t state = absl::GetFlag(FLAGS_seed) * 7919 + 17;
  auto rand = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  const std::string& m = requests.method;
  if (m == "get") {
    for (int i = 0; i < 100000; ++i) {
      v1::GetArticleRequest r;
      r.set_name(absl::StrCat("articles/", nb::Corpus::IdOf(rand() % count)));
      requests.gets.push_back(std::move(r));
    }
  } else if (m == "list") {
    requests.list.set_page_size(50);
  } else if (m == "list_deep") {
    // Follow page tokens to the deep position (1,000 per page), then ask
    // for 50 there on every call.
    std::string token;
    uint64_t at = 0;
    const uint64_t deep = std::min<uint64_t>(absl::GetFlag(FLAGS_deep), count > 100 ? count - 100 : 0);
    while (at < deep) {
      grpc::ClientContext context;
      AddToken(&context);
      v1::ListArticlesRequest req;
      req.set_page_size(static_cast<int>(std::min<uint64_t>(1000, deep - at)));
      req.set_page_token(token);
      v1::ListArticlesResponse resp;
      auto st = stubs.content[0]->ListArticles(&context, req, &resp);
      if (!st.ok() || resp.next_page_token().empty()) {
        std::fprintf(stderr, "list_deep: paging stopped at %llu: %s\n", static_cast<unsigned long long>(at),
                     st.error_message().c_str());
        return 1;
      }
      at += static_cast<uint64_t>(resp.articles_size());
      token = resp.next_page_token();
    }
    requests.list.set_page_size(50);
    requests.list.set_page_token(token);
  } else if (m == "search") {
    const auto& words = corpus.query_words();
    for (int i = 0; i < 1000; ++i) {
      v1::SearchArticlesRequest r;
      r.set_query(words[rand() % words.size()]);
      requests.searches.push_back(std::move(r));
    }
  } else if (m == "create") {
    requests.run_id = static_cast<uint64_t>(absl::ToUnixMicros(absl::Now())) % 1000000;
    for (int i = 0; i < 2000; ++i) {
      v1::CreateArticleRequest r;
      *r.mutable_article() = corpus.Make(count + static_cast<uint64_t>(i));
      requests.creates.push_back(std::move(r));
    }
  } else if (m == "create_event") {
#ifdef NEWSDESK_BENCH_EVENTS
    const int sources = std::clamp(absl::GetFlag(FLAGS_event_sources), 0, 20);
    for (int i = 0; i < 2000; ++i) requests.events.push_back(MakeEvent(corpus, count, rand() % count, sources));
#else
    std::fprintf(stderr, "--method=create_event: this build has no events service (NEWSDESK_EVENTS=OFF)\n");
    return 2;
#endif
  } else {
    std::fprintf(stderr, "unknown --method=%s\n", m.c_str());
    return 2;
  }
  const int64_t max_calls = absl::GetFlag(FLAGS_max_calls);

  Result result;
  Client client(stubs, requests, &result);
  const auto begin = nb::SteadyClock::now();
  const auto seconds = [](double s) {
    return std::chrono::duration_cast<nb::SteadyClock::duration>(std::chrono::duration<double>(s));
  };
  const nb::SteadyClock::time_point measure_from = begin + seconds(absl::GetFlag(FLAGS_warmup_seconds));
  const nb::SteadyClock::time_point measure_until = measure_from + seconds(absl::GetFlag(FLAGS_seconds));
  std::atomic<uint64_t> issued{0};
  std::atomic<int64_t> measured_issued{0};
  std::atomic<int> in_flight{0};
  std::mutex done_mu;
  std::condition_variable done_cv;
  const double rate = absl::GetFlag(FLAGS_rate);
  std::atomic<int64_t> skipped{0};

  if (rate <= 0) {
    // Closed loop: each slot issues its next call when the previous ends.
    std::function<void(size_t)> loop = [&](size_t conn) {
      const auto now = nb::SteadyClock::now();
      const bool measured = now >= measure_from;
      if (now >= measure_until || (measured && measured_issued.fetch_add(1) >= max_calls)) {
        if (in_flight.fetch_sub(1) == 1) {
          std::lock_guard<std::mutex> lock(done_mu);
          done_cv.notify_all();
        }
        return;
      }
      client.Issue(conn, issued.fetch_add(1), now, measured, [&loop, conn] { loop(conn); });
    };
    in_flight = connections * streams;
    for (int c = 0; c < connections; ++c) {
      for (int s = 0; s < streams; ++s) loop(static_cast<size_t>(c));
    }
    std::unique_lock<std::mutex> lock(done_mu);
    done_cv.wait(lock, [&] { return in_flight.load() == 0; });
  } else {
    // Open loop: a pacing thread starts calls on schedule; at most
    // connections × streams in flight (a call that cannot start is counted
    // as skipped, which means the rate was above capacity).
    const int cap = connections * streams;
    const auto interval = std::chrono::duration<double>(1.0 / rate);
    uint64_t n = 0;
    for (auto t = begin; t < measure_until; t += std::chrono::duration_cast<nb::SteadyClock::duration>(interval)) {
      std::this_thread::sleep_until(t);
      const bool measured = t >= measure_from;
      if (measured && measured_issued.fetch_add(1) >= max_calls) break;
      if (in_flight.load() >= cap) {
        if (measured) ++skipped;
        continue;
      }
      ++in_flight;
      client.Issue(n % static_cast<uint64_t>(connections), n, t, measured, [&] {
        if (in_flight.fetch_sub(1) == 1) {
          std::lock_guard<std::mutex> lock(done_mu);
          done_cv.notify_all();
        }
      });
      ++n;
    }
    std::unique_lock<std::mutex> lock(done_mu);
    done_cv.wait(lock, [&] { return in_flight.load() == 0; });
  }
  const double elapsed = std::chrono::duration<double>(std::min(nb::SteadyClock::now(), measure_until) -
                                                       measure_from)
                             .count();

  std::lock_guard<std::mutex> lock(result.mu);
  const int64_t calls = static_cast<int64_t>(result.latency.count());
  int64_t errors = 0;
  std::string codes;
  for (const auto& [code, n] : result.codes) {
    if (code != 0) errors += n;
    absl::StrAppend(&codes, codes.empty() ? "" : " ", code, ":", n);
  }
  const double qps = elapsed > 0 ? static_cast<double>(calls) / elapsed : 0;
  const std::string label = absl::GetFlag(FLAGS_label).empty() ? m : absl::GetFlag(FLAGS_label);
  std::printf("| %s | %s | %d×%d | %s | %lld | %.0f | %s | %s | %s | %s | %lld | %.0f |\n", label.c_str(), m.c_str(),
              connections, streams, rate > 0 ? absl::StrFormat("%.0f/s", rate).c_str() : "closed",
              static_cast<long long>(calls), qps, nb::FormatMicros(result.latency.Quantile(0.5)).c_str(),
              nb::FormatMicros(result.latency.Quantile(0.9)).c_str(),
              nb::FormatMicros(result.latency.Quantile(0.99)).c_str(),
              nb::FormatMicros(result.latency.Quantile(0.999)).c_str(), static_cast<long long>(errors),
              calls > 0 ? static_cast<double>(result.bytes) / static_cast<double>(calls) : 0.0);
  if (errors > 0) std::fprintf(stderr, "%s: %lld errors (codes %s), first: %s\n", label.c_str(),
                               static_cast<long long>(errors), codes.c_str(), result.first_error.c_str());
  if (!absl::GetFlag(FLAGS_kv).empty()) {
    std::ofstream out(absl::GetFlag(FLAGS_kv), std::ios::app);
    out << label << "_qps=" << qps << "\n"
        << label << "_calls=" << calls << "\n"
        << label << "_errors=" << errors << "\n"
        << label << "_skipped=" << skipped.load() << "\n"
        << label << "_p50_us=" << result.latency.Quantile(0.5) << "\n"
        << label << "_p90_us=" << result.latency.Quantile(0.9) << "\n"
        << label << "_p99_us=" << result.latency.Quantile(0.99) << "\n"
        << label << "_p999_us=" << result.latency.Quantile(0.999) << "\n"
        << label << "_bytes=" << (calls > 0 ? result.bytes / calls : 0) << "\n";
  }
  return errors > 0 ? 3 : 0;
}
