#include "services/events/events_service.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "services/common/reply.h"
#include "services/common/status.h"
#include "services/common/validation.h"
#include "services/events/event_validation.h"
#include "services/events/icalendar.h"
#include "storage/events/event_filter.h"
#include "storage/events/schema.h"

namespace newsdesk::events {
namespace {

constexpr char kEvents[] = "events";
constexpr int kMaxExportEvents = 1000;

// A WatchEvents call refused before it started streaming.
class RefusedWatch : public grpc::ServerWriteReactor<v1::EventChange> {
 public:
  explicit RefusedWatch(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

struct Order {
  OrderField field = OrderField::kStart;
  bool descending = false;
  std::string canonical = "start";
};

absl::StatusOr<Order> ParseOrderBy(absl::string_view order_by) {
  std::vector<absl::string_view> words = absl::StrSplit(order_by, ' ', absl::SkipWhitespace());
  Order order;
  if (words.empty()) return order;
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("order_by: \"", std::string(order_by.substr(0, 64)),
                                                   "\" is not supported; use start, start desc, create_time or "
                                                   "create_time desc"));
  };
  if (words.size() > 2) return bad();
  if (words[0] == "start") {
    order.field = OrderField::kStart;
  } else if (words[0] == "create_time") {
    order.field = OrderField::kCreateTime;
  } else {
    return bad();
  }
  if (words.size() == 2) {
    if (words[1] == "desc") order.descending = true;
    else if (words[1] != "asc") return bad();
  }
  order.canonical = absl::StrCat(words[0], order.descending ? " desc" : "");
  return order;
}

std::vector<std::string> Names(const google::protobuf::RepeatedPtrField<std::string>& names) {
  return {names.begin(), names.end()};
}

}  // namespace

EventsService::EventsService(EventStore* store, ArticleChecker* articles, WatchHub* hub, PageTokenCodec page_tokens,
                             ResumeTokenCodec resume_tokens, WatchOptions watch_options, WorkQueue* storage_work)
    : store_(store),
      articles_(articles),
      hub_(hub),
      page_tokens_(std::move(page_tokens)),
      resume_tokens_(std::move(resume_tokens)),
      watch_options_(watch_options),
      storage_work_(storage_work) {}

absl::StatusOr<v1::Event> EventsService::PrepareCreate(const v1::CreateEventRequest& request) const {
  if (!request.has_event()) return absl::InvalidArgumentError("event: required");
  if (!request.event_id().empty()) {
    if (auto st = CheckResourceId("event_id", request.event_id()); !st.ok()) return st;
  }
  if (auto st = CheckRequestId("request_id", request.request_id()); !st.ok()) return st;
  v1::Event event = request.event();
  if (auto st = ValidateAndNormalize(WritableEventFields(), &event); !st.ok()) return st;
  return event;
}

absl::StatusOr<v1::Event> EventsService::GetEvent(const Principal& caller, const v1::GetEventRequest& request) {
  auto id = ParseResourceName("name", request.name(), kEvents);
  if (!id.ok()) return id.status();
  auto event = store_->Get(*id);
  if (event.ok() && caller.role == Role::kAnonymous && event->has_delete_time()) {
    return absl::NotFoundError(absl::StrCat(event->name(), " not found"));
  }
  return event;
}

absl::StatusOr<v1::ListEventsResponse> EventsService::ListEvents(const Principal& caller,
                                                                 const v1::ListEventsRequest& request) {
  const bool show_deleted = request.show_deleted() && caller.role != Role::kAnonymous;
  auto page_size = EffectivePageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  auto filter = query::ParseFilter(request.filter(), EventFilterSchema());
  if (!filter.ok()) return filter.status();
  auto order = ParseOrderBy(request.order_by());
  if (!order.ok()) return order.status();
  // The page token is bound to everything that shapes the listing.
  const std::string query_key = absl::StrCat(query::Canonical(*filter), "|", order->canonical, "|",
                                             show_deleted ? "show_deleted" : "live");
  ListQuery q;
  if (!request.page_token().empty()) {
    auto cursor = page_tokens_.Decode(kEvents, query_key, request.page_token());
    if (!cursor.ok()) return cursor.status();
    q.cursor = *std::move(cursor);
  }
  q.filter = &*filter;
  q.order = order->field;
  q.descending = order->descending;
  q.show_deleted = show_deleted;
  q.page_size = *page_size;
  auto page = store_->List(q);
  if (!page.ok()) return page.status();
  v1::ListEventsResponse response;
  for (auto& e : page->events) *response.add_events() = std::move(e);
  if (!page->next_cursor.empty()) {
    response.set_next_page_token(page_tokens_.Encode(kEvents, query_key, page->next_cursor));
  }
  return response;
}

absl::StatusOr<v1::Event> EventsService::DeleteEvent(const v1::DeleteEventRequest& request) {
  auto id = ParseResourceName("name", request.name(), kEvents);
  if (!id.ok()) return id.status();
  return store_->Delete(*id, request.etag());
}

absl::StatusOr<v1::Event> EventsService::UndeleteEvent(const v1::UndeleteEventRequest& request) {
  auto id = ParseResourceName("name", request.name(), kEvents);
  if (!id.ok()) return id.status();
  return store_->Undelete(*id);
}

absl::StatusOr<v1::Event> EventsService::ConfirmEvent(const v1::ConfirmEventRequest& request) {
  auto id = ParseResourceName("name", request.name(), kEvents);
  if (!id.ok()) return id.status();
  if (!request.has_schedule()) return store_->Transition(*id, request.etag(), Action::kConfirm, nullptr, "");
  Schedule schedule = request.schedule();
  if (auto st = NormalizeSchedule("schedule", &schedule); !st.ok()) return st;
  if (!IsConcrete(schedule)) {
    return absl::InvalidArgumentError(absl::StrCat("schedule: a confirmed event needs EXACT or DAY precision, got ",
                                                   PrecisionName(schedule.precision())));
  }
  return store_->Transition(*id, request.etag(), Action::kConfirm, &schedule, "");
}

absl::StatusOr<v1::Event> EventsService::PostponeEvent(const v1::PostponeEventRequest& request) {
  auto id = ParseResourceName("name", request.name(), kEvents);
  if (!id.ok()) return id.status();
  if (auto st = CheckReason("reason", request.reason()); !st.ok()) return st;
  if (!request.has_schedule()) {
    return store_->Transition(*id, request.etag(), Action::kPostpone, nullptr, request.reason());
  }
  Schedule schedule = request.schedule();
  if (auto st = NormalizeSchedule("schedule", &schedule); !st.ok()) return st;
  return store_->Transition(*id, request.etag(), Action::kPostpone, &schedule, request.reason());
}

absl::StatusOr<v1::Event> EventsService::CancelEvent(const v1::CancelEventRequest& request) {
  auto id = ParseResourceName("name", request.name(), kEvents);
  if (!id.ok()) return id.status();
  if (auto st = CheckReason("reason", request.reason()); !st.ok()) return st;
  return store_->Transition(*id, request.etag(), Action::kCancel, nullptr, request.reason());
}

absl::StatusOr<v1::Event> EventsService::CompleteEvent(const v1::CompleteEventRequest& request) {
  auto id = ParseResourceName("name", request.name(), kEvents);
  if (!id.ok()) return id.status();
  return store_->Transition(*id, request.etag(), Action::kComplete, nullptr, "");
}

absl::StatusOr<v1::ExportEventsResponse> EventsService::ExportEvents(const v1::ExportEventsRequest& request) {
  std::vector<v1::Event> events;
  if (request.names_size() > 0) {
    if (request.names_size() > kMaxExportEvents) {
      return absl::InvalidArgumentError(
          absl::StrCat("names: ", request.names_size(), " names; at most ", kMaxExportEvents, " allowed"));
    }
    for (int i = 0; i < request.names_size(); ++i) {
      auto id = ParseResourceName(absl::StrCat("names[", i, "]"), request.names(i), kEvents);
      if (!id.ok()) return id.status();
      auto event = store_->Get(*id);
      if (!event.ok()) return event.status();
      if (event->has_delete_time()) {
        return absl::NotFoundError(absl::StrCat(event->name(), " is deleted; undelete it to export it"));
      }
      events.push_back(*std::move(event));
    }
  } else {
    auto filter = query::ParseFilter(request.filter(), EventFilterSchema());
    if (!filter.ok()) return filter.status();
    ListQuery q;
    q.filter = &*filter;
    q.page_size = kMaxExportEvents + 1;
    q.max_examined = INT32_MAX;
    auto page = store_->List(q);
    if (!page.ok()) return page.status();
    if (page->events.size() > static_cast<size_t>(kMaxExportEvents)) {
      return absl::ResourceExhaustedError(absl::StrCat("filter: more than ", kMaxExportEvents,
                                                       " events match; narrow it (e.g. a time window on start)"));
    }
    events = std::move(page->events);
  }
  auto data = EncodeCalendar(events);
  if (!data.ok()) return data.status();
  v1::ExportEventsResponse response;
  response.set_content_type(kCalendarContentType);
  response.set_data(*std::move(data));
  return response;
}

grpc::ServerUnaryReactor* EventsService::CreateEvent(grpc::CallbackServerContext* context,
                                                     const v1::CreateEventRequest* request, v1::Event* response) {
  auto* reactor = context->DefaultReactor();
  auto event = PrepareCreate(*request);
  if (!event.ok()) {
    reactor->Finish(ToGrpcStatus(event.status()));
    return reactor;
  }
  // A retry of a create that succeeded answers without asking the content
  // service again.
  auto first = store_->FindRequest(request->request_id());
  if (!first.ok() || first->has_value()) {
    FinishWith(reactor, first.ok() ? absl::StatusOr<v1::Event>(**first) : first.status(), response);
    return reactor;
  }
  // Names are taken before the event moves into the callback.
  std::vector<std::string> cited = Names(event->source_articles());
  articles_->Check(std::move(cited), absl::FromChrono(context->deadline()),
                   [this, reactor, response, event = *std::move(event), event_id = request->event_id(),
                    request_id = request->request_id()](absl::Status checked) {
                     if (!checked.ok()) {
                       reactor->Finish(ToGrpcStatus(checked));
                       return;
                     }
                     // The synced write runs on the storage work queue, not on
                     // the content client's callback thread.
                     RunOn(storage_work_, [this, reactor, response, event = std::move(event),
                                           event_id = std::move(event_id), request_id = std::move(request_id)] {
                       FinishWith(reactor, store_->Create(event, event_id, request_id), response);
                     });
                   });
  return reactor;
}

grpc::ServerUnaryReactor* EventsService::UpdateEvent(grpc::CallbackServerContext* context,
                                                     const v1::UpdateEventRequest* request, v1::Event* response) {
  auto* reactor = context->DefaultReactor();
  absl::Status st;
  std::string id;
  std::vector<std::string> paths;
  v1::Event patch;
  if (!request->has_event()) {
    st = absl::InvalidArgumentError("event: required");
  } else if (auto parsed = ParseResourceName("event.name", request->event().name(), kEvents); !parsed.ok()) {
    st = parsed.status();
  } else if (auto resolved = ResolveUpdateMask(request->update_mask(), request->event()); !resolved.ok()) {
    st = resolved.status();
  } else {
    id = *std::move(parsed);
    paths = *std::move(resolved);
    patch = request->event();
    st = ValidateAndNormalize(paths, &patch);
  }
  if (!st.ok()) {
    reactor->Finish(ToGrpcStatus(st));
    return reactor;
  }
  std::vector<std::string> cited;
  if (std::find(paths.begin(), paths.end(), "source_articles") != paths.end()) {
    cited = Names(patch.source_articles());
  }
  articles_->Check(std::move(cited), absl::FromChrono(context->deadline()),
                   [this, reactor, response, id, paths, patch, etag = request->event().etag()](absl::Status checked) {
                     if (!checked.ok()) {
                       reactor->Finish(ToGrpcStatus(checked));
                       return;
                     }
                     RunOn(storage_work_, [this, reactor, response, id = std::move(id), paths = std::move(paths),
                                           patch = std::move(patch), etag = std::move(etag)] {
                       FinishWith(reactor, store_->Update(id, patch, paths, etag), response);
                     });
                   });
  return reactor;
}

grpc::ServerUnaryReactor* EventsService::GetEvent(grpc::CallbackServerContext* context,
                                                  const v1::GetEventRequest* request, v1::Event* response) {
  return Reply(context, GetEvent(CallerOf(*context), *request), response);
}

grpc::ServerUnaryReactor* EventsService::ListEvents(grpc::CallbackServerContext* context,
                                                    const v1::ListEventsRequest* request,
                                                    v1::ListEventsResponse* response) {
  return ReplyFrom(storage_work_, context, response,
                   [this, context, request] { return ListEvents(CallerOf(*context), *request); });
}

grpc::ServerUnaryReactor* EventsService::DeleteEvent(grpc::CallbackServerContext* context,
                                                     const v1::DeleteEventRequest* request, v1::Event* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return DeleteEvent(*request); });
}

grpc::ServerUnaryReactor* EventsService::UndeleteEvent(grpc::CallbackServerContext* context,
                                                       const v1::UndeleteEventRequest* request, v1::Event* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return UndeleteEvent(*request); });
}

grpc::ServerUnaryReactor* EventsService::ConfirmEvent(grpc::CallbackServerContext* context,
                                                      const v1::ConfirmEventRequest* request, v1::Event* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return ConfirmEvent(*request); });
}

grpc::ServerUnaryReactor* EventsService::PostponeEvent(grpc::CallbackServerContext* context,
                                                       const v1::PostponeEventRequest* request, v1::Event* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return PostponeEvent(*request); });
}

grpc::ServerUnaryReactor* EventsService::CancelEvent(grpc::CallbackServerContext* context,
                                                     const v1::CancelEventRequest* request, v1::Event* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return CancelEvent(*request); });
}

grpc::ServerUnaryReactor* EventsService::CompleteEvent(grpc::CallbackServerContext* context,
                                                       const v1::CompleteEventRequest* request, v1::Event* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return CompleteEvent(*request); });
}

grpc::ServerUnaryReactor* EventsService::ExportEvents(grpc::CallbackServerContext* context,
                                                      const v1::ExportEventsRequest* request,
                                                      v1::ExportEventsResponse* response) {
  return ReplyFrom(storage_work_, context, response, [this, request] { return ExportEvents(*request); });
}

grpc::ServerWriteReactor<v1::EventChange>* EventsService::WatchEvents(grpc::CallbackServerContext* context,
                                                                      const v1::WatchEventsRequest* request) {
  auto filter = query::ParseFilter(request->filter(), EventFilterSchema());
  if (!filter.ok()) return new RefusedWatch(filter.status());
  uint64_t start = store_->LastSequence();
  if (!request->resume_token().empty()) {
    auto decoded = resume_tokens_.Decode(request->resume_token());
    if (!decoded.ok()) return new RefusedWatch(decoded.status());
    start = *decoded;
    // OUT_OF_RANGE (retention) or INVALID_ARGUMENT (beyond the log) before
    // anything is streamed.
    if (auto probe = store_->ReadChanges(start, 1); !probe.ok()) return new RefusedWatch(probe.status());
  }
  return new WatchReactor(store_, hub_, &resume_tokens_, *std::move(filter), start, watch_options_);
}

absl::StatusOr<std::unique_ptr<EventsBackend>> EventsBackend::Open(const std::string& db_path,
                                                                   EventsBackendOptions options, Clock* clock) {
  if (auto st = CheckContentClientOptions(options.content); !st.ok()) return st;
  kv::DatabaseOptions db_options;
  db_options.path = db_path;
  db_options.column_families = EventsColumnFamilies();
  db_options.schema_version = kEventsSchemaVersion;
  auto db = kv::Database::Open(db_options);
  if (!db.ok()) return db.status();
  auto page_secret = (*db)->GetOrCreateSecret(kPageTokenSecret);
  if (!page_secret.ok()) return page_secret.status();
  auto epoch = (*db)->GetOrCreateSecret(kChangeLogEpochSecret);
  if (!epoch.ok()) return epoch.status();

  auto backend = std::unique_ptr<EventsBackend>(new EventsBackend());
  backend->db_ = *std::move(db);
  auto store = EventStore::Open(backend->db_.get(), clock, options.store);
  if (!store.ok()) return store.status();
  backend->store_ = *std::move(store);
  backend->hub_ = std::make_unique<WatchHub>(backend->store_->notifier());
  backend->articles_ = std::make_unique<GrpcArticleChecker>(options.content);
  if (options.storage_workers < 1) return absl::InvalidArgumentError("--storage_workers must be at least 1");
  backend->storage_work_ = std::make_unique<WorkQueue>(options.storage_workers);
  backend->service_ = std::make_unique<EventsService>(backend->store_.get(), backend->articles_.get(),
                                                      backend->hub_.get(), PageTokenCodec(*std::move(page_secret)),
                                                      ResumeTokenCodec(*std::move(epoch)), options.watch,
                                                      backend->storage_work_.get());
  return backend;
}

EventsBackend::~EventsBackend() {
  storage_work_.reset();  // runs what is still queued while the service and store exist
  service_.reset();
  if (hub_ != nullptr) hub_->Stop();
  articles_.reset();
}

}  // namespace newsdesk::events
