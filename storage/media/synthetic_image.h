// Images made up on the spot, for tests and benchmarks: no fixture files.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/media/image.h"

namespace newsdesk::media {

struct SyntheticImageOptions {
  ImageFormat format = ImageFormat::kJpeg;
  int width = 64;
  int height = 48;
  // Random pixels (Gaussian noise) instead of a smooth gradient: they barely
  // compress, so an image of a given byte size is quick to make.
  bool noise = false;
  // JPEG and WebP quality.
  int quality = 90;
  // EXIF orientation (1..8) to record; 0 records none.
  int orientation = 0;
  // Metadata to attach as libvips string fields, e.g.
  // {"exif-ifd3-GPSLatitude", "50/1 3/1 0/1"} or {"exif-ifd0-Artist", "..."}.
  std::vector<std::pair<std::string, std::string>> string_fields;
};

// Encodes an RGB image as described. Errors: INTERNAL (libvips failed).
absl::StatusOr<std::string> MakeSyntheticImage(const SyntheticImageOptions& options);

}  // namespace newsdesk::media
