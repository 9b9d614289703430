#include "storage/kv/fork_join.h"

#include <algorithm>
#include <atomic>

namespace newsdesk::kv {

struct ForkJoinPool::Job {
  Job(size_t pieces, absl::FunctionRef<void(size_t)> f) : n(pieces), body(f) {}

  // Runs unclaimed pieces until none is left.
  void Work() {
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) {
      body(i);
      std::lock_guard<std::mutex> lock(mu);
      if (++done == n) finished.notify_all();
    }
  }

  const size_t n;
  // Called only for claimed pieces, all of which finish before Run returns.
  absl::FunctionRef<void(size_t)> body;
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::condition_variable finished;
  size_t done = 0;  // guarded by mu
};

ForkJoinPool::ForkJoinPool(int helpers) {
  for (int i = 0; i < helpers; ++i) threads_.emplace_back([this] { Help(); });
}

ForkJoinPool::~ForkJoinPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  invited_.notify_all();
  for (auto& t : threads_) t.join();
}

void ForkJoinPool::Run(size_t n, absl::FunctionRef<void(size_t)> body) {
  if (n == 0) return;
  auto job = std::make_shared<Job>(n, body);
  const size_t invite = std::min(n - 1, threads_.size());
  if (invite > 0) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < invite; ++i) invitations_.push_back(job);
    }
    if (invite == 1) {
      invited_.notify_one();
    } else {
      invited_.notify_all();
    }
  }
  job->Work();
  std::unique_lock<std::mutex> lock(job->mu);
  job->finished.wait(lock, [&] { return job->done == job->n; });
}

void ForkJoinPool::Help() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      invited_.wait(lock, [&] { return stopping_ || !invitations_.empty(); });
      if (invitations_.empty()) return;  // stopping, and nothing left
      job = std::move(invitations_.front());
      invitations_.pop_front();
    }
    job->Work();
  }
}

}  // namespace newsdesk::kv
