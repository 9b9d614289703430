// upload and download: client- and server-streaming methods found by name
// (Upload*, Download*) and driven by their descriptors: the request's bytes
// field carries the file, the other fields its metadata.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "tools/newsdeskctl/errors.h"
#include "tools/newsdeskctl/progress.h"
#include "tools/newsdeskctl/verbs.h"

namespace newsdesk::ctl {

namespace pb = google::protobuf;

namespace {

constexpr int64_t kMaxChunkBytes = 1 << 20;

// The streaming method for `verb`: --method, or the only one whose name
// starts with the verb. Errors: UNIMPLEMENTED when the protos compiled into
// newsdeskctl have none; USAGE when several match.
absl::StatusOr<const pb::MethodDescriptor*> PickMethod(const Context& ctx, absl::string_view verb,
                                                       bool client_streaming, bool server_streaming) {
  const char* shape = client_streaming ? "client-streaming" : "server-streaming";
  if (ctx.args.Has("method")) {
    auto method = ctx.schema.FindMethod(ctx.args.Get("method"));
    if (!method.ok()) return method.status();
    if ((*method)->client_streaming() != client_streaming || (*method)->server_streaming() != server_streaming) {
      return UsageError(absl::StrCat("--method: ", (*method)->full_name(), " is not a ", shape, " method"));
    }
    return *method;
  }
  auto methods = ctx.schema.FindStreamingMethods(verb, client_streaming, server_streaming);
  if (methods.empty()) {
    return absl::UnimplementedError(absl::StrCat("this newsdeskctl knows no ", shape, " ", verb,
                                                 "* method (its protos have none; rebuild it with the photo API)"));
  }
  if (methods.size() > 1) {
    std::vector<std::string> names;
    for (const auto* m : methods) names.push_back(absl::StrCat(m->service()->full_name(), "/", m->name()));
    return UsageError(absl::StrCat("several ", verb, " methods; choose one with --method: ", absl::StrJoin(names, ", ")));
  }
  return methods[0];
}

// Sets the shallowest field called `name` in `message`. `required`: a USAGE
// error when there is none.
absl::Status SetNamed(pb::Message* message, absl::string_view name, absl::string_view value, absl::string_view flag,
                      bool required) {
  FieldPath path = FindFieldPath(message->GetDescriptor(), name);
  if (path.empty()) {
    if (!required) return absl::OkStatus();
    return UsageError(absl::StrCat(flag, ": ", message->GetDescriptor()->full_name(), " has no ", name, " field"));
  }
  return SetFromText(MutableParent(message, path), path.back(), value);
}

// Sets the shallowest string field called `name` to `value` unless it is
// already set (or there is no such field, or no value).
void SetIfEmpty(pb::Message* message, absl::string_view name, const std::string& value) {
  FieldPath path = FindFieldPath(message->GetDescriptor(), name);
  if (value.empty() || path.empty() || path.back()->is_repeated() ||
      path.back()->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING) {
    return;
  }
  pb::Message* holder = MutableParent(message, path);
  if (holder->GetReflection()->GetString(*holder, path.back()).empty()) {
    holder->GetReflection()->SetString(holder, path.back(), value);
  }
}

std::string GuessContentType(const std::string& path) {
  static const auto* types = new std::map<std::string, std::string>{
      {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".png", "image/png"},   {".webp", "image/webp"},
      {".gif", "image/gif"},  {".avif", "image/avif"}, {".heic", "image/heic"}, {".tif", "image/tiff"},
      {".tiff", "image/tiff"}};
  auto it = types->find(absl::AsciiStrToLower(std::filesystem::path(path).extension().string()));
  return it == types->end() ? "" : it->second;
}

}  // namespace

absl::Status RunUpload(const Context& ctx) {
  if (ctx.args.positional.size() != 3) {
    return UsageError("usage: newsdeskctl upload <parent> <file> --alt_text TEXT [--caption TEXT]");
  }
  const std::string& parent = ctx.args.positional[1];
  const std::string& path = ctx.args.positional[2];
  auto method = PickMethod(ctx, "Upload", true, false);
  if (!method.ok()) return method.status();
  const pb::Descriptor* request_type = (*method)->input_type();
  const FieldPath chunk = FindBytesField(request_type);
  if (chunk.empty()) {
    return absl::UnimplementedError(absl::StrCat(request_type->full_name(), " has no bytes field for the file"));
  }
  auto chunk_size = ctx.args.GetInt("chunk_size", kMaxChunkBytes, 1, kMaxChunkBytes);
  if (!chunk_size.ok()) return chunk_size.status();

  // The first message: where the photo goes and what it is.
  std::unique_ptr<pb::Message> first = ctx.schema.New(request_type);
  if (ctx.args.Has("metadata")) {
    auto text = ReadInput(ctx.env, ctx.args.Get("metadata"));
    if (!text.ok()) return text.status();
    if (auto st = ParseJson(*text, first.get(), "--metadata"); !st.ok()) return st;
  }
  if (auto st = SetNamed(first.get(), "parent", parent, "the parent", true); !st.ok()) return st;
  for (const char* flag : {"alt_text", "caption", "content_type"}) {
    if (!ctx.args.Has(flag)) continue;
    if (auto st = SetNamed(first.get(), flag, ctx.args.Get(flag), absl::StrCat("--", flag), true); !st.ok()) {
      return st;
    }
  }
  if (ctx.args.Has("id")) {
    const std::string id_field = absl::StrCat(SnakeCase(absl::StripPrefix((*method)->name(), "Upload")), "_id");
    if (auto st = SetNamed(first.get(), id_field, ctx.args.Get("id"), "--id", true); !st.ok()) return st;
  }
  // Filled in when the request has room for them and nothing set them.
  if (!ctx.args.Has("content_type")) SetIfEmpty(first.get(), "content_type", GuessContentType(path));
  const std::string filename = std::filesystem::path(path).filename().string();
  SetIfEmpty(first.get(), "filename", filename);
  SetIfEmpty(first.get(), "file_name", filename);

  std::ifstream file(path, std::ios::binary);
  if (!file) return NoInputError(absl::StrCat("cannot read ", path));
  std::error_code size_error;
  const uint64_t total = std::filesystem::file_size(path, size_error);
  ProgressBar bar(ctx.env.err, ctx.env.stderr_is_tty, filename);
  bool first_sent = false;
  uint64_t sent = 0;
  std::string buffer;
  return ctx.client.Call(
      *method,
      [&](pb::Message* request) -> absl::StatusOr<bool> {
        if (!first_sent) {
          request->CopyFrom(*first);
          first_sent = true;
          return true;
        }
        buffer.resize(*chunk_size);
        file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        buffer.resize(static_cast<size_t>(file.gcount()));
        if (buffer.empty()) {
          if (file.bad()) return NoInputError(absl::StrCat("cannot read ", path));
          bar.Finish();
          return false;
        }
        MutableParent(request, chunk)->GetReflection()->SetString(MutableParent(request, chunk), chunk.back(), buffer);
        sent += buffer.size();
        bar.Update(sent, size_error ? 0 : total);
        return true;
      },
      [&](const pb::Message& response) { return ctx.Print(response); });
}

absl::Status RunDownload(const Context& ctx) {
  if (ctx.args.positional.size() != 3) {
    return UsageError("usage: newsdeskctl download <name> <file|-> [--rendition R]");
  }
  const std::string& name = ctx.args.positional[1];
  const std::string& path = ctx.args.positional[2];
  auto method = PickMethod(ctx, "Download", false, true);
  if (!method.ok()) return method.status();
  std::unique_ptr<pb::Message> request = ctx.schema.New((*method)->input_type());
  if (auto st = SetNamed(request.get(), "name", name, "the name", true); !st.ok()) return st;
  if (ctx.args.Has("rendition")) {
    if (auto st = SetNamed(request.get(), "rendition", ctx.args.Get("rendition"), "--rendition", true); !st.ok()) {
      return st;
    }
  }
  if (ctx.args.Has("request")) {
    auto text = ReadInput(ctx.env, ctx.args.Get("request"));
    if (!text.ok()) return text.status();
    if (auto st = ParseJson(*text, request.get(), "--request"); !st.ok()) return st;
  }
  const pb::Descriptor* response_type = (*method)->output_type();
  const FieldPath chunk = FindBytesField(response_type);
  if (chunk.empty()) {
    return absl::UnimplementedError(absl::StrCat(response_type->full_name(), " has no bytes field for the file"));
  }
  FieldPath size_field;
  for (const char* candidate : {"size_bytes", "total_bytes", "byte_size", "content_length", "size"}) {
    FieldPath found = FindFieldPath(response_type, candidate);
    if (!found.empty() && !found.back()->is_repeated() &&
        (found.back()->cpp_type() == pb::FieldDescriptor::CPPTYPE_INT64 ||
         found.back()->cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT64 ||
         found.back()->cpp_type() == pb::FieldDescriptor::CPPTYPE_INT32 ||
         found.back()->cpp_type() == pb::FieldDescriptor::CPPTYPE_UINT32)) {
      size_field = found;
      break;
    }
  }

  // Written to <file>.part and renamed at the end, so a failed download
  // never leaves a truncated file under the wanted name.
  const bool to_stdout = path == "-";
  const std::string partial = absl::StrCat(path, ".part");
  std::ofstream file;
  if (!to_stdout) {
    file.open(partial, std::ios::binary | std::ios::trunc);
    if (!file) return CantCreateError(absl::StrCat("cannot write ", partial));
  }
  std::ostream& out = to_stdout ? *ctx.env.out : file;
  ProgressBar bar(ctx.env.err, ctx.env.stderr_is_tty, std::filesystem::path(path).filename().string());
  std::unique_ptr<pb::Message> metadata;
  uint64_t total = 0, received = 0;
  absl::Status status = ctx.client.Call(
      *method,
      [sent = false, &request](pb::Message* next) mutable -> absl::StatusOr<bool> {
        if (sent) return false;
        next->CopyFrom(*request);
        sent = true;
        return true;
      },
      [&](const pb::Message& response) -> absl::Status {
        if (!metadata) {
          metadata.reset(response.New());
          metadata->CopyFrom(response);
          pb::Message* holder = MutableParent(metadata.get(), chunk);
          holder->GetReflection()->ClearField(holder, chunk.back());
          if (!size_field.empty()) {
            if (const pb::Message* holder = ParentIfSet(response, size_field)) {
              const pb::Reflection* r = holder->GetReflection();
              switch (size_field.back()->cpp_type()) {
                case pb::FieldDescriptor::CPPTYPE_INT64: total = r->GetInt64(*holder, size_field.back()); break;
                case pb::FieldDescriptor::CPPTYPE_UINT64: total = r->GetUInt64(*holder, size_field.back()); break;
                case pb::FieldDescriptor::CPPTYPE_INT32: total = r->GetInt32(*holder, size_field.back()); break;
                default: total = r->GetUInt32(*holder, size_field.back()); break;
              }
            }
          }
        }
        if (const pb::Message* holder = ParentIfSet(response, chunk)) {
          const std::string& data = holder->GetReflection()->GetStringReference(*holder, chunk.back(), nullptr);
          out.write(data.data(), static_cast<std::streamsize>(data.size()));
          if (!out) return CantCreateError(absl::StrCat("cannot write ", to_stdout ? "standard output" : partial));
          received += data.size();
          bar.Update(received, total);
        }
        return absl::OkStatus();
      });
  if (!status.ok()) {
    if (!to_stdout) {
      file.close();
      std::remove(partial.c_str());
    }
    return status;
  }
  bar.Finish();
  if (to_stdout) {
    out.flush();
    return absl::OkStatus();
  }
  file.close();
  if (!file) return CantCreateError(absl::StrCat("cannot write ", partial));
  std::error_code error;
  std::filesystem::rename(partial, path, error);
  if (error) return CantCreateError(absl::StrCat("cannot rename ", partial, " to ", path, ": ", error.message()));
  return metadata ? ctx.Print(*metadata) : absl::OkStatus();
}

}  // namespace newsdesk::ctl
