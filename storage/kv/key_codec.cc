#include "storage/kv/key_codec.h"

namespace newsdesk::kv {

void AppendU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

void AppendI64(std::string* out, int64_t v) {
  AppendU64(out, static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
}

void AppendU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

void AppendLengthPrefixed(std::string* out, absl::string_view s) {
  const size_t n = s.size() > 0xffff ? 0xffff : s.size();
  out->push_back(static_cast<char>(n >> 8));
  out->push_back(static_cast<char>(n & 0xff));
  out->append(s.data(), n);
}

namespace {
uint64_t LoadBigEndian(absl::string_view in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}
}  // namespace

bool KeyReader::ReadU64(uint64_t* v) {
  if (in_.size() < 8) return false;
  *v = LoadBigEndian(in_, 8);
  in_.remove_prefix(8);
  return true;
}

bool KeyReader::ReadI64(int64_t* v) {
  uint64_t u;
  if (!ReadU64(&u)) return false;
  *v = static_cast<int64_t>(u ^ (uint64_t{1} << 63));
  return true;
}

bool KeyReader::ReadU32(uint32_t* v) {
  if (in_.size() < 4) return false;
  *v = static_cast<uint32_t>(LoadBigEndian(in_, 4));
  in_.remove_prefix(4);
  return true;
}

bool KeyReader::ReadLengthPrefixed(absl::string_view* s) {
  if (in_.size() < 2) return false;
  const size_t n = LoadBigEndian(in_, 2);
  if (in_.size() < 2 + n) return false;
  *s = in_.substr(2, n);
  in_.remove_prefix(2 + n);
  return true;
}

std::string PrefixSuccessor(absl::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(s.back());
    if (last != 0xff) {
      ++last;
      return s;
    }
    s.pop_back();
  }
  return s;
}

}  // namespace newsdesk::kv
