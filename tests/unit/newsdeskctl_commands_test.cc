// newsdeskctl: whole command lines against a fake transport — the requests
// each verb builds, paging, import/export, upload/download, exit codes.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "newsdesk/content/v1/content_service.pb.h"
#include "tools/newsdeskctl/errors.h"
#include "tools/newsdeskctl/testing/fakes.h"

namespace newsdesk::ctl {
namespace {

namespace v1 = newsdesk::content::v1;
using testing::FakeTransport;
using testing::Outcome;
using testing::RecordedCall;
using testing::RunWith;

constexpr char kContent[] = "/newsdesk.content.v1.ContentService/";

template <typename M>
M Parse(const std::string& bytes) {
  M message;
  EXPECT_TRUE(message.ParseFromString(bytes));
  return message;
}

v1::Article MakeArticle(const std::string& id, v1::Article::State state = v1::Article::STATE_DRAFT) {
  v1::Article article;
  article.set_name("articles/" + id);
  article.set_title("Tytuł " + id);
  article.set_state(state);
  return article;
}

class NewsdeskctlCommandsTest : public ::testing::Test {
 protected:
  NewsdeskctlCommandsTest() : schema_(Schema::FromGeneratedPool()), state_(std::make_shared<FakeTransport::State>()) {
    // By default every call succeeds with an empty response of any type.
    state_->handler = [](const RecordedCall&, std::vector<std::string>* out) {
      out->push_back("");
      return absl::OkStatus();
    };
  }

  Outcome Ctl(const std::vector<std::string>& argv, const std::string& input = "",
              const std::map<std::string, std::string>& env = {}) {
    return RunWith(*schema_, state_, argv, input, env);
  }

  std::unique_ptr<Schema> schema_;
  std::shared_ptr<FakeTransport::State> state_;
};

TEST_F(NewsdeskctlCommandsTest, CreateSendsTheResourceAndItsId) {
  state_->handler = [](const RecordedCall& call, std::vector<std::string>* out) {
    auto request = Parse<v1::CreateArticleRequest>(call.requests.at(0));
    v1::Article created = request.article();
    created.set_name("articles/" + request.article_id());
    out->push_back(created.SerializeAsString());
    return absl::OkStatus();
  };
  Outcome o = Ctl({"create", "article", R"({"title": "Zażółć gęślą jaźń", "tags": ["zdrowie"]})", "--id", "zazolc"});
  ASSERT_EQ(o.code, 0) << o.err;
  ASSERT_EQ(state_->calls.size(), 1u);
  EXPECT_EQ(state_->calls[0].method, absl::StrCat(kContent, "CreateArticle"));
  EXPECT_EQ(state_->calls[0].target, "127.0.0.1:50051");
  auto request = Parse<v1::CreateArticleRequest>(state_->calls[0].requests.at(0));
  EXPECT_EQ(request.article_id(), "zazolc");
  EXPECT_EQ(request.article().title(), "Zażółć gęślą jaźń");
  EXPECT_EQ(o.out, "{\"name\":\"articles/zazolc\",\"title\":\"Zażółć gęślą jaźń\",\"tags\":[\"zdrowie\"]}\n");
  EXPECT_EQ(o.err, "");
}

TEST_F(NewsdeskctlCommandsTest, CreateReadsJsonFromStdinOrAFile) {
  Outcome o = Ctl({"create", "article", "-"}, R"({"title": "Ze stdin"})");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(Parse<v1::CreateArticleRequest>(state_->calls.back().requests[0]).article().title(), "Ze stdin");

  const std::string path = ::testing::TempDir() + "/newsdeskctl_create.json";
  std::ofstream(path) << R"({"title": "Z pliku"})";
  o = Ctl({"create", "article", "@" + path});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(Parse<v1::CreateArticleRequest>(state_->calls.back().requests[0]).article().title(), "Z pliku");
  std::remove(path.c_str());

  o = Ctl({"create", "article", "@/nonexistent/newsdeskctl.json"});
  EXPECT_EQ(o.code, kExitNoInput);
}

TEST_F(NewsdeskctlCommandsTest, BadJsonIsInvalidArgumentBeforeAnyCall) {
  Outcome o = Ctl({"create", "article", R"({"title": )"});
  EXPECT_EQ(o.code, 3);
  EXPECT_TRUE(state_->calls.empty() || state_->calls[0].requests.empty());
  EXPECT_NE(o.err.find("\"code\": \"INVALID_ARGUMENT\""), std::string::npos);
}

TEST_F(NewsdeskctlCommandsTest, GetUpdateDeleteAndCustomVerbsBuildTheirRequests) {
  ASSERT_EQ(Ctl({"get", "articles/a@r2"}).code, 0);
  EXPECT_EQ(state_->calls.back().method, absl::StrCat(kContent, "GetArticle"));
  EXPECT_EQ(Parse<v1::GetArticleRequest>(state_->calls.back().requests[0]).name(), "articles/a@r2");

  Outcome o = Ctl({"update", "articles/a", R"({"lead": "Łódź"})", "--update_mask", "lead", "--etag", "e1"});
  ASSERT_EQ(o.code, 0) << o.err;
  auto update = Parse<v1::UpdateArticleRequest>(state_->calls.back().requests[0]);
  EXPECT_EQ(update.article().name(), "articles/a");
  EXPECT_EQ(update.article().lead(), "Łódź");
  EXPECT_EQ(update.article().etag(), "e1");
  ASSERT_EQ(update.update_mask().paths_size(), 1);
  EXPECT_EQ(update.update_mask().paths(0), "lead");
  // A JSON name that contradicts the command line is refused.
  EXPECT_EQ(Ctl({"update", "articles/a", R"({"name": "articles/b"})"}).code, kExitUsage);

  ASSERT_EQ(Ctl({"delete", "articles/a", "--etag", "e2"}).code, 0);
  auto del = Parse<v1::DeleteArticleRequest>(state_->calls.back().requests[0]);
  EXPECT_EQ(del.name(), "articles/a");
  EXPECT_EQ(del.etag(), "e2");

  ASSERT_EQ(Ctl({"publish", "articles/a", "--request", R"({"publish_time": "2030-01-01T00:00:00Z"})"}).code, 0);
  EXPECT_EQ(state_->calls.back().method, absl::StrCat(kContent, "PublishArticle"));
  auto publish = Parse<v1::PublishArticleRequest>(state_->calls.back().requests[0]);
  EXPECT_EQ(publish.name(), "articles/a");
  EXPECT_EQ(publish.publish_time().seconds(), 1893456000);

  EXPECT_EQ(Ctl({"frobnicate", "articles/a"}).code, kExitUsage);
  EXPECT_EQ(Ctl({"get", "widgets/a"}).code, kExitUsage);
  EXPECT_EQ(Ctl({"get"}).code, kExitUsage);
  EXPECT_EQ(Ctl({"get", "articles/a", "--all"}).code, kExitUsage);
}

TEST_F(NewsdeskctlCommandsTest, ServerErrorsBecomeExitCodesAndJsonOnStderr) {
  const std::vector<std::pair<absl::Status, int>> cases = {
      {absl::NotFoundError("articles/x not found"), 5},
      {absl::UnauthenticatedError("the bearer token is not valid"), 16},
      {absl::InvalidArgumentError("article.title: required"), 3},
      {absl::AbortedError("stale etag"), 10},
      {absl::UnavailableError("failed to connect"), 14},
  };
  for (const auto& [status, code] : cases) {
    state_->handler = [status = status](const RecordedCall&, std::vector<std::string>*) { return status; };
    Outcome o = Ctl({"get", "articles/x"});
    EXPECT_EQ(o.code, code) << status;
    EXPECT_EQ(o.out, "");
    EXPECT_EQ(o.err, ErrorJson(status) + "\n");
  }
}

TEST_F(NewsdeskctlCommandsTest, ConnectionFlagsAndEnvironment) {
  ASSERT_EQ(Ctl({"get", "articles/a"}, "", {{"NEWSDESK_TOKEN", " env-token\n"}}).code, 0);
  EXPECT_EQ(state_->options.token, "env-token");
  EXPECT_EQ(state_->options.timeout, absl::Seconds(30));
  EXPECT_FALSE(state_->options.tls);

  const std::string token_file = ::testing::TempDir() + "/newsdeskctl_token";
  std::ofstream(token_file) << "file-token\n";
  ASSERT_EQ(Ctl({"get", "articles/a", "--token_file", token_file, "--timeout", "500ms"}, "",
                {{"NEWSDESK_TOKEN", "env-token"}})
                .code,
            0);
  EXPECT_EQ(state_->options.token, "file-token");
  EXPECT_EQ(state_->options.timeout, absl::Milliseconds(500));
  ASSERT_EQ(Ctl({"get", "articles/a", "--token", "flag-token", "--token_file", token_file}).code, 0);
  EXPECT_EQ(state_->options.token, "flag-token");
  std::remove(token_file.c_str());
  EXPECT_EQ(Ctl({"get", "articles/a", "--token_file", token_file}).code, kExitNoInput);
  EXPECT_EQ(Ctl({"get", "articles/a", "--token", "two words"}).code, kExitUsage);

  ASSERT_EQ(Ctl({"get", "articles/a", "--tls_ca_file", "ca.pem", "--tls_server_name", "newsdesk"}).code, 0);
  EXPECT_TRUE(state_->options.tls);
  EXPECT_EQ(state_->options.tls_server_name, "newsdesk");
  EXPECT_EQ(Ctl({"get", "articles/a", "--tls_cert_file", "c.pem"}).code, kExitUsage);
  EXPECT_EQ(Ctl({"get", "articles/a", "--timeout", "soon"}).code, kExitUsage);
  EXPECT_EQ(Ctl({"get", "articles/a", "--timeout", "0s"}).code, kExitUsage);
  ASSERT_EQ(Ctl({"get", "articles/a", "--timeout", "none"}).code, 0);
  EXPECT_EQ(state_->options.timeout, absl::InfiniteDuration());
  ASSERT_EQ(Ctl({"get", "articles/a", "--timeout", "90"}).code, 0);
  EXPECT_EQ(state_->options.timeout, absl::Seconds(90));

  ASSERT_EQ(Ctl({"get", "articles/a", "--target", "db:1"}).code, 0);
  EXPECT_EQ(state_->calls.back().target, "db:1");
  ASSERT_EQ(Ctl({"get", "articles/a"}, "", {{"NEWSDESK_CONTENT_TARGET", "env:2"}}).code, 0);
  EXPECT_EQ(state_->calls.back().target, "env:2");
  ASSERT_EQ(Ctl({"get", "articles/a", "--target", "db:1", "--content_target", "c:3"}).code, 0);
  EXPECT_EQ(state_->calls.back().target, "c:3");
}

TEST_F(NewsdeskctlCommandsTest, HelpAndUsage) {
  Outcome o = Ctl({"--help"});
  EXPECT_EQ(o.code, 0);
  EXPECT_NE(o.out.find("64"), std::string::npos);
  EXPECT_NE(o.out.find("EX_USAGE"), std::string::npos);
  EXPECT_EQ(Ctl({"help"}).code, 0);
  EXPECT_EQ(Ctl({"get", "--help"}).code, 0);
  o = Ctl({});
  EXPECT_EQ(o.code, kExitUsage);
  EXPECT_NE(o.err.find("\"code\": \"USAGE\""), std::string::npos);
}

// A ListArticles server over `articles` with page tokens "p<offset>".
testing::Handler ListServer(std::vector<v1::Article> articles, std::vector<v1::ListArticlesRequest>* seen) {
  return [articles, seen](const RecordedCall& call, std::vector<std::string>* out) {
    auto request = Parse<v1::ListArticlesRequest>(call.requests.at(0));
    seen->push_back(request);
    size_t offset = request.page_token().empty() ? 0 : std::stoul(request.page_token().substr(1));
    const size_t size = request.page_size() > 0 ? request.page_size() : 2;
    v1::ListArticlesResponse response;
    for (size_t i = offset; i < articles.size() && i < offset + size; ++i) *response.add_articles() = articles[i];
    if (offset + size < articles.size()) response.set_next_page_token(absl::StrCat("p", offset + size));
    out->push_back(response.SerializeAsString());
    return absl::OkStatus();
  };
}

TEST_F(NewsdeskctlCommandsTest, ListPrintsOnePageOrFollowsTokensWithAll) {
  std::vector<v1::ListArticlesRequest> seen;
  state_->handler = ListServer({MakeArticle("a"), MakeArticle("b"), MakeArticle("c")}, &seen);
  Outcome o = Ctl({"list", "articles", "--filter", "state = DRAFT", "--order_by", "create_time"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "{\"name\":\"articles/a\",\"title\":\"Tytuł a\",\"state\":\"STATE_DRAFT\"}\n"
                   "{\"name\":\"articles/b\",\"title\":\"Tytuł b\",\"state\":\"STATE_DRAFT\"}\n");
  EXPECT_EQ(o.err, "{\"nextPageToken\": \"p2\"}\n");
  EXPECT_EQ(seen.back().filter(), "state = DRAFT");
  EXPECT_EQ(seen.back().order_by(), "create_time");

  seen.clear();
  o = Ctl({"list", "articles", "--page_size", "1", "--all", "--show_deleted", "--proto_names"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(o.out, '\n', absl::SkipEmpty())).size(), 3u);
  EXPECT_EQ(o.err, "");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].page_token(), "p1");
  EXPECT_TRUE(seen[2].show_deleted());

  o = Ctl({"list", "articles", "--page_token", "p2"});
  EXPECT_EQ(o.out, "{\"name\":\"articles/c\",\"title\":\"Tytuł c\",\"state\":\"STATE_DRAFT\"}\n");
  EXPECT_EQ(Ctl({"list", "widgets"}).code, kExitUsage);
  EXPECT_EQ(Ctl({"list", "articles/x/comments"}).code, kExitUsage);  // no such collection
}

TEST_F(NewsdeskctlCommandsTest, ListStopsWhenATokenRepeats) {
  state_->handler = [](const RecordedCall&, std::vector<std::string>* out) {
    v1::ListArticlesResponse response;
    response.set_next_page_token("same");
    out->push_back(response.SerializeAsString());
    return absl::OkStatus();
  };
  EXPECT_EQ(Ctl({"list", "articles", "--all"}).code, static_cast<int>(absl::StatusCode::kInternal));
}

TEST_F(NewsdeskctlCommandsTest, ExportPagesThroughEverythingIncludingDeleted) {
  std::vector<v1::ListArticlesRequest> seen;
  state_->handler =
      ListServer({MakeArticle("a"), MakeArticle("b", v1::Article::STATE_DELETED), MakeArticle("c")}, &seen);
  Outcome o = Ctl({"export", "articles", "--page_size", "2"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(o.out, '\n', absl::SkipEmpty())).size(), 3u);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(seen[0].show_deleted());
  EXPECT_EQ(seen[0].order_by(), "create_time");
  EXPECT_EQ(seen[0].page_size(), 2);
  Ctl({"export", "articles", "--order_by="});
  EXPECT_EQ(seen.back().order_by(), "");
  EXPECT_EQ(seen.back().page_size(), 1000);
}

TEST_F(NewsdeskctlCommandsTest, ImportCreatesWithIdsAndRestoresStates) {
  state_->handler = [](const RecordedCall& call, std::vector<std::string>* out) {
    v1::Article article;
    if (call.method == absl::StrCat(kContent, "CreateArticle")) {
      auto request = Parse<v1::CreateArticleRequest>(call.requests.at(0));
      article = request.article();
      article.set_name("articles/" + request.article_id());
      article.set_state(v1::Article::STATE_DRAFT);
    }
    out->push_back(article.SerializeAsString());
    return absl::OkStatus();
  };
  const std::string input =
      R"({"name":"articles/a","title":"Szkic","state":"STATE_DRAFT","etag":"x","createTime":"2020-01-01T00:00:00Z"})"
      "\n\n"
      R"({"name":"articles/b","title":"Zaplanowany","state":"STATE_SCHEDULED","publishTime":"2031-01-01T00:00:00Z"})"
      "\n"
      R"({"name":"articles/c","title":"Usunięty","state":"STATE_DELETED"})"
      "\n";
  Outcome o = Ctl({"import", "articles", "-"}, input);
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "{\"imported\": 3, \"skipped\": 0}\n");
  std::vector<std::string> methods;
  for (const auto& call : state_->calls) methods.push_back(call.method.substr(strlen(kContent)));
  EXPECT_EQ(methods, (std::vector<std::string>{"CreateArticle", "CreateArticle", "PublishArticle", "CreateArticle",
                                               "DeleteArticle"}));
  auto first = Parse<v1::CreateArticleRequest>(state_->calls[0].requests[0]);
  EXPECT_EQ(first.article_id(), "a");
  EXPECT_EQ(first.article().title(), "Szkic");
  auto publish = Parse<v1::PublishArticleRequest>(state_->calls[2].requests[0]);
  EXPECT_EQ(publish.name(), "articles/b");
  EXPECT_EQ(publish.publish_time().seconds(), 1924992000);  // kept: still scheduled
  EXPECT_EQ(Parse<v1::DeleteArticleRequest>(state_->calls[4].requests[0]).name(), "articles/c");

  // Without state restoration only the creates happen.
  state_->calls.clear();
  ASSERT_EQ(Ctl({"import", "articles", "--restore_state=false"}, input).code, 0);
  EXPECT_EQ(state_->calls.size(), 3u);
}

TEST_F(NewsdeskctlCommandsTest, ImportErrorsNameTheLine) {
  Outcome o = Ctl({"import", "articles"}, "{\"title\": \"ok\"}\n\n{\"titel\": \"literówka\"}\n");
  EXPECT_EQ(o.code, 3);
  EXPECT_NE(o.err.find("\"line\": 3"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("line 3: "), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("1 imported before"), std::string::npos) << o.err;

  o = Ctl({"import", "articles"}, R"({"name": "events/e1", "title": "zła kolekcja"})");
  EXPECT_EQ(o.code, 3);
  EXPECT_NE(o.err.find("\"line\": 1"), std::string::npos) << o.err;

  state_->handler = [](const RecordedCall& call, std::vector<std::string>*) {
    return absl::AlreadyExistsError("articles/a already exists");
  };
  o = Ctl({"import", "articles"}, "{\"name\": \"articles/a\", \"title\": \"t\"}\n");
  EXPECT_EQ(o.code, 6);
  EXPECT_NE(o.err.find("\"line\": 1"), std::string::npos);
  o = Ctl({"import", "articles", "--skip_existing"}, "{\"name\": \"articles/a\", \"title\": \"t\"}\n");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "{\"imported\": 0, \"skipped\": 1}\n");
  EXPECT_EQ(Ctl({"import", "articles", "/nonexistent/file.jsonl"}).code, kExitNoInput);
}

TEST_F(NewsdeskctlCommandsTest, CallSendsAnyMethodAndPrintsTheResponse) {
  state_->handler = [](const RecordedCall& call, std::vector<std::string>* out) {
    auto request = Parse<v1::SearchArticlesRequest>(call.requests.at(0));
    v1::SearchArticlesResponse response;
    response.add_results()->set_snippet("<mark>" + request.query() + "</mark>");
    out->push_back(response.SerializeAsString());
    return absl::OkStatus();
  };
  Outcome o = Ctl({"call", "ContentService/SearchArticles", R"({"query": "Kazachstan"})"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "{\"results\":[{\"snippet\":\"\\u003cmark\\u003eKazachstan\\u003c/mark\\u003e\"}]}\n");
  EXPECT_EQ(Ctl({"call", "ContentService/Nope"}).code, kExitUsage);
  EXPECT_EQ(Ctl({"call", "ContentService/SearchArticles", "{\"q\": 1}"}).code, 3);
}

TEST_F(NewsdeskctlCommandsTest, UploadNeedsAReadableFile) {
  Outcome o = Ctl({"upload", "galleries/g", "/nonexistent/photo.jpg", "--alt_text", "x"});
  EXPECT_EQ(o.code, 66) << o.err;
}

// ---------------------------------------------------------------------------
// Against the test API (galleries, photos, streaming, events target)
// ---------------------------------------------------------------------------

class NewsdeskctlMediaTest : public ::testing::Test {
 protected:
  NewsdeskctlMediaTest() : state_(std::make_shared<FakeTransport::State>()) {}

  Outcome Ctl(const std::vector<std::string>& argv, const std::string& input = "") {
    return RunWith(api_.schema(), state_, argv, input);
  }
  const google::protobuf::Descriptor* Type(const std::string& name) {
    return api_.Type("newsdesk.media.testing." + name);
  }
  std::string Decode(const std::string& type, const std::string& bytes) {
    return testing::Decode(api_.schema(), Type(type), bytes);
  }
  std::string Encode(const std::string& type, const std::string& json) {
    return testing::Encode(api_.schema(), Type(type), json);
  }

  testing::TestApi api_;
  std::shared_ptr<FakeTransport::State> state_;
};

TEST_F(NewsdeskctlMediaTest, NestedCollectionsUseTheParent) {
  state_->handler = [this](const RecordedCall& call, std::vector<std::string>* out) {
    if (call.method.find("ListPhotos") != std::string::npos) {
      out->push_back(Encode("ListPhotosResponse", R"({"photos": [{"name": "galleries/g/photos/p1"}]})"));
    } else {
      out->push_back(Encode("Photo", R"({"name": "galleries/g/photos/p2"})"));
    }
    return absl::OkStatus();
  };
  Outcome o = Ctl({"list", "galleries/g/photos"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(Decode("ListPhotosRequest", state_->calls.back().requests[0]), R"({"parent":"galleries/g"})");
  EXPECT_EQ(o.out, "{\"name\":\"galleries/g/photos/p1\"}\n");

  ASSERT_EQ(Ctl({"create", "galleries/g/photos", R"({"alt_text": "Most"})", "--id", "p2"}).code, 0);
  EXPECT_EQ(Decode("CreatePhotoRequest", state_->calls.back().requests[0]),
            R"({"parent":"galleries/g","photo":{"alt_text":"Most"},"photo_id":"p2"})");
  ASSERT_EQ(Ctl({"create", "photo", "{}", "--parent", "galleries/h"}).code, 0);
  EXPECT_EQ(Decode("CreatePhotoRequest", state_->calls.back().requests[0]), R"({"parent":"galleries/h","photo":{}})");
  ASSERT_EQ(Ctl({"archive", "galleries/g/photos/p2"}).code, 0);
  EXPECT_EQ(state_->calls.back().method, "/newsdesk.media.testing.MediaService/ArchivePhoto");
  // CreateGalleryRequest has no parent field.
  EXPECT_EQ(Ctl({"create", "gallery", "{}", "--parent", "x/y"}).code, kExitUsage);
}

TEST_F(NewsdeskctlMediaTest, ImportIntoAParentAndRestoreACustomState) {
  state_->handler = [this](const RecordedCall& call, std::vector<std::string>* out) {
    out->push_back(Encode("Photo", R"({"name": "galleries/g2/photos/p", "state": "STATE_ACTIVE"})"));
    return absl::OkStatus();
  };
  Outcome o = Ctl({"import", "galleries/g2/photos"},
                  R"({"name": "galleries/g1/photos/p", "altText": "Rynek", "state": "STATE_ARCHIVED"})");
  ASSERT_EQ(o.code, 0) << o.err;
  ASSERT_EQ(state_->calls.size(), 2u);
  EXPECT_EQ(Decode("CreatePhotoRequest", state_->calls[0].requests[0]),
            R"({"parent":"galleries/g2","photo":{"name":"galleries/g1/photos/p","alt_text":"Rynek",)"
            R"("state":"STATE_ARCHIVED"},"photo_id":"p"})");
  EXPECT_EQ(state_->calls[1].method, "/newsdesk.media.testing.MediaService/ArchivePhoto");
  EXPECT_EQ(Decode("ArchivePhotoRequest", state_->calls[1].requests[0]), R"({"name":"galleries/g2/photos/p"})");
}

TEST_F(NewsdeskctlMediaTest, ImportRestoresAStatusWithItsReasonAndASoftDelete) {
  const auto* event = api_.Type("newsdesk.events.testing.Event");
  state_->handler = [this, event](const RecordedCall& call, std::vector<std::string>* out) {
    out->push_back(testing::Encode(api_.schema(), event, R"({"name": "events/e1", "status": "STATUS_PLANNED"})"));
    return absl::OkStatus();
  };
  Outcome o = Ctl({"import", "events"}, R"({"name": "events/e1", "title": "Targi", "status": "STATUS_CANCELLED",)"
                                        R"( "statusReason": "Ulewa", "deleteTime": "2024-05-01T10:00:00Z"})");
  ASSERT_EQ(o.code, 0) << o.err;
  std::vector<std::string> methods;
  for (const auto& call : state_->calls) methods.push_back(call.method);
  EXPECT_EQ(methods, (std::vector<std::string>{"/newsdesk.events.testing.EventsService/CreateEvent",
                                               "/newsdesk.events.testing.EventsService/CancelEvent",
                                               "/newsdesk.events.testing.EventsService/DeleteEvent"}));
  EXPECT_EQ(testing::Decode(api_.schema(), api_.Type("newsdesk.events.testing.CancelEventRequest"),
                            state_->calls[1].requests[0]),
            R"({"name":"events/e1","reason":"Ulewa"})");
  EXPECT_EQ(state_->calls[0].target, "127.0.0.1:50052");

  // A state with no method to reach it fails on its line.
  state_->calls.clear();
  state_->handler = [this](const RecordedCall&, std::vector<std::string>* out) {
    out->push_back(Encode("Photo", R"({"name": "galleries/g/photos/p", "state": "STATE_DELETED"})"));
    return absl::OkStatus();
  };
  o = Ctl({"import", "galleries/g/photos"}, "\n" R"({"name": "galleries/g/photos/p", "state": "STATE_ACTIVE"})");
  EXPECT_EQ(o.code, static_cast<int>(absl::StatusCode::kFailedPrecondition)) << o.err;
  EXPECT_NE(o.err.find("\"line\": 2"), std::string::npos) << o.err;
}

TEST_F(NewsdeskctlMediaTest, EventsServicesGoToTheEventsTarget) {
  state_->handler = [](const RecordedCall&, std::vector<std::string>* out) {
    out->push_back("");
    return absl::OkStatus();
  };
  ASSERT_EQ(Ctl({"get", "events/e1"}).code, 0);
  EXPECT_EQ(state_->calls.back().target, "127.0.0.1:50052");
  ASSERT_EQ(Ctl({"get", "events/e1", "--events_target", "ev:9"}).code, 0);
  EXPECT_EQ(state_->calls.back().target, "ev:9");
  ASSERT_EQ(Ctl({"get", "galleries/g", "--events_target", "ev:9"}).code, 0);
  EXPECT_EQ(state_->calls.back().target, "127.0.0.1:50051");
}

TEST_F(NewsdeskctlMediaTest, UploadSendsMetadataThenChunks) {
  const std::string path = ::testing::TempDir() + "/newsdeskctl_upload.jpg";
  std::string data(2500, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  std::ofstream(path, std::ios::binary) << data;
  state_->handler = [this](const RecordedCall& call, std::vector<std::string>* out) {
    out->push_back(Encode("Photo", R"({"name": "galleries/g/photos/p", "sizeBytes": "2500"})"));
    return absl::OkStatus();
  };
  Outcome o = Ctl({"upload", "galleries/g", path, "--alt_text", "Zachód słońca nad Wisłą", "--caption", "Kraków",
                   "--id", "p", "--chunk_size", "1000"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "{\"name\":\"galleries/g/photos/p\",\"sizeBytes\":\"2500\"}\n");
  EXPECT_EQ(o.err, "");  // stderr is not a terminal: no progress bar
  const auto& call = state_->calls.back();
  EXPECT_EQ(call.method, "/newsdesk.media.testing.MediaService/UploadPhoto");
  ASSERT_EQ(call.requests.size(), 4u);
  EXPECT_EQ(Decode("UploadPhotoRequest", call.requests[0]),
            R"({"metadata":{"parent":"galleries/g","photo":{"alt_text":"Zachód słońca nad Wisłą",)"
            R"("caption":"Kraków","content_type":"image/jpeg","filename":"newsdeskctl_upload.jpg"},"photo_id":"p"}})");
  std::string received;
  for (size_t i = 1; i < call.requests.size(); ++i) {
    auto chunk = api_.schema().New(Type("UploadPhotoRequest"));
    ASSERT_TRUE(chunk->ParseFromString(call.requests[i]));
    const auto* field = chunk->GetDescriptor()->FindFieldByName("chunk");
    const std::string bytes = chunk->GetReflection()->GetString(*chunk, field);
    EXPECT_LE(bytes.size(), 1000u);
    received += bytes;
  }
  EXPECT_EQ(received, data);

  EXPECT_EQ(Ctl({"upload", "galleries/g", path, "--chunk_size", "2000000"}).code, kExitUsage);
  EXPECT_EQ(Ctl({"upload", "galleries/g", "/nonexistent.jpg"}).code, kExitNoInput);
  std::remove(path.c_str());
}

TEST_F(NewsdeskctlMediaTest, DownloadWritesChunksAndPrintsMetadata) {
  state_->handler = [this](const RecordedCall& call, std::vector<std::string>* out) {
    out->push_back(Encode("DownloadPhotoResponse", R"({"photo": {"name": "galleries/g/photos/p", "sizeBytes": "6"}})"));
    out->push_back(Encode("DownloadPhotoResponse", R"({"chunk": "YWJj"})"));  // abc
    out->push_back(Encode("DownloadPhotoResponse", R"({"chunk": "ZGVm"})"));  // def
    return absl::OkStatus();
  };
  const std::string path = ::testing::TempDir() + "/newsdeskctl_download.jpg";
  Outcome o = Ctl({"download", "galleries/g/photos/p", path, "--rendition", "thumbnail"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(Decode("DownloadPhotoRequest", state_->calls.back().requests[0]),
            R"({"name":"galleries/g/photos/p","rendition":"RENDITION_THUMBNAIL"})");
  std::ifstream in(path, std::ios::binary);
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(contents, "abcdef");
  EXPECT_EQ(o.out, "{\"photo\":{\"name\":\"galleries/g/photos/p\",\"sizeBytes\":\"6\"}}\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".part"));

  o = Ctl({"download", "galleries/g/photos/p", "-"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "abcdef");

  // A failed download leaves neither the file nor the partial file.
  std::remove(path.c_str());
  state_->handler = [](const RecordedCall&, std::vector<std::string>*) { return absl::NotFoundError("no photo"); };
  o = Ctl({"download", "galleries/g/photos/p", path});
  EXPECT_EQ(o.code, 5);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".part"));
  EXPECT_EQ(Ctl({"download", "galleries/g/photos/p", path, "--rendition", "huge"}).code, 3);
  EXPECT_EQ(Ctl({"download", "galleries/g/photos/p", "/nonexistent-dir/x.jpg"}).code, kExitCantCreate);
}

TEST_F(NewsdeskctlMediaTest, CallStreamsBothWays) {
  state_->handler = [this](const RecordedCall& call, std::vector<std::string>* out) {
    if (call.method.find("UploadPhoto") != std::string::npos) {
      out->push_back(Encode("Photo", absl::StrCat(R"({"caption": ")", call.requests.size(), R"( requests"})")));
    } else {
      out->push_back(Encode("DownloadPhotoResponse", R"({"chunk": "YQ=="})"));
      out->push_back(Encode("DownloadPhotoResponse", R"({"chunk": "Yg=="})"));
    }
    return absl::OkStatus();
  };
  Outcome o = Ctl({"call", "MediaService/UploadPhoto", "-"},
                  "{\"metadata\": {\"parent\": \"galleries/g\"}}\n\n{\"chunk\": \"YQ==\"}\n");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "{\"caption\":\"2 requests\"}\n");
  o = Ctl({"call", "MediaService/DownloadPhoto", R"({"name": "galleries/g/photos/p"})"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "{\"chunk\":\"YQ==\"}\n{\"chunk\":\"Yg==\"}\n");
  o = Ctl({"call", "MediaService/UploadPhoto", "-"}, "{\"chunk\": \"YQ==\"}\n{\"chunk\": 5}\n");
  EXPECT_EQ(o.code, 3);
  EXPECT_NE(o.err.find("\"line\": 2"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace newsdesk::ctl
