#include "storage/media/image.h"

#include <vips/vips.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace newsdesk::media {
namespace {

struct GObjectUnref {
  void operator()(gpointer p) const {
    if (p != nullptr) g_object_unref(p);
  }
};
using ImagePtr = std::unique_ptr<VipsImage, GObjectUnref>;
using SourcePtr = std::unique_ptr<VipsSource, GObjectUnref>;

struct GFree {
  void operator()(void* p) const { g_free(p); }
};
using GBuffer = std::unique_ptr<void, GFree>;

// Feeds a ChunkedBytes to a libvips decoder as a seekable stream, so the
// upload is decoded where it lies instead of being copied into one buffer.
// Every image made from the source holds a reference to it: they must all be
// released before this object is destroyed (declare it first).
class ChunkedSource {
 public:
  explicit ChunkedSource(const ChunkedBytes* bytes) : bytes_(bytes) {
    VipsSourceCustom* custom = vips_source_custom_new();
    g_signal_connect(custom, "read", G_CALLBACK(&ChunkedSource::Read), this);
    g_signal_connect(custom, "seek", G_CALLBACK(&ChunkedSource::Seek), this);
    source_.reset(VIPS_SOURCE(custom));
  }
  ~ChunkedSource() {
    // Should anything still hold the source, it reads nothing from now on.
    g_signal_handlers_disconnect_by_data(source_.get(), this);
  }
  ChunkedSource(const ChunkedSource&) = delete;
  ChunkedSource& operator=(const ChunkedSource&) = delete;

  VipsSource* get() const { return source_.get(); }

 private:
  static gint64 Read(VipsSourceCustom* /*custom*/, void* data, gint64 length, ChunkedSource* self) {
    if (length <= 0) return 0;
    const size_t n = self->bytes_->ReadAt(self->position_, static_cast<char*>(data), static_cast<size_t>(length));
    self->position_ += n;
    return static_cast<gint64>(n);
  }
  static gint64 Seek(VipsSourceCustom* /*custom*/, gint64 offset, int whence, ChunkedSource* self) {
    gint64 base = 0;
    switch (whence) {
      case SEEK_SET: base = 0; break;
      case SEEK_CUR: base = static_cast<gint64>(self->position_); break;
      case SEEK_END: base = static_cast<gint64>(self->bytes_->size()); break;
      default: return -1;
    }
    const gint64 target = base + offset;
    if (target < 0 || target > static_cast<gint64>(self->bytes_->size())) return -1;
    self->position_ = static_cast<size_t>(target);
    return target;
  }

  const ChunkedBytes* bytes_;
  size_t position_ = 0;
  SourcePtr source_;
};

// The libvips error message of this thread's last failure, cleared. libvips
// keeps one buffer per process, so a concurrent failure may add its line:
// only the first line is kept.
std::string TakeVipsError() {
  std::unique_ptr<char, GFree> copy(vips_error_buffer_copy());
  std::string message = copy != nullptr ? copy.get() : "";
  const size_t newline = message.find('\n');
  if (newline != std::string::npos) message.resize(newline);
  absl::StripAsciiWhitespace(&message);
  if (message.size() > 200) message.resize(200);
  return message;
}

absl::Status Undecodable(ImageFormat format) {
  const std::string detail = TakeVipsError();
  return absl::InvalidArgumentError(absl::StrCat("photo: the bytes start like a ", FormatName(format),
                                                 " image but do not decode as one (damaged or truncated)",
                                                 detail.empty() ? "" : ": ", detail));
}

int LoadSource(ImageFormat format, VipsSource* source, VipsAccess access, VipsImage** out) {
  switch (format) {
    case ImageFormat::kJpeg:
      return vips_jpegload_source(source, out, "access", access, "fail_on", VIPS_FAIL_ON_ERROR, nullptr);
    case ImageFormat::kPng:
      return vips_pngload_source(source, out, "access", access, "fail_on", VIPS_FAIL_ON_ERROR, nullptr);
    case ImageFormat::kWebp:
      return vips_webpload_source(source, out, "access", access, "fail_on", VIPS_FAIL_ON_ERROR, nullptr);
  }
  return -1;
}

int LoadBuffer(ImageFormat format, absl::string_view bytes, VipsAccess access, VipsImage** out) {
  // The loaders do not write to the buffer; the cast is for the C API.
  void* data = const_cast<char*>(bytes.data());
  switch (format) {
    case ImageFormat::kJpeg:
      return vips_jpegload_buffer(data, bytes.size(), out, "access", access, "fail_on", VIPS_FAIL_ON_ERROR, nullptr);
    case ImageFormat::kPng:
      return vips_pngload_buffer(data, bytes.size(), out, "access", access, "fail_on", VIPS_FAIL_ON_ERROR, nullptr);
    case ImageFormat::kWebp:
      return vips_webpload_buffer(data, bytes.size(), out, "access", access, "fail_on", VIPS_FAIL_ON_ERROR, nullptr);
  }
  return -1;
}

// PNG renditions and rewritten originals use a middle compression level: the
// highest levels cost several times the CPU for a few percent.
constexpr int kPngCompression = 6;

int Save(ImageFormat format, VipsImage* image, int quality, bool strip, void** buf, size_t* len) {
  const gboolean strip_metadata = strip ? TRUE : FALSE;
  switch (format) {
    case ImageFormat::kJpeg:
      return vips_jpegsave_buffer(image, buf, len, "Q", quality, "optimize_coding", TRUE, "strip", strip_metadata,
                                  nullptr);
    case ImageFormat::kPng:
      return vips_pngsave_buffer(image, buf, len, "compression", kPngCompression, "strip", strip_metadata, nullptr);
    case ImageFormat::kWebp:
      return vips_webpsave_buffer(image, buf, len, "Q", quality, "strip", strip_metadata, nullptr);
  }
  return -1;
}

absl::StatusOr<EncodedImage> Encode(ImageFormat format, VipsImage* image, int quality, bool strip) {
  void* raw = nullptr;
  size_t len = 0;
  if (Save(format, image, quality, strip, &raw, &len) != 0) return Undecodable(format);
  GBuffer buf(raw);
  EncodedImage out;
  out.format = format;
  out.width = image->Xsize;
  out.height = image->Ysize;
  out.bytes = ChunkedBytes::Copy(absl::string_view(static_cast<const char*>(raw), len));
  out.sha256 = out.bytes.Sha256Hex();
  return out;
}

// The names of every metadata field of `image`.
std::vector<std::string> FieldNames(VipsImage* image) {
  std::vector<std::string> names;
  gchar** fields = vips_image_get_fields(image);
  for (gchar** f = fields; f != nullptr && *f != nullptr; ++f) names.emplace_back(*f);
  g_strfreev(fields);
  return names;
}

std::string FieldText(VipsImage* image, const std::string& name) {
  if (name == VIPS_META_XMP_NAME) {
    const void* data = nullptr;
    size_t len = 0;
    if (vips_image_get_blob(image, name.c_str(), &data, &len) == 0 && data != nullptr) {
      return std::string(static_cast<const char*>(data), len);
    }
    return "";
  }
  if (vips_image_get_typeof(image, name.c_str()) == VIPS_TYPE_BLOB) return "";
  char* text = nullptr;
  if (vips_image_get_as_string(image, name.c_str(), &text) != 0) {
    vips_error_clear();
    return "";
  }
  std::string out = text != nullptr ? text : "";
  g_free(text);
  return out;
}

// The fields ProcessPhoto must remove from `image`.
std::vector<std::string> PrivateFields(VipsImage* image) {
  std::vector<std::string> remove;
  bool has_exif_blob = false, has_exif_fields = false;
  for (const std::string& name : FieldNames(image)) {
    if (name == VIPS_META_EXIF_NAME) has_exif_blob = true;
    if (absl::StartsWith(name, "exif-ifd")) has_exif_fields = true;
    if (IsPrivateMetadata(name, name == VIPS_META_XMP_NAME ? FieldText(image, name) : "")) remove.push_back(name);
  }
  // EXIF that libvips could not parse into fields could hold anything.
  if (has_exif_blob && !has_exif_fields) remove.push_back(VIPS_META_EXIF_NAME);
  return remove;
}

bool ContainsIgnoringCase(absl::string_view haystack, absl::string_view needle) {
  return absl::StrContains(absl::AsciiStrToLower(haystack), absl::AsciiStrToLower(needle));
}

}  // namespace

const char* ContentType(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "image/jpeg";
    case ImageFormat::kPng: return "image/png";
    case ImageFormat::kWebp: return "image/webp";
  }
  return "application/octet-stream";
}

const char* FormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "JPEG";
    case ImageFormat::kPng: return "PNG";
    case ImageFormat::kWebp: return "WebP";
  }
  return "?";
}

std::optional<ImageFormat> SniffFormat(absl::string_view head) {
  if (head.size() >= 3 && head.substr(0, 3) == absl::string_view("\xff\xd8\xff", 3)) return ImageFormat::kJpeg;
  if (head.size() >= 8 && head.substr(0, 8) == absl::string_view("\x89PNG\r\n\x1a\n", 8)) return ImageFormat::kPng;
  if (head.size() >= 12 && head.substr(0, 4) == "RIFF" && head.substr(8, 4) == "WEBP") return ImageFormat::kWebp;
  return std::nullopt;
}

const std::vector<RenditionSpec>& RenditionSpecs() {
  static const auto* specs = new std::vector<RenditionSpec>{{"thumbnail", 320}, {"medium", 1280}};
  return *specs;
}

bool IsPrivateMetadata(absl::string_view field, absl::string_view value) {
  // EXIF IFD 3 is the GPS IFD: every field of it is location.
  if (absl::StartsWith(field, "exif-ifd3-")) return true;
  if (absl::StartsWith(field, "exif-ifd")) {
    // BodySerialNumber, LensSerialNumber (and any other *SerialNumber tag),
    // the owner's name, and maker notes, whose vendor formats carry serial
    // numbers libexif cannot see into.
    return absl::EndsWith(field, "SerialNumber") || absl::EndsWith(field, "-CameraOwnerName") ||
           absl::EndsWith(field, "-MakerNote");
  }
  // EXIF's embedded preview: it shows the photo as the camera took it, e.g.
  // before a crop that was meant to hide something.
  if (field == "jpeg-thumbnail-data") return true;
  // XMP often repeats the EXIF GPS and serial tags.
  if (field == VIPS_META_XMP_NAME) {
    return ContainsIgnoringCase(value, "GPS") || ContainsIgnoringCase(value, "SerialNumber");
  }
  return false;
}

absl::Status InitMedia() {
  static const absl::Status* status = [] {
    if (VIPS_INIT("newsdesk") != 0) {
      return new absl::Status(absl::InternalError(absl::StrCat("libvips failed to start: ", TakeVipsError())));
    }
    // One thread per pipeline. With more, libvips 8.14 sometimes loses a
    // decoding error raised in a worker thread ("error in tile") and the
    // operation succeeds: a WebP whose pixels do not decode was accepted
    // about every other time (found by fuzz_image_header; upstream fixes the
    // error propagation of vips_sink_disc piecemeal, e.g.
    // libvips/libvips#4344). Decoding is sequential anyway; uploads run in
    // parallel on the media work queue (--media_workers).
    vips_concurrency_set(1);
    // Decoded uploads must not outlive their request in a shared cache.
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    // Only the three accepted formats may ever be decoded, whatever a caller
    // (or libvips' own format detection, e.g. in thumbnail) asks for.
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    vips_operation_block_set("VipsForeignLoadJpeg", FALSE);
    vips_operation_block_set("VipsForeignLoadPng", FALSE);
    vips_operation_block_set("VipsForeignLoadWebp", FALSE);
    // Decoder warnings about bad uploads are expected; the failure reaches
    // the caller as a status.
    g_log_set_handler("VIPS", static_cast<GLogLevelFlags>(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO),
                      [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
    return new absl::Status();
  }();
  return *status;
}

absl::StatusOr<ProcessedPhoto> ProcessPhoto(ChunkedBytes upload, const ProcessOptions& options) {
  if (auto st = InitMedia(); !st.ok()) return st;
  if (upload.empty()) return absl::InvalidArgumentError("photo: no bytes were uploaded");
  char head[16];
  const size_t head_len = upload.ReadAt(0, head, sizeof head);
  const std::optional<ImageFormat> format = SniffFormat(absl::string_view(head, head_len));
  if (!format.has_value()) {
    return absl::InvalidArgumentError(
        "photo: the bytes are not a JPEG, PNG or WebP image (the content is checked, not the file name)");
  }
  // Renditions largest first: each smaller one is made from the previous.
  std::vector<RenditionSpec> specs = RenditionSpecs();
  std::sort(specs.begin(), specs.end(), [](const auto& a, const auto& b) { return a.max_width > b.max_width; });
  std::vector<Rendition> made;

  ProcessedPhoto out;
  out.original.format = *format;
  {
    ChunkedSource source(&upload);
    VipsImage* raw = nullptr;
    // Reads the header only: dimensions and metadata.
    if (LoadSource(*format, source.get(), VIPS_ACCESS_SEQUENTIAL, &raw) != 0) return Undecodable(*format);
    ImagePtr image(raw);
    const uint64_t pixels = static_cast<uint64_t>(image->Xsize) * static_cast<uint64_t>(image->Ysize);
    if (pixels > options.max_pixels) {
      return absl::InvalidArgumentError(absl::StrCat("photo: ", image->Xsize, " x ", image->Ysize, " pixels (",
                                                     pixels, ") is more than the ", options.max_pixels,
                                                     " pixels a photo may have"));
    }
    const int orientation = vips_image_get_orientation(image.get());
    const bool rotate = orientation >= 2 && orientation <= 8;
    std::vector<std::string> remove;
    if (options.strip_private_metadata) remove = PrivateFields(image.get());

    if (!rotate && remove.empty()) {
      // Stored as uploaded. The largest rendition is scaled from one
      // sequential decode of every pixel, which is also the proof that the
      // image is whole: a damaged or truncated one fails here.
      out.original.width = image->Xsize;
      out.original.height = image->Ysize;
      if (vips_thumbnail_image(image.get(), &raw, specs.front().max_width, "height", VIPS_MAX_COORD, "size",
                               VIPS_SIZE_DOWN, nullptr) != 0) {
        return Undecodable(*format);
      }
      ImagePtr scaled(raw);
      auto encoded = Encode(*format, scaled.get(), options.rendition_quality, /*strip=*/true);
      if (!encoded.ok()) return encoded.status();
      made.push_back({specs.front().name, *std::move(encoded)});
    } else {
      ChunkedSource random_source(&upload);
      if (rotate) {
        // A quarter turn reads the image out of order: decode it for random
        // access (libvips keeps large images in a temporary file).
        image.reset();
        if (LoadSource(*format, random_source.get(), VIPS_ACCESS_RANDOM, &raw) != 0) return Undecodable(*format);
        ImagePtr unrotated(raw);
        if (vips_autorot(unrotated.get(), &raw, nullptr) != 0) return Undecodable(*format);
        image.reset(raw);
      }
      if (vips_copy(image.get(), &raw, nullptr) != 0) return Undecodable(*format);
      ImagePtr edited(raw);
      for (const std::string& name : remove) vips_image_remove(edited.get(), name.c_str());
      // Saving decodes every pixel: a damaged image fails here.
      auto encoded = Encode(*format, edited.get(), options.original_quality, /*strip=*/false);
      if (!encoded.ok()) return encoded.status();
      out.original = *std::move(encoded);
      out.rewritten = true;
      out.removed_metadata = std::move(remove);
      image.reset();  // before random_source goes
    }
  }
  if (out.rewritten) {
    upload = ChunkedBytes();  // free the upload before making renditions
    // The largest rendition from the new original (JPEG and WebP decode at a
    // reduced scale directly).
    ChunkedSource source(&out.original.bytes);
    VipsImage* raw = nullptr;
    const int rc = vips_thumbnail_source(source.get(), &raw, specs.front().max_width, "height", VIPS_MAX_COORD,
                                         "size", VIPS_SIZE_DOWN, nullptr);
    ImagePtr scaled(raw);
    if (rc != 0) return Undecodable(*format);
    auto encoded = Encode(*format, scaled.get(), options.rendition_quality, /*strip=*/true);
    if (!encoded.ok()) return encoded.status();
    made.push_back({specs.front().name, *std::move(encoded)});
  } else {
    out.original.bytes = std::move(upload);
    out.original.sha256 = out.original.bytes.Sha256Hex();
  }

  for (size_t i = 1; i < specs.size(); ++i) {
    const std::string larger = made.back().image.bytes.ToString();
    VipsImage* raw = nullptr;
    const int rc = vips_thumbnail_buffer(const_cast<char*>(larger.data()), larger.size(), &raw, specs[i].max_width,
                                         "height", VIPS_MAX_COORD, "size", VIPS_SIZE_DOWN, nullptr);
    ImagePtr scaled(raw);
    if (rc != 0) return Undecodable(*format);
    auto encoded = Encode(*format, scaled.get(), options.rendition_quality, /*strip=*/true);
    if (!encoded.ok()) return encoded.status();
    made.push_back({specs[i].name, *std::move(encoded)});
  }
  for (const RenditionSpec& spec : RenditionSpecs()) {
    for (auto& r : made) {
      if (r.name == spec.name) out.renditions.push_back(std::move(r));
    }
  }
  return out;
}

absl::StatusOr<ImageInfo> InspectImage(absl::string_view bytes, bool decode_pixels) {
  if (auto st = InitMedia(); !st.ok()) return st;
  const std::optional<ImageFormat> format = SniffFormat(bytes.substr(0, 16));
  if (!format.has_value()) return absl::InvalidArgumentError("photo: the bytes are not a JPEG, PNG or WebP image");
  VipsImage* raw = nullptr;
  if (LoadBuffer(*format, bytes, VIPS_ACCESS_SEQUENTIAL, &raw) != 0) return Undecodable(*format);
  ImagePtr image(raw);
  if (decode_pixels) {
    double average = 0;
    if (vips_avg(image.get(), &average, nullptr) != 0) return Undecodable(*format);
  }
  ImageInfo info;
  info.format = *format;
  info.width = image->Xsize;
  info.height = image->Ysize;
  info.orientation = vips_image_get_orientation(image.get());
  for (const std::string& name : FieldNames(image.get())) info.fields.emplace_back(name, FieldText(image.get(), name));
  return info;
}

}  // namespace newsdesk::media
