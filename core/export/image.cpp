// image.cpp — drawing into an RgbaImage and encoding it as PNG in memory.
#include "core/export/image.h"

#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

namespace attnscope {

Result<RgbaImage> RgbaImage::create(int width, int height, Rgb background) {
  if (width <= 0 || height <= 0 || width > kMaxImageSide || height > kMaxImageSide) {
    return make_error("image of " + std::to_string(width) + "×" + std::to_string(height) +
                          " pixels is outside 1.." + std::to_string(kMaxImageSide) + " per side",
                      "use fewer cells or a smaller cell size");
  }
  RgbaImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<std::size_t>(width) * height * 4);
  for (std::size_t i = 0; i < image.pixels.size(); i += 4) {
    image.pixels[i] = background.r;
    image.pixels[i + 1] = background.g;
    image.pixels[i + 2] = background.b;
    image.pixels[i + 3] = 255;
  }
  return image;
}

Rgb RgbaImage::at(int x, int y) const {
  const std::uint8_t* p = &pixels[(static_cast<std::size_t>(y) * width + x) * 4];
  return {p[0], p[1], p[2]};
}

void RgbaImage::fill_cell(int x, int y, int w, int h, Rgb colour) {
  if (record) record->push_back({FigureOp::Kind::cell, x, y, w, h, 0, 0, colour, {}, 0, {}});
  paint_rect(x, y, w, h, colour);
}

void RgbaImage::fill_rect(int x, int y, int w, int h, Rgb colour) {
  if (record) record->push_back({FigureOp::Kind::rect, x, y, w, h, 0, 0, colour, {}, 0, {}});
  paint_rect(x, y, w, h, colour);
}

void RgbaImage::paint_rect(int x, int y, int w, int h, Rgb colour) {
  const int x0 = std::max(x, 0), x1 = std::min(x + w, width);
  const int y0 = std::max(y, 0), y1 = std::min(y + h, height);
  for (int yy = y0; yy < y1; yy++) {
    std::uint8_t* p = &pixels[(static_cast<std::size_t>(yy) * width + x0) * 4];
    for (int xx = x0; xx < x1; xx++, p += 4) {
      p[0] = colour.r;
      p[1] = colour.g;
      p[2] = colour.b;
    }
  }
}

void RgbaImage::draw_line(float x0, float y0, float x1, float y1, float stroke, Rgb colour,
                          float opacity) {
  if (record) {
    FigureOp op;
    op.kind = FigureOp::Kind::line;
    op.pen_x = x0;
    op.pen_y = y0;
    op.end_x = x1;
    op.end_y = y1;
    op.stroke = stroke;
    op.opacity = opacity;
    op.colour = colour;
    record->push_back(std::move(op));
  }
  // Coverage of each pixel centre: how far inside the capsule of radius width/2 around the
  // segment it lies, ramped over one pixel (a box-filtered edge).
  const float r = stroke / 2, dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
  const int px0 = std::max(0, static_cast<int>(std::floor(std::min(x0, x1) - r - 1)));
  const int px1 = std::min(width, static_cast<int>(std::ceil(std::max(x0, x1) + r + 1)));
  const int py0 = std::max(0, static_cast<int>(std::floor(std::min(y0, y1) - r - 1)));
  const int py1 = std::min(height, static_cast<int>(std::ceil(std::max(y0, y1) + r + 1)));
  for (int py = py0; py < py1; py++) {
    for (int px = px0; px < px1; px++) {
      const float cx = px + 0.5f, cy = py + 0.5f;
      const float t =
          len2 > 0 ? std::clamp(((cx - x0) * dx + (cy - y0) * dy) / len2, 0.0f, 1.0f) : 0.0f;
      const float ex = cx - (x0 + t * dx), ey = cy - (y0 + t * dy);
      const float cover = std::clamp(r + 0.5f - std::sqrt(ex * ex + ey * ey), 0.0f, 1.0f);
      const int a = static_cast<int>(std::lround(255 * cover * std::clamp(opacity, 0.0f, 1.0f)));
      if (a == 0) continue;
      std::uint8_t* p = &pixels[(static_cast<std::size_t>(py) * width + px) * 4];
      const auto blend = [a](std::uint8_t under, std::uint8_t ink) {
        return static_cast<std::uint8_t>((under * (255 - a) + ink * a + 127) / 255);
      };
      p[0] = blend(p[0], colour.r);
      p[1] = blend(p[1], colour.g);
      p[2] = blend(p[2], colour.b);
    }
  }
}

void RgbaImage::draw_text(const TextBitmap& text, int x, int y, Rgb colour,
                          TextDirection direction) {
  const bool up = direction == TextDirection::up;
  if (record && !text.text.empty()) {
    // The pen's start in image coordinates (pixel edges): turned up, the bitmap's column origin
    // lands on row y + width - origin (its lower edge) and its baseline row on column x + baseline.
    FigureOp op;
    op.kind = FigureOp::Kind::text;
    op.pen_x = float(up ? x + text.baseline : x + text.origin);
    op.pen_y = float(up ? y + text.width - text.origin : y + text.baseline);
    op.colour = colour;
    op.text = text.text;
    op.px = text.px;
    op.direction = direction;
    record->push_back(std::move(op));
  }
  for (int ty = 0; ty < text.height; ty++) {
    for (int tx = 0; tx < text.width; tx++) {
      const int a = text.coverage[static_cast<std::size_t>(ty) * text.width + tx];
      if (a == 0) continue;
      // Turned up, the text's row ty becomes column ty and its column tx row (width - 1 - tx).
      const int ix = up ? x + ty : x + tx;
      const int iy = up ? y + text.width - 1 - tx : y + ty;
      if (ix < 0 || iy < 0 || ix >= width || iy >= height) continue;
      std::uint8_t* p = &pixels[(static_cast<std::size_t>(iy) * width + ix) * 4];
      const auto blend = [a](std::uint8_t under, std::uint8_t ink) {
        return static_cast<std::uint8_t>((under * (255 - a) + ink * a + 127) / 255);
      };
      p[0] = blend(p[0], colour.r);
      p[1] = blend(p[1], colour.g);
      p[2] = blend(p[2], colour.b);
    }
  }
}

Result<std::vector<std::uint8_t>> encode_png(const RgbaImage& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 4) {
    return make_error("cannot encode an empty or inconsistent image as PNG");
  }
  std::vector<std::uint8_t> png;
  const auto append = [](void* context, void* data, int size) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(context);
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    out->insert(out->end(), bytes, bytes + size);
  };
  // stb's flip flag is global and the desktop's screenshots turn it on: our rows are top-down.
  stbi_flip_vertically_on_write(0);
  if (!stbi_write_png_to_func(append, &png, image.width, image.height, 4, image.pixels.data(),
                              image.width * 4)) {
    return make_error("PNG encoding failed (out of memory?)");
  }
  return png;
}

}  // namespace attnscope
