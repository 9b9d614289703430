// The verbs and the command line around them.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "tools/newsdeskctl/args.h"
#include "tools/newsdeskctl/client.h"
#include "tools/newsdeskctl/ctl.h"
#include "tools/newsdeskctl/errors.h"
#include "tools/newsdeskctl/schema.h"
#include "tools/newsdeskctl/verbs.h"

namespace newsdesk::ctl {

namespace pb = google::protobuf;

// ---------------------------------------------------------------------------
// Shared helpers (verbs.h)
// ---------------------------------------------------------------------------

absl::Status Context::Print(const pb::Message& message) const {
  auto json_text = ToJson(message, json);
  if (!json_text.ok()) return json_text.status();
  *env.out << *json_text << '\n' << std::flush;
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadInput(const Environment& env, absl::string_view spec) {
  if (spec == "-") {
    std::ostringstream text;
    text << env.in->rdbuf();
    return text.str();
  }
  if (absl::StartsWith(spec, "@")) {
    const std::string path(spec.substr(1));
    std::ifstream in(path, std::ios::binary);
    if (!in) return NoInputError(absl::StrCat("cannot read ", path));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  return std::string(spec);
}

absl::Status SetFlagField(pb::Message* message, absl::string_view name, absl::string_view text,
                          absl::string_view flag) {
  const pb::FieldDescriptor* field = Field(message->GetDescriptor(), name);
  if (field == nullptr) {
    return UsageError(absl::StrCat(flag, ": ", message->GetDescriptor()->full_name(), " has no field ", name));
  }
  return SetFromText(message, field, text);
}

namespace {

// ---------------------------------------------------------------------------
// Connection flags
// ---------------------------------------------------------------------------

std::optional<std::string> Env(const Environment& env, const std::string& name) {
  if (!env.getenv) return std::nullopt;
  auto value = env.getenv(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

Targets ResolveTargets(const Args& args, const Environment& env) {
  Targets targets;
  if (auto v = Env(env, "NEWSDESK_CONTENT_TARGET")) targets.content = *v;
  if (auto v = Env(env, "NEWSDESK_EVENTS_TARGET")) targets.events = *v;
  if (args.Has("target")) targets.content = targets.events = args.Get("target");
  if (args.Has("content_target")) targets.content = args.Get("content_target");
  if (args.Has("events_target")) targets.events = args.Get("events_target");
  return targets;
}

absl::StatusOr<absl::Duration> ParseTimeout(const std::string& text) {
  absl::Duration timeout;
  int64_t seconds = 0;
  if (text == "none") return absl::InfiniteDuration();  // long-lived streams (Watch*)
  if (absl::SimpleAtoi(text, &seconds)) {
    timeout = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(text, &timeout)) {
    return UsageError(absl::StrCat("--timeout: \"", text, "\" is not a duration such as 30s, 500ms or 2m, or none"));
  }
  if (timeout <= absl::ZeroDuration()) return UsageError("--timeout must be positive");
  return timeout;
}

absl::StatusOr<ConnectionOptions> ResolveConnection(const Args& args, const Environment& env) {
  ConnectionOptions options;
  if (args.Has("token")) {
    options.token = args.Get("token");
  } else if (args.Has("token_file")) {
    auto text = ReadInput(env, absl::StrCat("@", args.Get("token_file")));
    if (!text.ok()) return text.status();
    options.token = std::string(absl::StripAsciiWhitespace(*text));
  } else if (auto token = Env(env, "NEWSDESK_TOKEN")) {
    options.token = std::string(absl::StripAsciiWhitespace(*token));
  }
  for (char c : options.token) {
    if (c <= ' ' || c > '~') return UsageError("the token must be printable ASCII without spaces");
  }
  auto timeout = ParseTimeout(args.Get("timeout", "30s"));
  if (!timeout.ok()) return timeout.status();
  options.timeout = *timeout;
  auto tls = args.GetBool("tls", false);
  if (!tls.ok()) return tls.status();
  options.tls_ca_file = args.Get("tls_ca_file");
  options.tls_cert_file = args.Get("tls_cert_file");
  options.tls_key_file = args.Get("tls_key_file");
  options.tls_server_name = args.Get("tls_server_name");
  options.tls = *tls || !options.tls_ca_file.empty() || !options.tls_cert_file.empty() ||
                !options.tls_key_file.empty() || !options.tls_server_name.empty();
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return UsageError("--tls_cert_file and --tls_key_file go together (a client certificate and its key)");
  }
  return options;
}

// ---------------------------------------------------------------------------
// Request building
// ---------------------------------------------------------------------------

// Merges --request JSON (or @file) into `request`.
absl::Status MergeRequestFlag(const Context& ctx, pb::Message* request) {
  if (!ctx.args.Has("request")) return absl::OkStatus();
  auto text = ReadInput(ctx.env, ctx.args.Get("request"));
  if (!text.ok()) return text.status();
  return ParseJson(*text, request, "--request");
}

// The JSON text of an optional positional argument ("{}" when absent or
// blank).
absl::StatusOr<std::string> JsonArgument(const Context& ctx, size_t index) {
  if (ctx.args.positional.size() <= index) return std::string("{}");
  auto text = ReadInput(ctx.env, ctx.args.positional[index]);
  if (!text.ok()) return text.status();
  if (absl::StripAsciiWhitespace(*text).empty()) return std::string("{}");
  return text;
}

absl::Status ExpectPositional(const Context& ctx, size_t min, size_t max, absl::string_view usage) {
  const size_t n = ctx.args.positional.size() - 1;  // without the verb
  if (n < min || n > max) return UsageError(absl::StrCat("usage: newsdeskctl ", usage));
  return absl::OkStatus();
}

absl::Status NeedMethod(const pb::MethodDescriptor* method, const Resource& resource, absl::string_view verb) {
  if (method != nullptr) return absl::OkStatus();
  return UsageError(absl::StrCat(resource.service->full_name(), " has no ", verb, resource.type->name(),
                                 " method for ", resource.collection));
}

// The field of `request` that carries the resource (CreateArticleRequest.article).
absl::StatusOr<const pb::FieldDescriptor*> ResourceField(const pb::MethodDescriptor* method,
                                                         const Resource& resource) {
  const pb::FieldDescriptor* field = FieldOfType(method->input_type(), resource.type, resource.singular);
  if (field == nullptr) {
    return UsageError(absl::StrCat(method->input_type()->full_name(), " has no ", resource.type->full_name(),
                                   " field"));
  }
  return field;
}

// The items of a List response.
template <typename F>
absl::Status ForEachItem(const pb::Message& response, const pb::FieldDescriptor* items, F f) {
  const pb::Reflection* r = response.GetReflection();
  for (int i = 0, n = r->FieldSize(response, items); i < n; ++i) {
    if (auto st = f(r->GetRepeatedMessage(response, items, i)); !st.ok()) return st;
  }
  return absl::OkStatus();
}

// Pages through a List method from the request's page_token; with `all`
// until the end. Returns the token of the next page ("" at the end).
absl::StatusOr<std::string> Page(const Context& ctx, const Resource& resource, pb::Message* request, bool all,
                                 const std::function<absl::Status(const pb::Message&)>& on_item) {
  const pb::FieldDescriptor* token_field = Field(request->GetDescriptor(), "page_token");
  std::set<std::string> seen;
  while (true) {
    auto response = ctx.client.Unary(resource.list, *request);
    if (!response.ok()) return response.status();
    if (auto st = ForEachItem(**response, resource.list_items, on_item); !st.ok()) return st;
    const std::string next = StringField(**response, "next_page_token");
    if (next.empty() || !all) return next;
    if (token_field == nullptr) {
      return absl::UnimplementedError(
          absl::StrCat(request->GetDescriptor()->full_name(), " has no page_token field to follow"));
    }
    if (!seen.insert(next).second) {
      return absl::InternalError("the server returned the same next_page_token twice; stopping");
    }
    request->GetReflection()->SetString(request, token_field, next);
  }
}

// A List request for a collection path ("articles", "galleries/g/photos").
absl::StatusOr<std::unique_ptr<pb::Message>> ListRequest(const Context& ctx, const Resource& resource,
                                                         const std::string& parent) {
  if (auto st = NeedMethod(resource.list, resource, "List"); !st.ok()) return st;
  std::unique_ptr<pb::Message> request = ctx.schema.New(resource.list->input_type());
  if (!parent.empty()) {
    if (auto st = SetFlagField(request.get(), "parent", parent, "the collection's parent"); !st.ok()) return st;
  }
  return request;
}

absl::StatusOr<std::pair<const Resource*, CollectionPath>> CollectionArg(const Context& ctx, size_t index) {
  auto path = ParseCollectionPath(ctx.args.positional[index]);
  if (!path.ok()) return path.status();
  auto resource = ctx.schema.FindCollection(path->collection);
  if (!resource.ok()) return resource.status();
  return std::make_pair(*resource, *path);
}

// "set-cover" → "SetCover".
std::string CamelCase(absl::string_view text) {
  std::string out;
  bool upper = true;
  for (char c : text) {
    if (c == '-' || c == '_') {
      upper = true;
      continue;
    }
    out += upper ? absl::ascii_toupper(c) : c;
    upper = false;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Verbs
// ---------------------------------------------------------------------------

absl::Status RunCall(const Context& ctx) {
  if (auto st = ExpectPositional(ctx, 1, 2, "call <Service>/<Method> [json|@file|-]"); !st.ok()) return st;
  auto method = ctx.schema.FindMethod(ctx.args.positional[1]);
  if (!method.ok()) return method.status();
  std::vector<std::string> inputs;
  std::vector<int> lines;
  if ((*method)->client_streaming()) {
    // One request per line (JSON lines); no argument: no requests.
    std::string text;
    if (ctx.args.positional.size() > 2) {
      auto read = ReadInput(ctx.env, ctx.args.positional[2]);
      if (!read.ok()) return read.status();
      text = *std::move(read);
    }
    int number = 0;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      ++number;
      if (absl::StripAsciiWhitespace(line).empty()) continue;
      inputs.emplace_back(line);
      lines.push_back(number);
    }
  } else {
    auto text = JsonArgument(ctx, 2);
    if (!text.ok()) return text.status();
    inputs.push_back(*text);
    lines.push_back(0);
  }
  size_t next = 0;
  return ctx.client.Call(
      *method,
      [&](pb::Message* request) -> absl::StatusOr<bool> {
        if (next == inputs.size()) return false;
        const size_t i = next++;
        absl::Status st = ParseJson(inputs[i], request, "the request");
        if (!st.ok()) return lines[i] > 0 ? AtLine(st, lines[i]) : st;
        return true;
      },
      [&](const pb::Message& response) { return ctx.Print(response); });
}

absl::Status RunGet(const Context& ctx) {
  if (auto st = ExpectPositional(ctx, 1, 1, "get <name>"); !st.ok()) return st;
  const std::string& name = ctx.args.positional[1];
  auto resource = ctx.schema.FindByName(name);
  if (!resource.ok()) return resource.status();
  std::unique_ptr<pb::Message> request = ctx.schema.New((*resource)->get->input_type());
  if (auto st = SetFlagField(request.get(), "name", name, "name"); !st.ok()) return st;
  if (auto st = MergeRequestFlag(ctx, request.get()); !st.ok()) return st;
  auto response = ctx.client.Unary((*resource)->get, *request);
  if (!response.ok()) return response.status();
  return ctx.Print(**response);
}

absl::Status RunList(const Context& ctx) {
  if (auto st = ExpectPositional(ctx, 1, 1, "list <collection> [--filter ... --order_by ... --page_size N --all]");
      !st.ok()) {
    return st;
  }
  auto collection = CollectionArg(ctx, 1);
  if (!collection.ok()) return collection.status();
  const Resource& resource = *collection->first;
  auto request = ListRequest(ctx, resource, collection->second.parent);
  if (!request.ok()) return request.status();
  for (const char* flag : {"filter", "order_by", "page_size", "page_token", "show_deleted"}) {
    if (!ctx.args.Has(flag)) continue;
    if (auto st = SetFlagField(request->get(), flag, ctx.args.Get(flag), absl::StrCat("--", flag)); !st.ok()) {
      return st;
    }
  }
  if (auto st = MergeRequestFlag(ctx, request->get()); !st.ok()) return st;
  auto all = ctx.args.GetBool("all", false);
  if (!all.ok()) return all.status();
  auto next = Page(ctx, resource, request->get(), *all, [&](const pb::Message& item) { return ctx.Print(item); });
  if (!next.ok()) return next.status();
  if (!next->empty()) {
    // More pages: say how to get them, on stderr so stdout stays items only.
    *ctx.env.err << "{\"" << (ctx.json.proto_names ? "next_page_token" : "nextPageToken")
                 << "\": " << JsonQuote(*next) << "}\n";
  }
  return absl::OkStatus();
}

absl::Status RunCreate(const Context& ctx) {
  if (auto st = ExpectPositional(ctx, 1, 2, "create <type> [json|@file|-] [--id ID] [--parent NAME]"); !st.ok()) {
    return st;
  }
  // "article", or a collection path "galleries/g/photos" that names the parent.
  const std::string& what = ctx.args.positional[1];
  std::string parent = ctx.args.Get("parent");
  absl::StatusOr<const Resource*> resource;
  if (absl::StrContains(what, '/')) {
    auto collection = CollectionArg(ctx, 1);
    if (!collection.ok()) return collection.status();
    resource = collection->first;
    if (parent.empty()) parent = collection->second.parent;
  } else {
    resource = ctx.schema.FindType(what);
  }
  if (!resource.ok()) return resource.status();
  const Resource& r = **resource;
  if (auto st = NeedMethod(r.create, r, "Create"); !st.ok()) return st;
  auto field = ResourceField(r.create, r);
  if (!field.ok()) return field.status();
  auto text = JsonArgument(ctx, 2);
  if (!text.ok()) return text.status();
  std::unique_ptr<pb::Message> request = ctx.schema.New(r.create->input_type());
  pb::Message* body = request->GetReflection()->MutableMessage(request.get(), *field);
  if (auto st = ParseJson(*text, body, r.singular); !st.ok()) return st;
  if (ctx.args.Has("id")) {
    if (auto st = SetFlagField(request.get(), absl::StrCat(r.singular, "_id"), ctx.args.Get("id"), "--id");
        !st.ok()) {
      return st;
    }
  }
  if (!parent.empty()) {
    if (auto st = SetFlagField(request.get(), "parent", parent, "--parent"); !st.ok()) return st;
  }
  if (auto st = MergeRequestFlag(ctx, request.get()); !st.ok()) return st;
  auto response = ctx.client.Unary(r.create, *request);
  if (!response.ok()) return response.status();
  return ctx.Print(**response);
}

absl::Status RunUpdate(const Context& ctx) {
  if (auto st = ExpectPositional(ctx, 1, 2, "update <name> [json|@file|-] [--update_mask a,b] [--etag E]");
      !st.ok()) {
    return st;
  }
  const std::string& name = ctx.args.positional[1];
  auto resource = ctx.schema.FindByName(name);
  if (!resource.ok()) return resource.status();
  const Resource& r = **resource;
  if (auto st = NeedMethod(r.update, r, "Update"); !st.ok()) return st;
  auto field = ResourceField(r.update, r);
  if (!field.ok()) return field.status();
  auto text = JsonArgument(ctx, 2);
  if (!text.ok()) return text.status();
  std::unique_ptr<pb::Message> request = ctx.schema.New(r.update->input_type());
  pb::Message* body = request->GetReflection()->MutableMessage(request.get(), *field);
  if (auto st = ParseJson(*text, body, r.singular); !st.ok()) return st;
  const std::string in_json = StringField(*body, "name");
  if (!in_json.empty() && in_json != name) {
    return UsageError(absl::StrCat("the JSON names ", in_json, " but the command names ", name));
  }
  if (auto st = SetFlagField(body, "name", name, "name"); !st.ok()) return st;
  if (ctx.args.Has("etag")) {
    if (auto st = SetFlagField(body, "etag", ctx.args.Get("etag"), "--etag"); !st.ok()) return st;
  }
  if (ctx.args.Has("update_mask")) {
    if (auto st = SetFlagField(request.get(), "update_mask", ctx.args.Get("update_mask"), "--update_mask");
        !st.ok()) {
      return st;
    }
  }
  if (auto st = MergeRequestFlag(ctx, request.get()); !st.ok()) return st;
  auto response = ctx.client.Unary(r.update, *request);
  if (!response.ok()) return response.status();
  return ctx.Print(**response);
}

// delete, and any custom method on a resource: `<verb> <name>` calls
// <Verb><Type>{name, etag} (publish articles/x → PublishArticle).
absl::Status RunOnName(const Context& ctx, const std::string& verb) {
  if (auto st = ExpectPositional(ctx, 1, 1, absl::StrCat(verb, " <name> [--etag E] [--request json]")); !st.ok()) {
    return st;
  }
  const std::string& name = ctx.args.positional[1];
  auto resource = ctx.schema.FindByName(name);
  if (!resource.ok()) return resource.status();
  const pb::MethodDescriptor* method = (*resource)->CustomMethod(CamelCase(verb));
  if (method == nullptr) {
    return UsageError(absl::StrCat("unknown verb \"", verb, "\": ", (*resource)->service->full_name(), " has no ",
                                   CamelCase(verb), (*resource)->type->name(), " method (see newsdeskctl --help)"));
  }
  std::unique_ptr<pb::Message> request = ctx.schema.New(method->input_type());
  if (auto st = SetFlagField(request.get(), "name", name, "name"); !st.ok()) return st;
  if (ctx.args.Has("etag")) {
    if (auto st = SetFlagField(request.get(), "etag", ctx.args.Get("etag"), "--etag"); !st.ok()) return st;
  }
  if (auto st = MergeRequestFlag(ctx, request.get()); !st.ok()) return st;
  auto response = ctx.client.Unary(method, *request);
  if (!response.ok()) return response.status();
  return ctx.Print(**response);
}

absl::Status RunExport(const Context& ctx) {
  if (auto st = ExpectPositional(ctx, 1, 1, "export <collection> [--filter ...]"); !st.ok()) return st;
  auto collection = CollectionArg(ctx, 1);
  if (!collection.ok()) return collection.status();
  const Resource& resource = *collection->first;
  auto request = ListRequest(ctx, resource, collection->second.parent);
  if (!request.ok()) return request.status();
  pb::Message* list = request->get();
  const pb::Descriptor* type = list->GetDescriptor();
  // Everything, deleted items included, in big pages, oldest first so that
  // an import creates them in the same order.
  if (Field(type, "show_deleted") != nullptr) {
    if (auto st = SetFlagField(list, "show_deleted", ctx.args.Get("show_deleted", "true"), "--show_deleted");
        !st.ok()) {
      return st;
    }
  } else if (ctx.args.Has("show_deleted")) {
    return UsageError(absl::StrCat("--show_deleted: ", type->full_name(), " has no show_deleted field"));
  }
  if (Field(type, "page_size") != nullptr || ctx.args.Has("page_size")) {
    if (auto st = SetFlagField(list, "page_size", ctx.args.Get("page_size", "1000"), "--page_size"); !st.ok()) {
      return st;
    }
  }
  std::string order_by = ctx.args.Get("order_by");
  if (!ctx.args.Has("order_by") && Field(type, "order_by") != nullptr &&
      Field(resource.type, "create_time") != nullptr) {
    order_by = "create_time";
  }
  if (!order_by.empty()) {
    if (auto st = SetFlagField(list, "order_by", order_by, "--order_by"); !st.ok()) return st;
  }
  if (ctx.args.Has("filter")) {
    if (auto st = SetFlagField(list, "filter", ctx.args.Get("filter"), "--filter"); !st.ok()) return st;
  }
  if (auto st = MergeRequestFlag(ctx, list); !st.ok()) return st;
  auto next = Page(ctx, resource, list, /*all=*/true, [&](const pb::Message& item) { return ctx.Print(item); });
  return next.status();
}

// "PUBLISHED" → {"Publish", "Published"}, "CANCELLED" → {"Cancell",
// "Cancel", ...}: the verbs whose custom method may lead to a state.
std::vector<std::string> StateVerbs(absl::string_view word) {
  std::vector<std::string> bases;
  if (absl::EndsWith(word, "ED")) {
    absl::string_view stem = word.substr(0, word.size() - 2);
    bases.emplace_back(stem);                                   // PUBLISH, CONFIRM
    bases.push_back(absl::StrCat(stem, "E"));                   // COMPLETE, DELETE, POSTPONE
    if (stem.size() > 1 && stem.back() == stem[stem.size() - 2]) {
      bases.emplace_back(stem.substr(0, stem.size() - 1));     // CANCEL
    }
  }
  // A scheduled resource is published at a future time (AIP convention in
  // newsdesk: Publish with a future publish_time).
  if (word == "SCHEDULED") bases.emplace_back("PUBLISH");
  std::vector<std::string> verbs;
  for (const std::string& base : bases) verbs.push_back(CamelCase(absl::AsciiStrToLower(base)));
  return verbs;
}

// Calls `method` on the created resource `name`, with the request fields the
// item also has copied from it (publish_time, schedule, ...; a `reason` from
// the item's `<lifecycle field>_reason`).
absl::Status CallLifecycleMethod(const Context& ctx, const Resource& resource, const pb::MethodDescriptor* method,
                                 const pb::Message& item, const std::string& name, absl::string_view reason_field,
                                 absl::string_view why) {
  const pb::Reflection* r = item.GetReflection();
  std::unique_ptr<pb::Message> request = ctx.schema.New(method->input_type());
  const pb::Descriptor* request_type = request->GetDescriptor();
  for (int i = 0; i < request_type->field_count(); ++i) {
    const pb::FieldDescriptor* to = request_type->field(i);
    if (to->name() == "name" || to->name() == "etag" || to->is_repeated()) continue;
    const pb::FieldDescriptor* from = Field(resource.type, to->name());
    if (from == nullptr && to->name() == "reason" && !reason_field.empty()) from = Field(resource.type, reason_field);
    if (from == nullptr || from->is_repeated() || from->cpp_type() != to->cpp_type() ||
        from->message_type() != to->message_type() || from->enum_type() != to->enum_type()) {
      continue;
    }
    switch (from->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_MESSAGE:
        if (r->HasField(item, from)) {
          request->GetReflection()->MutableMessage(request.get(), to)->CopyFrom(r->GetMessage(item, from));
        }
        break;
      case pb::FieldDescriptor::CPPTYPE_STRING:
        request->GetReflection()->SetString(request.get(), to, r->GetString(item, from));
        break;
      case pb::FieldDescriptor::CPPTYPE_ENUM:
        request->GetReflection()->SetEnumValue(request.get(), to, r->GetEnumValue(item, from));
        break;
      default:
        break;  // numbers and booleans are not lifecycle arguments
    }
  }
  if (auto st = SetFlagField(request.get(), "name", name, "name"); !st.ok()) return st;
  auto response = ctx.client.Unary(method, *request);
  if (!response.ok()) {
    return absl::Status(response.status().code(),
                        absl::StrCat(method->name(), " (to restore ", why, "): ", response.status().message()));
  }
  return absl::OkStatus();
}

// Brings a just-created resource to the lifecycle state the imported item
// had: the enum field `state` (or `status`) with the custom method named
// after its value (STATE_PUBLISHED → Publish<Type>, STATUS_CANCELLED →
// Cancel<Type>, STATE_DELETED → Delete<Type>), then a soft delete (AIP-164)
// when the item has a delete_time and is not deleted yet.
absl::Status RestoreState(const Context& ctx, const Resource& resource, const pb::Message& item,
                          const pb::Message& created) {
  const std::string name = StringField(created, "name");
  const pb::Reflection* r = item.GetReflection();
  bool deleted = false;
  for (const char* field_name : {"state", "status"}) {
    const pb::FieldDescriptor* state = Field(resource.type, field_name);
    if (state == nullptr || state->is_repeated() || state->enum_type() == nullptr) continue;
    const pb::EnumValueDescriptor* want = r->GetEnum(item, state);
    const pb::EnumValueDescriptor* have = created.GetReflection()->GetEnum(created, state);
    if (want->number() == 0 || want->number() == have->number()) break;
    const std::string prefix = absl::AsciiStrToUpper(SnakeCase(state->enum_type()->name())) + "_";
    const std::string word(absl::StripPrefix(want->name(), prefix));
    const pb::MethodDescriptor* method = nullptr;
    for (const std::string& verb : StateVerbs(word)) {
      if ((method = resource.CustomMethod(verb)) != nullptr) break;
    }
    if (method == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot bring ", name, " to ", want->name(), ": ", resource.service->full_name(),
                       " has no method for it (import with --restore_state=false to keep the created state)"));
    }
    if (auto st = CallLifecycleMethod(ctx, resource, method, item, name, absl::StrCat(field_name, "_reason"),
                                      want->name());
        !st.ok()) {
      return st;
    }
    deleted = word == "DELETED";
    break;
  }
  const pb::FieldDescriptor* delete_time = Field(resource.type, "delete_time");
  if (!deleted && delete_time != nullptr && delete_time->message_type() != nullptr && !delete_time->is_repeated() &&
      r->HasField(item, delete_time)) {
    const pb::MethodDescriptor* remove = resource.CustomMethod("Delete");
    if (remove == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat("cannot delete ", name, ": ", resource.service->full_name(),
                                                        " has no Delete", resource.type->name(), " method"));
    }
    return CallLifecycleMethod(ctx, resource, remove, item, name, "", "delete_time");
  }
  return absl::OkStatus();
}

absl::Status RunImport(const Context& ctx) {
  if (auto st = ExpectPositional(ctx, 1, 2, "import <collection> [file|-]"); !st.ok()) return st;
  auto collection = CollectionArg(ctx, 1);
  if (!collection.ok()) return collection.status();
  const Resource& resource = *collection->first;
  if (auto st = NeedMethod(resource.create, resource, "Create"); !st.ok()) return st;
  auto field = ResourceField(resource.create, resource);
  if (!field.ok()) return field.status();
  auto skip_existing = ctx.args.GetBool("skip_existing", false);
  if (!skip_existing.ok()) return skip_existing.status();
  auto restore_state = ctx.args.GetBool("restore_state", true);
  if (!restore_state.ok()) return restore_state.status();
  const std::string parent_override =
      ctx.args.Has("parent") ? ctx.args.Get("parent") : collection->second.parent;
  const pb::FieldDescriptor* id_field = Field(resource.create->input_type(), absl::StrCat(resource.singular, "_id"));
  const pb::FieldDescriptor* parent_field = Field(resource.create->input_type(), "parent");

  const std::string source = ctx.args.positional.size() > 2 ? ctx.args.positional[2] : "-";
  std::ifstream file;
  std::istream* in = ctx.env.in;
  if (source != "-") {
    file.open(source, std::ios::binary);
    if (!file) return NoInputError(absl::StrCat("cannot read ", source));
    in = &file;
  }
  int line_number = 0, imported = 0, skipped = 0;
  std::string line;
  auto fail = [&](const absl::Status& st) {
    return AtLine(absl::Status(st.code(), absl::StrCat(st.message(), " (", imported, " imported before this line)")),
                  line_number);
  };
  while (std::getline(*in, line)) {
    ++line_number;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    std::unique_ptr<pb::Message> request = ctx.schema.New(resource.create->input_type());
    pb::Message* item = request->GetReflection()->MutableMessage(request.get(), *field);
    if (auto st = ParseJson(line, item, resource.singular); !st.ok()) return fail(st);
    const std::string name = StringField(*item, "name");
    std::string parent = parent_override;
    if (!name.empty()) {
      auto parsed = ParseResourceName(name);
      if (!parsed.ok() || parsed->collection != resource.collection || !parsed->revision.empty()) {
        return fail(absl::InvalidArgumentError(
            absl::StrCat("name \"", name, "\" is not a name in the ", resource.collection, " collection")));
      }
      if (id_field != nullptr) request->GetReflection()->SetString(request.get(), id_field, parsed->id);
      if (parent.empty()) parent = parsed->parent;
    }
    if (!parent.empty()) {
      if (parent_field == nullptr) {
        return fail(absl::InvalidArgumentError(
            absl::StrCat(resource.create->input_type()->full_name(), " has no parent field for ", parent)));
      }
      request->GetReflection()->SetString(request.get(), parent_field, parent);
    }
    auto created = ctx.client.Unary(resource.create, *request);
    if (!created.ok()) {
      if (*skip_existing && created.status().code() == absl::StatusCode::kAlreadyExists) {
        ++skipped;
        continue;
      }
      return fail(created.status());
    }
    if (*restore_state) {
      if (auto st = RestoreState(ctx, resource, *item, **created); !st.ok()) return fail(st);
    }
    ++imported;
  }
  if (in->bad()) return NoInputError(absl::StrCat("cannot read ", source));
  *ctx.env.out << "{\"imported\": " << imported << ", \"skipped\": " << skipped << "}\n" << std::flush;
  return absl::OkStatus();
}

absl::Status RunMethods(const Context& ctx) {
  if (auto st = ExpectPositional(ctx, 0, 0, "methods"); !st.ok()) return st;
  for (const auto* service : ctx.schema.services()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const pb::MethodDescriptor* m = service->method(i);
      *ctx.env.out << service->full_name() << "/" << m->name() << " (" << (m->client_streaming() ? "stream " : "")
                   << m->input_type()->full_name() << ") returns (" << (m->server_streaming() ? "stream " : "")
                   << m->output_type()->full_name() << ")\n";
    }
  }
  return absl::OkStatus();
}

absl::Status RunResources(const Context& ctx) {
  if (auto st = ExpectPositional(ctx, 0, 0, "resources"); !st.ok()) return st;
  for (const Resource& r : ctx.schema.resources()) {
    std::vector<std::string> verbs = {"get"};
    if (r.list) verbs.insert(verbs.end(), {"list", "export"});
    if (r.create) verbs.emplace_back("create");
    if (r.create && r.list) verbs.emplace_back("import");
    if (r.update) verbs.emplace_back("update");
    if (r.remove) verbs.emplace_back("delete");
    *ctx.env.out << r.collection << "  " << r.singular << "  " << r.type->full_name() << "  "
                 << r.service->full_name() << "  " << absl::StrJoin(verbs, ",") << "\n";
  }
  return absl::OkStatus();
}

// Per-verb flags (besides the global ones).
const std::map<std::string, std::set<std::string>>& VerbFlags() {
  static const auto* verbs = new std::map<std::string, std::set<std::string>>{
      {"call", {}},
      {"get", {"request"}},
      {"list", {"filter", "order_by", "page_size", "page_token", "all", "show_deleted", "request"}},
      {"create", {"id", "parent", "request"}},
      {"update", {"update_mask", "etag", "request"}},
      {"delete", {"etag", "request"}},
      {"export", {"filter", "order_by", "page_size", "show_deleted", "request"}},
      {"import", {"skip_existing", "restore_state", "parent"}},
      {"upload", {"alt_text", "caption", "content_type", "id", "metadata", "chunk_size", "method"}},
      {"download", {"rendition", "method", "request"}},
      {"methods", {}},
      {"resources", {}},
  };
  return *verbs;
}

absl::Status Dispatch(const Args& args, const Environment& env) {
  const std::string& verb = args.positional[0];
  auto known = VerbFlags().find(verb);
  const bool custom = known == VerbFlags().end();
  if (auto st = CheckFlags(args, verb, custom ? std::set<std::string>{"etag", "request"} : known->second);
      !st.ok()) {
    return st;
  }
  if (custom && args.positional.size() < 2) {
    return UsageError(absl::StrCat("unknown verb \"", verb, "\" (see newsdeskctl --help)"));
  }
  auto connection = ResolveConnection(args, env);
  if (!connection.ok()) return connection.status();
  auto proto_names = args.GetBool("proto_names", false);
  if (!proto_names.ok()) return proto_names.status();
  auto emit_defaults = args.GetBool("emit_defaults", false);
  if (!emit_defaults.ok()) return emit_defaults.status();
  auto transport = env.make_transport(*connection);
  if (!transport.ok()) return transport.status();
  Client client(env.schema, transport->get(), ResolveTargets(args, env));
  const Context ctx{*env.schema, client, args, env, JsonOutput{*proto_names, *emit_defaults}};
  if (verb == "call") return RunCall(ctx);
  if (verb == "get") return RunGet(ctx);
  if (verb == "list") return RunList(ctx);
  if (verb == "create") return RunCreate(ctx);
  if (verb == "update") return RunUpdate(ctx);
  if (verb == "delete") return RunOnName(ctx, "delete");
  if (verb == "export") return RunExport(ctx);
  if (verb == "import") return RunImport(ctx);
  if (verb == "upload") return RunUpload(ctx);
  if (verb == "download") return RunDownload(ctx);
  if (verb == "methods") return RunMethods(ctx);
  if (verb == "resources") return RunResources(ctx);
  return RunOnName(ctx, verb);
}

}  // namespace

int Run(const std::vector<std::string>& argv, const Environment& env) {
  auto args = ParseArgs(argv);
  absl::Status status;
  if (!args.ok()) {
    status = args.status();
  } else if (args->Get("help") == "true" || (!args->positional.empty() && args->positional[0] == "help")) {
    *env.out << HelpText();
    return 0;
  } else if (args->positional.empty()) {
    status = UsageError("no verb given (see newsdeskctl --help)");
  } else {
    status = Dispatch(*args, env);
  }
  if (!status.ok()) *env.err << ErrorJson(status) << '\n' << std::flush;
  return ExitCodeFor(status);
}

}  // namespace newsdesk::ctl
