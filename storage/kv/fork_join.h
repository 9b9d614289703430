// Runs the independent pieces of one task at once: a search's slices of the
// index, the records and snippets of its page.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/functional/function_ref.h"

namespace newsdesk::kv {

// A few helper threads that join in a caller's work. Run(n, body) calls
// body(0) … body(n - 1), each exactly once, and returns when all have
// returned. The calling thread runs pieces itself until none is left and
// idle helpers take the others, so Run never waits for a busy pool: under
// full load every call simply runs on its caller's thread, and no call ever
// waits on work that is queued behind it. Thread-safe. (std::mutex rather
// than absl::Mutex: ThreadSanitizer sees it; Debian's Abseil is not
// instrumented.)
class ForkJoinPool {
 public:
  explicit ForkJoinPool(int helpers);
  // Joins the helpers. No Run may be in progress.
  ~ForkJoinPool();
  ForkJoinPool(const ForkJoinPool&) = delete;
  ForkJoinPool& operator=(const ForkJoinPool&) = delete;

  int helpers() const { return static_cast<int>(threads_.size()); }

  void Run(size_t n, absl::FunctionRef<void(size_t)> body);

 private:
  struct Job;
  void Help();

  std::mutex mu_;
  std::condition_variable invited_;
  // One entry per helper invited to a job; a helper that takes an entry
  // after the job's pieces are all claimed just drops it. Guarded by mu_.
  std::deque<std::shared_ptr<Job>> invitations_;
  bool stopping_ = false;  // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace newsdesk::kv
