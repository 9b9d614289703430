#include "storage/kv/key_locks.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace newsdesk::kv {

KeyLocks::KeyLocks(size_t stripes) : mutexes_(new std::mutex[stripes]), stripes_(stripes) {}

void KeyLocks::Guard::Release() {
  for (auto it = held_.rbegin(); it != held_.rend(); ++it) (*it)->unlock();
  held_.clear();
}

KeyLocks::Guard::~Guard() { Release(); }

KeyLocks::Guard& KeyLocks::Guard::operator=(Guard&& other) noexcept {
  if (this != &other) {
    Release();
    held_ = std::move(other.held_);
    other.held_.clear();
  }
  return *this;
}

KeyLocks::Guard KeyLocks::Lock(std::initializer_list<absl::string_view> keys) {
  return Lock(std::vector<absl::string_view>(keys));
}

KeyLocks::Guard KeyLocks::Lock(const std::vector<absl::string_view>& keys) {
  std::vector<size_t> stripes;
  stripes.reserve(keys.size());
  for (auto k : keys) stripes.push_back(absl::HashOf(k) % stripes_);
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  Guard guard;
  for (size_t s : stripes) {
    mutexes_[s].lock();
    guard.held_.push_back(&mutexes_[s]);
  }
  return guard;
}

}  // namespace newsdesk::kv
