// Runs the independent pieces of one task at once: a search's slices of the
// index, the records and snippets of its page.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"

namespace newsdesk::kv {

// A few helper threads that join in a caller's work. Run(n, body) calls
// body(0) … body(n - 1), each exactly once, and returns when all have
// returned. The calling thread runs pieces itself until none is left and
// idle helpers take the others, so Run never waits for a busy pool: under
// full load every call simply runs on its caller's thread, and no call ever
// waits on work that is queued behind it. Thread-safe.
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

  absl::Mutex mu_;
  // One entry per helper invited to a job; a helper that takes an entry
  // after the job's pieces are all claimed just drops it.
  std::deque<std::shared_ptr<Job>> invitations_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace newsdesk::kv
