// Structured logging: one JSON object per line on stderr.
#pragma once

#include <initializer_list>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>

namespace newsdesk {

enum class Severity { kInfo, kWarning, kError };

// Writes {"time":..., "severity":..., "message":..., <fields>} as one line.
// Thread-safe (one write(2) per line).
void Log(Severity severity, absl::string_view message,
         std::initializer_list<std::pair<absl::string_view, absl::string_view>> fields = {});

// JSON string escaping (quotes included).
std::string JsonQuote(absl::string_view s);

}  // namespace newsdesk
