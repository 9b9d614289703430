// A byte string kept as fixed-size chunks.
//
// An upload arrives in pieces and is stored as 1 MiB chunks; holding it as
// the chunks it will be stored as means the bytes are never copied into one
// contiguous buffer (no reallocation doubling the peak), each chunk can be
// handed to the storage batch and freed on its own, and a decoder reads it
// through a stream (see image.h).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace newsdesk::media {

// Movable, not copyable, not thread-safe.
class ChunkedBytes {
 public:
  // Every chunk but the last holds exactly this many bytes.
  static constexpr size_t kChunkBytes = size_t{1} << 20;

  ChunkedBytes() = default;
  ChunkedBytes(ChunkedBytes&&) noexcept = default;
  ChunkedBytes& operator=(ChunkedBytes&&) noexcept = default;
  ChunkedBytes(const ChunkedBytes&) = delete;
  ChunkedBytes& operator=(const ChunkedBytes&) = delete;

  static ChunkedBytes Copy(absl::string_view bytes);

  // Appends a copy of `data`.
  void Append(absl::string_view data);
  // Appends `data`, taking it over without a copy when it is exactly one
  // whole chunk and the bytes so far end at a chunk boundary.
  void Append(std::string&& data);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t chunk_count() const { return chunks_.size(); }
  const std::string& chunk(size_t i) const { return chunks_[i]; }

  // Moves chunk `i` out, leaving it empty (the object is then only good for
  // further TakeChunk calls and destruction).
  std::string TakeChunk(size_t i);

  // Copies up to `n` bytes from `offset` into `out`; returns the count copied
  // (0 at or past the end).
  size_t ReadAt(size_t offset, char* out, size_t n) const;

  // The whole content as one string (tests and small values).
  std::string ToString() const;

  // SHA-256 of the content, 64 lowercase hex digits.
  std::string Sha256Hex() const;

 private:
  std::vector<std::string> chunks_;
  size_t size_ = 0;
};

// SHA-256 of `bytes`, 64 lowercase hex digits.
std::string Sha256Hex(absl::string_view bytes);

}  // namespace newsdesk::media
