// bench-storage: the storage limit, in process, no gRPC.
//
//   bench-storage --threads=1,32 --seconds=5 [--db_path=DIR]
//
// CreateArticle (ContentService's synchronous method: validation, the
// store's locks and one synced RocksDB batch) from each thread count in
// turn, into a fresh database (a temp directory unless --db_path), and
// GetArticle of the created articles from 2 threads. Prints markdown rows.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/corpus.h"
#include "bench/stats.h"
#include "services/content/content_service.h"

ABSL_FLAG(std::string, threads, "1,32", "Comma-separated writer thread counts");
ABSL_FLAG(double, seconds, 5, "Duration per thread count");
ABSL_FLAG(int, max_creates, 20000, "Creates per thread count at most");
ABSL_FLAG(std::string, db_path, "", "Database directory to create (default: a temp dir, removed at the end)");
ABSL_FLAG(std::string, kv, "", "Append key=value results to this file");

namespace nb = newsdesk::bench;
namespace v1 = newsdesk::content::v1;

// The benchmarks read as an editor: every article, drafts included.
const newsdesk::Principal kBenchCaller{newsdesk::Role::kEditor, "bench"};

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string path = absl::GetFlag(FLAGS_db_path);
  bool temp = false;
  if (path.empty()) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base ? base : "/tmp") + "/newsdesk-bench-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) return 1;
    path = pattern + "/db";
    temp = true;
  }
  int rc = 0;
  {
    auto backend = newsdesk::content::ContentBackend::Open(path);
    if (!backend.ok()) {
      std::fprintf(stderr, "open: %s\n", backend.status().ToString().c_str());
      return 1;
    }
    auto* service = (*backend)->service();
    nb::Corpus corpus(7);
    std::ofstream kv;
    if (!absl::GetFlag(FLAGS_kv).empty()) kv.open(absl::GetFlag(FLAGS_kv), std::ios::app);
    std::atomic<uint64_t> next_article{0};
    std::vector<std::string> created;
    std::mutex created_mu;
    for (absl::string_view t : absl::StrSplit(absl::GetFlag(FLAGS_threads), ',', absl::SkipEmpty())) {
      int threads = 1;
      if (!absl::SimpleAtoi(t, &threads) || threads < 1) continue;
      // Prepare requests first: generating text is not what is measured.
      const int n = absl::GetFlag(FLAGS_max_creates);
      std::vector<v1::CreateArticleRequest> requests(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) {
        const uint64_t k = next_article.fetch_add(1);
        *requests[static_cast<size_t>(i)].mutable_article() = corpus.Make(k);
        requests[static_cast<size_t>(i)].mutable_article()->set_title(
            absl::StrCat("Nr ", k, " ", requests[static_cast<size_t>(i)].article().title()));
      }
      std::atomic<int> next{0}, errors{0};
      std::vector<nb::Samples> per_thread(static_cast<size_t>(threads));
      const auto begin = nb::SteadyClock::now();
      const auto end = begin + std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds));
      std::vector<std::thread> pool;
      for (int w = 0; w < threads; ++w) {
        pool.emplace_back([&, w] {
          std::vector<std::string> mine;
          while (nb::SteadyClock::now() < end) {
            const int i = next.fetch_add(1);
            if (i >= n) break;
            const auto t0 = nb::SteadyClock::now();
            auto a = service->CreateArticle(requests[static_cast<size_t>(i)]);
            per_thread[static_cast<size_t>(w)].Add(nb::MicrosSince(t0));
            if (!a.ok()) {
              ++errors;
            } else {
              mine.push_back(a->name());
            }
          }
          std::lock_guard<std::mutex> lock(created_mu);
          created.insert(created.end(), mine.begin(), mine.end());
        });
      }
      for (auto& th : pool) th.join();
      const double secs = std::chrono::duration<double>(nb::SteadyClock::now() - begin).count();
      nb::Samples all;
      for (auto& s : per_thread) all.Merge(s);
      const double rate = static_cast<double>(all.count()) / secs;
      std::printf("| CreateArticle (in process, synced batch) | %d threads | %zu | %.0f/s | %s | %s | %d |\n", threads,
                  all.count(), rate, nb::FormatMicros(all.Quantile(0.5)).c_str(),
                  nb::FormatMicros(all.Quantile(0.99)).c_str(), errors.load());
      if (kv.is_open()) {
        kv << "store_create_t" << threads << "_per_s=" << rate << "\n"
           << "store_create_t" << threads << "_p50_us=" << all.Quantile(0.5) << "\n"
           << "store_create_t" << threads << "_p99_us=" << all.Quantile(0.99) << "\n"
           << "store_create_t" << threads << "_errors=" << errors.load() << "\n";
      }
      if (errors.load() > 0) rc = 3;
    }
    // Reads of what was written, 2 threads (one per core).
    if (!created.empty()) {
      std::atomic<uint64_t> calls{0};
      std::vector<nb::Samples> per_thread(2);
      const auto begin = nb::SteadyClock::now();
      const auto end = begin + std::chrono::duration<double>(std::min(3.0, absl::GetFlag(FLAGS_seconds)));
      std::vector<std::thread> pool;
      for (int w = 0; w < 2; ++w) {
        pool.emplace_back([&, w] {
          uint64_t state = 1234567u + static_cast<uint64_t>(w);
          while (nb::SteadyClock::now() < end) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            v1::GetArticleRequest req;
            req.set_name(created[(state >> 33) % created.size()]);
            const auto t0 = nb::SteadyClock::now();
            auto a = service->GetArticle(kBenchCaller, req);
            per_thread[static_cast<size_t>(w)].Add(nb::MicrosSince(t0));
            ++calls;
          }
        });
      }
      for (auto& th : pool) th.join();
      const double secs = std::chrono::duration<double>(nb::SteadyClock::now() - begin).count();
      nb::Samples all;
      for (auto& s : per_thread) all.Merge(s);
      const double rate = static_cast<double>(calls.load()) / secs;
      std::printf("| GetArticle (in process, %zu articles) | 2 threads | %zu | %.0f/s | %s | %s | 0 |\n",
                  created.size(), all.count(), rate, nb::FormatMicros(all.Quantile(0.5)).c_str(),
                  nb::FormatMicros(all.Quantile(0.99)).c_str());
      if (kv.is_open()) kv << "store_get_t2_per_s=" << rate << "\n";
    }
  }
  if (temp) {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(path).parent_path(), ec);
  }
  return rc;
}
