#include "tools/newsdeskctl/schema.h"

#include <algorithm>
#include <deque>
#include <utility>

#include <google/protobuf/descriptor_database.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tools/newsdeskctl/errors.h"

namespace newsdesk::ctl {

namespace pb = google::protobuf;

namespace {

bool HasStringField(const pb::Descriptor* type, absl::string_view name) {
  const pb::FieldDescriptor* field = Field(type, name);
  return field != nullptr && !field->is_repeated() && field->type() == pb::FieldDescriptor::TYPE_STRING;
}

bool IsUnary(const pb::MethodDescriptor* method) {
  return !method->client_streaming() && !method->server_streaming();
}

// Case- and underscore-insensitive comparison: "photo_rendition" matches
// "PhotoRendition".
std::string Loose(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '_' && c != '-') out += absl::ascii_tolower(c);
  }
  return out;
}

bool IsWellKnown(const pb::Descriptor* type) { return absl::StartsWith(type->full_name(), "google.protobuf."); }

}  // namespace

const pb::MethodDescriptor* Resource::CustomMethod(absl::string_view verb) const {
  const pb::MethodDescriptor* method = service->FindMethodByName(absl::StrCat(verb, type->name()));
  if (method == nullptr || !IsUnary(method) || !HasStringField(method->input_type(), "name")) return nullptr;
  return method;
}

absl::StatusOr<ResourceName> ParseResourceName(absl::string_view name) {
  ResourceName out;
  absl::string_view path = name;
  if (size_t at = path.find('@'); at != absl::string_view::npos) {
    out.revision = std::string(path.substr(at + 1));
    path = path.substr(0, at);
  }
  std::vector<absl::string_view> segments = absl::StrSplit(path, '/');
  const bool empty_segment =
      std::any_of(segments.begin(), segments.end(), [](absl::string_view s) { return s.empty(); });
  if (path.empty() || empty_segment || segments.size() % 2 != 0) {
    return UsageError(absl::StrCat("\"", name,
                                   "\" is not a resource name: expected collection/id pairs such as "
                                   "articles/my-article or galleries/g/photos/p"));
  }
  out.collection = std::string(segments[segments.size() - 2]);
  out.id = std::string(segments.back());
  segments.resize(segments.size() - 2);
  out.parent = absl::StrJoin(segments, "/");
  return out;
}

absl::StatusOr<CollectionPath> ParseCollectionPath(absl::string_view path) {
  std::vector<absl::string_view> segments = absl::StrSplit(path, '/');
  const bool empty_segment =
      std::any_of(segments.begin(), segments.end(), [](absl::string_view s) { return s.empty(); });
  if (path.empty() || empty_segment || segments.size() % 2 != 1) {
    return UsageError(absl::StrCat("\"", path,
                                   "\" is not a collection: expected a collection id such as articles, or a "
                                   "parent and a collection such as galleries/g/photos"));
  }
  CollectionPath out;
  out.collection = std::string(segments.back());
  segments.pop_back();
  out.parent = absl::StrJoin(segments, "/");
  return out;
}

std::string SnakeCase(absl::string_view camel) {
  std::string out;
  for (size_t i = 0; i < camel.size(); ++i) {
    const char c = camel[i];
    if (absl::ascii_isupper(c)) {
      if (i > 0) out += '_';
      out += absl::ascii_tolower(c);
    } else {
      out += c;
    }
  }
  return out;
}

std::string Plural(absl::string_view singular) {
  auto ends = [&](absl::string_view suffix) { return absl::EndsWith(singular, suffix); };
  if (ends("y") && singular.size() > 1 && !absl::StrContains("aeiou", singular[singular.size() - 2])) {
    return absl::StrCat(singular.substr(0, singular.size() - 1), "ies");
  }
  if (ends("s") || ends("x") || ends("z") || ends("ch") || ends("sh")) return absl::StrCat(singular, "es");
  return absl::StrCat(singular, "s");
}

// ---------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------

Schema::Schema(const pb::DescriptorPool* pool) {
  if (pool == pb::DescriptorPool::generated_pool()) {
    factory_ = pb::MessageFactory::generated_factory();
  } else {
    dynamic_factory_ = std::make_unique<pb::DynamicMessageFactory>(pool);
    factory_ = dynamic_factory_.get();
  }
}

std::unique_ptr<Schema> Schema::FromGeneratedPool() {
  // Every .proto file linked into the binary registers itself with the
  // generated database; the pool builds descriptors on demand.
  // Calling LinkedApiCount() is what keeps the API files in the link.
  static_cast<void>(LinkedApiCount());
  std::vector<std::string> names;
  pb::DescriptorPool::internal_generated_database()->FindAllFileNames(&names);
  std::sort(names.begin(), names.end());
  std::vector<const pb::FileDescriptor*> files;
  for (const std::string& name : names) {
    if (const pb::FileDescriptor* file = pb::DescriptorPool::generated_pool()->FindFileByName(name)) {
      files.push_back(file);
    }
  }
  std::unique_ptr<Schema> schema(new Schema(pb::DescriptorPool::generated_pool()));
  for (const pb::FileDescriptor* file : files) {
    for (int i = 0; i < file->service_count(); ++i) schema->AddService(file->service(i));
  }
  return schema;
}

std::unique_ptr<Schema> Schema::FromFiles(const std::vector<const pb::FileDescriptor*>& files) {
  std::unique_ptr<Schema> schema(new Schema(files.empty() ? pb::DescriptorPool::generated_pool() : files[0]->pool()));
  for (const pb::FileDescriptor* file : files) {
    for (int i = 0; i < file->service_count(); ++i) schema->AddService(file->service(i));
  }
  return schema;
}

void Schema::AddService(const pb::ServiceDescriptor* service) {
  if (std::find(services_.begin(), services_.end(), service) != services_.end()) return;
  services_.push_back(service);
  for (int i = 0; i < service->method_count(); ++i) {
    const pb::MethodDescriptor* get = service->method(i);
    if (!IsUnary(get) || !absl::StartsWith(get->name(), "Get")) continue;
    const pb::Descriptor* type = get->output_type();
    if (get->name() != absl::StrCat("Get", type->name()) || !HasStringField(get->input_type(), "name")) continue;
    Resource resource;
    resource.service = service;
    resource.type = type;
    resource.singular = SnakeCase(type->name());
    resource.get = get;
    auto unary = [&](absl::string_view verb) -> const pb::MethodDescriptor* {
      const pb::MethodDescriptor* m = service->FindMethodByName(absl::StrCat(verb, type->name()));
      return m != nullptr && IsUnary(m) ? m : nullptr;
    };
    resource.create = unary("Create");
    resource.update = unary("Update");
    resource.remove = unary("Delete");
    // List<Collection> returns a repeated <Type> field named <collection>.
    for (int j = 0; j < service->method_count() && resource.list == nullptr; ++j) {
      const pb::MethodDescriptor* list = service->method(j);
      if (!IsUnary(list) || !absl::StartsWith(list->name(), "List")) continue;
      const std::string collection = SnakeCase(absl::StripPrefix(list->name(), "List"));
      const pb::FieldDescriptor* items = Field(list->output_type(), collection);
      if (items != nullptr && items->is_repeated() && items->message_type() == type) {
        resource.list = list;
        resource.list_items = items;
        resource.collection = collection;
      }
    }
    if (resource.collection.empty()) resource.collection = Plural(resource.singular);
    resources_.push_back(std::move(resource));
  }
}

absl::StatusOr<const pb::MethodDescriptor*> Schema::FindMethod(absl::string_view spec) const {
  absl::string_view text = absl::StripPrefix(spec, "/");
  absl::string_view service_name, method_name;
  if (size_t slash = text.find('/'); slash != absl::string_view::npos) {
    service_name = text.substr(0, slash);
    method_name = text.substr(slash + 1);
  } else if (size_t dot = text.rfind('.'); dot != absl::string_view::npos) {
    service_name = text.substr(0, dot);
    method_name = text.substr(dot + 1);
  } else {
    return UsageError(absl::StrCat("\"", spec, "\" is not a method: use Service/Method, e.g. ",
                                   "newsdesk.content.v1.ContentService/GetArticle"));
  }
  std::vector<const pb::ServiceDescriptor*> matches;
  for (const auto* service : services_) {
    if (service->full_name() == service_name) {
      matches = {service};
      break;
    }
    if (service->name() == service_name) matches.push_back(service);
  }
  if (matches.empty()) {
    std::vector<std::string> known;
    for (const auto* service : services_) known.push_back(service->full_name());
    return UsageError(absl::StrCat("unknown service \"", service_name, "\"; this newsdeskctl knows: ",
                                   absl::StrJoin(known, ", ")));
  }
  if (matches.size() > 1) {
    return UsageError(absl::StrCat("\"", service_name, "\" is ambiguous; use the full name (",
                                   matches[0]->full_name(), ", ", matches[1]->full_name(), ", ...)"));
  }
  const pb::MethodDescriptor* method = matches[0]->FindMethodByName(std::string(method_name));
  if (method == nullptr) {
    std::vector<std::string> known;
    for (int i = 0; i < matches[0]->method_count(); ++i) known.push_back(matches[0]->method(i)->name());
    return UsageError(absl::StrCat(matches[0]->full_name(), " has no method \"", method_name,
                                   "\"; its methods: ", absl::StrJoin(known, ", ")));
  }
  return method;
}

absl::StatusOr<const Resource*> Schema::FindCollection(absl::string_view collection) const {
  for (const Resource& resource : resources_) {
    if (resource.collection == collection) return &resource;
  }
  std::vector<std::string> known;
  for (const Resource& resource : resources_) known.push_back(resource.collection);
  return UsageError(absl::StrCat("unknown collection \"", collection, "\"; this newsdeskctl knows: ",
                                 absl::StrJoin(known, ", ")));
}

absl::StatusOr<const Resource*> Schema::FindType(absl::string_view singular) const {
  const std::string wanted = Loose(singular);
  for (const Resource& resource : resources_) {
    if (Loose(resource.singular) == wanted || Loose(resource.collection) == wanted ||
        Loose(resource.type->full_name()) == wanted) {
      return &resource;
    }
  }
  std::vector<std::string> known;
  for (const Resource& resource : resources_) known.push_back(resource.singular);
  return UsageError(absl::StrCat("unknown resource type \"", singular, "\"; this newsdeskctl knows: ",
                                 absl::StrJoin(known, ", ")));
}

absl::StatusOr<const Resource*> Schema::FindByName(absl::string_view name) const {
  auto parsed = ParseResourceName(name);
  if (!parsed.ok()) return parsed.status();
  return FindCollection(parsed->collection);
}

std::vector<const pb::MethodDescriptor*> Schema::FindStreamingMethods(absl::string_view verb, bool client_streaming,
                                                                      bool server_streaming) const {
  std::vector<const pb::MethodDescriptor*> out;
  for (const auto* service : services_) {
    for (int i = 0; i < service->method_count(); ++i) {
      const pb::MethodDescriptor* method = service->method(i);
      if (absl::StartsWith(method->name(), verb) && method->client_streaming() == client_streaming &&
          method->server_streaming() == server_streaming) {
        out.push_back(method);
      }
    }
  }
  return out;
}

std::unique_ptr<pb::Message> Schema::New(const pb::Descriptor* type) const {
  const pb::Message* prototype = factory_->GetPrototype(type);
  return std::unique_ptr<pb::Message>(prototype->New());
}

// ---------------------------------------------------------------------------
// Message helpers
// ---------------------------------------------------------------------------

absl::Status ParseJson(absl::string_view json, pb::Message* message, absl::string_view what) {
  std::unique_ptr<pb::Message> parsed(message->New());
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = pb::util::JsonStringToMessage(pb::StringPiece(json.data(), json.size()), parsed.get(), options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not a valid ", message->GetDescriptor()->full_name(),
                                                   " in JSON: ", std::string(status.message())));
  }
  message->MergeFrom(*parsed);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ToJson(const pb::Message& message, const JsonOutput& options) {
  pb::util::JsonPrintOptions print;
  print.add_whitespace = false;
  print.preserve_proto_field_names = options.proto_names;
  print.always_print_primitive_fields = options.emit_defaults;
  std::string out;
  auto status = pb::util::MessageToJsonString(message, &out, print);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("cannot print a ", message.GetDescriptor()->full_name(),
                                            " as JSON: ", std::string(status.message())));
  }
  return out;
}

const pb::FieldDescriptor* Field(const pb::Descriptor* type, absl::string_view name) {
  return type->FindFieldByName(std::string(name));
}

const pb::FieldDescriptor* FieldOfType(const pb::Descriptor* request, const pb::Descriptor* type,
                                       absl::string_view name) {
  const pb::FieldDescriptor* named = Field(request, name);
  if (named != nullptr && !named->is_repeated() && named->message_type() == type) return named;
  for (int i = 0; i < request->field_count(); ++i) {
    const pb::FieldDescriptor* field = request->field(i);
    if (!field->is_repeated() && field->message_type() == type) return field;
  }
  return nullptr;
}

namespace {

absl::Status BadValue(const pb::FieldDescriptor* field, absl::string_view text, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat(field->full_name(), ": \"", text, "\" is not ", expected));
}

absl::StatusOr<const pb::EnumValueDescriptor*> EnumValue(const pb::FieldDescriptor* field, absl::string_view text) {
  const pb::EnumDescriptor* type = field->enum_type();
  const std::string upper = absl::AsciiStrToUpper(text);
  const std::string prefix = absl::AsciiStrToUpper(SnakeCase(type->name())) + "_";
  for (const std::string& candidate : {std::string(text), upper, prefix + upper}) {
    if (const auto* value = type->FindValueByName(candidate)) return value;
  }
  int number = 0;
  if (absl::SimpleAtoi(text, &number)) {
    if (const auto* value = type->FindValueByNumber(number)) return value;
  }
  std::vector<std::string> names;
  for (int i = 0; i < type->value_count(); ++i) names.push_back(type->value(i)->name());
  return BadValue(field, text, absl::StrCat("one of ", absl::StrJoin(names, ", ")));
}

absl::Status SetOne(pb::Message* message, const pb::FieldDescriptor* field, absl::string_view text) {
  const pb::Reflection* r = message->GetReflection();
  const bool rep = field->is_repeated();
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      rep ? r->AddString(message, field, std::string(text)) : r->SetString(message, field, std::string(text));
      return absl::OkStatus();
    case pb::FieldDescriptor::CPPTYPE_BOOL: {
      bool value;
      if (!absl::SimpleAtob(text, &value)) return BadValue(field, text, "true or false");
      rep ? r->AddBool(message, field, value) : r->SetBool(message, field, value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      int32_t value;
      if (!absl::SimpleAtoi(text, &value)) return BadValue(field, text, "a 32-bit integer");
      rep ? r->AddInt32(message, field, value) : r->SetInt32(message, field, value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      int64_t value;
      if (!absl::SimpleAtoi(text, &value)) return BadValue(field, text, "an integer");
      rep ? r->AddInt64(message, field, value) : r->SetInt64(message, field, value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t value;
      if (!absl::SimpleAtoi(text, &value)) return BadValue(field, text, "a non-negative 32-bit integer");
      rep ? r->AddUInt32(message, field, value) : r->SetUInt32(message, field, value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t value;
      if (!absl::SimpleAtoi(text, &value)) return BadValue(field, text, "a non-negative integer");
      rep ? r->AddUInt64(message, field, value) : r->SetUInt64(message, field, value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: {
      double value;
      if (!absl::SimpleAtod(text, &value)) return BadValue(field, text, "a number");
      rep ? r->AddDouble(message, field, value) : r->SetDouble(message, field, value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      float value;
      if (!absl::SimpleAtof(text, &value)) return BadValue(field, text, "a number");
      rep ? r->AddFloat(message, field, value) : r->SetFloat(message, field, value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      auto value = EnumValue(field, text);
      if (!value.ok()) return value.status();
      rep ? r->AddEnum(message, field, *value) : r->SetEnum(message, field, *value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
      // A message from JSON: an object, or a JSON string for the well-known
      // types that map to strings (Timestamp, Duration, FieldMask).
      pb::Message* target = rep ? r->AddMessage(message, field) : r->MutableMessage(message, field);
      const std::string json = absl::StartsWith(absl::StripLeadingAsciiWhitespace(text), "{")
                                   ? std::string(text)
                                   : JsonQuote(text);
      return ParseJson(json, target, field->full_name());
    }
  }
  return BadValue(field, text, "a supported value");
}

}  // namespace

absl::Status SetFromText(pb::Message* message, const pb::FieldDescriptor* field, absl::string_view text) {
  if (field->is_map()) return BadValue(field, text, "settable from a flag (a map); use --request with JSON");
  if (field->message_type() != nullptr && field->message_type()->full_name() == "google.protobuf.FieldMask" &&
      !field->is_repeated()) {
    pb::Message* mask = message->GetReflection()->MutableMessage(message, field);
    const pb::FieldDescriptor* paths = Field(mask->GetDescriptor(), "paths");
    for (absl::string_view path : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
      mask->GetReflection()->AddString(mask, paths, std::string(absl::StripAsciiWhitespace(path)));
    }
    return absl::OkStatus();
  }
  if (field->is_repeated() && field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
    for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
      if (auto st = SetOne(message, field, absl::StripAsciiWhitespace(item)); !st.ok()) return st;
    }
    return absl::OkStatus();
  }
  return SetOne(message, field, text);
}

std::string StringField(const pb::Message& message, absl::string_view name) {
  const pb::FieldDescriptor* field = Field(message.GetDescriptor(), name);
  if (field == nullptr || field->is_repeated() || field->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING) return "";
  return message.GetReflection()->GetString(message, field);
}

namespace {

template <typename Match>
FieldPath FindBreadthFirst(const pb::Descriptor* type, int max_depth, const pb::FieldDescriptor* skip, Match match) {
  std::deque<std::pair<const pb::Descriptor*, FieldPath>> queue;
  queue.emplace_back(type, FieldPath{});
  while (!queue.empty()) {
    auto [current, path] = queue.front();
    queue.pop_front();
    for (int i = 0; i < current->field_count(); ++i) {
      const pb::FieldDescriptor* field = current->field(i);
      if (field == skip) continue;
      if (match(field)) {
        FieldPath found = path;
        found.push_back(field);
        return found;
      }
    }
    if (static_cast<int>(path.size()) + 1 >= max_depth) continue;
    for (int i = 0; i < current->field_count(); ++i) {
      const pb::FieldDescriptor* field = current->field(i);
      if (field == skip || field->is_repeated() || field->message_type() == nullptr ||
          IsWellKnown(field->message_type())) {
        continue;
      }
      FieldPath next = path;
      next.push_back(field);
      queue.emplace_back(field->message_type(), std::move(next));
    }
  }
  return {};
}

}  // namespace

FieldPath FindFieldPath(const pb::Descriptor* type, absl::string_view name, int max_depth,
                        const pb::FieldDescriptor* skip) {
  return FindBreadthFirst(type, max_depth, skip, [&](const pb::FieldDescriptor* f) { return f->name() == name; });
}

FieldPath FindBytesField(const pb::Descriptor* type, int max_depth) {
  return FindBreadthFirst(type, max_depth, nullptr, [](const pb::FieldDescriptor* f) {
    return f->type() == pb::FieldDescriptor::TYPE_BYTES && !f->is_repeated();
  });
}

pb::Message* MutableParent(pb::Message* message, const FieldPath& path) {
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    message = message->GetReflection()->MutableMessage(message, path[i]);
  }
  return message;
}

const pb::Message* ParentIfSet(const pb::Message& message, const FieldPath& path) {
  const pb::Message* current = &message;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (!current->GetReflection()->HasField(*current, path[i])) return nullptr;
    current = &current->GetReflection()->GetMessage(*current, path[i]);
  }
  return current;
}

}  // namespace newsdesk::ctl
