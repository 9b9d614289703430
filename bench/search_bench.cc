// bench-search: issue 3's figures, in process, against a corpus database
// built by bench-load-corpus, with Xapian indexing and querying the same
// corpus in the same run.
//
//   bench-search --db_path=var/bench/corpus-100000-s42 --count=100000
//       --xapian_path=var/bench/xapian-100000-s42 --queries=300
//
// Measures, through ContentService's synchronous methods (validation, filter
// parsing and page tokens included, no gRPC):
//   - SearchArticles latency for random one-word and two-word queries
//     (first page, 20 results with snippets), beside Xapian answering the
//     same queries on the same terms;
//   - ListArticles first page vs a page `--deep` items deep (reached by
//     following page tokens, so the store seeks to a cursor);
//   - ListArticles filtered by a tag, and by tag and state;
//   - GetArticle (the storage limit for the gRPC GetArticle benchmark).
// Prints markdown; --csv writes the raw per-query latencies.
#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "bench/corpus.h"
#include "bench/stats.h"
#include "services/content/content_service.h"
#include "storage/content/schema.h"
#include "storage/text/text_analysis.h"

#ifdef NEWSDESK_BENCH_XAPIAN
#include <xapian.h>
#endif

ABSL_FLAG(std::string, db_path, "", "A content database made by bench-load-corpus (opened read-mostly)");
ABSL_FLAG(uint64_t, count, 0, "Articles in the corpus (as given to bench-load-corpus)");
ABSL_FLAG(uint64_t, seed, 42, "Corpus seed (as given to bench-load-corpus)");
ABSL_FLAG(std::string, xapian_path, "",
          "Xapian database of the same corpus: built here when missing (build time kept in <path>.done); "
          "empty: skip Xapian");
ABSL_FLAG(int, queries, 300, "Random queries per kind (one word, two words)");
ABSL_FLAG(double, query_seconds, 90, "Time budget per query kind; fewer queries are run when it runs out");
ABSL_FLAG(int, repeats, 300, "Timed calls per listing figure");
ABSL_FLAG(uint64_t, deep, 99000, "Position of the deep page (capped at count - 100)");
ABSL_FLAG(std::string, csv, "", "Write per-query latencies here (kind,engine,matches,micros)");
ABSL_FLAG(std::string, kv, "", "Append key=value results here (for charts and the summary)");
ABSL_FLAG(int, block_cache_mb, 0,
          "0: open the database as content-server does (ContentBackend::Open, its default block cache); "
          "N: build the same stack on a kv::Database with an N MiB block cache (what-if for tuning)");
ABSL_FLAG(int, search_helpers, -1,
          "Threads that join each search, as content-server's --search_helpers (-1: one fewer than CPU cores)");
ABSL_FLAG(std::string, kv_prefix, "", "Prefix of every key written to --kv");
ABSL_FLAG(bool, xapian_only_build, false, "Build the Xapian index if missing and exit");

namespace nb = newsdesk::bench;
namespace v1 = newsdesk::content::v1;

namespace {

// The benchmarks read as an editor: every article, drafts included.
const newsdesk::Principal kBenchCaller{newsdesk::Role::kEditor, "bench"};


// CPU time of the whole process (every thread), µs.
double ProcessCpuMicros() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto micros = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec); };
  return micros(u.ru_utime) + micros(u.ru_stime);
}

struct Figures {
  std::vector<std::pair<std::string, std::string>> kv;
  void Add(const std::string& k, double v) {
    kv.emplace_back(absl::GetFlag(FLAGS_kv_prefix) + k, absl::StrFormat("%.6g", v));
  }
};

// Words of a query and the Xapian query for them (the same index terms our
// analysis gives, so both engines match the same documents).
std::vector<std::string> PickQuery(const nb::Corpus& corpus, uint64_t* state, int words) {
  std::vector<std::string> q;
  const auto& w = corpus.query_words();
  while (static_cast<int>(q.size()) < words) {
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    const std::string& pick = w[(*state >> 33) % w.size()];
    if (std::find(q.begin(), q.end(), pick) == q.end()) q.push_back(pick);
  }
  return q;
}

#ifdef NEWSDESK_BENCH_XAPIAN
constexpr Xapian::termpos kFieldOffset[4] = {0, 100000, 200000, 300000};
constexpr Xapian::termcount kFieldWdf[4] = {3, 2, 1, 2};  // title, lead (1.5 rounded), body, tags

std::string TagsText(const v1::Article& a) { return absl::StrJoin(a.tags(), "\n"); }

// Builds the Xapian index of the corpus: for each article, the index terms
// of text::AnalyzeForIndex (folded surface forms and hunspell stems) with
// positions, field weights as within-document frequency increments, and the
// stored article as document data. Returns the seconds it took.
double BuildXapian(const nb::Corpus& corpus, uint64_t count, const std::string& path) {
  const auto begin = nb::SteadyClock::now();
  Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OVERWRITE);
  for (uint64_t i = 0; i < count; ++i) {
    v1::Article a = corpus.Make(i);
    a.set_name(absl::StrCat("articles/", nb::Corpus::IdOf(i)));
    Xapian::Document doc;
    const std::string texts[4] = {a.title(), a.lead(), a.body(), TagsText(a)};
    for (int f = 0; f < 4; ++f) {
      const auto analyzed = newsdesk::text::AnalyzeForIndex(texts[f]);
      for (const auto& t : analyzed.terms) {
        for (uint32_t p : t.positions) doc.add_posting(t.term, kFieldOffset[f] + p + 1, kFieldWdf[f]);
      }
    }
    doc.set_data(a.SerializeAsString());
    db.add_document(doc);
    if ((i + 1) % 20000 == 0) db.commit();
  }
  db.commit();
  db.close();
  return std::chrono::duration<double>(nb::SteadyClock::now() - begin).count();
}

Xapian::Query XapianQuery(const newsdesk::text::Query& parsed) {
  std::vector<Xapian::Query> clauses;
  for (const auto& clause : parsed.required) {
    for (const auto& word : clause.words) {
      clauses.emplace_back(Xapian::Query::OP_OR, word.variants.begin(), word.variants.end());
    }
  }
  return Xapian::Query(Xapian::Query::OP_AND, clauses.begin(), clauses.end());
}
#endif

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string db_path = absl::GetFlag(FLAGS_db_path);
  const uint64_t count = absl::GetFlag(FLAGS_count);
  if (db_path.empty() || count == 0) {
    std::fprintf(stderr, "--db_path and --count are required\n");
    return 2;
  }
  nb::Corpus corpus(absl::GetFlag(FLAGS_seed));
  Figures fig;

  const auto open_begin = nb::SteadyClock::now();
  // Either the service's own stack, or the same classes over a database
  // opened with another block cache size.
  std::unique_ptr<newsdesk::content::ContentBackend> backend;
  std::unique_ptr<newsdesk::kv::Database> own_db;
  std::unique_ptr<newsdesk::content::ArticleStore> own_store;
  std::unique_ptr<newsdesk::kv::ForkJoinPool> own_pool;
  std::unique_ptr<newsdesk::content::ContentService> own_service;
  newsdesk::content::ContentService* service = nullptr;
  const int cache_mb = absl::GetFlag(FLAGS_block_cache_mb);
  if (cache_mb <= 0) {
    newsdesk::content::ContentBackendOptions backend_options;
    backend_options.search_helpers = absl::GetFlag(FLAGS_search_helpers);
    auto opened = newsdesk::content::ContentBackend::Open(db_path, newsdesk::Clock::Real(), backend_options);
    if (!opened.ok()) {
      std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
      return 1;
    }
    backend = *std::move(opened);
    service = backend->service();
  } else {
    newsdesk::kv::DatabaseOptions options;
    options.path = db_path;
    options.column_families = newsdesk::content::ContentColumnFamilies();
    options.schema_version = newsdesk::content::kContentSchemaVersion;
    options.block_cache_bytes = static_cast<size_t>(cache_mb) << 20;
    auto db = newsdesk::kv::Database::Open(options);
    if (!db.ok()) {
      std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
      return 1;
    }
    own_db = *std::move(db);
    auto secret = own_db->GetOrCreateSecret("page_token");
    if (!secret.ok()) return 1;
    own_store = std::make_unique<newsdesk::content::ArticleStore>(own_db.get(), newsdesk::Clock::Real());
    // The helpers content-server would have (see ContentBackendOptions).
    const int helpers = absl::GetFlag(FLAGS_search_helpers) >= 0
                            ? absl::GetFlag(FLAGS_search_helpers)
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency())) - 1;
    own_pool = std::make_unique<newsdesk::kv::ForkJoinPool>(helpers);
    own_service = std::make_unique<newsdesk::content::ContentService>(
        own_store.get(), newsdesk::PageTokenCodec(*std::move(secret)), newsdesk::content::MediaBackend{}, nullptr,
        nullptr, own_pool.get());
    service = own_service.get();
  }
  const double open_ms = nb::MicrosSince(open_begin) / 1000;
  const std::string cache_note =
      cache_mb <= 0 ? "default block cache" : absl::StrFormat("block cache %d MiB", cache_mb);

#ifdef NEWSDESK_BENCH_XAPIAN
  std::unique_ptr<Xapian::Database> xdb;
  double xapian_build_s = -1;
  const std::string xpath = absl::GetFlag(FLAGS_xapian_path);
  if (!xpath.empty()) {
    if (!std::filesystem::exists(xpath + ".done")) {
      std::fprintf(stderr, "building the Xapian index of %llu articles in %s ...\n",
                   static_cast<unsigned long long>(count), xpath.c_str());
      std::filesystem::remove_all(xpath);
      xapian_build_s = BuildXapian(corpus, count, xpath);
      std::ofstream(xpath + ".done") << absl::StrFormat("count=%d seconds=%.2f\n", count, xapian_build_s);
    } else {
      std::ifstream in(xpath + ".done");
      std::string line;
      std::getline(in, line);
      const auto pos = line.find("seconds=");
      if (pos != std::string::npos) xapian_build_s = std::stod(line.substr(pos + 8));
    }
    xdb = std::make_unique<Xapian::Database>(xpath);
  }
  if (absl::GetFlag(FLAGS_xapian_only_build)) return 0;
#endif

  std::FILE* csv = nullptr;
  if (!absl::GetFlag(FLAGS_csv).empty()) {
    csv = std::fopen(absl::GetFlag(FLAGS_csv).c_str(), "w");
    if (csv != nullptr) std::fprintf(csv, "kind,engine,matches,micros\n");
  }

  // ---- Search ------------------------------------------------------------
  std::printf("### Search (%llu articles, in process, %s)\n\n", static_cast<unsigned long long>(count),
              cache_note.c_str());
  std::printf(
      "Random queries over %zu content words and place names (uniformly chosen), first page of 20 results "
      "with snippets. `matches` is the number of matching articles (from Xapian's exact count).\n\n",
      corpus.query_words().size());
  std::printf("| query | engine | queries | p50 | p90 | p99 | mean | median matches |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
  struct KindResult {
    double ours_p50 = 0, xap_p50 = 0, xap_snip_p50 = 0;
  };
  std::map<int, KindResult> kinds;
  struct Row {
    int words;
    double matches, ours_us, xap_us;
  };
  std::vector<Row> all_rows;
  for (int words : {1, 2}) {
    uint64_t state = 0x1234 + static_cast<uint64_t>(words);
    // Warm up caches a little (not timed) with other queries.
    for (int i = 0; i < 20; ++i) {
      v1::SearchArticlesRequest req;
      req.set_query(absl::StrJoin(PickQuery(corpus, &state, words), " "));
      (void)service->SearchArticles(kBenchCaller, req);
    }
    nb::Samples ours, ours_cpu, xap, xap_snip;
    std::vector<double> matches;
    std::vector<Row> rows;
    const auto budget_end =
        nb::SteadyClock::now() + std::chrono::duration<double>(absl::GetFlag(FLAGS_query_seconds));
    int errors = 0;
    for (int i = 0; i < absl::GetFlag(FLAGS_queries) && nb::SteadyClock::now() < budget_end; ++i) {
      const std::string q = absl::StrJoin(PickQuery(corpus, &state, words), " ");
      v1::SearchArticlesRequest req;
      req.set_query(q);
      const double cpu0 = ProcessCpuMicros();
      auto t0 = nb::SteadyClock::now();
      auto resp = service->SearchArticles(kBenchCaller, req);
      const double us = nb::MicrosSince(t0);
      const double cpu_us = ProcessCpuMicros() - cpu0;
      if (!resp.ok()) {
        ++errors;
        continue;
      }
      ours.Add(us);
      ours_cpu.Add(cpu_us);
      double m = -1;
#ifdef NEWSDESK_BENCH_XAPIAN
      if (xdb != nullptr) {
        auto parsed = newsdesk::text::ParseQuery(q);
        t0 = nb::SteadyClock::now();
        Xapian::Enquire enquire(*xdb);
        enquire.set_query(XapianQuery(*parsed));
        Xapian::MSet mset = enquire.get_mset(0, 20);
        std::vector<v1::Article> hits;
        for (auto it = mset.begin(); it != mset.end(); ++it) {
          hits.emplace_back();
          hits.back().ParseFromString(it.get_document().get_data());
        }
        xap.Add(nb::MicrosSince(t0));
        // Snippets (Xapian's MSet::snippet over the body), timed apart:
        // Xapian's snippet generator is slow next to its matcher.
        size_t snippet_bytes = 0;
        for (const auto& a : hits) snippet_bytes += mset.snippet(a.body(), 200).size();
        xap_snip.Add(nb::MicrosSince(t0));
        (void)snippet_bytes;
        // The exact number of matches (not timed).
        m = static_cast<double>(enquire.get_mset(0, 0, xdb->get_doccount()).get_matches_estimated());
        matches.push_back(m);
        rows.push_back({words, m, ours.values().back(), xap.values().back()});
      }
#endif
      if (csv != nullptr) {
        std::fprintf(csv, "%dword,newsdesk,%.0f,%.1f\n", words, m, ours.values().back());
        if (!xap.empty()) std::fprintf(csv, "%dword,xapian,%.0f,%.1f\n", words, m, xap.values().back());
      }
    }
    std::sort(matches.begin(), matches.end());
    const std::string median_matches =
        matches.empty() ? "–" : absl::StrFormat("%.0f", matches[matches.size() / 2]);
    const std::string label = words == 1 ? "one word" : "two words";
    std::printf("| %s | newsdesk | %zu | %s | %s | %s | %s | %s |\n", label.c_str(), ours.count(),
                nb::FormatMicros(ours.Quantile(0.5)).c_str(), nb::FormatMicros(ours.Quantile(0.9)).c_str(),
                nb::FormatMicros(ours.Quantile(0.99)).c_str(), nb::FormatMicros(ours.Mean()).c_str(),
                median_matches.c_str());
    std::printf("| %s | newsdesk: CPU time (all threads) | %zu | %s | %s | %s | %s | %s |\n", label.c_str(),
                ours_cpu.count(), nb::FormatMicros(ours_cpu.Quantile(0.5)).c_str(),
                nb::FormatMicros(ours_cpu.Quantile(0.9)).c_str(), nb::FormatMicros(ours_cpu.Quantile(0.99)).c_str(),
                nb::FormatMicros(ours_cpu.Mean()).c_str(), median_matches.c_str());
    if (!xap.empty()) {
      std::printf("| %s | Xapian 1.4: top 20 + stored articles | %zu | %s | %s | %s | %s | %s |\n", label.c_str(),
                  xap.count(), nb::FormatMicros(xap.Quantile(0.5)).c_str(),
                  nb::FormatMicros(xap.Quantile(0.9)).c_str(), nb::FormatMicros(xap.Quantile(0.99)).c_str(),
                  nb::FormatMicros(xap.Mean()).c_str(), median_matches.c_str());
      std::printf("| %s | Xapian 1.4: the same + MSet::snippet | %zu | %s | %s | %s | %s | %s |\n", label.c_str(),
                  xap_snip.count(), nb::FormatMicros(xap_snip.Quantile(0.5)).c_str(),
                  nb::FormatMicros(xap_snip.Quantile(0.9)).c_str(), nb::FormatMicros(xap_snip.Quantile(0.99)).c_str(),
                  nb::FormatMicros(xap_snip.Mean()).c_str(), median_matches.c_str());
    }
    if (errors > 0) std::printf("| %s | newsdesk errors | %d | | | | | |\n", label.c_str(), errors);
    const std::string key = words == 1 ? "search1" : "search2";
    fig.Add(key + "_p50_us", ours.Quantile(0.5));
    fig.Add(key + "_p99_us", ours.Quantile(0.99));
    fig.Add(key + "_queries", static_cast<double>(ours.count()));
    fig.Add(key + "_cpu_p50_us", ours_cpu.Quantile(0.5));
    if (!xap.empty()) {
      fig.Add(key + "_xapian_p50_us", xap.Quantile(0.5));
      fig.Add(key + "_xapian_p99_us", xap.Quantile(0.99));
      fig.Add(key + "_xapian_snippets_p50_us", xap_snip.Quantile(0.5));
      fig.Add(key + "_xapian_snippets_p99_us", xap_snip.Quantile(0.99));
    }
    kinds[words] = {ours.Quantile(0.5), xap.empty() ? 0 : xap.Quantile(0.5),
                    xap_snip.empty() ? 0 : xap_snip.Quantile(0.5)};
    for (const auto& r : rows) all_rows.push_back(r);
  }
  std::printf("\n");
  if (!all_rows.empty()) {
    // Latency by the share of the collection that matches: our engine reads
    // every matching record to rank it, Xapian reads posting lists and only
    // the 20 documents it returns.
    const double bounds[] = {0.001, 0.01, 0.05, 0.2, 1.01};
    const char* names[] = {"< 0.1 %", "0.1–1 %", "1–5 %", "5–20 %", "> 20 %"};
    std::printf("Latency (p50) by the share of articles that match, both kinds of query together:\n\n");
    std::printf("| articles matching | queries | newsdesk p50 | Xapian p50 | ratio |\n|---|---:|---:|---:|---:|\n");
    double lo = -1;
    for (int b = 0; b < 5; ++b) {
      nb::Samples o, x;
      for (const auto& r : all_rows) {
        const double share = r.matches / static_cast<double>(count);
        if (share > lo && share <= bounds[b]) {
          o.Add(r.ours_us);
          x.Add(r.xap_us);
        }
      }
      lo = bounds[b];
      if (o.empty()) continue;
      std::printf("| %s | %zu | %s | %s | %.1f× |\n", names[b], o.count(), nb::FormatMicros(o.Quantile(0.5)).c_str(),
                  nb::FormatMicros(x.Quantile(0.5)).c_str(), o.Quantile(0.5) / x.Quantile(0.5));
    }
    std::printf("\n");
  }
#ifdef NEWSDESK_BENCH_XAPIAN
  if (xdb != nullptr) {
    std::printf("| ratio of p50 latencies | one word | two words |\n|---|---:|---:|\n");
    std::printf("| newsdesk / Xapian (top 20 + stored articles) | %.1f× | %.1f× |\n",
                kinds[1].ours_p50 / kinds[1].xap_p50, kinds[2].ours_p50 / kinds[2].xap_p50);
    std::printf("| newsdesk / Xapian with snippets | %.1f× | %.1f× |\n\n", kinds[1].ours_p50 / kinds[1].xap_snip_p50,
                kinds[2].ours_p50 / kinds[2].xap_snip_p50);
    fig.Add("search1_ratio_xapian", kinds[1].ours_p50 / kinds[1].xap_p50);
    fig.Add("search2_ratio_xapian", kinds[2].ours_p50 / kinds[2].xap_p50);
    fig.Add("search1_ratio_xapian_snippets", kinds[1].ours_p50 / kinds[1].xap_snip_p50);
    fig.Add("search2_ratio_xapian_snippets", kinds[2].ours_p50 / kinds[2].xap_snip_p50);
    if (xapian_build_s > 0) fig.Add("xapian_build_s", xapian_build_s);
  }
#endif

  // ---- Listing -------------------------------------------------------------
  const int repeats = absl::GetFlag(FLAGS_repeats);
  const uint64_t deep = std::min<uint64_t>(absl::GetFlag(FLAGS_deep), count > 100 ? count - 100 : 0);
  // Follow page tokens to `deep`, 1,000 at a time (tokens do not depend on
  // the page size), then time 50-item pages there.
  auto token_at = [&](const std::string& filter, uint64_t position) -> std::optional<std::string> {
    std::string token;
    uint64_t at = 0;
    while (at < position) {
      v1::ListArticlesRequest req;
      req.set_filter(filter);
      req.set_page_size(static_cast<int>(std::min<uint64_t>(1000, position - at)));
      req.set_page_token(token);
      auto resp = service->ListArticles(kBenchCaller, req);
      if (!resp.ok() || resp->next_page_token().empty()) return std::nullopt;
      at += static_cast<uint64_t>(resp->articles_size());
      token = resp->next_page_token();
    }
    return token;
  };
  struct ListCase {
    std::string label, key, filter, token;
  };
  std::vector<ListCase> cases;
  cases.push_back({"first page (50), no filter", "list_first", "", ""});
  const auto deep_token = token_at("", deep);
  if (deep_token.has_value()) {
    cases.push_back({absl::StrFormat("page at item %d (50), no filter", deep), "list_deep", "", *deep_token});
  }
  const std::string tag = corpus.tags()[1];  // the second most frequent tag
  const std::string rare_tag = corpus.tags().back();
  cases.push_back({absl::StrFormat("first page (50), `tags:\"%s\"`", tag), "list_tag",
                   absl::StrFormat("tags:\"%s\"", tag), ""});
  cases.push_back({absl::StrFormat("first page (50), `tags:\"%s\"` (rarest tag)", rare_tag), "list_rare_tag",
                   absl::StrFormat("tags:\"%s\"", rare_tag), ""});
  cases.push_back({absl::StrFormat("first page (50), `state = PUBLISHED AND tags:\"%s\"`", tag), "list_state_tag",
                   absl::StrFormat("state = PUBLISHED AND tags:\"%s\"", tag), ""});
  cases.push_back({"first page (50), `authors:\"Anna Nowakowska\"` (author index)", "list_author",
                   "authors:\"Anna Nowakowska\"", ""});
  std::vector<nb::Samples> samples(cases.size());
  int list_errors = 0;
  // Interleaved rounds, so drift on a shared machine hits every case alike.
  for (int r = 0; r < repeats; ++r) {
    for (size_t c = 0; c < cases.size(); ++c) {
      v1::ListArticlesRequest req;
      req.set_filter(cases[c].filter);
      req.set_page_token(cases[c].token);
      const auto t0 = nb::SteadyClock::now();
      auto resp = service->ListArticles(kBenchCaller, req);
      const double us = nb::MicrosSince(t0);
      if (!resp.ok()) {
        ++list_errors;
        continue;
      }
      if (r > 0) samples[c].Add(us);  // round 0 warms up
    }
  }
  std::printf("### ListArticles (%llu articles, in process, %s)\n\n", static_cast<unsigned long long>(count),
              cache_note.c_str());
  std::printf("| listing | calls | p50 | p99 | mean |\n|---|---:|---:|---:|---:|\n");
  for (size_t c = 0; c < cases.size(); ++c) {
    std::printf("| %s | %zu | %s | %s | %s |\n", cases[c].label.c_str(), samples[c].count(),
                nb::FormatMicros(samples[c].Quantile(0.5)).c_str(),
                nb::FormatMicros(samples[c].Quantile(0.99)).c_str(), nb::FormatMicros(samples[c].Mean()).c_str());
    fig.Add(cases[c].key + "_p50_us", samples[c].Quantile(0.5));
    fig.Add(cases[c].key + "_p99_us", samples[c].Quantile(0.99));
  }
  if (list_errors > 0) std::printf("| errors | %d | | | |\n", list_errors);
  if (deep_token.has_value()) {
    const double ratio = samples[1].Quantile(0.5) / samples[0].Quantile(0.5);
    std::printf("\nDeep page / first page (p50): **%.2f×** (target ≤ 1.3×).\n\n", ratio);
    fig.Add("list_deep_ratio", ratio);
  }

  // ---- GetArticle (storage limit) -------------------------------------------
  {
    nb::Samples get;
    uint64_t state = 99;
    for (int i = 0; i < repeats * 10; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      v1::GetArticleRequest req;
      req.set_name(absl::StrCat("articles/", nb::Corpus::IdOf((state >> 33) % count)));
      const auto t0 = nb::SteadyClock::now();
      auto resp = service->GetArticle(kBenchCaller, req);
      const double us = nb::MicrosSince(t0);
      if (resp.ok()) get.Add(us);
    }
    std::printf("### GetArticle in process (random ids, one thread, %s)\n\n| calls | p50 | p99 | mean |\n|---:|---:|---:|---:|\n",
                cache_note.c_str());
    std::printf("| %zu | %s | %s | %s |\n\n", get.count(), nb::FormatMicros(get.Quantile(0.5)).c_str(),
                nb::FormatMicros(get.Quantile(0.99)).c_str(), nb::FormatMicros(get.Mean()).c_str());
    fig.Add("get_inproc_p50_us", get.Quantile(0.5));
    fig.Add("get_inproc_p99_us", get.Quantile(0.99));
  }
  fig.Add("db_open_ms", open_ms);

  if (csv != nullptr) std::fclose(csv);
  if (!absl::GetFlag(FLAGS_kv).empty()) {
    std::ofstream out(absl::GetFlag(FLAGS_kv), std::ios::app);
    for (const auto& [k, v] : fig.kv) out << k << "=" << v << "\n";
  }
  return 0;
}
