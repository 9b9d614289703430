// Per-key serialisation of read-modify-write sequences.
//
// Why per-key locks and not a RocksDB transaction database: every write here
// is a small read-check-write on one record and its index entries, and the
// checks (etag, create-if-absent, slug uniqueness) need a consistent answer,
// not a retry loop. Striped mutexes give that with no conflict aborts, keep
// RocksDB's write path (and its group commit of synced writes) untouched, and
// cost one uncontended mutex per key. Writers that touch different keys never
// wait for each other except when two keys share a stripe, which is harmless.
#pragma once

#include <cstddef>
#include <memory>
#include "absl/strings/string_view.h"
#include <vector>

#include <mutex>

namespace newsdesk::kv {

// A table of striped mutexes (std::mutex, so ThreadSanitizer sees them).
// Thread-safe. Locks taken through one Lock call
// are acquired in stripe order, so two callers can never deadlock each other
// on one table. A caller that needs two tables must always take them in the
// same order (document it where the tables are defined).
class KeyLocks {
 public:
  explicit KeyLocks(size_t stripes = 4096);

  // Holds the stripes of a set of keys until destroyed.
  class Guard {
   public:
    Guard(Guard&& other) noexcept : held_(std::move(other.held_)) { other.held_.clear(); }
    // Releases what this guard holds, then takes over `other`'s stripes.
    Guard& operator=(Guard&& other) noexcept;
    ~Guard();

   private:
    friend class KeyLocks;
    Guard() = default;
    void Release();
    std::vector<std::mutex*> held_;
  };

  // Blocks until every key's stripe is held.
  [[nodiscard]] Guard Lock(std::initializer_list<absl::string_view> keys);
  [[nodiscard]] Guard Lock(const std::vector<absl::string_view>& keys);

 private:
  std::unique_ptr<std::mutex[]> mutexes_;
  size_t stripes_;
};

}  // namespace newsdesk::kv
