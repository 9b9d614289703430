// Event input validation and WatchEvents resume tokens.
#include <gtest/gtest.h>

#include "services/events/event_validation.h"
#include "services/events/watch.h"

namespace newsdesk::events {
namespace {

using v1::Event;

Event Valid() {
  Event e;
  e.set_title("Konferencja");
  auto* s = e.mutable_schedule();
  s->set_precision(v1::Schedule::PRECISION_MONTH);
  s->mutable_start_date()->set_year(2018);
  s->mutable_start_date()->set_month(5);
  return e;
}

void ExpectInvalid(const Event& e, const std::string& needle) {
  Event copy = e;
  absl::Status st = ValidateAndNormalize(WritableEventFields(), &copy);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
}

TEST(EventValidationTest, NormalisesDefaults) {
  Event e = Valid();
  e.add_tags("zdrowie");
  e.add_tags("zdrowie");
  e.add_source_articles("articles/wizyta");
  e.add_source_articles("articles/wizyta");
  auto* o = e.add_organizers();
  o->set_display_name("Szpital w Tałdykorganie");
  o->set_role(v1::Organizer::ROLE_CO_HOST);
  o->set_region_code("kz");
  ASSERT_TRUE(ValidateAndNormalize(WritableEventFields(), &e).ok());
  EXPECT_EQ(e.kind(), Event::KIND_OTHER);
  EXPECT_EQ(e.language(), "pl");
  EXPECT_EQ(e.tags_size(), 1);
  EXPECT_EQ(e.source_articles_size(), 1);
  EXPECT_EQ(e.organizers(0).region_code(), "KZ");
  EXPECT_TRUE(e.schedule().has_interval_start_time());
  EXPECT_FALSE(e.has_location());
}

TEST(EventValidationTest, NamesTheOffendingField) {
  Event e = Valid();
  e.clear_title();
  ExpectInvalid(e, "event.title: required");

  e = Valid();
  e.clear_schedule();
  ExpectInvalid(e, "event.schedule: required");

  e = Valid();
  e.add_organizers()->set_display_name("X");
  ExpectInvalid(e, "event.organizers[0].role: required");

  e = Valid();
  auto* o = e.add_organizers();
  o->set_display_name("X");
  o->set_role(v1::Organizer::ROLE_HOST);
  o->set_region_code("XX");
  ExpectInvalid(e, "event.organizers[0].region_code");

  e = Valid();
  e.mutable_location()->set_latitude(45.0);
  ExpectInvalid(e, "event.location.longitude: required");

  e = Valid();
  e.mutable_location()->set_online_url("javascript:alert(1)");
  ExpectInvalid(e, "event.location.online_url");

  e = Valid();
  e.add_source_articles("articles/Not Valid");
  ExpectInvalid(e, "event.source_articles[0]");

  e = Valid();
  e.add_source_articles("galleries/x");
  ExpectInvalid(e, "event.source_articles[0]");

  e = Valid();
  e.set_language("!!");
  ExpectInvalid(e, "event.language");
}

TEST(EventValidationTest, StatusIsNeverWritableThroughTheMask) {
  google::protobuf::FieldMask mask;
  mask.add_paths("status");
  auto paths = ResolveUpdateMask(mask, Valid());
  ASSERT_FALSE(paths.ok());
  EXPECT_EQ(paths.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(paths.status().message().find("ConfirmEvent"), std::string::npos);

  mask.set_paths(0, "revision");
  EXPECT_FALSE(ResolveUpdateMask(mask, Valid()).ok());
  mask.set_paths(0, "location.venue");
  EXPECT_FALSE(ResolveUpdateMask(mask, Valid()).ok());
}

TEST(EventValidationTest, EmptyMaskMeansTheFieldsThatAreSet) {
  Event patch;
  patch.set_title("Nowy tytuł");
  patch.add_tags("zdrowie");
  auto paths = ResolveUpdateMask(google::protobuf::FieldMask(), patch);
  ASSERT_TRUE(paths.ok());
  EXPECT_EQ(*paths, (std::vector<std::string>{"title", "tags"}));
  EXPECT_FALSE(ResolveUpdateMask(google::protobuf::FieldMask(), Event()).ok());
}

TEST(ResumeTokenTest, RoundTripsAndRefusesOtherDatabases) {
  ResumeTokenCodec codec("epoch-one-xxxxxxxxxxxx");
  auto seq = codec.Decode(codec.Encode(42));
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(*seq, 42u);

  ResumeTokenCodec other("epoch-two-xxxxxxxxxxxx");
  auto refused = other.Decode(codec.Encode(42));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("resume_token"), std::string::npos);

  for (const char* bad : {"", "not base64 !", "AAAA", "AbEHj49ATKkMAAAAAAAAAAEx"}) {
    auto st = codec.Decode(bad);
    EXPECT_FALSE(st.ok()) << bad;
  }
}

}  // namespace
}  // namespace newsdesk::events
