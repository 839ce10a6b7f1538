// figure_parts.h — what every exported figure shares (heatmaps, line charts, attention lines):
// text sizes, margins, ink colours, and drawing text centred or turned, so that all figures look
// like one family. Internal to core/export.
#pragma once

#include <cmath>
#include <string>

#include "core/export/font.h"
#include "core/export/image.h"

namespace attnscope::figure {

inline constexpr float kTitlePx = 17, kAxisPx = 14, kTickPx = 12.5f;
inline constexpr int kPad = 14;                // white margin around the figure
inline constexpr int kTick = 4, kTextGap = 3;  // tick mark, then a gap, then its text
inline constexpr int kAxisGap = 6;             // labels to axis name
inline constexpr int kTitleGap = 10;           // title to plot
inline constexpr Rgb kWhite{255, 255, 255}, kInk{26, 26, 26}, kFrame{90, 90, 90};

inline int ceil_px(float v) {
  return static_cast<int>(std::ceil(v));
}

// The row where a text's visual middle (half the cap height above the baseline) lies.
inline float text_middle(const Font& font, const TextBitmap& text, float px) {
  return text.baseline - font.cap_height(px) / 2;
}

// A one-pixel frame just outside r.
inline void draw_frame(RgbaImage& image, PixelRect r) {
  image.fill_rect(r.x - 1, r.y - 1, r.width + 2, 1, kFrame);
  image.fill_rect(r.x - 1, r.y + r.height, r.width + 2, 1, kFrame);
  image.fill_rect(r.x - 1, r.y, 1, r.height, kFrame);
  image.fill_rect(r.x + r.width, r.y, 1, r.height, kFrame);
}

// Horizontal text centred on cx with its top at y.
inline void draw_centred(RgbaImage& image, const Font& font, const std::u32string& text, float px,
                         float cx, int y) {
  if (text.empty()) return;
  const TextBitmap bitmap = font.render(text, px);
  image.draw_text(bitmap, static_cast<int>(std::lround(cx - (bitmap.origin + bitmap.end) / 2)), y,
                  kInk);
}

// Vertical text (reading bottom to top) with its left at x, centred on cy.
inline void draw_vertical_centred(RgbaImage& image, const Font& font, const std::u32string& text,
                                  float px, int x, float cy) {
  if (text.empty()) return;
  const TextBitmap bitmap = font.render(text, px);
  image.draw_text(
      bitmap, x,
      static_cast<int>(std::lround(cy - bitmap.width + 1 + (bitmap.origin + bitmap.end) / 2)), kInk,
      TextDirection::up);
}

}  // namespace attnscope::figure
