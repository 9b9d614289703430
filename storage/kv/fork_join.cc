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
      absl::MutexLock lock(&mu);
      ++done;
    }
  }

  const size_t n;
  // Called only for claimed pieces, all of which finish before Run returns.
  absl::FunctionRef<void(size_t)> body;
  std::atomic<size_t> next{0};
  absl::Mutex mu;
  size_t done ABSL_GUARDED_BY(mu) = 0;
};

ForkJoinPool::ForkJoinPool(int helpers) {
  for (int i = 0; i < helpers; ++i) threads_.emplace_back([this] { Help(); });
}

ForkJoinPool::~ForkJoinPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& t : threads_) t.join();
}

void ForkJoinPool::Run(size_t n, absl::FunctionRef<void(size_t)> body) {
  if (n == 0) return;
  auto job = std::make_shared<Job>(n, body);
  const size_t invite = std::min(n - 1, threads_.size());
  if (invite > 0) {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < invite; ++i) invitations_.push_back(job);
  }
  job->Work();
  absl::MutexLock lock(&job->mu);
  job->mu.Await(absl::Condition(
      +[](Job* j) ABSL_EXCLUSIVE_LOCKS_REQUIRED(j->mu) { return j->done == j->n; }, job.get()));
}

void ForkJoinPool::Help() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ForkJoinPool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return p->stopping_ || !p->invitations_.empty();
          },
          this));
      if (invitations_.empty()) return;  // stopping
      job = std::move(invitations_.front());
      invitations_.pop_front();
    }
    job->Work();
  }
}

}  // namespace newsdesk::kv
