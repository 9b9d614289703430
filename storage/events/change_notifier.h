// Tells watchers that the change log grew, without making writers wait for
// them.
#pragma once

#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace newsdesk::events {

// The highest committed change-log sequence number, published by writers and
// awaited by watchers. A writer's Publish is one uncontended mutex section
// (absl::Mutex wakes only waiters whose condition became true), so the number
// of watchers never slows a write: watchers read the log themselves.
// Thread-safe.
class ChangeNotifier {
 public:
  explicit ChangeNotifier(uint64_t last = 0) : last_(last) {}

  void Publish(uint64_t sequence) {
    absl::MutexLock lock(&mu_);
    if (sequence > last_) last_ = sequence;
  }

  uint64_t last() const {
    absl::MutexLock lock(&mu_);
    return last_;
  }

  // Blocks until last() > sequence, Close() or the timeout; returns last().
  uint64_t WaitBeyond(uint64_t sequence, absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    struct Arg {
      const ChangeNotifier* self;
      uint64_t sequence;
    } arg{this, sequence};
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](Arg* a) { return a->self->closed_ || a->self->last_ > a->sequence; }, &arg),
                         timeout);
    return last_;
  }

  // Wakes every waiter for good (shutdown).
  void Close() {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  bool closed() const {
    absl::MutexLock lock(&mu_);
    return closed_;
  }

 private:
  mutable absl::Mutex mu_;
  uint64_t last_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace newsdesk::events
