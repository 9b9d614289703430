// Every EventsService method × every role, and what anonymous readers see.
#include <gtest/gtest.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "tests/testing/events_fixture.h"
#include "tests/testing/generic_call.h"

namespace newsdesk::events {
namespace {

// Written out on purpose: a new method without an entry fails
// MethodTableCoversTheWholeService; a policy change that opens a method
// fails EveryMethodTimesEveryRole.
const std::map<std::string, Access>& ExpectedAccess() {
  static const auto* table = new std::map<std::string, Access>{
      {"CreateEvent", Access::kWrite},  {"GetEvent", Access::kPublic},      {"ListEvents", Access::kPublic},
      {"UpdateEvent", Access::kWrite},  {"DeleteEvent", Access::kWrite},    {"UndeleteEvent", Access::kWrite},
      {"ConfirmEvent", Access::kWrite}, {"PostponeEvent", Access::kWrite},  {"CancelEvent", Access::kWrite},
      {"CompleteEvent", Access::kWrite}, {"ExportEvents", Access::kPublic}, {"WatchEvents", Access::kPublic},
  };
  return *table;
}

const google::protobuf::ServiceDescriptor& Service() {
  return *v1::CreateEventRequest::descriptor()->file()->FindServiceByName("EventsService");
}

class EventsAccessTest : public testing::EventsServerFixture {
 protected:
  void SetUp() override {
    StartContent();
    StartEvents();
  }
  std::unique_ptr<grpc::ClientContext> As(Role role) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    // Watch streams run until the deadline: keep it short.
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(700));
    if (const char* token = testing::TestTokens::For(role)) {
      ctx->AddMetadata("authorization", std::string("Bearer ") + token);
    }
    return ctx;
  }
};

TEST_F(EventsAccessTest, MethodTableCoversTheWholeService) {
  for (int i = 0; i < Service().method_count(); ++i) {
    EXPECT_EQ(ExpectedAccess().count(Service().method(i)->name()), 1u) << Service().method(i)->name();
  }
  EXPECT_EQ(static_cast<int>(ExpectedAccess().size()), Service().method_count());
}

TEST_F(EventsAccessTest, EveryMethodTimesEveryRole) {
  auto channel = grpc::CreateChannel(events_server_->address(), grpc::InsecureChannelCredentials());
  for (const auto& [method, access] : ExpectedAccess()) {
    for (Role role : {Role::kAnonymous, Role::kService, Role::kEditor, Role::kAdmin}) {
      auto ctx = As(role);
      const grpc::Status st =
          testing::CallWithEmptyRequest(channel, absl::StrCat("/", Service().full_name(), "/", method), ctx.get());
      SCOPED_TRACE(absl::StrCat(method, " as ", RoleName(role), ": ", st.error_code(), " ", st.error_message()));
      if (Allows(access, role)) {
        EXPECT_NE(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
        EXPECT_NE(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
        EXPECT_NE(st.error_code(), grpc::StatusCode::INTERNAL);
      } else if (role == Role::kAnonymous) {
        EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
      } else {
        EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
      }
    }
  }
}

TEST_F(EventsAccessTest, AnonymousReadersDoNotSeeDeletedEvents) {
  v1::CreateEventRequest create;
  create.set_event_id("konferencja");
  create.mutable_event()->set_title("Wspólna konferencja szpitali");
  create.mutable_event()->set_kind(v1::Event::KIND_CONFERENCE);
  create.mutable_event()->mutable_schedule()->set_precision(v1::Schedule::PRECISION_MONTH);
  create.mutable_event()->mutable_schedule()->mutable_start_date()->set_year(2018);
  create.mutable_event()->mutable_schedule()->mutable_start_date()->set_month(5);
  v1::Event out;
  grpc::Status st = events_stub_->CreateEvent(Context().get(), create, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  v1::GetEventRequest get;
  get.set_name("events/konferencja");
  EXPECT_TRUE(events_stub_->GetEvent(As(Role::kAnonymous).get(), get, &out).ok());
  v1::DeleteEventRequest del;
  del.set_name("events/konferencja");
  ASSERT_TRUE(events_stub_->DeleteEvent(Context().get(), del, &out).ok());
  EXPECT_EQ(events_stub_->GetEvent(As(Role::kAnonymous).get(), get, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(events_stub_->GetEvent(As(Role::kEditor).get(), get, &out).ok());
  v1::ListEventsRequest list;
  list.set_show_deleted(true);
  v1::ListEventsResponse listed;
  ASSERT_TRUE(events_stub_->ListEvents(As(Role::kAnonymous).get(), list, &listed).ok());
  EXPECT_EQ(listed.events_size(), 0);
  ASSERT_TRUE(events_stub_->ListEvents(As(Role::kEditor).get(), list, &listed).ok());
  EXPECT_EQ(listed.events_size(), 1);
}

}  // namespace
}  // namespace newsdesk::events
