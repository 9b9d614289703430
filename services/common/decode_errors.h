// Why a request message could not be decoded, for the error a client gets.
//
// Protobuf's parser tells only "failed"; which string field held invalid
// UTF-8 it reports solely through its log ("String field '<full name>'
// contains invalid UTF-8 data when parsing ..."). InstallProtobufLogHandler
// routes protobuf's log through Log() and remembers that field name per
// thread, so whoever parsed on this thread can name the field right after.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace newsdesk {

// Installs the handler (once per process; later calls do nothing). Every
// protobuf log line becomes a structured log line.
void InstallProtobufLogHandler();

// The full name of the string field whose invalid UTF-8 made the last
// parse on this thread fail (e.g. "newsdesk.content.v1.Article.title"), or
// "" when there was none since the last call. Clears it.
std::string TakeInvalidUtf8Field();

// "request to <what> could not be decoded: ..." naming the field when
// `invalid_utf8_field` is set, else describing the usual causes.
std::string DecodeFailureMessage(absl::string_view what, absl::string_view invalid_utf8_field);

}  // namespace newsdesk
