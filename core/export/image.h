// image.h — an RGBA8 image in memory for exported figures: rectangles, anti-aliased text (drawn
// upright or turned 90° to read bottom to top) and PNG encoding (stb_image_write into memory).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/export/colormap.h"
#include "core/export/font.h"

namespace attnscope {

// Exported images are at most this many pixels on a side (64 MiB of RGBA at most).
inline constexpr int kMaxImageSide = 4096;

enum class TextDirection {
  horizontal,
  up,  // turned 90° counter-clockwise: reads bottom to top (vertical axis names, x labels)
};

struct PixelRect {
  int x = 0, y = 0, width = 0, height = 0;
};

// One drawing step of a figure, kept when an RgbaImage records them: a figure's vector form
// (figure_svg.h) is the same steps written as SVG, so the PNG and the SVG share one layout.
struct FigureOp {
  enum class Kind { rect, cell, text, line };
  Kind kind = Kind::rect;
  int x = 0, y = 0, w = 0, h = 0;  // rect and cell
  float pen_x = 0, pen_y = 0;      // text: where its pen starts on the baseline; line: its start
  Rgb colour;
  std::u32string text;
  float px = 0;
  TextDirection direction = TextDirection::horizontal;
  float end_x = 0, end_y = 0;     // line: its end
  float stroke = 1, opacity = 1;  // line: width in pixels, 0..1
};

struct RgbaImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;         // [height, width, 4], opaque
  std::vector<FigureOp>* record = nullptr;  // when set, every drawing step is appended here

  // A width × height image filled with `background`; an error past kMaxImageSide.
  static Result<RgbaImage> create(int width, int height, Rgb background);

  Rgb at(int x, int y) const;
  // Both clipped to the image.
  void fill_rect(int x, int y, int w, int h, Rgb colour);
  // fill_rect for one (drawn) cell of a map: recorded as a cell, which an SVG may replace by an
  // image when there are very many.
  void fill_cell(int x, int y, int w, int h, Rgb colour);
  // An anti-aliased line (round ends) from (x0, y0) to (x1, y1) in pixel coordinates (pixel
  // centres at +0.5), `stroke` pixels wide, blended at `opacity`.
  void draw_line(float x0, float y0, float x1, float y1, float stroke, Rgb colour,
                 float opacity = 1.0f);
  // Blends `text` in `colour` with its top-left corner (after turning) at (x, y).
  void draw_text(const TextBitmap& text, int x, int y, Rgb colour,
                 TextDirection direction = TextDirection::horizontal);

 private:
  void paint_rect(int x, int y, int w, int h, Rgb colour);  // the pixels only, nothing recorded
};

// The image as PNG bytes.
Result<std::vector<std::uint8_t>> encode_png(const RgbaImage& image);

}  // namespace attnscope
