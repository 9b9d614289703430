// Test images made on the spot with libvips, and byte surgery on them
// (declared dimensions, padding) for the unit, storage and service tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/media/image.h"
#include "storage/media/synthetic_image.h"

namespace newsdesk::testing {

// Distinctive strings put into metadata that must not survive an upload.
inline constexpr char kGpsMarker[] = "NEWSDESK-GPS-DATUM-7f3a";
inline constexpr char kSerialMarker[] = "NEWSDESK-SERIAL-91c2";
inline constexpr char kOwnerMarker[] = "NEWSDESK-OWNER-55d1";

inline std::string MakeImage(const media::SyntheticImageOptions& options) {
  auto bytes = media::MakeSyntheticImage(options);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *std::move(bytes) : std::string();
}

// EXIF a camera with a GPS receiver writes, plus fields that must stay.
inline std::vector<std::pair<std::string, std::string>> PrivateExifFields() {
  return {
      {"exif-ifd3-GPSLatitudeRef", "N"},
      {"exif-ifd3-GPSLatitude", "51/1 14/1 0/1"},
      {"exif-ifd3-GPSLongitudeRef", "E"},
      {"exif-ifd3-GPSLongitude", "22/1 34/1 0/1"},
      {"exif-ifd3-GPSMapDatum", kGpsMarker},
      {"exif-ifd2-BodySerialNumber", kSerialMarker},
      {"exif-ifd2-CameraOwnerName", kOwnerMarker},
      {"exif-ifd0-Artist", "Biuro prasowe"},
  };
}

inline bool HasField(const media::ImageInfo& info, const std::string& name) {
  for (const auto& [n, v] : info.fields) {
    if (n == name) return true;
  }
  return false;
}

inline uint32_t Crc32(const std::string& data) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xffffffffu;
}

inline void PutBigEndian(std::string* s, size_t at, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) (*s)[at + i] = static_cast<char>((v >> (8 * (bytes - 1 - i))) & 0xff);
}

inline void PutLittleEndian(std::string* s, size_t at, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) (*s)[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// The same bytes with the header claiming width × height: what a
// decompression bomb looks like before its pixels are decoded.
inline std::string WithDeclaredSize(std::string bytes, media::ImageFormat format, uint32_t width, uint32_t height) {
  switch (format) {
    case media::ImageFormat::kJpeg: {
      // SOF0/SOF2: FF C0|C2, length(2), precision(1), height(2), width(2).
      for (size_t i = 2; i + 9 < bytes.size(); ++i) {
        const auto m = static_cast<unsigned char>(bytes[i + 1]);
        if (static_cast<unsigned char>(bytes[i]) == 0xff && (m == 0xc0 || m == 0xc2)) {
          PutBigEndian(&bytes, i + 5, height, 2);
          PutBigEndian(&bytes, i + 7, width, 2);
          return bytes;
        }
      }
      ADD_FAILURE() << "no SOF marker";
      return bytes;
    }
    case media::ImageFormat::kPng: {
      // Signature(8), IHDR length(4), "IHDR", width(4), height(4), 5 more, CRC(4).
      PutBigEndian(&bytes, 16, width, 4);
      PutBigEndian(&bytes, 20, height, 4);
      PutBigEndian(&bytes, 29, Crc32(bytes.substr(12, 17)), 4);
      return bytes;
    }
    case media::ImageFormat::kWebp: {
      const size_t vp8x = bytes.find("VP8X");
      if (vp8x != std::string::npos) {
        PutLittleEndian(&bytes, vp8x + 12, width - 1, 3);
        PutLittleEndian(&bytes, vp8x + 15, height - 1, 3);
      }
      const size_t vp8 = bytes.find("VP8 ");
      if (vp8 != std::string::npos) {
        // Chunk header(8), frame tag(3), start code(3), width(2), height(2): 14 bits each.
        PutLittleEndian(&bytes, vp8 + 14, width & 0x3fff, 2);
        PutLittleEndian(&bytes, vp8 + 16, height & 0x3fff, 2);
      }
      return bytes;
    }
  }
  return bytes;
}

// A JPEG padded to exactly `size` bytes with comment (COM) segments after
// SOI: still a valid JPEG of the same picture.
inline std::string PadJpegTo(const std::string& jpeg, size_t size) {
  if (size < jpeg.size()) {
    ADD_FAILURE() << "the JPEG is already " << jpeg.size() << " bytes";
    return jpeg;
  }
  std::string padding;
  size_t missing = size - jpeg.size();
  while (missing > 0) {
    // A segment is FF FE + length(2, counting itself) + data; at least 4 bytes.
    size_t segment = std::min<size_t>(missing, 65535 + 2);
    if (missing - segment > 0 && missing - segment < 4) segment -= 4;
    if (segment < 4) {
      ADD_FAILURE() << "cannot pad by " << missing << " bytes";
      return jpeg;
    }
    std::string s = "\xff\xfe";
    s.push_back(static_cast<char>(((segment - 2) >> 8) & 0xff));
    s.push_back(static_cast<char>((segment - 2) & 0xff));
    s.append(segment - 4, 'p');
    padding += s;
    missing -= segment;
  }
  return jpeg.substr(0, 2) + padding + jpeg.substr(2);
}

}  // namespace newsdesk::testing
