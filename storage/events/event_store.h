// Events in the events database, with their change log.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "newsdesk/events/v1/event.pb.h"
#include "storage/events/change_notifier.h"
#include "storage/events/lifecycle.h"
#include "storage/events/schedule.h"
#include "storage/kv/clock.h"
#include "storage/kv/database.h"
#include "storage/kv/key_locks.h"
#include "storage/query/filter.h"

namespace newsdesk::events {

struct EventPage {
  std::vector<Event> events;
  // Where the next page starts; empty when this page is the last.
  std::string next_cursor;
};

enum class OrderField { kStart, kCreateTime };

struct ListQuery {
  // Parsed against EventFilterSchema(); nullptr means no filter.
  const query::Node* filter = nullptr;
  OrderField order = OrderField::kStart;
  bool descending = false;
  bool show_deleted = false;
  int page_size = 50;
  // A previous page's next_cursor for the same query, or empty.
  std::string cursor;
  // Index entries one page may examine before it returns early (with fewer
  // events and a cursor), so a filter that matches little cannot make one
  // call scan the whole collection.
  int max_examined = 10000;
};

struct EventStoreOptions {
  // How long a CreateEvent request_id is remembered.
  absl::Duration request_id_retention = absl::Hours(24);
  // Change-log retention: an entry is dropped once more than
  // `change_log_max_entries` newer entries exist or it is older than
  // `change_log_max_age`, whichever comes first. The newest entry is always
  // kept (it carries the sequence number across restarts).
  uint64_t change_log_max_entries = 100000;
  absl::Duration change_log_max_age = absl::Hours(24 * 7);
};

// One change-log entry.
struct ChangeRecord {
  uint64_t sequence = 0;
  EventChange change;  // resume_token unset: the service encodes it
};

// The most schedule_history entries an event keeps (oldest dropped first).
inline constexpr int kMaxScheduleHistory = 100;

// Owns the event records, their indexes (creation order, start order),
// request ids and the change log. Every change writes the record, its index
// differences and one change-log entry in one atomic, synced batch.
//
// Change-log sequence numbers are assigned and written under one commit
// mutex, so sequence order is commit order and the log has no holes: a
// reader that has seen sequence n has seen every change before it. That
// serialises synced writes to this database; event writes are rare (a
// newsroom's calendar), and correctness of the change stream matters more.
// Read-modify-write sequences are serialised per event with KeyLocks (taken
// before the commit mutex, never the other way round).
//
// Thread-safe. Arguments are assumed validated by the caller (ids, fields,
// schedules normalised); the store enforces existence, uniqueness, etags and
// the lifecycle.
class EventStore {
 public:
  // Reads the change log's bounds. Errors: UNAVAILABLE, DATA_LOSS.
  static absl::StatusOr<std::unique_ptr<EventStore>> Open(kv::Database* db, Clock* clock,
                                                          EventStoreOptions options = {});

  // The first response to `request_id` if it is remembered.
  absl::StatusOr<std::optional<Event>> FindRequest(const std::string& request_id) const;

  // Creates an event in status PLANNED, revision 1. `event_id` empty → a
  // generated id. A remembered request_id returns the first response and
  // writes nothing. Errors: ALREADY_EXISTS, INVALID_ARGUMENT (schedule),
  // UNAVAILABLE / RESOURCE_EXHAUSTED (storage).
  absl::StatusOr<Event> Create(const Event& event, std::string event_id, const std::string& request_id);

  // Errors: NOT_FOUND, DATA_LOSS.
  absl::StatusOr<Event> Get(const std::string& event_id) const;

  // Errors: INVALID_ARGUMENT (a cursor that is not a position in this
  // listing), storage errors.
  absl::StatusOr<EventPage> List(const ListQuery& query) const;

  // Copies the writable fields named in `paths` from `patch`. A changed
  // schedule is appended to schedule_history. Errors: NOT_FOUND, ABORTED
  // (stale etag), FAILED_PRECONDITION (deleted; a CONFIRMED event given a
  // schedule vaguer than DAY), INVALID_ARGUMENT (unknown path).
  absl::StatusOr<Event> Update(const std::string& event_id, const Event& patch,
                               const std::vector<std::string>& paths, const std::string& etag);

  // Applies a lifecycle action (see lifecycle.h), optionally with a new
  // schedule. Errors: NOT_FOUND, ABORTED, FAILED_PRECONDITION (deleted; not
  // allowed from the current status, which the message names; Confirm
  // without an EXACT or DAY schedule).
  absl::StatusOr<Event> Transition(const std::string& event_id, const std::string& etag, Action action,
                                   const Schedule* new_schedule, const std::string& reason);

  // Soft delete. Errors: NOT_FOUND (unknown or already deleted), ABORTED.
  absl::StatusOr<Event> Delete(const std::string& event_id, const std::string& etag);

  // Errors: NOT_FOUND, ALREADY_EXISTS (not deleted).
  absl::StatusOr<Event> Undelete(const std::string& event_id);

  // The sequence number of the newest change (0 before the first).
  uint64_t LastSequence() const { return last_sequence_.load(); }

  // Up to `max` changes with sequence numbers after `after`, oldest first.
  // Errors: OUT_OF_RANGE when changes after `after` are no longer retained;
  // INVALID_ARGUMENT when `after` is beyond the log; storage errors.
  absl::StatusOr<std::vector<ChangeRecord>> ReadChanges(uint64_t after, size_t max) const;

  // Published after every committed change.
  ChangeNotifier* notifier() { return &notifier_; }

  kv::Database* db() const { return db_; }

 private:
  EventStore(kv::Database* db, Clock* clock, EventStoreOptions options);
  absl::StatusOr<Event> Load(const std::string& event_id, const kv::Snapshot* snapshot) const;
  // Loads a live event for a change, checking the etag.
  absl::StatusOr<Event> LoadForChange(const std::string& event_id, const std::string& etag) const;
  // Writes `next` replacing `old` (nullptr on create): record, index
  // differences, optional request-id entry, and a change-log entry of
  // `type`, all stamped `now`. Returns what a reader sees.
  absl::StatusOr<Event> Commit(const Event* old, Event next, EventChange::Type type, absl::Time now,
                               kv::WriteBatch& batch, const std::string& request_key = "");
  // Adds the change-log entry (and retention deletes) to `batch` and writes
  // it, under commit_mu_.
  absl::Status AppendChangeAndWrite(const EventChange& change, kv::WriteBatch& batch);

  kv::Database* db_;
  Clock* clock_;
  EventStoreOptions options_;
  mutable kv::KeyLocks record_locks_;
  absl::Mutex commit_mu_;
  uint64_t first_sequence_ ABSL_GUARDED_BY(commit_mu_) = 1;  // oldest retained entry
  std::atomic<uint64_t> last_sequence_{0};  // written under commit_mu_
  ChangeNotifier notifier_;
};

// "events/{id}".
std::string EventName(absl::string_view event_id);

// The index keys (kIndexesCf) a stored event has.
std::vector<std::string> EventIndexKeys(const Event& event);

// Change-log keys: big-endian sequence numbers.
std::string ChangeKey(uint64_t sequence);

}  // namespace newsdesk::events
