// Fuzz targets: each takes arbitrary bytes and must neither crash nor
// misbehave (sanitizers watch). libFuzzer drives them (fuzz_main.cc); the
// regression test replays every committed input in tests/fuzz/corpus/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace newsdesk::fuzz {

struct Target {
  const char* name;  // also the corpus directory under tests/fuzz/corpus/
  void (*run)(const uint8_t* data, size_t size);
};

const std::vector<Target>& Targets();

}  // namespace newsdesk::fuzz
