#include "tools/newsdeskctl/progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace newsdesk::ctl {

std::string FormatBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

std::string FormatProgress(absl::string_view label, uint64_t done, uint64_t total, int width) {
  if (total == 0) return absl::StrCat(label, "  ", FormatBytes(done));
  const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  const int filled = static_cast<int>(fraction * width);
  return absl::StrFormat("%s [%s%s] %3d%%  %s / %s", label, std::string(filled, '#'),
                         std::string(width - filled, '.'), static_cast<int>(fraction * 100), FormatBytes(done),
                         FormatBytes(total));
}

ProgressBar::ProgressBar(std::ostream* out, bool enabled, std::string label)
    : out_(out), enabled_(enabled), label_(std::move(label)) {}

ProgressBar::~ProgressBar() {
  // A call that failed half-way still ends the line, so the error that
  // follows starts on its own.
  if (enabled_ && drawn_ && !finished_) *out_ << "\n" << std::flush;
}

void ProgressBar::Update(uint64_t done, uint64_t total) {
  done_ = done;
  total_ = total;
  if (!enabled_) return;
  const absl::Time now = absl::Now();
  if (now - last_draw_ < absl::Milliseconds(100)) return;
  last_draw_ = now;
  Draw();
}

void ProgressBar::Finish() {
  if (!enabled_ || finished_) return;
  Draw();
  *out_ << "\n" << std::flush;
  finished_ = true;
}

void ProgressBar::Draw() {
  // "\x1b[K" clears what a longer previous line left behind.
  *out_ << "\r" << FormatProgress(label_, done_, total_) << "\x1b[K" << std::flush;
  drawn_ = true;
}

}  // namespace newsdesk::ctl
