// Server-generated identifiers shared by every store.
#pragma once

#include <string>

namespace newsdesk::kv {

// A random resource id matching [a-z][a-z0-9]{15}.
std::string NewResourceId();

// A random etag: 16 hex digits, different after every write.
std::string NewEtag();

// A character allowed in a resource id ([a-z0-9-]).
inline bool IsIdChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace newsdesk::kv
