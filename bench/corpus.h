// A generator of realistic Polish news articles for benchmarks, and the
// loader that stores them through ArticleStore.
//
// Articles are built from hand-written word lists (function words, regional
// news vocabulary with inflected forms, Polish place names, first names and
// generated surnames): each article has a topic and a place, and its words
// mix function words (Zipf-distributed), topic words, the place's inflected
// forms, people, general vocabulary (Zipf) and numbers, so term frequencies
// are skewed and bursty the way real news text is. Deterministic: the same
// seed and index give the same article. Thread-safe (const after
// construction).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "newsdesk/content/v1/article.pb.h"
#include "storage/content/article_store.h"

namespace newsdesk::bench {

using Article = ::newsdesk::content::v1::Article;

class Corpus {
 public:
  explicit Corpus(uint64_t seed = 42);

  // Article `i` of the corpus: title, lead, body, language, authors, tags.
  // Output-only fields are left empty.
  Article Make(uint64_t i) const;

  // The article id used for article `i` by LoadCorpus ("a0000000123").
  static std::string IdOf(uint64_t i);

  // Words a reader might search for (content words and place names, no
  // function words or numbers), for building random queries.
  const std::vector<std::string>& query_words() const { return query_words_; }
  // The tags articles carry, most frequent first.
  const std::vector<std::string>& tags() const { return tags_; }

 private:
  uint64_t seed_;
  std::vector<std::string> function_words_;
  std::vector<std::string> general_words_;  // shuffled content vocabulary (Zipf rank order)
  std::vector<std::vector<std::string>> topic_words_;  // per tag
  std::vector<std::vector<std::string>> places_;       // inflected forms per place
  std::vector<std::string> first_names_;
  std::vector<std::string> surnames_;
  std::vector<std::string> tags_;
  std::vector<std::string> query_words_;
  std::vector<double> function_cdf_, general_cdf_, tag_cdf_;
};

// A clock whose time each thread sets for itself: loader threads stamp their
// own article's create and publish times without racing each other.
class PerThreadClock : public Clock {
 public:
  absl::Time Now() override;
  static void Set(absl::Time t);
};

struct LoadOptions {
  uint64_t count = 1000;
  int threads = 4;
  // Articles get create/publish times spread evenly from `start` over `span`
  // (a PerThreadClock drives the store while loading).
  absl::Time start = absl::FromUnixSeconds(1420070400);  // 2015-01-01
  absl::Duration span = absl::Hours(24 * 365 * 9);
  // Progress callback (articles done), called about every 5% from a loader
  // thread; may be empty.
  std::function<void(uint64_t)> progress;
};

struct LoadStats {
  uint64_t articles = 0;
  double seconds = 0;
};

// Creates and publishes articles 0..count-1 of `corpus` through `store`
// (ArticleStore::Create then ArticleStore::Publish: two synced batches each,
// written by `threads` threads so RocksDB can group commits). `store` must
// be built on a PerThreadClock. Errors: the first store error.
absl::StatusOr<LoadStats> LoadCorpus(const Corpus& corpus, content::ArticleStore* store,
                                     const LoadOptions& options);

}  // namespace newsdesk::bench
