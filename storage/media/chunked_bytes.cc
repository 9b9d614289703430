#include "storage/media/chunked_bytes.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace newsdesk::media {
namespace {

std::string Hex(const unsigned char* digest, unsigned int n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned int i = 0; i < n; ++i) {
    out.push_back(kDigits[digest[i] >> 4]);
    out.push_back(kDigits[digest[i] & 0xf]);
  }
  return out;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

ChunkedBytes ChunkedBytes::Copy(absl::string_view bytes) {
  ChunkedBytes out;
  out.Append(bytes);
  return out;
}

void ChunkedBytes::Append(absl::string_view data) {
  while (!data.empty()) {
    if (chunks_.empty() || chunks_.back().size() == kChunkBytes) {
      chunks_.emplace_back();
      // Reserve what this chunk will hold when that is known, so a chunk is
      // allocated once instead of growing by doubling.
      chunks_.back().reserve(std::min(kChunkBytes, data.size()));
    }
    std::string& last = chunks_.back();
    const size_t n = std::min(kChunkBytes - last.size(), data.size());
    last.append(data.data(), n);
    data.remove_prefix(n);
    size_ += n;
  }
}

void ChunkedBytes::Append(std::string&& data) {
  if (data.size() == kChunkBytes && size_ % kChunkBytes == 0) {
    size_ += data.size();
    chunks_.push_back(std::move(data));
    return;
  }
  Append(absl::string_view(data));
}

std::string ChunkedBytes::TakeChunk(size_t i) { return std::move(chunks_[i]); }

size_t ChunkedBytes::ReadAt(size_t offset, char* out, size_t n) const {
  size_t copied = 0;
  while (copied < n && offset < size_) {
    const std::string& c = chunks_[offset / kChunkBytes];
    const size_t in_chunk = offset % kChunkBytes;
    const size_t take = std::min(n - copied, c.size() - in_chunk);
    std::memcpy(out + copied, c.data() + in_chunk, take);
    copied += take;
    offset += take;
  }
  return copied;
}

std::string ChunkedBytes::ToString() const {
  std::string out;
  out.reserve(size_);
  for (const auto& c : chunks_) out += c;
  return out;
}

std::string ChunkedBytes::Sha256Hex() const {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  for (const auto& c : chunks_) EVP_DigestUpdate(ctx.get(), c.data(), c.size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &n);
  return Hex(digest, n);
}

std::string Sha256Hex(absl::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &n, EVP_sha256(), nullptr);
  return Hex(digest, n);
}

}  // namespace newsdesk::media
