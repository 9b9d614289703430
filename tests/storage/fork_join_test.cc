#include "storage/kv/fork_join.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace newsdesk::kv {
namespace {

TEST(ForkJoinPoolTest, RunsEveryPieceExactlyOnceBeforeReturning) {
  for (int helpers : {0, 1, 3}) {
    ForkJoinPool pool(helpers);
    EXPECT_EQ(pool.helpers(), helpers);
    for (size_t n : {0, 1, 2, 7, 64, 1000}) {
      std::vector<std::atomic<int>> runs(n);
      pool.Run(n, [&](size_t i) { runs[i].fetch_add(1); });
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(runs[i].load(), 1) << "helpers " << helpers << " n " << n << " i " << i;
    }
  }
}

TEST(ForkJoinPoolTest, HelpersTakeShares) {
  ForkJoinPool pool(1);
  // Each piece waits until the other has started: only two threads at once
  // can finish, so the helper must have taken one of them.
  std::atomic<int> started{0};
  std::thread::id ran_on[2];
  pool.Run(2, [&](size_t i) {
    ran_on[i] = std::this_thread::get_id();
    started.fetch_add(1);
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (started.load() < 2 && absl::Now() < deadline) absl::SleepFor(absl::Microseconds(100));
    EXPECT_EQ(started.load(), 2) << "piece " << i << " waited alone";
  });
  EXPECT_NE(ran_on[0], ran_on[1]);
}

TEST(ForkJoinPoolTest, NeverWaitsForABusyHelper) {
  ForkJoinPool pool(1);
  absl::Notification release;
  absl::Notification holding;
  // The only helper is held inside a piece of another caller's job: of
  // that job's two pieces, the one on the caller's thread waits until the
  // other has started elsewhere, so the helper is the one that runs it.
  std::thread holder([&] {
    const std::thread::id self = std::this_thread::get_id();
    pool.Run(2, [&](size_t) {
      if (std::this_thread::get_id() == self) {
        ASSERT_TRUE(holding.WaitForNotificationWithTimeout(absl::Seconds(30)));
      } else if (!holding.HasBeenNotified()) {
        // (Once released, the helper may also take the other piece when
        // this thread has not claimed it yet.)
        holding.Notify();
        release.WaitForNotification();
      }
    });
  });
  holding.WaitForNotification();
  // This job's pieces all run on this thread meanwhile.
  std::atomic<int> ran{0};
  const std::thread::id self = std::this_thread::get_id();
  pool.Run(50, [&](size_t) {
    EXPECT_EQ(std::this_thread::get_id(), self);
    ran.fetch_add(1);
  });
  EXPECT_EQ(ran.load(), 50);
  release.Notify();
  holder.join();
}

TEST(ForkJoinPoolTest, ConcurrentAndNestedRunsAllFinish) {
  ForkJoinPool pool(2);
  std::atomic<int64_t> sum{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 6; ++t) {
    callers.emplace_back([&] {
      for (int r = 0; r < 100; ++r) {
        pool.Run(4, [&](size_t i) {
          // A piece may split its own work on the same pool.
          pool.Run(3, [&](size_t j) { sum.fetch_add(static_cast<int64_t>(i * 3 + j)); });
        });
      }
    });
  }
  for (auto& c : callers) c.join();
  // Each inner run adds 0 + 1 + … + 11 over its outer run: 66 per outer run.
  EXPECT_EQ(sum.load(), int64_t{6} * 100 * 66);
}

}  // namespace
}  // namespace newsdesk::kv
