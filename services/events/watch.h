// WatchEvents: resume tokens, the per-stream reactor, and the hub that wakes
// streams waiting for new changes.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <grpcpp/support/server_callback.h>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "newsdesk/events/v1/event.pb.h"
#include "storage/events/change_notifier.h"
#include "storage/events/event_store.h"
#include "storage/query/filter.h"

namespace newsdesk::events {

// Resume tokens: base64url of a version byte, the change log's epoch (8
// bytes, random per database) and a big-endian sequence number. Opaque to
// clients; a token from another database is refused. Thread-safe.
class ResumeTokenCodec {
 public:
  explicit ResumeTokenCodec(std::string epoch);
  std::string Encode(uint64_t sequence) const;
  // Errors: INVALID_ARGUMENT naming resume_token.
  absl::StatusOr<uint64_t> Decode(absl::string_view token) const;

 private:
  std::string epoch_;
};

class WatchReactor;

// Wakes streams that have caught up with the change log when it grows. One
// thread waits on the store's ChangeNotifier; writers only publish a number
// and never wait for watchers. Thread-safe.
class WatchHub {
 public:
  explicit WatchHub(ChangeNotifier* notifier);
  ~WatchHub();  // Stop()

  // Parks `reactor`, which has read everything up to `cursor`, until the log
  // passes `cursor`. Returns false (nothing parked) when it already has.
  bool Park(WatchReactor* reactor, uint64_t cursor);
  // Unparks; no effect when not parked.
  void Remove(WatchReactor* reactor);
  // Every live stream registers; false once CloseAll has run (the stream
  // then ends at once).
  bool Track(WatchReactor* reactor);
  void Untrack(WatchReactor* reactor);
  // Ends every live stream with UNAVAILABLE (clients resume with their last
  // token), and every stream that starts later. Called when shutdown begins,
  // so that open streams do not hold the server until the grace period ends.
  void CloseAll();
  // Streams parked now (for tests).
  size_t parked() const;
  // Stops the thread; parked streams are no longer woken.
  void Stop();

 private:
  void Run();

  ChangeNotifier* notifier_;
  mutable absl::Mutex mu_;
  std::map<WatchReactor*, uint64_t> parked_ ABSL_GUARDED_BY(mu_);
  std::set<WatchReactor*> live_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

struct WatchOptions {
  // Changes read from the log per batch.
  size_t batch = 64;
  // A stream whose filter skipped changes sends a bookmark after this long
  // without a message, so its client's resume token stays within the
  // retained log.
  absl::Duration bookmark_interval = absl::Seconds(30);
};

// One WatchEvents stream: reads the change log from its cursor, one write in
// flight, and parks in the hub when caught up (never blocking a gRPC
// thread). Owns itself: deleted when gRPC is done with it and no Pump runs.
class WatchReactor : public grpc::ServerWriteReactor<::newsdesk::events::v1::EventChange> {
 public:
  // Starts streaming from `start` (changes after it), with a bookmark first.
  // `filter` may be empty (kTrue).
  WatchReactor(EventStore* store, WatchHub* hub, const ResumeTokenCodec* tokens, query::Node filter,
               uint64_t start, WatchOptions options);

  // Called by the hub when the log has grown past the parked cursor.
  void Wake() { Pump(); }
  // Ends the stream with UNAVAILABLE after the write in flight, if any.
  void Close();
  void Ref() { refs_.fetch_add(1); }
  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  ~WatchReactor() override = default;
  void Pump();
  // Reads the next changes after cursor_ into queue_.
  absl::Status Fill();
  ::newsdesk::events::v1::EventChange Bookmark(uint64_t sequence) const;

  EventStore* store_;
  WatchHub* hub_;
  const ResumeTokenCodec* tokens_;
  const query::Node filter_;
  const WatchOptions options_;
  std::atomic<int> refs_{1};  // gRPC's, dropped in OnDone

  // Only the thread that holds pumping_ touches these.
  uint64_t cursor_;
  bool skipped_ = false;
  absl::Time last_sent_;

  absl::Mutex mu_;
  std::deque<::newsdesk::events::v1::EventChange> queue_ ABSL_GUARDED_BY(mu_);
  bool pumping_ ABSL_GUARDED_BY(mu_) = false;
  bool again_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace newsdesk::events
