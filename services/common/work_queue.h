// A fixed pool of threads for work that must not run on gRPC's threads.
#pragma once

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace newsdesk {

// Runs tasks in FIFO order on `threads` threads. Handlers hand it work that
// blocks: synced RocksDB writes (many at once, so RocksDB commits them as one
// group), scans, searches, photo decoding. A gRPC callback (reaction) must
// not block, or every other call served by that thread waits. Thread-safe.
class WorkQueue {
 public:
  explicit WorkQueue(int threads);
  // Runs every task still queued, then joins the threads. The gRPC server
  // must have stopped first (its reactors finish from these tasks).
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Schedule(std::function<void()> task);

 private:
  void Run();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace newsdesk
