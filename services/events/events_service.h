// The gRPC EventsService: validates requests, checks cited articles with the
// content service, calls the event store and maps the result to a gRPC
// status. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "newsdesk/events/v1/events_service.grpc.pb.h"
#include "services/common/auth.h"
#include "services/common/page_token.h"
#include "services/common/work_queue.h"
#include "services/events/article_checker.h"
#include "services/events/watch.h"
#include "storage/events/event_store.h"
#include "storage/kv/clock.h"
#include "storage/kv/database.h"

namespace newsdesk::events {

class EventsService final : public v1::EventsService::CallbackService {
 public:
  EventsService(EventStore* store, ArticleChecker* articles, WatchHub* hub, PageTokenCodec page_tokens,
                ResumeTokenCodec resume_tokens, WatchOptions watch_options = {},
                WorkQueue* storage_work = nullptr);

  // The synchronous parts; each returns the response or a status whose
  // message names the offending field or resource. Create and Update are
  // split: Prepare* validates, the store call follows the article check.
  absl::StatusOr<v1::Event> PrepareCreate(const v1::CreateEventRequest& request) const;
  // Anonymous callers see events that are not deleted.
  absl::StatusOr<v1::Event> GetEvent(const Principal& caller, const v1::GetEventRequest& request);
  absl::StatusOr<v1::ListEventsResponse> ListEvents(const Principal& caller, const v1::ListEventsRequest& request);
  absl::StatusOr<v1::Event> DeleteEvent(const v1::DeleteEventRequest& request);
  absl::StatusOr<v1::Event> UndeleteEvent(const v1::UndeleteEventRequest& request);
  absl::StatusOr<v1::Event> ConfirmEvent(const v1::ConfirmEventRequest& request);
  absl::StatusOr<v1::Event> PostponeEvent(const v1::PostponeEventRequest& request);
  absl::StatusOr<v1::Event> CancelEvent(const v1::CancelEventRequest& request);
  absl::StatusOr<v1::Event> CompleteEvent(const v1::CompleteEventRequest& request);
  absl::StatusOr<v1::ExportEventsResponse> ExportEvents(const v1::ExportEventsRequest& request);

 private:
  grpc::ServerUnaryReactor* CreateEvent(grpc::CallbackServerContext* context, const v1::CreateEventRequest* request,
                                        v1::Event* response) override;
  grpc::ServerUnaryReactor* GetEvent(grpc::CallbackServerContext* context, const v1::GetEventRequest* request,
                                     v1::Event* response) override;
  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* context, const v1::ListEventsRequest* request,
                                       v1::ListEventsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateEvent(grpc::CallbackServerContext* context, const v1::UpdateEventRequest* request,
                                        v1::Event* response) override;
  grpc::ServerUnaryReactor* DeleteEvent(grpc::CallbackServerContext* context, const v1::DeleteEventRequest* request,
                                        v1::Event* response) override;
  grpc::ServerUnaryReactor* UndeleteEvent(grpc::CallbackServerContext* context,
                                          const v1::UndeleteEventRequest* request, v1::Event* response) override;
  grpc::ServerUnaryReactor* ConfirmEvent(grpc::CallbackServerContext* context,
                                         const v1::ConfirmEventRequest* request, v1::Event* response) override;
  grpc::ServerUnaryReactor* PostponeEvent(grpc::CallbackServerContext* context,
                                          const v1::PostponeEventRequest* request, v1::Event* response) override;
  grpc::ServerUnaryReactor* CancelEvent(grpc::CallbackServerContext* context, const v1::CancelEventRequest* request,
                                        v1::Event* response) override;
  grpc::ServerUnaryReactor* CompleteEvent(grpc::CallbackServerContext* context,
                                          const v1::CompleteEventRequest* request, v1::Event* response) override;
  grpc::ServerUnaryReactor* ExportEvents(grpc::CallbackServerContext* context,
                                         const v1::ExportEventsRequest* request,
                                         v1::ExportEventsResponse* response) override;
  grpc::ServerWriteReactor<v1::EventChange>* WatchEvents(grpc::CallbackServerContext* context,
                                                         const v1::WatchEventsRequest* request) override;

  EventStore* store_;
  ArticleChecker* articles_;
  WatchHub* hub_;
  PageTokenCodec page_tokens_;
  ResumeTokenCodec resume_tokens_;
  WatchOptions watch_options_;
  WorkQueue* storage_work_;  // nullptr: gRPC's threads
};

struct EventsBackendOptions {
  ContentClientOptions content;
  EventStoreOptions store;
  WatchOptions watch;
  // Threads for the RPCs that write (after the article check), list or
  // export (--storage_workers): synced writes in flight together are
  // committed as one group, and gRPC's threads never wait for the disk.
  int storage_workers = 32;
};

// Everything the events server owns: the database, the store, the watch
// hub, the content-service client and the service, opened together and
// closed in reverse order.
class EventsBackend {
 public:
  // Opens (or creates) the database at `db_path`. Errors: see
  // kv::Database::Open; FAILED_PRECONDITION for content TLS settings that
  // cannot work (CheckContentClientOptions).
  static absl::StatusOr<std::unique_ptr<EventsBackend>> Open(const std::string& db_path,
                                                             EventsBackendOptions options = {},
                                                             Clock* clock = Clock::Real());
  ~EventsBackend();

  EventsService* service() { return service_.get(); }
  kv::Database* database() { return db_.get(); }
  // Ends every WatchEvents stream with UNAVAILABLE (clients resume with
  // their token) and refuses new ones: call when shutdown begins, before
  // the server stops, so that open streams do not hold it for the whole
  // grace period.
  void BeginShutdown() { hub_->CloseAll(); }
  EventStore* store() { return store_.get(); }
  WatchHub* hub() { return hub_.get(); }

 private:
  EventsBackend() = default;
  std::unique_ptr<kv::Database> db_;  // destroyed last
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<WatchHub> hub_;
  std::unique_ptr<ArticleChecker> articles_;
  std::unique_ptr<WorkQueue> storage_work_;
  std::unique_ptr<EventsService> service_;
};

}  // namespace newsdesk::events
