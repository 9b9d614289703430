// libFuzzer entry point for one target, chosen at build time.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "tests/fuzz/targets.h"

#ifndef NEWSDESK_FUZZ_TARGET
#error "define NEWSDESK_FUZZ_TARGET"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const newsdesk::fuzz::Target* target = [] {
    for (const auto& t : newsdesk::fuzz::Targets()) {
      if (std::strcmp(t.name, NEWSDESK_FUZZ_TARGET) == 0) return &t;
    }
    return static_cast<const newsdesk::fuzz::Target*>(nullptr);
  }();
  if (target != nullptr) target->run(data, size);
  return 0;
}
