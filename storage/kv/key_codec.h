// Order-preserving key encoding: big-endian fixed-width integers (signed
// values with the sign bit flipped) and length-prefixed strings, so that
// byte-wise comparison of encoded keys matches comparison of the values.
#pragma once

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

namespace newsdesk::kv {

void AppendU64(std::string* out, uint64_t v);
void AppendI64(std::string* out, int64_t v);  // sign bit flipped
void AppendU32(std::string* out, uint32_t v);
// 2-byte big-endian length, then the bytes (at most 65,535). Orders by length
// first; use it for parts that are not last in a key.
void AppendLengthPrefixed(std::string* out, absl::string_view s);

// Reads what the Append* functions wrote; each returns false (and consumes
// nothing) when the input is too short.
class KeyReader {
 public:
  explicit KeyReader(absl::string_view in) : in_(in) {}
  bool ReadU64(uint64_t* v);
  bool ReadI64(int64_t* v);
  bool ReadU32(uint32_t* v);
  bool ReadLengthPrefixed(absl::string_view* s);
  absl::string_view rest() const { return in_; }
  bool empty() const { return in_.empty(); }

 private:
  absl::string_view in_;
};

// The smallest key greater than every key starting with `prefix`, or "" when
// there is none (the prefix is all 0xff bytes): the upper bound of a prefix scan.
std::string PrefixSuccessor(absl::string_view prefix);

}  // namespace newsdesk::kv
