// A progress bar for uploads and downloads, drawn on a terminal only.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace newsdesk::ctl {

// "photo.jpg [#######.............]  35%  1.4 MiB / 4.0 MiB" (or, with an
// unknown total, "photo.jpg  1.4 MiB"), `width` characters of bar.
std::string FormatProgress(absl::string_view label, uint64_t done, uint64_t total, int width = 30);

// "512 B", "1.4 MiB".
std::string FormatBytes(uint64_t bytes);

// Redraws one line of `out` with '\r', at most every 100 ms. Does nothing
// when disabled (stderr is not a terminal), so scripts and logs never see
// it. Not thread-safe.
class ProgressBar {
 public:
  ProgressBar(std::ostream* out, bool enabled, std::string label);
  ~ProgressBar();
  void Update(uint64_t done, uint64_t total);
  // Draws the final state and ends the line.
  void Finish();

 private:
  void Draw();

  std::ostream* out_;
  bool enabled_;
  std::string label_;
  uint64_t done_ = 0;
  uint64_t total_ = 0;
  absl::Time last_draw_ = absl::InfinitePast();
  bool drawn_ = false;
  bool finished_ = false;
};

}  // namespace newsdesk::ctl
