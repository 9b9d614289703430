#include "storage/kv/ids.h"

#include "absl/random/random.h"
#include "absl/strings/str_format.h"

namespace newsdesk::kv {

std::string NewResourceId() {
  thread_local absl::BitGen gen;
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string id(1, static_cast<char>('a' + absl::Uniform(gen, 0, 26)));
  for (int i = 0; i < 15; ++i) id.push_back(kAlphabet[absl::Uniform(gen, 0, 36)]);
  return id;
}

std::string NewEtag() {
  thread_local absl::BitGen gen;
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(gen));
}

}  // namespace newsdesk::kv
