// Photo processing with libvips: what newsdesk stores of an uploaded image.
//
// The bytes decide everything: the type is sniffed from the magic number and
// confirmed by decoding the whole image with that format's decoder only
// (every other libvips loader is blocked at start-up), so a text file named
// photo.jpg, a truncated file or a file of another format never gets through.
// The pixel count is checked from the header before any pixel is decoded, so
// an image that declares huge dimensions (a decompression bomb) costs
// nothing. Privacy metadata (EXIF GPS, camera and lens serial numbers, the
// owner's name, maker notes, an XMP packet that repeats any of them) is
// removed and the EXIF orientation applied; only then must the original be
// re-encoded, otherwise it is stored byte for byte as uploaded. Two scaled
// copies (renditions) are made from the stored original.
//
// Nothing here knows RocksDB or gRPC. Functions are thread-safe (each call
// has its own libvips pipeline).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/media/chunked_bytes.h"

namespace newsdesk::media {

enum class ImageFormat { kJpeg, kPng, kWebp };

// "image/jpeg", "image/png", "image/webp".
const char* ContentType(ImageFormat format);
// "JPEG", "PNG", "WebP".
const char* FormatName(ImageFormat format);

// The format whose magic number `head` starts with (the first 12 bytes are
// enough), or nullopt for anything else.
std::optional<ImageFormat> SniffFormat(absl::string_view head);

// A scaled copy made of every photo.
struct RenditionSpec {
  const char* name;
  int max_width;
};
// {"thumbnail", 320}, {"medium", 1280}: the names DownloadPhoto takes.
const std::vector<RenditionSpec>& RenditionSpecs();

struct ProcessOptions {
  // Images with more pixels (width × height, as declared in the header) are
  // refused before decoding.
  uint64_t max_pixels = 100'000'000;
  // Remove GPS positions, serial numbers and the like from the original.
  bool strip_private_metadata = true;
  // Quality of a re-encoded JPEG or WebP original (metadata removed or
  // orientation applied).
  int original_quality = 92;
  // Quality of JPEG and WebP renditions.
  int rendition_quality = 82;
};

struct EncodedImage {
  ImageFormat format = ImageFormat::kJpeg;
  int width = 0;
  int height = 0;
  ChunkedBytes bytes;
  std::string sha256;  // of `bytes`, lowercase hex
};

struct Rendition {
  std::string name;
  EncodedImage image;
};

struct ProcessedPhoto {
  // What to store as the photo.
  EncodedImage original;
  // The original differs from the upload: metadata was removed or the
  // orientation applied.
  bool rewritten = false;
  // The metadata fields that were removed (libvips names, e.g.
  // "exif-ifd3-GPSLatitude").
  std::vector<std::string> removed_metadata;
  // One per RenditionSpecs() entry, in that order.
  std::vector<Rendition> renditions;
};

// Starts libvips once per process (later calls return the first result):
// blocks every loader but JPEG, PNG and WebP, turns off the operation cache
// (no decoded upload outlives its request) and silences libvips' own
// warnings (decoding errors come back as statuses). Errors: INTERNAL.
absl::Status InitMedia();

// Checks an upload and prepares what to store. Consumes `upload` (its chunks
// become the stored original when it needs no rewrite). Errors:
// INVALID_ARGUMENT naming `photo` (not a JPEG, PNG or WebP image; damaged or
// truncated; more pixels than allowed); INTERNAL when encoding fails.
absl::StatusOr<ProcessedPhoto> ProcessPhoto(ChunkedBytes upload, const ProcessOptions& options = {});

// What a decoder sees in an image: for tests and tools.
struct ImageInfo {
  ImageFormat format = ImageFormat::kJpeg;
  int width = 0;
  int height = 0;
  int orientation = 1;
  // Every metadata field name with its value rendered as text ("" for
  // binary fields), e.g. {"exif-ifd0-Artist", "Agencja X (Agencja X, ASCII, ...)"}.
  std::vector<std::pair<std::string, std::string>> fields;
};

// Decodes the header of `bytes` (and, with `decode_pixels`, every pixel).
// Errors: INVALID_ARGUMENT as ProcessPhoto.
absl::StatusOr<ImageInfo> InspectImage(absl::string_view bytes, bool decode_pixels = false);

// True for metadata fields ProcessPhoto removes (by libvips field name;
// `value` matters only for XMP packets).
bool IsPrivateMetadata(absl::string_view field, absl::string_view value);

}  // namespace newsdesk::media
