#include "storage/media/synthetic_image.h"

#include <vips/vips.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace newsdesk::media {
namespace {

struct GObjectUnref {
  void operator()(gpointer p) const {
    if (p != nullptr) g_object_unref(p);
  }
};
using ImagePtr = std::unique_ptr<VipsImage, GObjectUnref>;

int FreeBlob(void* mem, void* /*area*/) {
  g_free(mem);
  return 0;
}

absl::Status VipsFailure(absl::string_view what) {
  std::unique_ptr<char, decltype(&g_free)> message(vips_error_buffer_copy(), &g_free);
  return absl::InternalError(absl::StrCat("synthetic image: ", what, ": ", message ? message.get() : ""));
}

// One 8-bit band: a ramp along x (or y), or noise.
absl::StatusOr<ImagePtr> Band(const SyntheticImageOptions& o, int which) {
  VipsImage* raw = nullptr;
  if (o.noise) {
    if (vips_gaussnoise(&raw, o.width, o.height, "sigma", 64.0, "mean", 128.0, nullptr) != 0) {
      return VipsFailure("gaussnoise");
    }
  } else {
    if (vips_xyz(&raw, o.width, o.height, nullptr) != 0) return VipsFailure("xyz");
    ImagePtr xyz(raw);
    if (vips_extract_band(xyz.get(), &raw, which % 2, nullptr) != 0) return VipsFailure("extract_band");
    ImagePtr coord(raw);
    const double extent = which % 2 == 0 ? o.width : o.height;
    const double scale = extent > 1 ? 255.0 / (extent - 1) : 0;
    if (vips_linear1(coord.get(), &raw, which == 2 ? -scale : scale, which == 2 ? 255.0 : 0.0, nullptr) != 0) {
      return VipsFailure("linear");
    }
  }
  ImagePtr band(raw);
  if (vips_cast_uchar(band.get(), &raw, nullptr) != 0) return VipsFailure("cast");
  return ImagePtr(raw);
}

}  // namespace

absl::StatusOr<std::string> MakeSyntheticImage(const SyntheticImageOptions& o) {
  if (auto st = InitMedia(); !st.ok()) return st;
  std::vector<ImagePtr> bands;
  for (int i = 0; i < 3; ++i) {
    auto band = Band(o, i);
    if (!band.ok()) return band.status();
    bands.push_back(*std::move(band));
  }
  VipsImage* in[3] = {bands[0].get(), bands[1].get(), bands[2].get()};
  VipsImage* raw = nullptr;
  if (vips_bandjoin(in, &raw, 3, nullptr) != 0) return VipsFailure("bandjoin");
  ImagePtr joined(raw);
  if (vips_copy(joined.get(), &raw, "interpretation", VIPS_INTERPRETATION_sRGB, nullptr) != 0) {
    return VipsFailure("copy");
  }
  ImagePtr image(raw);
  if (o.orientation != 0) vips_image_set_int(image.get(), VIPS_META_ORIENTATION, o.orientation);
  for (const auto& [name, value] : o.string_fields) vips_image_set_string(image.get(), name.c_str(), value.c_str());
  void* buf = nullptr;
  size_t len = 0;
  int rc = -1;
  if (!o.string_fields.empty() && o.format != ImageFormat::kJpeg) {
    // Only the JPEG writer turns exif-* fields into an EXIF block; the PNG
    // and WebP writers copy the block a loaded image carries. So: through a
    // JPEG, then the pixels of the original with that JPEG's EXIF block.
    if (vips_jpegsave_buffer(image.get(), &buf, &len, "Q", o.quality, nullptr) != 0) return VipsFailure("save");
    VipsImage* loaded_raw = nullptr;
    rc = vips_jpegload_buffer(buf, len, &loaded_raw, nullptr);
    ImagePtr loaded(loaded_raw);
    if (rc != 0) {
      g_free(buf);
      return VipsFailure("load");
    }
    const void* exif = nullptr;
    size_t exif_len = 0;
    if (vips_image_get_blob(loaded.get(), VIPS_META_EXIF_NAME, &exif, &exif_len) == 0) {
      void* copy = g_memdup2(exif, exif_len);
      vips_image_set_blob(image.get(), VIPS_META_EXIF_NAME, &FreeBlob, copy, exif_len);
    }
    g_free(buf);
    buf = nullptr;
  }
  switch (o.format) {
    case ImageFormat::kJpeg: rc = vips_jpegsave_buffer(image.get(), &buf, &len, "Q", o.quality, nullptr); break;
    case ImageFormat::kPng: rc = vips_pngsave_buffer(image.get(), &buf, &len, "compression", 1, nullptr); break;
    case ImageFormat::kWebp: rc = vips_webpsave_buffer(image.get(), &buf, &len, "Q", o.quality, nullptr); break;
  }
  if (rc != 0) return VipsFailure("save");
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  return out;
}

}  // namespace newsdesk::media
