// Replays every committed fuzz input (seeds and the inputs of crashes found
// earlier) through its target, in the normal test suite.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/fuzz/targets.h"

namespace newsdesk::fuzz {
namespace {

TEST(FuzzRegressionTest, EveryCommittedInputRunsClean) {
  const std::filesystem::path root = std::filesystem::path(NEWSDESK_SOURCE_DIR) / "tests/fuzz/corpus";
  int inputs = 0;
  for (const auto& target : Targets()) {
    const auto dir = root / target.name;
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      SCOPED_TRACE(entry.path().string());
      target.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++inputs;
    }
  }
  EXPECT_GT(inputs, 0);
}

}  // namespace
}  // namespace newsdesk::fuzz
