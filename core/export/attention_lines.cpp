// attention_lines.cpp — laying out and drawing the attention line view (see attention_lines.h).
#include "core/export/attention_lines.h"

#include <algorithm>
#include <cmath>

#include "core/export/figure_parts.h"
#include "core/export/figure_raster.h"
#include "core/export/figure_svg.h"

namespace attnscope {

namespace {

using namespace figure;

constexpr Rgb kLine{0, 114, 178}, kFocus{213, 94, 0};
constexpr float kLabelPx = 13;
constexpr int kMaxLabelWidth = 180, kGapToLines = 8, kLinesWidth = 300;

}  // namespace

Result<HeatmapFigure> render_attention_lines(const AttentionLinesSpec& spec,
                                             std::vector<FigureOp>* record) {
  const int T = spec.tokens;
  if (!spec.pattern || T <= 0)
    return make_error("the line view needs a pattern of 1 or more tokens");
  if (T > kMaxLineTokens)
    return make_error("the line view draws at most " + std::to_string(kMaxLineTokens) +
                          " tokens; this pattern has " + std::to_string(T),
                      "export the heatmap instead");
  if (!spec.labels.empty() && spec.labels.size() != std::size_t(T))
    return make_error("the line view has " + std::to_string(spec.labels.size()) + " labels for " +
                      std::to_string(T) + " tokens");
  if (spec.query >= T) return make_error("the line view's query is past the last token");
  ATTNSCOPE_ASSIGN(const std::shared_ptr<const Font> font_ptr, export_font());
  const Font& font = *font_ptr;
  // Rows as tall as a label, or shorter (labels thinned) so that the figure fits.
  const float line = font.line_height(kLabelPx);
  const float pitch = std::min(line + 4, float(kMaxImageSide - 200) / float(T));
  const int stride = pitch >= line ? 1 : int(std::ceil(line / pitch));
  std::vector<std::u32string> labels;
  int label_w = 0;
  for (int i = 0; i < T; i++) {
    labels.push_back(elide(
        font, display_text(spec.labels.empty() ? std::to_string(i) : spec.labels[std::size_t(i)]),
        kLabelPx, kMaxLabelWidth));
    label_w = std::max(label_w, ceil_px(font.width(labels.back(), kLabelPx)));
  }
  // A column is at least as wide as its axis name ("query", "key").
  label_w = std::max(label_w, ceil_px(font.width(U"query", kAxisPx)));
  const std::u32string title = elide(font, display_text(spec.title), kTitlePx, 1200);
  const int title_h = ceil_px(font.line_height(kTitlePx)) + kTitleGap;
  const int axis_h = ceil_px(font.line_height(kAxisPx)) + kAxisGap;
  const int top = kPad + title_h + axis_h;
  const int left_text = kPad + label_w;  // the query labels end here
  const float x0 = float(left_text + kGapToLines), x1 = x0 + kLinesWidth;
  const int width = int(x1) + kGapToLines + label_w + kPad;
  const int height = top + ceil_px(pitch * T) + kPad;
  const int title_w = 2 * kPad + ceil_px(font.width(title, kTitlePx));
  ATTNSCOPE_ASSIGN(RgbaImage image, RgbaImage::create(std::max(width, title_w), height, kWhite));
  image.record = record;
  draw_centred(image, font, title, kTitlePx, image.width / 2.0f, kPad);
  draw_centred(image, font, U"query", kAxisPx, left_text - label_w / 2.0f, kPad + title_h);
  draw_centred(image, font, U"key", kAxisPx, x1 + kGapToLines + label_w / 2.0f, kPad + title_h);
  const auto row_y = [&](int i) { return top + pitch * (i + 0.5f); };
  for (int i = 0; i < T; i += stride) {
    const TextBitmap text = font.render(labels[std::size_t(i)], kLabelPx);
    const int y = int(std::lround(row_y(i) - text_middle(font, text, kLabelPx)));
    image.draw_text(text, left_text - int(std::ceil(text.end)), y, i == spec.query ? kFocus : kInk);
    image.draw_text(text, int(x1) + kGapToLines - text.origin, y, kInk);
  }
  const int q0 = spec.query >= 0 ? spec.query : 0, q1 = spec.query >= 0 ? spec.query : T - 1;
  for (int q = q0; q <= q1; q++)
    for (int k = 0; k <= q; k++) {
      const float w = spec.pattern[std::size_t(q) * T + k];
      if (!(w >= spec.min_weight)) continue;  // also NaN
      const float weight = std::min(1.0f, w);
      image.draw_line(x0, row_y(q), x1, row_y(k), 1.0f + 3.0f * weight, kLine,
                      spec.query >= 0 ? weight : 0.65f * weight);
    }
  image.record = nullptr;
  HeatmapFigure figure;
  figure.image = std::move(image);
  figure.plots = {PixelRect{int(x0), top, kLinesWidth, ceil_px(pitch * T)}};
  return figure;
}

Result<std::vector<std::uint8_t>> render_attention_lines_png(const AttentionLinesSpec& spec,
                                                             int scale) {
  return scaled_png(
      scale, [&](std::vector<FigureOp>* record) { return render_attention_lines(spec, record); });
}

Result<std::string> render_attention_lines_svg(const AttentionLinesSpec& spec) {
  std::vector<FigureOp> ops;
  ATTNSCOPE_ASSIGN(const HeatmapFigure figure, render_attention_lines(spec, &ops));
  return figure_svg(figure, ops);
}

}  // namespace attnscope
