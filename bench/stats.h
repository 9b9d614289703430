// Latency samples and their percentiles, for the benchmark binaries.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"

namespace newsdesk::bench {

using SteadyClock = std::chrono::steady_clock;

inline double MicrosSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::micro>(SteadyClock::now() - start).count();
}

// Latencies in microseconds. Not thread-safe: give each thread its own and
// Merge them.
class Samples {
 public:
  void Add(double micros) {
    v_.push_back(micros);
    sorted_ = false;
  }
  void Merge(const Samples& other) {
    v_.insert(v_.end(), other.v_.begin(), other.v_.end());
    sorted_ = false;
  }
  size_t count() const { return v_.size(); }
  bool empty() const { return v_.empty(); }
  // The q-quantile (0 ≤ q ≤ 1) by the nearest-rank method; 0 when empty.
  double Quantile(double q) {
    if (v_.empty()) return 0;
    if (!sorted_) {
      std::sort(v_.begin(), v_.end());
      sorted_ = true;
    }
    size_t rank = static_cast<size_t>(q * static_cast<double>(v_.size()) + 0.999999);
    rank = std::clamp<size_t>(rank, 1, v_.size());
    return v_[rank - 1];
  }
  double Mean() const {
    double s = 0;
    for (double x : v_) s += x;
    return v_.empty() ? 0 : s / static_cast<double>(v_.size());
  }
  const std::vector<double>& values() const { return v_; }

 private:
  std::vector<double> v_;
  bool sorted_ = false;
};

// "1.23 ms" / "456 µs" style rendering of a latency in microseconds.
inline std::string FormatMicros(double us) {
  if (us >= 1e6) return absl::StrFormat("%.2f s", us / 1e6);
  if (us >= 1e4) return absl::StrFormat("%.1f ms", us / 1e3);
  if (us >= 1e3) return absl::StrFormat("%.2f ms", us / 1e3);
  return absl::StrFormat("%.0f µs", us);
}

}  // namespace newsdesk::bench
