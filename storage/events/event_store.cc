#include "storage/events/event_store.h"

#include <algorithm>
#include <set>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/events/event_filter.h"
#include "storage/events/schema.h"
#include "storage/kv/ids.h"
#include "storage/kv/key_codec.h"
#include "storage/kv/request_ids.h"
#include "storage/kv/proto_time.h"

namespace newsdesk::events {
namespace {

constexpr size_t kOrderBytes = 8;
// How many expired change-log entries one write removes at most (the rest
// go with the next writes).
constexpr int kMaxAgeTrimPerWrite = 16;

std::string RecordKey(absl::string_view id) { return absl::StrCat(std::string(1, kEventKind), id); }
std::string RequestKey(absl::string_view request_id) {
  return absl::StrCat(std::string(1, kEventKind), request_id);
}

std::string IndexKey(char prefix, int64_t micros, absl::string_view id) {
  std::string k(1, prefix);
  kv::AppendI64(&k, micros);
  k.append(id.data(), id.size());
  return k;
}

absl::string_view IdOf(const Event& e) {
  absl::string_view name = e.name();
  name.remove_prefix(std::min(name.size(), sizeof("events/") - 1));
  return name;
}

using kv::IsIdChar;
using kv::NewEtag;

absl::Status Parse(absl::string_view bytes, absl::string_view what, google::protobuf::Message* out) {
  if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("stored ", what, " is unreadable"));
  }
  return absl::OkStatus();
}

void AppendHistory(Event* event, const Schedule& old, absl::Time now, const std::string& reason) {
  auto* h = event->add_schedule_history();
  *h->mutable_schedule() = old;
  ToProtoTime(now, h->mutable_change_time());
  h->set_reason(reason);
  auto* history = event->mutable_schedule_history();
  if (history->size() > kMaxScheduleHistory) {
    history->DeleteSubrange(0, history->size() - kMaxScheduleHistory);
  }
}

absl::Status NeedsConcrete(const Event& event, absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat(
      what, ": ", event.name(), " would be CONFIRMED with a ", PrecisionName(event.schedule().precision()),
      "-precision schedule; a confirmed event needs an EXACT or DAY schedule (pass one in `schedule`)"));
}

}  // namespace

std::string EventName(absl::string_view event_id) { return absl::StrCat("events/", event_id); }

std::string ChangeKey(uint64_t sequence) {
  std::string k;
  kv::AppendU64(&k, sequence);
  return k;
}

std::vector<std::string> EventIndexKeys(const Event& event) {
  const absl::string_view id = IdOf(event);
  return {
      IndexKey(kEventsByCreate, absl::ToUnixMicros(FromProtoTime(event.create_time())), id),
      IndexKey(kEventsByStart, absl::ToUnixMicros(FromProtoTime(event.schedule().interval_start_time())), id),
  };
}

EventStore::EventStore(kv::Database* db, Clock* clock, EventStoreOptions options)
    : db_(db), clock_(clock), options_(options) {}

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(kv::Database* db, Clock* clock,
                                                             EventStoreOptions options) {
  auto store = std::unique_ptr<EventStore>(new EventStore(db, clock, options));
  auto it = db->Scan(kChangesCf, "", "");
  uint64_t first = 0, last = 0;
  if (it->Valid()) {
    kv::KeyReader r(it->key());
    if (!r.ReadU64(&first)) return absl::DataLossError("change log key is unreadable");
    it->SeekToLast();
    if (!it->Valid()) return it->status().ok() ? absl::DataLossError("change log vanished while opening") : it->status();
    kv::KeyReader r2(it->key());
    if (!r2.ReadU64(&last)) return absl::DataLossError("change log key is unreadable");
  }
  if (auto st = it->status(); !st.ok()) return st;
  absl::MutexLock lock(&store->commit_mu_);
  store->first_sequence_ = last == 0 ? 1 : first;
  store->last_sequence_ = last;
  store->notifier_.Publish(last);
  return store;
}

absl::StatusOr<Event> EventStore::Load(const std::string& event_id, const kv::Snapshot* snapshot) const {
  auto value = db_->Get(kRecordsCf, RecordKey(event_id), snapshot);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return absl::NotFoundError(absl::StrCat(EventName(event_id), " not found"));
  Event event;
  if (auto st = Parse(**value, EventName(event_id), &event); !st.ok()) return st;
  return event;
}

absl::StatusOr<Event> EventStore::Get(const std::string& event_id) const { return Load(event_id, nullptr); }

absl::StatusOr<std::optional<Event>> EventStore::FindRequest(const std::string& request_id) const {
  if (request_id.empty()) return std::optional<Event>();
  return kv::FindRequestResponse<Event>(*db_, kRequestIdsCf, RequestKey(request_id), clock_->Now(), request_id);
}

absl::Status EventStore::AppendChangeAndWrite(const EventChange& change, kv::WriteBatch& batch) {
  absl::MutexLock lock(&commit_mu_);
  const uint64_t sequence = last_sequence_.load() + 1;
  batch.Put(kChangesCf, ChangeKey(sequence), change.SerializeAsString());

  // Retention. Entries are removed oldest first and the newest is never
  // removed, so the log stays one contiguous run of sequence numbers.
  uint64_t first = first_sequence_;
  while (first < sequence && sequence - first + 1 > options_.change_log_max_entries) {
    batch.Delete(kChangesCf, ChangeKey(first++));
  }
  const absl::Time cutoff = FromProtoTime(change.commit_time()) - options_.change_log_max_age;
  for (int i = 0; i < kMaxAgeTrimPerWrite && first < sequence; ++i) {
    auto value = db_->Get(kChangesCf, ChangeKey(first));
    if (!value.ok()) return value.status();
    if (value->has_value()) {
      EventChange old;
      if (auto st = Parse(**value, "change-log entry", &old); !st.ok()) return st;
      if (FromProtoTime(old.commit_time()) >= cutoff) break;
    }
    batch.Delete(kChangesCf, ChangeKey(first++));
  }

  if (auto st = db_->Write(batch); !st.ok()) return st;
  first_sequence_ = first;
  last_sequence_.store(sequence);
  notifier_.Publish(sequence);
  return absl::OkStatus();
}

absl::StatusOr<Event> EventStore::Commit(const Event* old, Event next, EventChange::Type type, absl::Time now,
                                         kv::WriteBatch& batch, const std::string& request_key) {
  if (auto st = NormalizeSchedule("event.schedule", next.mutable_schedule()); !st.ok()) return st;
  next.set_revision(old == nullptr ? 1 : old->revision() + 1);
  next.set_etag(NewEtag());
  ToProtoTime(now, next.mutable_update_time());

  const std::string id(IdOf(next));
  const std::string record = next.SerializeAsString();
  batch.Put(kRecordsCf, RecordKey(id), record);
  const std::vector<std::string> new_keys = EventIndexKeys(next);
  std::vector<std::string> old_keys;
  if (old != nullptr) old_keys = EventIndexKeys(*old);
  for (const auto& k : old_keys) {
    if (std::find(new_keys.begin(), new_keys.end(), k) == new_keys.end()) batch.Delete(kIndexesCf, k);
  }
  for (const auto& k : new_keys) {
    if (std::find(old_keys.begin(), old_keys.end(), k) == old_keys.end()) batch.Put(kIndexesCf, k, "");
  }
  if (!request_key.empty()) {
    batch.Put(kRequestIdsCf, request_key, kv::EncodeExpiring(now + options_.request_id_retention, record));
  }

  EventChange change;
  change.set_type(type);
  *change.mutable_event() = next;
  ToProtoTime(now, change.mutable_commit_time());
  if (auto st = AppendChangeAndWrite(change, batch); !st.ok()) return st;
  return next;
}

absl::StatusOr<Event> EventStore::Create(const Event& input, std::string event_id, const std::string& request_id) {
  const bool generated = event_id.empty();
  for (int attempt = 0;; ++attempt) {
    if (generated) event_id = kv::NewResourceId();
    std::vector<absl::string_view> keys = {event_id};
    const std::string request_lock = absl::StrCat("request:", request_id);
    if (!request_id.empty()) keys.push_back(request_lock);
    kv::KeyLocks::Guard guard = record_locks_.Lock(keys);

    auto first = FindRequest(request_id);
    if (!first.ok()) return first.status();
    if (first->has_value()) return **first;

    auto existing = db_->Get(kRecordsCf, RecordKey(event_id));
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      if (generated && attempt < 3) continue;
      return absl::AlreadyExistsError(absl::StrCat(EventName(event_id), " already exists"));
    }

    const absl::Time now = clock_->Now();
    Event event = input;
    event.set_name(EventName(event_id));
    event.set_status(Event::STATUS_PLANNED);
    event.clear_schedule_history();
    event.clear_status_reason();
    event.clear_delete_time();
    ToProtoTime(now, event.mutable_create_time());
    kv::WriteBatch batch(*db_);
    return Commit(nullptr, std::move(event), EventChange::TYPE_CREATED, now, batch,
                  request_id.empty() ? "" : RequestKey(request_id));
  }
}

absl::StatusOr<Event> EventStore::LoadForChange(const std::string& event_id, const std::string& etag) const {
  auto current = Load(event_id, nullptr);
  if (!current.ok()) return current.status();
  if (current->has_delete_time()) {
    return absl::FailedPreconditionError(
        absl::StrCat(current->name(), " is deleted; undelete it (UndeleteEvent) before changing it"));
  }
  if (!etag.empty() && etag != current->etag()) {
    return absl::AbortedError(
        absl::StrCat("etag of ", current->name(), " does not match: it changed since it was read"));
  }
  return current;
}

absl::StatusOr<Event> EventStore::Update(const std::string& event_id, const Event& patch,
                                         const std::vector<std::string>& paths, const std::string& etag) {
  kv::KeyLocks::Guard guard = record_locks_.Lock({event_id});
  auto current = LoadForChange(event_id, etag);
  if (!current.ok()) return current.status();
  Event next = *current;
  for (const auto& path : paths) {
    if (path == "title") next.set_title(patch.title());
    else if (path == "description") next.set_description(patch.description());
    else if (path == "kind") next.set_kind(patch.kind());
    else if (path == "schedule") *next.mutable_schedule() = patch.schedule();
    else if (path == "organizers") *next.mutable_organizers() = patch.organizers();
    else if (path == "location") *next.mutable_location() = patch.location();
    else if (path == "source_articles") *next.mutable_source_articles() = patch.source_articles();
    else if (path == "language") next.set_language(patch.language());
    else if (path == "tags") *next.mutable_tags() = patch.tags();
    else return absl::InvalidArgumentError(absl::StrCat("update_mask: \"", path, "\" is not a writable field"));
  }
  const absl::Time now = clock_->Now();
  if (!SameSchedule(current->schedule(), next.schedule())) {
    if (next.status() == Event::STATUS_CONFIRMED && !IsConcrete(next.schedule())) {
      return NeedsConcrete(next, "event.schedule");
    }
    AppendHistory(&next, current->schedule(), now, "UpdateEvent");
  }
  kv::WriteBatch batch(*db_);
  return Commit(&*current, std::move(next), EventChange::TYPE_UPDATED, now, batch);
}

absl::StatusOr<Event> EventStore::Transition(const std::string& event_id, const std::string& etag, Action action,
                                             const Schedule* new_schedule, const std::string& reason) {
  kv::KeyLocks::Guard guard = record_locks_.Lock({event_id});
  auto current = LoadForChange(event_id, etag);
  if (!current.ok()) return current.status();
  auto status = NextStatus(current->status(), action);
  if (!status.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(current->name(), ": ", status.status().message()));
  }
  Event next = *current;
  const absl::Time now = clock_->Now();
  if (new_schedule != nullptr && !SameSchedule(current->schedule(), *new_schedule)) {
    *next.mutable_schedule() = *new_schedule;
    AppendHistory(&next, current->schedule(), now, reason.empty() ? ActionMethod(action) : reason);
  }
  if (*status == Event::STATUS_CONFIRMED && !IsConcrete(next.schedule())) {
    return NeedsConcrete(next, ActionMethod(action));
  }
  next.set_status(*status);
  if (action == Action::kPostpone || action == Action::kCancel) {
    next.set_status_reason(reason);
  } else {
    next.clear_status_reason();
  }
  kv::WriteBatch batch(*db_);
  return Commit(&*current, std::move(next), ActionChangeType(action), now, batch);
}

absl::StatusOr<Event> EventStore::Delete(const std::string& event_id, const std::string& etag) {
  kv::KeyLocks::Guard guard = record_locks_.Lock({event_id});
  auto current = Load(event_id, nullptr);
  if (!current.ok()) return current.status();
  if (current->has_delete_time()) return absl::NotFoundError(absl::StrCat(current->name(), " is already deleted"));
  if (!etag.empty() && etag != current->etag()) {
    return absl::AbortedError(
        absl::StrCat("etag of ", current->name(), " does not match: it changed since it was read"));
  }
  Event next = *current;
  const absl::Time now = clock_->Now();
  ToProtoTime(now, next.mutable_delete_time());
  kv::WriteBatch batch(*db_);
  return Commit(&*current, std::move(next), EventChange::TYPE_DELETED, now, batch);
}

absl::StatusOr<Event> EventStore::Undelete(const std::string& event_id) {
  kv::KeyLocks::Guard guard = record_locks_.Lock({event_id});
  auto current = Load(event_id, nullptr);
  if (!current.ok()) return current.status();
  if (!current->has_delete_time()) return absl::AlreadyExistsError(absl::StrCat(current->name(), " is not deleted"));
  Event next = *current;
  next.clear_delete_time();
  kv::WriteBatch batch(*db_);
  return Commit(&*current, std::move(next), EventChange::TYPE_UNDELETED, clock_->Now(), batch);
}

absl::StatusOr<EventPage> EventStore::List(const ListQuery& query) const {
  const char prefix_byte = query.order == OrderField::kStart ? kEventsByStart : kEventsByCreate;
  const std::string prefix(1, prefix_byte);
  if (!query.cursor.empty()) {
    const bool ok = query.cursor.size() > kOrderBytes && query.cursor.size() <= kOrderBytes + 63 &&
                    std::all_of(query.cursor.begin() + kOrderBytes, query.cursor.end(), IsIdChar);
    if (!ok) return absl::InvalidArgumentError("page_token does not point into the events collection");
  }

  // Narrow the scan with the filter's required restrictions on the ordering
  // field; every event is still checked against the whole filter.
  std::string lower = prefix, upper = kv::PrefixSuccessor(prefix);
  if (query.filter != nullptr) {
    const char* field = query.order == OrderField::kStart ? "start" : "create_time";
    for (const query::Node* r : query::RequiredRestrictions(*query.filter)) {
      if (r->field != field) continue;
      const int64_t micros = absl::ToUnixMicros(r->time);
      if (r->op == query::Op::kGe || r->op == query::Op::kGt || r->op == query::Op::kEq) {
        std::string k = prefix;
        kv::AppendI64(&k, micros);
        lower = std::max(lower, k);
      }
      if (r->op == query::Op::kLe || r->op == query::Op::kLt || r->op == query::Op::kEq) {
        std::string k = prefix;
        kv::AppendI64(&k, micros == INT64_MAX ? micros : micros + 1);
        upper = std::min(upper, k);
      }
    }
  }
  EventPage page;
  if (lower >= upper) return page;

  auto snapshot = db_->GetSnapshot();
  auto it = db_->Scan(kIndexesCf, lower, upper, snapshot.get());
  const std::string start = prefix + query.cursor;
  if (query.descending) {
    if (query.cursor.empty()) {
      it->SeekToLast();
    } else {
      it->SeekForPrev(start);
      if (it->Valid() && it->key() == start) it->Prev();
    }
  } else if (!query.cursor.empty()) {
    it->Seek(start);
    if (it->Valid() && it->key() == start) it->Next();
  }
  const auto advance = [&] { query.descending ? it->Prev() : it->Next(); };

  int examined = 0;
  std::string last_suffix;
  for (; it->Valid(); advance()) {
    const absl::string_view suffix = it->key().substr(1);
    if (static_cast<int>(page.events.size()) == query.page_size || examined == query.max_examined) {
      page.next_cursor = last_suffix;  // more entries follow
      break;
    }
    ++examined;
    last_suffix.assign(suffix.data(), suffix.size());
    auto event = Load(std::string(suffix.substr(kOrderBytes)), snapshot.get());
    if (!event.ok()) return event.status();
    if (event->has_delete_time() && !query.show_deleted) continue;
    if (query.filter != nullptr && !EventMatches(*query.filter, *event)) continue;
    page.events.push_back(*std::move(event));
  }
  if (auto st = it->status(); !st.ok()) return st;
  return page;
}

absl::StatusOr<std::vector<ChangeRecord>> EventStore::ReadChanges(uint64_t after, size_t max) const {
  const uint64_t last = last_sequence_.load();
  if (after > last) {
    return absl::InvalidArgumentError(
        "resume_token: points past the end of this server's change log (was the database replaced?)");
  }
  std::vector<ChangeRecord> out;
  if (after == last || max == 0) return out;
  auto snapshot = db_->GetSnapshot();
  auto it = db_->Scan(kChangesCf, ChangeKey(after + 1), "", snapshot.get());
  for (; it->Valid() && out.size() < max; it->Next()) {
    ChangeRecord record;
    kv::KeyReader r(it->key());
    if (!r.ReadU64(&record.sequence)) return absl::DataLossError("change log key is unreadable");
    if (out.empty() && record.sequence != after + 1) {
      // The entries right after `after` were removed by retention.
      return absl::OutOfRangeError(absl::StrCat(
          "resume_token: the change log no longer holds the changes after this token (the oldest retained "
          "change is number ",
          record.sequence, ", the token is at ", after,
          "); start a new WatchEvents without resume_token, then list the events again with ListEvents"));
    }
    if (auto st = Parse(it->value(), "change-log entry", &record.change); !st.ok()) return st;
    out.push_back(std::move(record));
  }
  if (auto st = it->status(); !st.ok()) return st;
  if (out.empty()) {
    return absl::OutOfRangeError(
        "resume_token: the change log no longer holds the changes after this token; start a new WatchEvents "
        "without resume_token, then list the events again with ListEvents");
  }
  return out;
}

}  // namespace newsdesk::events
