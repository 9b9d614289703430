// The verbs, shared between commands.cc and photos.cc (internal to
// newsdeskctl).
#pragma once

#include <string>

#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/newsdeskctl/args.h"
#include "tools/newsdeskctl/client.h"
#include "tools/newsdeskctl/ctl.h"
#include "tools/newsdeskctl/schema.h"

namespace newsdesk::ctl {

// What a verb works with.
struct Context {
  const Schema& schema;
  Client& client;
  const Args& args;
  const Environment& env;
  JsonOutput json;

  // Prints `message` as one line of JSON on stdout.
  absl::Status Print(const google::protobuf::Message& message) const;
};

// The text of a JSON argument: "-" reads standard input, "@path" a file,
// anything else is the JSON itself. Errors: NO_INPUT.
absl::StatusOr<std::string> ReadInput(const Environment& env, absl::string_view spec);

// Sets the field `name` of `message` from a flag's text. Errors: USAGE when
// the message has no such field; INVALID_ARGUMENT for a bad value.
absl::Status SetFlagField(google::protobuf::Message* message, absl::string_view name, absl::string_view text,
                          absl::string_view flag);

// upload <parent> <file> and download <name> <file> (photos.cc).
absl::Status RunUpload(const Context& ctx);
absl::Status RunDownload(const Context& ctx);

}  // namespace newsdesk::ctl
