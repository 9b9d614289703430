// Hostile input to every method of both services, sent as an editor: raw
// wire bytes no generated client would send (invalid UTF-8, malformed or
// deeply nested protobuf, wrong wire types, oversized messages), 4 MiB
// strings, negative and huge numbers, malformed names (empty, overlong, `/`,
// `..`, NUL bytes, Unicode look-alikes), invalid update_mask paths, forged,
// truncated and cross-collection page tokens, malformed filters.
//
// Every case must be refused with INVALID_ARGUMENT or RESOURCE_EXHAUSTED
// (or, where the table says so, the code the API documents for that exact
// situation) and a message naming the field; the servers keep serving; and
// a dump of every column family of both databases, taken before the cases
// and after the servers have stopped, shows that nothing changed.
//
// The methods are enumerated from the service descriptors: every method gets
// the generated cases (a UTF-8 error in each of its request's string fields,
// malformed wire bytes, an oversized message), and a method without
// hand-written cases in MethodCases() fails EveryMethodHasHandWrittenCases.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/validation.h"
#include "storage/content/schema.h"
#include "storage/events/schema.h"
#include "tests/testing/db_dump.h"
#include "tests/testing/events_fixture.h"
#include "tests/testing/generic_call.h"
#include "tests/unit/media_test_images.h"

namespace newsdesk {
namespace {

namespace cv1 = ::newsdesk::content::v1;
namespace ev1 = ::newsdesk::events::v1;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using grpc::StatusCode;

constexpr size_t kMiB = size_t{1} << 20;
// Just under the servers' 4 MiB receive limit, and just over it.
constexpr size_t kNearLimit = 4 * kMiB - 4096;
constexpr size_t kOverLimit = 4 * kMiB + 1;

// --- Protobuf wire format, by hand -------------------------------------------------

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Tag(int field, int wire_type) { return Varint((static_cast<uint64_t>(field) << 3) | wire_type); }
std::string LenField(int field, const std::string& bytes) { return Tag(field, 2) + Varint(bytes.size()) + bytes; }
std::string VarintField(int field, uint64_t v) { return Tag(field, 0) + Varint(v); }

// --- Cases ---------------------------------------------------------------------------

struct Case {
  std::string label;
  // Request messages as wire bytes (several for a client stream).
  std::vector<std::string> messages;
  // What the status message must contain (the field), "" for none.
  std::string names;
  std::set<StatusCode> codes = {StatusCode::INVALID_ARGUMENT};
};

std::string Bytes(const Message& m) { return m.SerializePartialAsString(); }

Case Msg(std::string label, const Message& request, std::string names) {
  return Case{std::move(label), {Bytes(request)}, std::move(names)};
}
Case Msg(std::string label, const Message& request, std::string names, std::set<StatusCode> codes) {
  return Case{std::move(label), {Bytes(request)}, std::move(names), std::move(codes)};
}

// Malformed ids for `collection`/{id}: each must be refused before any
// lookup. `valid` is an existing id, so that a lax check would find it.
std::vector<std::pair<std::string, std::string>> BadNames(const std::string& collection, const std::string& valid) {
  const std::string p = collection + "/";
  return {
      {"empty", ""},
      {"collection only", p},
      {"no collection", valid},
      {"other collection", "wrong/" + valid},
      {"upper case collection", "ARTICLES/" + valid},
      {"dot dot", p + ".."},
      {"dot dot path", p + "../" + valid},
      {"slash inside", p + valid + "/x"},
      {"trailing slash", p + valid + "/"},
      {"double slash", collection + "//" + valid},
      {"leading slash", "/" + p + valid},
      {"NUL byte", p + valid + std::string(1, '\0') + "x"},
      {"NUL only", p + std::string(1, '\0')},
      {"Cyrillic a look-alike", p + "\xd0\xb0" + valid},      // U+0430
      {"fullwidth look-alike", p + "\xef\xbd\x81" + valid},   // U+FF41
      {"zero-width space", p + valid + "\xe2\x80\x8b"},       // U+200B
      {"division slash", collection + "\xe2\x88\x95" + valid},  // U+2215
      {"upper case id", p + "ALFA"},
      {"64-character id", p + std::string(64, 'a')},
      {"leading digit", p + "1" + valid},
      {"trailing hyphen", p + valid + "-"},
      {"space", p + valid + " "},
      {"percent-encoded slash", p + valid + "%2Fx"},
      {"near 4 MiB", p + std::string(kNearLimit, 'a')},
  };
}

class AdversarialTest : public testing::EventsServerFixture {
 protected:
  void SetUp() override {
    StartContent();
    StartEvents();
    if (HasFatalFailure()) return;
    Seed();
  }

  template <typename Stub, typename Req, typename Resp>
  static void MustCall(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*), Stub* stub,
                       const Req& req, Resp* out) {
    auto ctx = Context();
    grpc::Status st = (stub->*method)(ctx.get(), req, out);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  std::string Upload(const std::string& gallery, const std::string& photo_id, const std::string& image) {
    cv1::UploadPhotoRequest meta;
    meta.mutable_metadata()->set_parent(gallery);
    meta.mutable_metadata()->set_photo_id(photo_id);
    meta.mutable_metadata()->mutable_photo()->set_alt_text("Uczestnicy konferencji");
    cv1::UploadPhotoRequest chunk;
    chunk.set_chunk_data(image);
    auto ctx = Context();
    auto reply = testing::CallRaw(Channel(content_server_->address()), "/newsdesk.content.v1.ContentService/UploadPhoto",
                                  ctx.get(), {Bytes(meta), Bytes(chunk)});
    EXPECT_TRUE(reply.status.ok()) << reply.status.error_message();
    return gallery + "/photos/" + photo_id;
  }

  static std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
    return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  }

  // Articles (one with revisions, one with a gallery), galleries with
  // photos, events; and a page token of every listing.
  void Seed() {
    image_ = testing::MakeImage({.format = media::ImageFormat::kJpeg, .width = 64, .height = 48});
    cv1::Gallery gallery;
    for (const char* id : {"galeria", "druga"}) {
      cv1::CreateGalleryRequest req;
      req.set_gallery_id(id);
      req.mutable_gallery()->set_title(absl::StrCat("Galeria ", id));
      MustCall(&cv1::ContentService::Stub::CreateGallery, content_stub_.get(), req, &gallery);
    }
    Upload("galleries/galeria", "zdjecie", image_);
    Upload("galleries/galeria", "drugie", image_);
    Upload("galleries/druga", "trzecie", image_);

    cv1::Article article;
    for (const char* id : {"alfa", "beta", "gamma"}) {
      cv1::CreateArticleRequest req;
      req.set_article_id(id);
      req.mutable_article()->set_title(absl::StrCat("Konferencja szpitali ", id));
      req.mutable_article()->set_body("Szpitale zorganizują wspólną konferencję.");
      req.mutable_article()->add_tags("zdrowie");
      if (std::string(id) == "alfa") req.mutable_article()->set_gallery("galleries/galeria");
      MustCall(&cv1::ContentService::Stub::CreateArticle, content_stub_.get(), req, &article);
    }
    for (const char* id : {"alfa", "beta"}) {
      cv1::PublishArticleRequest req;
      req.set_name(absl::StrCat("articles/", id));
      MustCall(&cv1::ContentService::Stub::PublishArticle, content_stub_.get(), req, &article);
    }
    for (const char* lead : {"Pierwsza zmiana", "Druga zmiana"}) {
      cv1::UpdateArticleRequest req;
      req.mutable_article()->set_name("articles/gamma");
      req.mutable_article()->set_lead(lead);
      MustCall(&cv1::ContentService::Stub::UpdateArticle, content_stub_.get(), req, &article);
    }

    ev1::Event event;
    for (const char* id : {"konferencja", "wizyta"}) {
      ev1::CreateEventRequest req;
      req.set_event_id(id);
      req.mutable_event()->set_title(absl::StrCat("Wydarzenie ", id));
      req.mutable_event()->mutable_schedule()->set_precision(ev1::Schedule::PRECISION_MONTH);
      req.mutable_event()->mutable_schedule()->mutable_start_date()->set_year(2018);
      req.mutable_event()->mutable_schedule()->mutable_start_date()->set_month(5);
      req.mutable_event()->add_source_articles("articles/alfa");
      MustCall(&ev1::EventsService::Stub::CreateEvent, events_stub_.get(), req, &event);
    }

    // One token of every listing (page size 1 leaves a next page).
    {
      cv1::ListArticlesRequest req;
      req.set_page_size(1);
      cv1::ListArticlesResponse resp;
      MustCall(&cv1::ContentService::Stub::ListArticles, content_stub_.get(), req, &resp);
      tokens_["articles"] = resp.next_page_token();
      req.set_filter("tags:\"zdrowie\"");
      MustCall(&cv1::ContentService::Stub::ListArticles, content_stub_.get(), req, &resp);
      tokens_["articles filtered"] = resp.next_page_token();
    }
    {
      cv1::ListArticleRevisionsRequest req;
      req.set_name("articles/gamma");
      req.set_page_size(1);
      cv1::ListArticleRevisionsResponse resp;
      MustCall(&cv1::ContentService::Stub::ListArticleRevisions, content_stub_.get(), req, &resp);
      tokens_["revisions of gamma"] = resp.next_page_token();
    }
    {
      cv1::SearchArticlesRequest req;
      req.set_query("konferencja");
      req.set_page_size(1);
      cv1::SearchArticlesResponse resp;
      MustCall(&cv1::ContentService::Stub::SearchArticles, content_stub_.get(), req, &resp);
      tokens_["search"] = resp.next_page_token();
    }
    {
      cv1::ListGalleriesRequest req;
      req.set_page_size(1);
      cv1::ListGalleriesResponse resp;
      MustCall(&cv1::ContentService::Stub::ListGalleries, content_stub_.get(), req, &resp);
      tokens_["galleries"] = resp.next_page_token();
    }
    {
      cv1::ListPhotosRequest req;
      req.set_parent("galleries/galeria");
      req.set_page_size(1);
      cv1::ListPhotosResponse resp;
      MustCall(&cv1::ContentService::Stub::ListPhotos, content_stub_.get(), req, &resp);
      tokens_["photos of galeria"] = resp.next_page_token();
    }
    {
      ev1::ListEventsRequest req;
      req.set_page_size(1);
      ev1::ListEventsResponse resp;
      MustCall(&ev1::EventsService::Stub::ListEvents, events_stub_.get(), req, &resp);
      tokens_["events"] = resp.next_page_token();
    }
    {
      // The first WatchEvents message is a bookmark with a resume token.
      auto ctx = Context(std::chrono::milliseconds(500));
      auto reply = testing::CallRaw(Channel(events_server_->address()), "/newsdesk.events.v1.EventsService/WatchEvents",
                                    ctx.get(), {""}, 1);
      ev1::EventChange change;
      ASSERT_FALSE(reply.responses.empty());
      ASSERT_TRUE(change.ParseFromString(reply.responses[0]));
      tokens_["resume"] = change.resume_token();
    }
    for (const auto& [name, token] : tokens_) ASSERT_FALSE(token.empty()) << name;
  }

  // Page-token attacks on a listing whose own tokens are `own` (which must
  // not appear among the foreign ones): every other listing's token,
  // truncated, forged and garbage tokens.
  std::vector<std::pair<std::string, std::string>> BadTokens(const std::string& own) const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [name, token] : tokens_) {
      if (name != own) out.emplace_back(absl::StrCat("token of ", name), token);
    }
    const std::string& mine = tokens_.at(own);
    out.emplace_back("truncated by 3", mine.substr(0, mine.size() - 3));
    out.emplace_back("truncated to 10", mine.substr(0, 10));
    out.emplace_back("extended", mine + "AAAA");
    std::string raw;
    EXPECT_TRUE(absl::WebSafeBase64Unescape(mine, &raw));
    for (size_t at : {size_t{1}, raw.size() / 2, raw.size() - 1}) {
      std::string forged = raw;
      forged[at] ^= 0x01;
      out.emplace_back(absl::StrCat("one bit flipped at byte ", at), absl::WebSafeBase64Escape(forged));
    }
    // A cursor that points outside the collection, with a made-up MAC.
    out.emplace_back("forged cursor", absl::WebSafeBase64Escape(std::string("\x01") + std::string(8, '\0') +
                                                                "../../records" + std::string(16, 'x')));
    out.emplace_back("not base64", "!!!!not-a-token!!!!");
    out.emplace_back("NUL bytes", std::string(24, '\0'));
    out.emplace_back("near 4 MiB", std::string(kNearLimit, 'A'));
    return out;
  }

  std::map<std::string, std::vector<Case>> MethodCases();
  std::vector<Case> GeneratedCases(const google::protobuf::MethodDescriptor& method) const;
  void Run(const std::shared_ptr<grpc::Channel>& channel, const google::protobuf::MethodDescriptor& method,
           const Case& c);

  std::string image_;
  std::map<std::string, std::string> tokens_;
};

// Every string field reachable from `type` (through messages of our own
// packages, three levels deep), as field-number paths.
void StringFieldPaths(const Descriptor* type, std::vector<const FieldDescriptor*>* path,
                      std::vector<std::vector<const FieldDescriptor*>>* out) {
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* f = type->field(i);
    path->push_back(f);
    if (f->type() == FieldDescriptor::TYPE_STRING) {
      out->push_back(*path);
    } else if (f->type() == FieldDescriptor::TYPE_MESSAGE && path->size() < 4 &&
               absl::StartsWith(f->message_type()->full_name(), "newsdesk.")) {
      StringFieldPaths(f->message_type(), path, out);
    }
    path->pop_back();
  }
}

std::vector<Case> AdversarialTest::GeneratedCases(const google::protobuf::MethodDescriptor& method) const {
  std::vector<Case> cases;
  std::vector<const FieldDescriptor*> path;
  std::vector<std::vector<const FieldDescriptor*>> strings;
  StringFieldPaths(method.input_type(), &path, &strings);
  for (const auto& p : strings) {
    // "\xc3\x28": a two-byte sequence whose second byte is not a
    // continuation byte; wrapped in each enclosing message field.
    std::string bytes = LenField(p.back()->number(), "ok\xc3\x28");
    std::string label = p.back()->name();
    for (size_t i = p.size() - 1; i-- > 0;) {
      bytes = LenField(p[i]->number(), bytes);
      label = absl::StrCat(p[i]->name(), ".", label);
    }
    cases.push_back({absl::StrCat("invalid UTF-8 in ", label), {bytes}, p.back()->full_name()});
  }
  cases.push_back({"invalid tag (field 0)", {std::string("\x00\x01", 2)}, "could not be decoded"});
  cases.push_back({"truncated length-delimited field", {"\x0a\x10" "abc"}, "could not be decoded"});
  cases.push_back({"truncated varint", {"\x08\xff\xff"}, "could not be decoded"});
  cases.push_back({"wire type 7", {"\x0f\x00"}, "could not be decoded"});
  cases.push_back({"end group without start", {"\x0c"}, "could not be decoded"});
  // Unknown groups are parsed recursively: protobuf's depth limit (100)
  // must end the parse, not the stack.
  std::string nested;
  for (int i = 0; i < 5000; ++i) nested += Tag(1000, 3);
  for (int i = 0; i < 5000; ++i) nested += Tag(1000, 4);
  cases.push_back({"5000 nested unknown groups", {nested}, "could not be decoded"});
  // A message over the receive limit, as one unknown field.
  cases.push_back({"over 4 MiB (unknown field)", {LenField(1000, std::string(kOverLimit, 'x'))}, "",
                   {StatusCode::RESOURCE_EXHAUSTED}});
  return cases;
}

std::map<std::string, std::vector<Case>> AdversarialTest::MethodCases() {
  std::map<std::string, std::vector<Case>> m;
  const auto add = [&](const std::string& method, Case c) { m[method].push_back(std::move(c)); };
  // Each bad article name in the field `field` of a request made by `make`.
  const auto names = [&](const std::string& method, const std::string& collection, const std::string& valid,
                         const std::string& field, const std::function<std::string(const std::string&)>& make) {
    for (const auto& [label, name] : BadNames(collection, valid)) {
      add(method, Case{absl::StrCat(field, ": ", label), {make(name)}, field});
    }
  };
  const auto tokens = [&](const std::string& method, const std::string& own,
                          const std::function<std::string(const std::string&)>& make) {
    for (const auto& [label, token] : BadTokens(own)) {
      add(method, Case{absl::StrCat("page_token: ", label), {make(token)}, "page_token"});
    }
  };
  // Filters no listing accepts.
  const std::vector<std::pair<std::string, std::string>> bad_filters = {
      {"dangling operator", "state = "},
      {"unbalanced parenthesis", "(state = DRAFT"},
      {"33 levels of nesting", std::string(33, '(') + "create_time > \"2018-01-01\"" + std::string(33, ')')},
      {"2,001 characters", "create_time > \"2018-01-01\"" + std::string(2001, ' ')},
      {"unknown field", "secret_field = 1"},
      {"not a time", "create_time > \"wczoraj\""},
      {"NUL byte", std::string("create_time > \"2018\0\"", 21)},
      {"unterminated string", "create_time > \"2018"},
      {"operator soup", "AND OR NOT = :"},
      {"near 4 MiB", std::string(kNearLimit, '(')},
  };
  const auto filters = [&](const std::string& method, const std::function<std::string(const std::string&)>& make) {
    for (const auto& [label, filter] : bad_filters) {
      add(method, Case{absl::StrCat("filter: ", label), {make(filter)}, "filter"});
    }
  };
  const std::string big(kNearLimit, 'a');

  // ---- ContentService: articles ----
  {
    cv1::CreateArticleRequest ok;
    ok.mutable_article()->set_title("Tytuł");
    add("CreateArticle", Msg("article: missing", cv1::CreateArticleRequest(), "article"));
    for (const auto& [label, id] : std::vector<std::pair<std::string, std::string>>{
             {"dot dot", ".."}, {"slash", "a/b"}, {"NUL", std::string("ab\0c", 4)}, {"Cyrillic", "\xd0\xb0lfa"},
             {"fullwidth", "\xef\xbd\x81lfa"}, {"64 characters", std::string(64, 'a')}, {"upper case", "Alfa"},
             {"leading hyphen", "-alfa"}, {"name instead of id", "articles/alfa"}}) {
      cv1::CreateArticleRequest r = ok;
      r.set_article_id(id);
      add("CreateArticle", Msg(absl::StrCat("article_id: ", label), r, "article_id"));
    }
    for (const auto& [label, rid] : std::vector<std::pair<std::string, std::string>>{
             {"space", "a b"}, {"NUL", std::string("a\0b", 3)}, {"non-ASCII", "żółw"}, {"129 characters",
                                                                                         std::string(129, 'r')}}) {
      cv1::CreateArticleRequest r = ok;
      r.set_request_id(rid);
      add("CreateArticle", Msg(absl::StrCat("request_id: ", label), r, "request_id"));
    }
    const auto article_case = [&](const std::string& label, const std::function<void(cv1::Article*)>& edit,
                                  const std::string& field) {
      cv1::CreateArticleRequest r = ok;
      edit(r.mutable_article());
      add("CreateArticle", Msg(label, r, field));
    };
    article_case("empty title", [](cv1::Article* a) { a->clear_title(); }, "article.title");
    article_case("301-character title", [](cv1::Article* a) { a->set_title(std::string(301, 'x')); }, "article.title");
    article_case("near 4 MiB title", [&](cv1::Article* a) { a->set_title(big); }, "article.title");
    article_case("NUL in title", [](cv1::Article* a) { a->set_title(std::string("a\0b", 3)); }, "article.title");
    article_case("body of 1 MiB + 1", [](cv1::Article* a) { a->set_body(std::string(kMiB + 1, 'b')); }, "article.body");
    article_case("near 4 MiB body", [&](cv1::Article* a) { a->set_body(big); }, "article.body");
    article_case("NUL in body", [](cv1::Article* a) { a->set_body(std::string("a\0b", 3)); }, "article.body");
    article_case("2,001-character lead", [](cv1::Article* a) { a->set_lead(std::string(2001, 'l')); }, "article.lead");
    article_case("bad language", [](cv1::Article* a) { a->set_language("pl_PL!"); }, "article.language");
    article_case("NUL language", [](cv1::Article* a) { a->set_language(std::string("pl\0", 3)); },
                 "article.language");
    article_case("51 tags", [](cv1::Article* a) { for (int i = 0; i < 51; ++i) a->add_tags(absl::StrCat("t", i)); },
                 "article.tags");
    article_case("empty tag", [](cv1::Article* a) { a->add_tags(""); }, "article.tags[0]");
    article_case("65-character tag", [](cv1::Article* a) { a->add_tags(std::string(65, 't')); }, "article.tags[0]");
    article_case("100,000 tags", [](cv1::Article* a) { for (int i = 0; i < 100000; ++i) a->add_tags("t"); },
                 "article.tags");
    article_case("21 authors", [](cv1::Article* a) { for (int i = 0; i < 21; ++i) a->add_authors("Autor"); },
                 "article.authors");
    article_case("gallery with ..", [](cv1::Article* a) { a->set_gallery("galleries/../articles/alfa"); },
                 "article.gallery");
    article_case("gallery naming an article", [](cv1::Article* a) { a->set_gallery("articles/alfa"); },
                 "article.gallery");
    article_case("gallery naming a photo", [](cv1::Article* a) { a->set_gallery("galleries/galeria/photos/zdjecie"); },
                 "article.gallery");
    {
      // A referenced resource that is missing (docs: FAILED_PRECONDITION).
      cv1::CreateArticleRequest r = ok;
      r.mutable_article()->set_gallery("galleries/brak");
      add("CreateArticle", Msg("gallery that does not exist", r, "article.gallery", {StatusCode::FAILED_PRECONDITION}));
      // A taken id (docs: ALREADY_EXISTS); the stored article stays as it is.
      r = ok;
      r.set_article_id("alfa");
      add("CreateArticle", Msg("taken id", r, "articles/alfa", {StatusCode::ALREADY_EXISTS}));
      // A wrong wire type for a known field is an unknown field: the
      // article then is missing.
      add("CreateArticle", Case{"article sent as a varint", {VarintField(1, 7)}, "article"});
    }
  }
  {
    const auto get = [](const std::string& name) {
      cv1::GetArticleRequest r;
      r.set_name(name);
      return Bytes(r);
    };
    names("GetArticle", "articles", "alfa", "name", get);
    for (const auto& [label, name] : std::vector<std::pair<std::string, std::string>>{
             {"empty revision", "articles/alfa@"},
             {"upper case revision", "articles/alfa@R1"},
             {"revision r0", "articles/alfa@r0"},
             {"revision r-1", "articles/alfa@r-1"},
             {"revision overflowing int64", "articles/alfa@r99999999999999999999"},
             {"revision without r", "articles/alfa@1"},
             {"two revisions", "articles/alfa@r1@r1"},
             {"revision with ..", "articles/alfa@../r1"},
             {"revision of a bad id", "articles/../alfa@r1"}}) {
      add("GetArticle", Case{absl::StrCat("name: ", label), {get(name)}, "name"});
    }
  }
  {
    const auto list = [](std::function<void(cv1::ListArticlesRequest*)> edit) {
      cv1::ListArticlesRequest r;
      edit(&r);
      return Bytes(r);
    };
    for (int32_t size : {-1, std::numeric_limits<int32_t>::min()}) {
      add("ListArticles",
          Case{absl::StrCat("page_size ", size), {list([&](auto* r) { r->set_page_size(size); })}, "page_size"});
    }
    filters("ListArticles", [&](const std::string& f) { return list([&](auto* r) { r->set_filter(f); }); });
    add("ListArticles", Case{"filter: unknown state", {list([](auto* r) { r->set_filter("state = SECRET"); })},
                             "filter"});
    for (const char* order : {"title", "create_time desc desc", "create_time sideways", "-create_time"}) {
      add("ListArticles", Case{absl::StrCat("order_by: ", order), {list([&](auto* r) { r->set_order_by(order); })},
                               "order_by"});
    }
    add("ListArticles",
        Case{"order_by: NUL", {list([](auto* r) { r->set_order_by(std::string("create_time\0", 12)); })}, "order_by"});
    tokens("ListArticles", "articles", [&](const std::string& t) { return list([&](auto* r) { r->set_page_token(t); }); });
    // A token is bound to its query: another filter or show_deleted refuses it.
    add("ListArticles", Case{"page_token: of another filter", {list([&](auto* r) {
                               r->set_page_token(tokens_["articles"]);
                               r->set_filter("tags:\"zdrowie\"");
                             })},
                             "page_token"});
    add("ListArticles", Case{"page_token: with show_deleted", {list([&](auto* r) {
                               r->set_page_token(tokens_["articles"]);
                               r->set_show_deleted(true);
                             })},
                             "page_token"});
  }
  {
    const auto update = [](std::function<void(cv1::UpdateArticleRequest*)> edit) {
      cv1::UpdateArticleRequest r;
      r.mutable_article()->set_name("articles/alfa");
      r.mutable_article()->set_title("Nowy tytuł");
      edit(&r);
      return Bytes(r);
    };
    add("UpdateArticle", Msg("article: missing", cv1::UpdateArticleRequest(), "article"));
    names("UpdateArticle", "articles", "alfa", "article.name",
          [&](const std::string& n) { return update([&](auto* r) { r->mutable_article()->set_name(n); }); });
    for (const auto& [label, path] : std::vector<std::pair<std::string, std::string>>{
             {"output only name", "name"}, {"output only etag", "etag"}, {"output only state", "state"},
             {"output only slug", "slug"}, {"output only create_time", "create_time"},
             {"output only publish_time", "publish_time"}, {"output only revision_id", "revision_id"},
             {"sub-field", "title.text"}, {"unknown", "secret"}, {"upper case", "Title"},
             {"empty path", ""}, {"NUL", std::string("title\0", 6)}, {"path with ..", "../title"},
             {"near 4 MiB path", big}}) {
      add("UpdateArticle", Case{absl::StrCat("update_mask: ", label),
                                {update([&](auto* r) { r->mutable_update_mask()->add_paths(path); })},
                                "update_mask"});
    }
    add("UpdateArticle", Case{"update_mask: * with another path", {update([](auto* r) {
                                r->mutable_update_mask()->add_paths("*");
                                r->mutable_update_mask()->add_paths("title");
                              })},
                              "update_mask"});
    add("UpdateArticle", Case{"update_mask: empty with nothing set", {update([](auto* r) {
                                r->mutable_article()->clear_title();
                              })},
                              "update_mask"});
    add("UpdateArticle", Case{"title: cleared through the mask", {update([](auto* r) {
                                r->mutable_article()->clear_title();
                                r->mutable_update_mask()->add_paths("title");
                              })},
                              "article.title"});
    add("UpdateArticle", Case{"title: near 4 MiB", {update([&](auto* r) { r->mutable_article()->set_title(big); })},
                              "article.title"});
    add("UpdateArticle", Case{"gallery: with ..", {update([](auto* r) {
                                r->mutable_article()->set_gallery("galleries/..");
                              })},
                              "article.gallery"});
    // A forged etag: the documented code for a stale one.
    add("UpdateArticle", Case{"etag: forged", {update([](auto* r) { r->mutable_article()->set_etag("forged"); })},
                              "etag", {StatusCode::ABORTED}});
  }
  for (const char* method : {"DeleteArticle", "UndeleteArticle", "PublishArticle", "UnpublishArticle"}) {
    names(method, "articles", "alfa", "name", [&](const std::string& n) {
      cv1::DeleteArticleRequest r;  // field 1 is `name` in each of these requests
      r.set_name(n);
      return Bytes(r);
    });
  }
  {
    cv1::DeleteArticleRequest r;
    r.set_name("articles/gamma");
    r.set_etag("forged");
    add("DeleteArticle", Msg("etag: forged", r, "etag", {StatusCode::ABORTED}));
    cv1::UndeleteArticleRequest u;
    u.set_name("articles/alfa");
    add("UndeleteArticle", Msg("not deleted (AIP-164: ALREADY_EXISTS)", u, "articles/alfa",
                               {StatusCode::ALREADY_EXISTS}));
  }
  for (const auto& [label, seconds, nanos] : std::vector<std::tuple<std::string, int64_t, int32_t>>{
           {"seconds INT64_MAX", std::numeric_limits<int64_t>::max(), 0},
           {"seconds INT64_MIN", std::numeric_limits<int64_t>::min(), 0},
           {"year 10000", 253402300800, 0},
           {"negative nanos", 1600000000, -1},
           {"nanos 1e9", 1600000000, 1000000000}}) {
    cv1::PublishArticleRequest r;
    r.set_name("articles/gamma");
    r.mutable_publish_time()->set_seconds(seconds);
    r.mutable_publish_time()->set_nanos(nanos);
    add("PublishArticle", Msg(absl::StrCat("publish_time: ", label), r, "publish_time"));
  }
  {
    const auto revisions = [](std::function<void(cv1::ListArticleRevisionsRequest*)> edit) {
      cv1::ListArticleRevisionsRequest r;
      r.set_name("articles/gamma");
      edit(&r);
      return Bytes(r);
    };
    names("ListArticleRevisions", "articles", "gamma", "name",
          [&](const std::string& n) { return revisions([&](auto* r) { r->set_name(n); }); });
    add("ListArticleRevisions", Case{"page_size -1", {revisions([](auto* r) { r->set_page_size(-1); })}, "page_size"});
    tokens("ListArticleRevisions", "revisions of gamma",
           [&](const std::string& t) { return revisions([&](auto* r) { r->set_page_token(t); }); });
    // gamma's token on another article's revisions.
    add("ListArticleRevisions", Case{"page_token: of another article", {revisions([&](auto* r) {
                                       r->set_name("articles/alfa");
                                       r->set_page_token(tokens_["revisions of gamma"]);
                                     })},
                                     "page_token"});
  }
  {
    const auto rollback = [](std::function<void(cv1::RollbackArticleRequest*)> edit) {
      cv1::RollbackArticleRequest r;
      r.set_name("articles/gamma");
      r.set_revision_id("r1");
      edit(&r);
      return Bytes(r);
    };
    names("RollbackArticle", "articles", "gamma", "name",
          [&](const std::string& n) { return rollback([&](auto* r) { r->set_name(n); }); });
    for (const auto& [label, id] : std::vector<std::pair<std::string, std::string>>{
             {"empty", ""}, {"upper case", "R1"}, {"r0", "r0"}, {"r-1", "r-1"}, {"no r", "1"},
             {"overflowing int64", "r99999999999999999999"}, {"dot dot", "../r1"}, {"slash", "r1/x"},
             {"revision name", "articles/gamma@r1"}, {"NUL", std::string("r1\0", 3)}, {"near 4 MiB", big}}) {
      add("RollbackArticle", Case{absl::StrCat("revision_id: ", label),
                                  {rollback([&](auto* r) { r->set_revision_id(id); })}, "revision_id"});
    }
    add("RollbackArticle", Case{"etag: forged", {rollback([](auto* r) { r->set_etag("forged"); })}, "etag",
                                {StatusCode::ABORTED}});
  }
  {
    const auto search = [](std::function<void(cv1::SearchArticlesRequest*)> edit) {
      cv1::SearchArticlesRequest r;
      r.set_query("konferencja");
      edit(&r);
      return Bytes(r);
    };
    std::string words;
    for (int i = 0; i < 33; ++i) absl::StrAppend(&words, "slowo", i, " ");
    for (const auto& [label, q] : std::vector<std::pair<std::string, std::string>>{
             {"empty", ""}, {"1,001 characters", std::string(1001, 'q')}, {"near 4 MiB", big},
             {"NUL", std::string("konf\0", 5)}, {"unbalanced quote", "\"ochrona zdrowia"},
             {"only exclusions", "-szpital"}, {"33 words", words}, {"lone star", "*"}}) {
      add("SearchArticles", Case{absl::StrCat("query: ", label), {search([&](auto* r) { r->set_query(q); })}, "query"});
    }
    add("SearchArticles", Case{"page_size -1", {search([](auto* r) { r->set_page_size(-1); })}, "page_size"});
    filters("SearchArticles", [&](const std::string& f) { return search([&](auto* r) { r->set_filter(f); }); });
    tokens("SearchArticles", "search",
           [&](const std::string& t) { return search([&](auto* r) { r->set_page_token(t); }); });
    add("SearchArticles", Case{"page_token: of another query", {search([&](auto* r) {
                                 r->set_query("szpitale");
                                 r->set_page_token(tokens_["search"]);
                               })},
                               "page_token"});
  }

  // ---- ContentService: galleries ----
  {
    const auto create = [](std::function<void(cv1::CreateGalleryRequest*)> edit) {
      cv1::CreateGalleryRequest r;
      r.mutable_gallery()->set_title("Galeria");
      edit(&r);
      return Bytes(r);
    };
    add("CreateGallery", Msg("gallery: missing", cv1::CreateGalleryRequest(), "gallery"));
    for (const auto& [label, id] : std::vector<std::pair<std::string, std::string>>{
             {"dot dot", ".."}, {"slash", "a/b"}, {"NUL", std::string("a\0b", 3)}, {"Cyrillic", "g\xd0\xb0l"},
             {"64 characters", std::string(64, 'g')}}) {
      add("CreateGallery", Case{absl::StrCat("gallery_id: ", label), {create([&](auto* r) { r->set_gallery_id(id); })},
                                "gallery_id"});
    }
    add("CreateGallery", Case{"request_id: NUL", {create([](auto* r) { r->set_request_id(std::string("a\0", 2)); })},
                              "request_id"});
    add("CreateGallery", Case{"title: empty", {create([](auto* r) { r->mutable_gallery()->clear_title(); })},
                              "gallery.title"});
    add("CreateGallery", Case{"title: near 4 MiB", {create([&](auto* r) { r->mutable_gallery()->set_title(big); })},
                              "gallery.title"});
    add("CreateGallery", Case{"description: 5,001 characters", {create([](auto* r) {
                                r->mutable_gallery()->set_description(std::string(5001, 'd'));
                              })},
                              "gallery.description"});
    add("CreateGallery", Case{"cover_photo: of another gallery", {create([](auto* r) {
                                r->mutable_gallery()->set_cover_photo("galleries/galeria/photos/zdjecie");
                              })},
                              "gallery.cover_photo"});
    add("CreateGallery", Case{"cover_photo: of its own (a new gallery has no photos)", {create([](auto* r) {
                                r->set_gallery_id("nowa");
                                r->mutable_gallery()->set_cover_photo("galleries/nowa/photos/zdjecie");
                              })},
                              "gallery.cover_photo"});
    add("CreateGallery", Case{"cover_photo: with ..", {create([](auto* r) {
                                r->mutable_gallery()->set_cover_photo("galleries/../photos/x");
                              })},
                              "gallery.cover_photo"});
    add("CreateGallery", Case{"taken id", {create([](auto* r) { r->set_gallery_id("galeria"); })},
                              "galleries/galeria", {StatusCode::ALREADY_EXISTS}});
  }
  for (const char* method : {"GetGallery", "DeleteGallery", "UndeleteGallery"}) {
    names(method, "galleries", "galeria", "name", [](const std::string& n) {
      cv1::GetGalleryRequest r;  // field 1 is `name` in each of these requests
      r.set_name(n);
      return Bytes(r);
    });
  }
  {
    cv1::UndeleteGalleryRequest u;
    u.set_name("galleries/galeria");
    add("UndeleteGallery", Msg("not deleted (AIP-164: ALREADY_EXISTS)", u, "galleries/galeria",
                               {StatusCode::ALREADY_EXISTS}));
    cv1::DeleteGalleryRequest d;
    d.set_name("galleries/galeria");
    d.set_etag("forged");
    add("DeleteGallery", Msg("etag: forged", d, "etag", {StatusCode::ABORTED}));
  }
  {
    const auto list = [](std::function<void(cv1::ListGalleriesRequest*)> edit) {
      cv1::ListGalleriesRequest r;
      edit(&r);
      return Bytes(r);
    };
    add("ListGalleries", Case{"page_size -1", {list([](auto* r) { r->set_page_size(-1); })}, "page_size"});
    filters("ListGalleries", [&](const std::string& f) { return list([&](auto* r) { r->set_filter(f); }); });
    add("ListGalleries", Case{"filter: an article field", {list([](auto* r) { r->set_filter("state = PUBLISHED"); })},
                              "filter"});
    tokens("ListGalleries", "galleries", [&](const std::string& t) { return list([&](auto* r) { r->set_page_token(t); }); });
  }
  {
    const auto update = [](std::function<void(cv1::UpdateGalleryRequest*)> edit) {
      cv1::UpdateGalleryRequest r;
      r.mutable_gallery()->set_name("galleries/galeria");
      r.mutable_gallery()->set_title("Nowy tytuł");
      edit(&r);
      return Bytes(r);
    };
    add("UpdateGallery", Msg("gallery: missing", cv1::UpdateGalleryRequest(), "gallery"));
    names("UpdateGallery", "galleries", "galeria", "gallery.name",
          [&](const std::string& n) { return update([&](auto* r) { r->mutable_gallery()->set_name(n); }); });
    for (const char* path : {"name", "photo_count", "etag", "create_time", "secret", "title.x", ""}) {
      add("UpdateGallery", Case{absl::StrCat("update_mask: \"", path, "\""),
                                {update([&](auto* r) { r->mutable_update_mask()->add_paths(path); })}, "update_mask"});
    }
    add("UpdateGallery", Case{"title: cleared", {update([](auto* r) {
                                r->mutable_gallery()->clear_title();
                                r->mutable_update_mask()->add_paths("title");
                              })},
                              "gallery.title"});
    add("UpdateGallery", Case{"cover_photo: of another gallery", {update([](auto* r) {
                                r->mutable_gallery()->set_cover_photo("galleries/druga/photos/trzecie");
                              })},
                              "gallery.cover_photo"});
    add("UpdateGallery", Case{"cover_photo: malformed", {update([](auto* r) {
                                r->mutable_gallery()->set_cover_photo("galleries/galeria/photos/../../druga");
                              })},
                              "gallery.cover_photo"});
  }

  // ---- ContentService: photos ----
  const auto photo_names = [&](const std::string& method, const std::string& field,
                               const std::function<std::string(const std::string&)>& make) {
    for (const auto& [label, name] : std::vector<std::pair<std::string, std::string>>{
             {"empty", ""},
             {"gallery only", "galleries/galeria"},
             {"no photo id", "galleries/galeria/photos/"},
             {"dot dot photo", "galleries/galeria/photos/.."},
             {"dot dot path", "galleries/galeria/photos/../../druga/photos/trzecie"},
             {"dot dot gallery", "galleries/../photos/zdjecie"},
             {"empty gallery", "galleries//photos/zdjecie"},
             {"wrong collection", "galleries/galeria/images/zdjecie"},
             {"extra segment", "galleries/galeria/photos/zdjecie/bytes"},
             {"NUL byte", std::string("galleries/galeria/photos/zdj\0ecie", 33)},
             {"Cyrillic look-alike", "galleries/galeria/photos/zdj\xd0\xb5" "cie"},
             {"fullwidth solidus", "galleries/galeria\xef\xbc\x8fphotos/zdjecie"},
             {"upper case", "galleries/galeria/photos/Zdjecie"},
             {"64-character id", "galleries/galeria/photos/" + std::string(64, 'z')},
             {"near 4 MiB", "galleries/galeria/photos/" + big}}) {
      add(method, Case{absl::StrCat(field, ": ", label), {make(name)}, field});
    }
  };
  {
    const auto meta = [](std::function<void(cv1::UploadPhotoMetadata*)> edit) {
      cv1::UploadPhotoRequest r;
      r.mutable_metadata()->set_parent("galleries/galeria");
      r.mutable_metadata()->mutable_photo()->set_alt_text("Opis");
      edit(r.mutable_metadata());
      return Bytes(r);
    };
    const auto chunk = [](const std::string& bytes) {
      cv1::UploadPhotoRequest r;
      r.set_chunk_data(bytes);
      return Bytes(r);
    };
    const std::string good = meta([](auto*) {});
    const auto upload = [&](const std::string& label, std::vector<std::string> messages, const std::string& field,
                            std::set<StatusCode> codes = {StatusCode::INVALID_ARGUMENT}) {
      add("UploadPhoto", Case{label, std::move(messages), field, std::move(codes)});
    };
    names("UploadPhoto", "galleries", "galeria", "metadata.parent", [&](const std::string& n) {
      return meta([&](auto* m) { m->set_parent(n); });
    });
    for (auto& c : m["UploadPhoto"]) c.messages.push_back(chunk(image_));
    upload("metadata.photo_id: dot dot", {meta([](auto* m) { m->set_photo_id(".."); }), chunk(image_)},
           "metadata.photo_id");
    upload("metadata.photo_id: slash", {meta([](auto* m) { m->set_photo_id("a/b"); }), chunk(image_)},
           "metadata.photo_id");
    upload("metadata.request_id: NUL", {meta([](auto* m) { m->set_request_id(std::string("r\0", 2)); }),
                                        chunk(image_)},
           "metadata.request_id");
    upload("metadata.photo: missing", {meta([](auto* m) { m->clear_photo(); }), chunk(image_)}, "metadata.photo");
    upload("metadata.photo.alt_text: empty", {meta([](auto* m) { m->mutable_photo()->clear_alt_text(); }),
                                              chunk(image_)},
           "metadata.photo.alt_text");
    upload("metadata.photo.alt_text: near 4 MiB", {meta([&](auto* m) { m->mutable_photo()->set_alt_text(big); })},
           "metadata.photo.alt_text");
    upload("metadata.photo.position: -1", {meta([](auto* m) { m->mutable_photo()->set_position(-1); }),
                                           chunk(image_)},
           "metadata.photo.position");
    upload("metadata.photo.position: INT32_MIN",
           {meta([](auto* m) { m->mutable_photo()->set_position(std::numeric_limits<int32_t>::min()); }),
            chunk(image_)},
           "metadata.photo.position");
    upload("metadata.size_bytes: -1", {meta([](auto* m) { m->set_size_bytes(-1); }), chunk(image_)},
           "metadata.size_bytes");
    upload("metadata.size_bytes: INT64_MAX",
           {meta([](auto* m) { m->set_size_bytes(std::numeric_limits<int64_t>::max()); }), chunk(image_)}, "photo",
           {StatusCode::RESOURCE_EXHAUSTED});
    upload("metadata.size_bytes: less than sent", {meta([&](auto* m) { m->set_size_bytes(10); }), chunk(image_)},
           "size_bytes");
    upload("metadata.size_bytes: more than sent",
           {meta([&](auto* m) { m->set_size_bytes(static_cast<int64_t>(image_.size()) + 1); }), chunk(image_)},
           "size_bytes");
    upload("chunk before metadata", {chunk(image_), good}, "metadata");
    upload("metadata twice", {good, good, chunk(image_)}, "metadata");
    upload("no bytes", {good}, "chunk_data");
    upload("neither metadata nor chunk", {good, ""}, "UploadPhotoRequest");
    upload("chunk of 1 MiB + 1", {good, chunk(std::string(kMiB + 1, 'x'))}, "chunk_data");
    upload("not an image", {good, chunk("GIF89a not a photo at all")}, "photo");
    upload("truncated JPEG", {good, chunk(image_.substr(0, image_.size() / 2))}, "photo");
    upload("JPEG header, noise after", {good, chunk(image_.substr(0, 20) + std::string(2000, '\x5a'))}, "photo");
    // A whole image followed by a message that does not decode: the
    // upload must fail, not store what came before the broken message.
    upload("valid image, then malformed message", {good, chunk(image_), std::string("\xff\xff\xff", 3)},
           "could not be decoded");
    upload("valid image, then invalid UTF-8 metadata",
           {good, chunk(image_), LenField(1, LenField(1, "galleries/\xc3\x28"))}, "could not be decoded");
    upload("photo id taken", {meta([](auto* m) { m->set_photo_id("zdjecie"); }), chunk(image_)},
           "galleries/galeria/photos/zdjecie", {StatusCode::ALREADY_EXISTS});
  }
  for (const char* method : {"GetPhoto", "DeletePhoto"}) {
    photo_names(method, "name", [](const std::string& n) {
      cv1::GetPhotoRequest r;  // field 1 is `name` in both
      r.set_name(n);
      return Bytes(r);
    });
  }
  {
    cv1::DeletePhotoRequest d;
    d.set_name("galleries/galeria/photos/zdjecie");
    d.set_etag("forged");
    add("DeletePhoto", Msg("etag: forged", d, "etag", {StatusCode::ABORTED}));
  }
  {
    const auto list = [](std::function<void(cv1::ListPhotosRequest*)> edit) {
      cv1::ListPhotosRequest r;
      r.set_parent("galleries/galeria");
      edit(&r);
      return Bytes(r);
    };
    names("ListPhotos", "galleries", "galeria", "parent",
          [&](const std::string& n) { return list([&](auto* r) { r->set_parent(n); }); });
    add("ListPhotos", Case{"page_size -1", {list([](auto* r) { r->set_page_size(-1); })}, "page_size"});
    tokens("ListPhotos", "photos of galeria",
           [&](const std::string& t) { return list([&](auto* r) { r->set_page_token(t); }); });
    add("ListPhotos", Case{"page_token: of another gallery", {list([&](auto* r) {
                             r->set_parent("galleries/druga");
                             r->set_page_token(tokens_["photos of galeria"]);
                           })},
                           "page_token"});
  }
  {
    const auto update = [](std::function<void(cv1::UpdatePhotoRequest*)> edit) {
      cv1::UpdatePhotoRequest r;
      r.mutable_photo()->set_name("galleries/galeria/photos/zdjecie");
      r.mutable_photo()->set_caption("Podpis");
      edit(&r);
      return Bytes(r);
    };
    add("UpdatePhoto", Msg("photo: missing", cv1::UpdatePhotoRequest(), "photo"));
    photo_names("UpdatePhoto", "photo.name",
                [&](const std::string& n) { return update([&](auto* r) { r->mutable_photo()->set_name(n); }); });
    for (const char* path : {"name", "sha256", "width", "renditions", "content_type", "secret", "caption.x", ""}) {
      add("UpdatePhoto", Case{absl::StrCat("update_mask: \"", path, "\""),
                              {update([&](auto* r) { r->mutable_update_mask()->add_paths(path); })}, "update_mask"});
    }
    add("UpdatePhoto", Case{"position: in the mask without a value", {update([](auto* r) {
                              r->mutable_update_mask()->add_paths("position");
                            })},
                            "photo.position"});
    add("UpdatePhoto", Case{"position: -1", {update([](auto* r) { r->mutable_photo()->set_position(-1); })},
                            "photo.position"});
    add("UpdatePhoto", Case{"alt_text: cleared", {update([](auto* r) {
                              r->mutable_update_mask()->add_paths("alt_text");
                            })},
                            "photo.alt_text"});
    add("UpdatePhoto", Case{"caption: near 4 MiB", {update([&](auto* r) { r->mutable_photo()->set_caption(big); })},
                            "photo.caption"});
    add("UpdatePhoto", Case{"etag: forged", {update([](auto* r) { r->mutable_photo()->set_etag("forged"); })}, "etag",
                            {StatusCode::ABORTED}});
  }
  {
    const auto download = [](std::function<void(cv1::DownloadPhotoRequest*)> edit) {
      cv1::DownloadPhotoRequest r;
      r.set_name("galleries/galeria/photos/zdjecie");
      edit(&r);
      return Bytes(r);
    };
    photo_names("DownloadPhoto", "name",
                [&](const std::string& n) { return download([&](auto* r) { r->set_name(n); }); });
    for (const auto& [label, rendition] : std::vector<std::pair<std::string, std::string>>{
             {"unknown", "original"}, {"upper case", "THUMBNAIL"}, {"dot dot", "../thumbnail"},
             {"NUL", std::string("thumbnail\0", 10)}, {"near 4 MiB", big}}) {
      add("DownloadPhoto", Case{absl::StrCat("rendition: ", label),
                                {download([&](auto* r) { r->set_rendition(rendition); })}, "rendition"});
      // Checked before the photo is looked up: the same answer for a
      // photo that does not exist.
      add("DownloadPhoto", Case{absl::StrCat("rendition: ", label, ", missing photo"), {download([&](auto* r) {
                                  r->set_name("galleries/galeria/photos/brak");
                                  r->set_rendition(rendition);
                                })},
                                "rendition"});
    }
    for (int64_t offset : {int64_t{-1}, std::numeric_limits<int64_t>::min()}) {
      add("DownloadPhoto", Case{absl::StrCat("offset ", offset), {download([&](auto* r) { r->set_offset(offset); })},
                                "offset"});
    }
    // Past the end is the documented OUT_OF_RANGE.
    add("DownloadPhoto", Case{"offset INT64_MAX", {download([](auto* r) {
                                r->set_offset(std::numeric_limits<int64_t>::max());
                              })},
                              "offset", {StatusCode::OUT_OF_RANGE}});
  }

  // ---- EventsService ----
  const auto event_case = [&](const std::string& method, const std::string& label,
                              const std::function<void(ev1::Event*)>& edit, const std::string& field) {
    ev1::CreateEventRequest r;
    r.mutable_event()->set_title("Konferencja");
    r.mutable_event()->mutable_schedule()->set_precision(ev1::Schedule::PRECISION_MONTH);
    r.mutable_event()->mutable_schedule()->mutable_start_date()->set_year(2018);
    r.mutable_event()->mutable_schedule()->mutable_start_date()->set_month(5);
    if (method == "UpdateEvent") {
      ev1::UpdateEventRequest u;
      *u.mutable_event() = r.event();
      u.mutable_event()->set_name("events/konferencja");
      // Every writable field is written, so each is validated.
      u.mutable_update_mask()->add_paths("*");
      edit(u.mutable_event());
      add(method, Msg(label, u, field));
    } else {
      edit(r.mutable_event());
      add(method, Msg(label, r, field));
    }
  };
  for (const char* method : {"CreateEvent", "UpdateEvent"}) {
    using Schedule = ev1::Schedule;
    event_case(method, "title: empty", [](ev1::Event* e) { e->set_title(""); }, "event.title");
    event_case(method, "title: near 4 MiB", [&](ev1::Event* e) { e->set_title(big); }, "event.title");
    event_case(method, "title: NUL", [](ev1::Event* e) { e->set_title(std::string("a\0", 2)); }, "event.title");
    event_case(method, "description: 10,001 characters",
               [](ev1::Event* e) { e->set_description(std::string(10001, 'd')); }, "event.description");
    event_case(method, "kind: 99", [](ev1::Event* e) { e->set_kind(static_cast<ev1::Event::Kind>(99)); }, "event.kind");
    event_case(method, "kind: -5", [](ev1::Event* e) { e->set_kind(static_cast<ev1::Event::Kind>(-5)); }, "event.kind");
    event_case(method, "schedule: precision 77",
               [](ev1::Event* e) { e->mutable_schedule()->set_precision(static_cast<Schedule::Precision>(77)); },
               "event.schedule.precision");
    event_case(method, "schedule: year 0", [](ev1::Event* e) { e->mutable_schedule()->mutable_start_date()->set_year(0); },
               "event.schedule.start_date.year");
    event_case(method, "schedule: year INT32_MAX",
               [](ev1::Event* e) {
                 e->mutable_schedule()->mutable_start_date()->set_year(std::numeric_limits<int32_t>::max());
               },
               "event.schedule.start_date.year");
    event_case(method, "schedule: year INT32_MIN",
               [](ev1::Event* e) {
                 e->mutable_schedule()->mutable_start_date()->set_year(std::numeric_limits<int32_t>::min());
               },
               "event.schedule.start_date.year");
    event_case(method, "schedule: month 13",
               [](ev1::Event* e) { e->mutable_schedule()->mutable_start_date()->set_month(13); },
               "event.schedule.start_date.month");
    event_case(method, "schedule: month -1",
               [](ev1::Event* e) { e->mutable_schedule()->mutable_start_date()->set_month(-1); },
               "event.schedule.start_date.month");
    event_case(method, "schedule: day 32 of a DAY schedule",
               [](ev1::Event* e) {
                 e->mutable_schedule()->set_precision(Schedule::PRECISION_DAY);
                 e->mutable_schedule()->mutable_start_date()->set_day(32);
               },
               "event.schedule.start_date.day");
    event_case(method, "schedule: end before start",
               [](ev1::Event* e) {
                 e->mutable_schedule()->mutable_end_date()->set_year(2017);
                 e->mutable_schedule()->mutable_end_date()->set_month(1);
               },
               "event.schedule.end_date");
    const auto exact = [](ev1::Event* e, int64_t start, int64_t end, const std::string& zone) {
      Schedule* s = e->mutable_schedule();
      s->Clear();
      s->set_precision(Schedule::PRECISION_EXACT);
      s->mutable_start_time()->set_seconds(start);
      s->mutable_end_time()->set_seconds(end);
      s->set_time_zone(zone);
    };
    event_case(method, "schedule: start_time INT64_MAX",
               [&](ev1::Event* e) { exact(e, std::numeric_limits<int64_t>::max(), 0, "Europe/Warsaw"); },
               "event.schedule.start_time");
    event_case(method, "schedule: end_time INT64_MIN",
               [&](ev1::Event* e) { exact(e, 1525132800, std::numeric_limits<int64_t>::min(), "Europe/Warsaw"); },
               "event.schedule.end_time");
    for (const auto& [label, zone] : std::vector<std::pair<std::string, std::string>>{
             {"dot dot path", "../../../../etc/passwd"}, {"absolute path", "/etc/localtime"},
             {"NUL", std::string("Europe/Warsaw\0x", 15)}, {"fullwidth look-alike", "\xef\xbc\xa5urope/Warsaw"},
             {"unknown", "Europe/Atlantis"}, {"directory", "Europe"}, {"near 4 MiB", big}}) {
      event_case(method, absl::StrCat("schedule.time_zone: ", label),
                 [&](ev1::Event* e) { exact(e, 1525132800, 1525140000, zone); }, "event.schedule.time_zone");
    }
    event_case(method, "organizers: 21",
               [](ev1::Event* e) {
                 for (int i = 0; i < 21; ++i) {
                   auto* o = e->add_organizers();
                   o->set_display_name("Szpital");
                   o->set_role(ev1::Organizer::ROLE_HOST);
                 }
               },
               "event.organizers");
    event_case(method, "organizers[0].role: 99",
               [](ev1::Event* e) {
                 auto* o = e->add_organizers();
                 o->set_display_name("Szpital");
                 o->set_role(static_cast<ev1::Organizer::Role>(99));
               },
               "event.organizers[0].role");
    event_case(method, "organizers[0].region_code: NUL",
               [](ev1::Event* e) {
                 auto* o = e->add_organizers();
                 o->set_display_name("Szpital");
                 o->set_role(ev1::Organizer::ROLE_HOST);
                 o->set_region_code(std::string("P\0", 2));
               },
               "event.organizers[0].region_code");
    event_case(method, "location.latitude: NaN",
               [](ev1::Event* e) {
                 e->mutable_location()->set_latitude(std::nan(""));
                 e->mutable_location()->set_longitude(10);
               },
               "event.location.latitude");
    event_case(method, "location.longitude: 1e308",
               [](ev1::Event* e) {
                 e->mutable_location()->set_latitude(10);
                 e->mutable_location()->set_longitude(1e308);
               },
               "event.location.longitude");
    event_case(method, "location.latitude: infinity",
               [](ev1::Event* e) {
                 e->mutable_location()->set_latitude(std::numeric_limits<double>::infinity());
                 e->mutable_location()->set_longitude(10);
               },
               "event.location.latitude");
    event_case(method, "location: longitude without latitude",
               [](ev1::Event* e) { e->mutable_location()->set_longitude(10); }, "event.location.latitude");
    for (const char* url : {"javascript:alert(1)", "http://a b", "file:///etc/passwd", "http://\x01"}) {
      event_case(method, absl::StrCat("location.online_url: ", absl::CEscape(url)),
                 [&](ev1::Event* e) { e->mutable_location()->set_online_url(url); }, "event.location.online_url");
    }
    for (const auto& [label, name] : BadNames("articles", "alfa")) {
      if (name.empty()) continue;
      event_case(method, absl::StrCat("source_articles[0]: ", label),
                 [&](ev1::Event* e) { e->add_source_articles(name); }, "event.source_articles[0]");
    }
    event_case(method, "source_articles: 21",
               [](ev1::Event* e) { for (int i = 0; i < 21; ++i) e->add_source_articles(absl::StrCat("articles/a", i)); },
               "event.source_articles");
    event_case(method, "language: bad", [](ev1::Event* e) { e->set_language("!!"); }, "event.language");
    event_case(method, "tags[0]: empty", [](ev1::Event* e) { e->add_tags(""); }, "event.tags[0]");
    // A cited article that does not exist (docs: FAILED_PRECONDITION).
    ev1::CreateEventRequest missing;
    missing.mutable_event()->set_title("Konferencja");
    missing.mutable_event()->mutable_schedule()->set_precision(ev1::Schedule::PRECISION_YEAR);
    missing.mutable_event()->mutable_schedule()->mutable_start_date()->set_year(2018);
    missing.mutable_event()->add_source_articles("articles/brak");
    if (std::string(method) == "CreateEvent") {
      add(method, Msg("source_articles[0]: does not exist", missing, "event.source_articles[0]",
                      {StatusCode::FAILED_PRECONDITION}));
    }
  }
  {
    ev1::CreateEventRequest ok;
    ok.mutable_event()->set_title("Konferencja");
    ok.mutable_event()->mutable_schedule()->set_precision(ev1::Schedule::PRECISION_YEAR);
    ok.mutable_event()->mutable_schedule()->mutable_start_date()->set_year(2018);
    add("CreateEvent", Msg("event: missing", ev1::CreateEventRequest(), "event"));
    for (const auto& [label, id] : std::vector<std::pair<std::string, std::string>>{
             {"dot dot", ".."}, {"slash", "a/b"}, {"NUL", std::string("a\0", 2)}, {"Cyrillic", "\xd0\xb0"},
             {"64 characters", std::string(64, 'e')}}) {
      ev1::CreateEventRequest r = ok;
      r.set_event_id(id);
      add("CreateEvent", Msg(absl::StrCat("event_id: ", label), r, "event_id"));
    }
    ev1::CreateEventRequest r = ok;
    r.set_request_id(std::string(129, 'r'));
    add("CreateEvent", Msg("request_id: 129 characters", r, "request_id"));
    r = ok;
    r.mutable_event()->clear_schedule();
    add("CreateEvent", Msg("schedule: missing", r, "event.schedule"));
    r = ok;
    r.set_event_id("konferencja");
    add("CreateEvent", Msg("taken id", r, "events/konferencja", {StatusCode::ALREADY_EXISTS}));
  }
  {
    const auto update = [](std::function<void(ev1::UpdateEventRequest*)> edit) {
      ev1::UpdateEventRequest r;
      r.mutable_event()->set_name("events/konferencja");
      r.mutable_event()->set_title("Nowy tytuł");
      edit(&r);
      return Bytes(r);
    };
    add("UpdateEvent", Msg("event: missing", ev1::UpdateEventRequest(), "event"));
    names("UpdateEvent", "events", "konferencja", "event.name",
          [&](const std::string& n) { return update([&](auto* r) { r->mutable_event()->set_name(n); }); });
    for (const char* path : {"status", "revision", "etag", "schedule_history", "schedule.precision", "secret", ""}) {
      add("UpdateEvent", Case{absl::StrCat("update_mask: \"", path, "\""),
                              {update([&](auto* r) { r->mutable_update_mask()->add_paths(path); })}, "update_mask"});
    }
    add("UpdateEvent", Case{"update_mask: empty with nothing set",
                            {update([](auto* r) { r->mutable_event()->clear_title(); })}, "update_mask"});
    add("UpdateEvent", Case{"etag: forged", {update([](auto* r) { r->mutable_event()->set_etag("forged"); })}, "etag",
                            {StatusCode::ABORTED}});
  }
  for (const char* method : {"GetEvent", "DeleteEvent", "UndeleteEvent", "ConfirmEvent", "PostponeEvent",
                             "CancelEvent", "CompleteEvent"}) {
    names(method, "events", "konferencja", "name", [](const std::string& n) {
      ev1::GetEventRequest r;  // field 1 is `name` in each of these requests
      r.set_name(n);
      return Bytes(r);
    });
  }
  {
    ev1::UndeleteEventRequest u;
    u.set_name("events/konferencja");
    add("UndeleteEvent", Msg("not deleted (AIP-164: ALREADY_EXISTS)", u, "events/konferencja",
                             {StatusCode::ALREADY_EXISTS}));
    ev1::ConfirmEventRequest c;
    c.set_name("events/konferencja");
    c.mutable_schedule()->set_precision(ev1::Schedule::PRECISION_MONTH);
    c.mutable_schedule()->mutable_start_date()->set_year(2018);
    c.mutable_schedule()->mutable_start_date()->set_month(5);
    add("ConfirmEvent", Msg("schedule: MONTH precision", c, "schedule"));
    c.mutable_schedule()->set_precision(static_cast<ev1::Schedule::Precision>(-3));
    add("ConfirmEvent", Msg("schedule: precision -3", c, "schedule.precision"));
    ev1::PostponeEventRequest p;
    p.set_name("events/konferencja");
    p.set_reason(std::string(1001, 'r'));
    add("PostponeEvent", Msg("reason: 1,001 characters", p, "reason"));
    p.set_reason("");
    p.mutable_schedule()->set_precision(ev1::Schedule::PRECISION_DAY);
    p.mutable_schedule()->mutable_start_date()->set_year(2018);
    p.mutable_schedule()->mutable_start_date()->set_month(2);
    p.mutable_schedule()->mutable_start_date()->set_day(30);
    add("PostponeEvent", Msg("schedule: February 30", p, "schedule.start_date.day"));
    ev1::CancelEventRequest x;
    x.set_name("events/konferencja");
    x.set_reason(big);
    add("CancelEvent", Msg("reason: near 4 MiB", x, "reason"));
    ev1::CompleteEventRequest done;
    done.set_name("events/konferencja");
    done.set_etag("forged");
    add("CompleteEvent", Msg("etag: forged", done, "etag", {StatusCode::ABORTED}));
  }
  {
    const auto list = [](std::function<void(ev1::ListEventsRequest*)> edit) {
      ev1::ListEventsRequest r;
      edit(&r);
      return Bytes(r);
    };
    add("ListEvents", Case{"page_size -1", {list([](auto* r) { r->set_page_size(-1); })}, "page_size"});
    filters("ListEvents", [&](const std::string& f) { return list([&](auto* r) { r->set_filter(f); }); });
    for (const char* order : {"title", "start desc desc", "update_time"}) {
      add("ListEvents", Case{absl::StrCat("order_by: ", order), {list([&](auto* r) { r->set_order_by(order); })},
                             "order_by"});
    }
    tokens("ListEvents", "events", [&](const std::string& t) { return list([&](auto* r) { r->set_page_token(t); }); });
    add("ListEvents", Case{"page_token: of another order", {list([&](auto* r) {
                             r->set_order_by("create_time");
                             r->set_page_token(tokens_["events"]);
                           })},
                           "page_token"});
  }
  {
    const auto export_events = [](std::function<void(ev1::ExportEventsRequest*)> edit) {
      ev1::ExportEventsRequest r;
      edit(&r);
      return Bytes(r);
    };
    filters("ExportEvents", [&](const std::string& f) { return export_events([&](auto* r) { r->set_filter(f); }); });
    add("ExportEvents", Case{"names: 1,001", {export_events([](auto* r) {
                               for (int i = 0; i < 1001; ++i) r->add_names("events/konferencja");
                             })},
                             "names"});
    for (const auto& [label, name] : BadNames("events", "konferencja")) {
      add("ExportEvents", Case{absl::StrCat("names[1]: ", label), {export_events([&](auto* r) {
                                 r->add_names("events/konferencja");
                                 r->add_names(name);
                               })},
                               "names[1]"});
    }
  }
  {
    const auto watch = [](std::function<void(ev1::WatchEventsRequest*)> edit) {
      ev1::WatchEventsRequest r;
      edit(&r);
      return Bytes(r);
    };
    filters("WatchEvents", [&](const std::string& f) { return watch([&](auto* r) { r->set_filter(f); }); });
    for (const auto& [label, token] : BadTokens("resume")) {
      add("WatchEvents", Case{absl::StrCat("resume_token: ", label),
                              {watch([&](auto* r) { r->set_resume_token(token); })}, "resume_token"});
    }
  }
  return m;
}

const google::protobuf::ServiceDescriptor* ContentServiceDescriptor() {
  return cv1::CreateArticleRequest::descriptor()->file()->FindServiceByName("ContentService");
}
const google::protobuf::ServiceDescriptor* EventsServiceDescriptor() {
  return ev1::CreateEventRequest::descriptor()->file()->FindServiceByName("EventsService");
}

// The message a client gets must be readable: valid UTF-8 without NUL bytes.
bool Readable(const std::string& message) { return CheckUtf8("", message).ok(); }

void AdversarialTest::Run(const std::shared_ptr<grpc::Channel>& channel,
                          const google::protobuf::MethodDescriptor& method, const Case& c) {
  auto ctx = Context(std::chrono::seconds(20));
  const auto reply = testing::CallRaw(channel, absl::StrCat("/", method.service()->full_name(), "/", method.name()),
                                      ctx.get(), c.messages, 4);
  const grpc::Status& st = reply.status;
  SCOPED_TRACE(absl::StrCat(method.name(), " / ", c.label, ": ", st.error_code(), " \"",
                            absl::CEscape(st.error_message().substr(0, 300)), "\""));
  EXPECT_EQ(c.codes.count(st.error_code()), 1u) << "unexpected code";
  EXPECT_FALSE(st.error_message().empty());
  EXPECT_TRUE(Readable(st.error_message())) << "the message is not valid UTF-8 or holds a NUL byte";
  EXPECT_LE(st.error_message().size(), 2000u) << "the message echoes too much of the input";
  if (!c.names.empty()) {
    EXPECT_NE(st.error_message().find(c.names), std::string::npos) << "the message does not name " << c.names;
  }
}

TEST_F(AdversarialTest, EveryMethodHasHandWrittenCases) {
  const auto cases = MethodCases();
  std::set<std::string> methods;
  for (const auto* service : {ContentServiceDescriptor(), EventsServiceDescriptor()}) {
    for (int i = 0; i < service->method_count(); ++i) {
      methods.insert(service->method(i)->name());
      EXPECT_GT(cases.count(service->method(i)->name()), 0u)
          << service->method(i)->full_name() << " has no adversarial cases in this test";
    }
  }
  for (const auto& [method, list] : cases) EXPECT_EQ(methods.count(method), 1u) << method << " is not a method";
}

TEST_F(AdversarialTest, BadInputIsRefusedAndChangesNothing) {
  const auto cases = MethodCases();
  ASSERT_FALSE(HasFailure());
  const auto content_before = testing::DumpDatabase(*content_backend_->database(), content::ContentColumnFamilies().size());
  const auto events_before = testing::DumpDatabase(*events_backend_->database(), events::EventsColumnFamilies().size());
  ASSERT_FALSE(content_before.empty());
  ASSERT_FALSE(events_before.empty());

  int sent = 0;
  const struct {
    const google::protobuf::ServiceDescriptor* service;
    std::string address;
  } targets[] = {{ContentServiceDescriptor(), content_server_->address()},
                 {EventsServiceDescriptor(), events_server_->address()}};
  for (const auto& target : targets) {
    auto channel = Channel(target.address);
    for (int i = 0; i < target.service->method_count(); ++i) {
      const auto& method = *target.service->method(i);
      std::vector<Case> all = GeneratedCases(method);
      if (auto it = cases.find(method.name()); it != cases.end()) all.insert(all.end(), it->second.begin(), it->second.end());
      for (const Case& c : all) {
        Run(channel, method, c);
        ++sent;
      }
    }
  }
  EXPECT_GT(sent, 900);

  // Both servers still serve.
  for (const auto& target : targets) {
    auto health = grpc::health::v1::Health::NewStub(Channel(target.address));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckResponse resp;
    ASSERT_TRUE(health->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &resp).ok());
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
  cv1::GetArticleRequest get;
  get.set_name("articles/alfa");
  cv1::Article article;
  EXPECT_TRUE(content_stub_->GetArticle(Context().get(), get, &article).ok());
  EXPECT_EQ(article.title(), "Konferencja szpitali alfa");
  ev1::GetEventRequest get_event;
  get_event.set_name("events/konferencja");
  ev1::Event event;
  EXPECT_TRUE(events_stub_->GetEvent(Context().get(), get_event, &event).ok());

  // Stop both servers (every handler and upload has returned), then compare
  // every column family with the state before the cases.
  events_server_->Shutdown();
  content_server_->Shutdown();
  const auto content_after = testing::DumpDatabase(*content_backend_->database(), content::ContentColumnFamilies().size());
  const auto events_after = testing::DumpDatabase(*events_backend_->database(), events::EventsColumnFamilies().size());
  EXPECT_EQ(testing::DumpDifference(content_before, content_after), "") << "the content database changed";
  EXPECT_EQ(testing::DumpDifference(events_before, events_after), "") << "the events database changed";
}

}  // namespace
}  // namespace newsdesk
