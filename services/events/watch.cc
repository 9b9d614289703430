#include "services/events/watch.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "services/common/status.h"
#include "storage/events/event_filter.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/proto_time.h"

namespace newsdesk::events {
namespace {
constexpr char kTokenVersion = 1;
constexpr size_t kEpochBytes = 8;
}  // namespace

ResumeTokenCodec::ResumeTokenCodec(std::string epoch) : epoch_(epoch.substr(0, kEpochBytes)) {
  epoch_.resize(kEpochBytes, '\0');
}

std::string ResumeTokenCodec::Encode(uint64_t sequence) const {
  std::string raw(1, kTokenVersion);
  raw += epoch_;
  kv::AppendU64(&raw, sequence);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<uint64_t> ResumeTokenCodec::Decode(absl::string_view token) const {
  std::string raw;
  if (token.size() > 64 || !absl::WebSafeBase64Unescape(token, &raw) || raw.size() != 1 + kEpochBytes + 8 ||
      raw[0] != kTokenVersion) {
    return absl::InvalidArgumentError("resume_token: malformed; pass the resume_token of a received EventChange");
  }
  if (raw.compare(1, kEpochBytes, epoch_) != 0) {
    return absl::InvalidArgumentError(
        "resume_token: issued by another events database; start a new WatchEvents without resume_token");
  }
  kv::KeyReader r(absl::string_view(raw).substr(1 + kEpochBytes));
  uint64_t sequence = 0;
  r.ReadU64(&sequence);
  return sequence;
}

WatchHub::WatchHub(ChangeNotifier* notifier) : notifier_(notifier), thread_([this] { Run(); }) {}

WatchHub::~WatchHub() { Stop(); }

void WatchHub::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  notifier_->Close();
  if (thread_.joinable()) thread_.join();
}

bool WatchHub::Park(WatchReactor* reactor, uint64_t cursor) {
  absl::MutexLock lock(&mu_);
  // Checked under mu_: a publish after this check finds the reactor parked.
  if (notifier_->last() > cursor) return false;
  parked_[reactor] = cursor;
  return true;
}

void WatchHub::Remove(WatchReactor* reactor) {
  absl::MutexLock lock(&mu_);
  parked_.erase(reactor);
}

bool WatchHub::Track(WatchReactor* reactor) {
  absl::MutexLock lock(&mu_);
  if (closing_) return false;
  live_.insert(reactor);
  return true;
}

void WatchHub::Untrack(WatchReactor* reactor) {
  absl::MutexLock lock(&mu_);
  live_.erase(reactor);
  parked_.erase(reactor);
}

void WatchHub::CloseAll() {
  std::vector<WatchReactor*> live;
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
    for (WatchReactor* r : live_) {
      r->Ref();  // alive while we close it
      live.push_back(r);
    }
  }
  for (WatchReactor* r : live) {
    r->Close();
    r->Unref();
  }
}

size_t WatchHub::parked() const {
  absl::MutexLock lock(&mu_);
  return parked_.size();
}

void WatchHub::Run() {
  uint64_t seen = notifier_->last();
  for (;;) {
    const uint64_t last = notifier_->WaitBeyond(seen, absl::Seconds(1));
    std::vector<WatchReactor*> ready;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      if (last == seen) continue;
      for (auto it = parked_.begin(); it != parked_.end();) {
        if (it->second < last) {
          it->first->Ref();  // alive while we wake it, even if it finishes meanwhile
          ready.push_back(it->first);
          it = parked_.erase(it);
        } else {
          ++it;
        }
      }
    }
    seen = last;
    for (WatchReactor* r : ready) {
      r->Wake();
      r->Unref();
    }
  }
}

WatchReactor::WatchReactor(EventStore* store, WatchHub* hub, const ResumeTokenCodec* tokens, query::Node filter,
                           uint64_t start, WatchOptions options)
    : store_(store), hub_(hub), tokens_(tokens), filter_(std::move(filter)), options_(options), cursor_(start) {
  const bool tracked = hub_->Track(this);
  {
    absl::MutexLock lock(&mu_);
    queue_.push_back(Bookmark(start));
    if (!tracked) closing_ = true;  // shutting down: end at once
  }
  Pump();
}

void WatchReactor::Close() {
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  hub_->Remove(this);
  Pump();
}

v1::EventChange WatchReactor::Bookmark(uint64_t sequence) const {
  v1::EventChange b;
  b.set_type(v1::EventChange::TYPE_BOOKMARK);
  b.set_resume_token(tokens_->Encode(sequence));
  ToProtoTime(absl::Now(), b.mutable_commit_time());
  return b;
}

absl::Status WatchReactor::Fill() {
  auto batch = store_->ReadChanges(cursor_, options_.batch);
  if (!batch.ok()) return batch.status();
  std::vector<v1::EventChange> out;
  for (ChangeRecord& record : *batch) {
    cursor_ = record.sequence;
    if (filter_.kind != query::Node::Kind::kTrue && !EventMatches(filter_, record.change.event())) {
      skipped_ = true;
      continue;
    }
    record.change.set_resume_token(tokens_->Encode(record.sequence));
    out.push_back(std::move(record.change));
  }
  const absl::Time now = absl::Now();
  if (out.empty() && skipped_ && now - last_sent_ >= options_.bookmark_interval) {
    out.push_back(Bookmark(cursor_));
  }
  if (!out.empty()) {
    skipped_ = false;
    last_sent_ = now;
  }
  absl::MutexLock lock(&mu_);
  for (auto& c : out) queue_.push_back(std::move(c));
  return absl::OkStatus();
}

void WatchReactor::Pump() {
  Ref();  // a Finish below may let OnDone run on another thread before we return
  {
    absl::MutexLock lock(&mu_);
    if (pumping_) {
      again_ = true;
      Unref();  // not the last reference: the running Pump holds one
      return;
    }
    pumping_ = true;
  }
  for (;;) {
    enum class Step { kNone, kWrite, kFinish, kFill } step = Step::kNone;
    grpc::Status finish_status;
    const v1::EventChange* next = nullptr;
    {
      absl::MutexLock lock(&mu_);
      again_ = false;
      if (finished_ || writing_) {
        step = Step::kNone;
      } else if (cancelled_) {
        finished_ = true;
        finish_status = grpc::Status(grpc::StatusCode::CANCELLED, "WatchEvents cancelled");
        step = Step::kFinish;
      } else if (closing_) {
        finished_ = true;
        finish_status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                     "events-server is shutting down; call WatchEvents again with the last "
                                     "resume_token received");
        step = Step::kFinish;
      } else if (!queue_.empty()) {
        writing_ = true;
        next = &queue_.front();
        step = Step::kWrite;
      } else {
        step = Step::kFill;
      }
    }
    if (step == Step::kWrite) {
      if (next->type() != v1::EventChange::TYPE_BOOKMARK) last_sent_ = absl::Now();
      StartWrite(next);
    } else if (step == Step::kFinish) {
      Finish(finish_status);
    } else if (step == Step::kFill) {
      absl::Status st = Fill();
      bool empty;
      {
        absl::MutexLock lock(&mu_);
        empty = queue_.empty();
        if (!st.ok()) finished_ = true;
      }
      if (!st.ok()) {
        Finish(ToGrpcStatus(st));
      } else if (!empty || !hub_->Park(this, cursor_)) {
        continue;  // write what was read, or read what arrived meanwhile
      }
    }
    absl::MutexLock lock(&mu_);
    if (!again_) {
      pumping_ = false;
      break;
    }
  }
  Unref();
}

void WatchReactor::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    queue_.pop_front();
    if (!ok) cancelled_ = true;  // the client is gone
  }
  Pump();
}

void WatchReactor::OnCancel() {
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }
  hub_->Remove(this);
  Pump();
}

void WatchReactor::OnDone() {
  hub_->Untrack(this);
  Unref();
}

}  // namespace newsdesk::events
