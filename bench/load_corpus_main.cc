// bench-load-corpus: generates N articles and stores them through
// ArticleStore (Create + Publish, synced batches) into a content database, so
// every benchmark reads a database built the way the service builds one.
//
//   bench-load-corpus --db_path=/tmp/corpus --count=100000 --threads=4
//
// Writes <db_path>.done (count, seed, seconds) when it finishes, so scripts
// can reuse a database built by an earlier run.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/corpus.h"
#include "services/content/content_service.h"

ABSL_FLAG(std::string, db_path, "", "Directory of the content database to create (must not exist)");
ABSL_FLAG(uint64_t, count, 1000, "Number of articles");
ABSL_FLAG(uint64_t, seed, 42, "Corpus seed");
ABSL_FLAG(int, threads, 4, "Loader threads (concurrent synced writes are group-committed)");
ABSL_FLAG(int64_t, dump, -1, "Print article N of the corpus as text and exit (no database)");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (const int64_t n = absl::GetFlag(FLAGS_dump); n >= 0) {
    const auto a = newsdesk::bench::Corpus(absl::GetFlag(FLAGS_seed)).Make(static_cast<uint64_t>(n));
    std::printf("%s", a.DebugString().c_str());
    std::printf("bytes: title %zu, lead %zu, body %zu, serialized %zu\n", a.title().size(), a.lead().size(),
                a.body().size(), a.ByteSizeLong());
    return 0;
  }
  const std::string path = absl::GetFlag(FLAGS_db_path);
  if (path.empty()) {
    std::fprintf(stderr, "--db_path is required\n");
    return 2;
  }
  if (std::filesystem::exists(path)) {
    std::fprintf(stderr, "%s exists; remove it first\n", path.c_str());
    return 2;
  }
  newsdesk::bench::PerThreadClock clock;
  auto backend = newsdesk::content::ContentBackend::Open(path, &clock);
  if (!backend.ok()) {
    std::fprintf(stderr, "open: %s\n", backend.status().ToString().c_str());
    return 1;
  }
  newsdesk::bench::Corpus corpus(absl::GetFlag(FLAGS_seed));
  newsdesk::bench::LoadOptions options;
  options.count = absl::GetFlag(FLAGS_count);
  options.threads = absl::GetFlag(FLAGS_threads);
  const absl::Time begin = absl::Now();
  options.progress = [&](uint64_t done) {
    const double s = absl::ToDoubleSeconds(absl::Now() - begin);
    std::fprintf(stderr, "  %llu articles, %.1f s, %.0f articles/s\n", static_cast<unsigned long long>(done), s,
                 static_cast<double>(done) / s);
  };
  auto stats = newsdesk::bench::LoadCorpus(corpus, (*backend)->articles(), options);
  if (!stats.ok()) {
    std::fprintf(stderr, "load: %s\n", stats.status().ToString().c_str());
    return 1;
  }
  backend->reset();  // close (flush) before measuring the size
  uint64_t bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(path)) {
    if (e.is_regular_file()) bytes += e.file_size();
  }
  const std::string summary =
      absl::StrFormat("count=%d seed=%d threads=%d seconds=%.2f articles_per_second=%.1f db_bytes=%d\n",
                      stats->articles, absl::GetFlag(FLAGS_seed), options.threads, stats->seconds,
                      static_cast<double>(stats->articles) / stats->seconds, bytes);
  std::fputs(summary.c_str(), stdout);
  std::ofstream(path + ".done") << summary;
  return 0;
}
