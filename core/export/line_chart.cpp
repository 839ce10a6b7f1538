// line_chart.cpp — laying out and drawing line charts (see line_chart.h).
#include "core/export/line_chart.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/export/figure_parts.h"
#include "core/export/figure_raster.h"
#include "core/export/figure_svg.h"
#include "core/export/ticks.h"

namespace attnscope {

namespace {

using namespace figure;

constexpr Rgb kGrid{232, 232, 232}, kChance{150, 150, 150};
constexpr float kLineWidth = 2.0f, kMarker = 6.0f;
constexpr std::size_t kMaxPoints = 1 << 20;  // per series: a figure, not a data dump

struct Range {
  double lo = 0, hi = 1;
  float at(double v, float from, float to) const {  // v's pixel between from (lo) and to (hi)
    return from + float((v - lo) / (hi - lo)) * (to - from);
  }
};

Range range_of(const std::vector<LineSeries>& series, bool x, std::optional<double> lo,
               std::optional<double> hi) {
  double a = std::numeric_limits<double>::infinity(), b = -a;
  for (const LineSeries& s : series)
    for (const double v : x ? s.x : s.y)
      if (std::isfinite(v)) a = std::min(a, v), b = std::max(b, v);
  if (!std::isfinite(a)) a = 0, b = 1;
  if (a == b) a -= 0.5, b += 0.5;
  Range r{lo.value_or(a), hi.value_or(b)};
  if (!(r.hi > r.lo)) r.hi = r.lo + 1;
  return r;
}

Status check(const LineChartSpec& spec) {
  if (spec.series.empty()) return make_error("a line chart needs at least one series");
  for (const LineSeries& s : spec.series) {
    if (s.x.empty() || s.x.size() != s.y.size())
      return make_error("line series '" + s.label + "' has " + std::to_string(s.x.size()) +
                            " x and " + std::to_string(s.y.size()) + " y values",
                        "give as many of each, at least one");
    if (s.x.size() > kMaxPoints)
      return make_error("line series '" + s.label + "' has more than " +
                        std::to_string(kMaxPoints) + " points");
  }
  if (spec.plot_width < 64 || spec.plot_width > 2048 || spec.plot_height < 64 ||
      spec.plot_height > 2048)
    return make_error("a line chart's plot area is 64..2048 pixels on a side");
  if ((spec.x_min && !std::isfinite(*spec.x_min)) || (spec.x_max && !std::isfinite(*spec.x_max)) ||
      (spec.y_min && !std::isfinite(*spec.y_min)) || (spec.y_max && !std::isfinite(*spec.y_max)))
    return make_error("a line chart's axis ends must be finite");
  return {};
}

}  // namespace

Rgb series_colour(std::size_t index) {
  static constexpr Rgb kOkabeIto[] = {{0, 114, 178}, {213, 94, 0},   {0, 158, 115}, {204, 121, 167},
                                      {230, 159, 0}, {86, 180, 233}, {26, 26, 26}};
  return kOkabeIto[index % (sizeof kOkabeIto / sizeof kOkabeIto[0])];
}

Result<HeatmapFigure> render_line_chart(const LineChartSpec& spec, std::vector<FigureOp>* record) {
  ATTNSCOPE_TRY(check(spec));
  ATTNSCOPE_ASSIGN(const std::shared_ptr<const Font> font_ptr, export_font());
  const Font& font = *font_ptr;
  const bool categories = !spec.x_categories.empty();
  const Range xr = categories ? Range{-0.5, double(spec.x_categories.size()) - 0.5}
                              : range_of(spec.series, true, spec.x_min, spec.x_max);
  const Range yr = range_of(spec.series, false, spec.y_min, spec.y_max);
  const Ticks yt = nice_ticks(yr.lo, yr.hi, std::clamp(spec.plot_height / 50, 2, 11));
  const Ticks xt = nice_ticks(xr.lo, xr.hi, std::clamp(spec.plot_width / 80, 2, 11));

  // Tick texts, and how far they reach left of and below the plot.
  std::vector<std::u32string> ytext, xtext;
  std::vector<double> xpos;
  int ytick_w = 0;
  for (const double v : yt.values) {
    ytext.push_back(display_text(format_number(v, yt.decimals)));
    ytick_w = std::max(ytick_w, ceil_px(font.width(ytext.back(), kTickPx)));
  }
  if (categories) {
    // Every stride-th category, so that labels never touch.
    float widest = 1;
    std::vector<std::u32string> all;
    for (const std::string& c : spec.x_categories) {
      all.push_back(elide(font, display_text(c), kTickPx, 160));
      widest = std::max(widest, font.width(all.back(), kTickPx));
    }
    const float pitch = float(spec.plot_width) / float(all.size());
    const int stride = std::max(1, int(std::ceil((widest + 8) / pitch)));
    for (std::size_t i = 0; i < all.size(); i += std::size_t(stride)) {
      xtext.push_back(all[i]);
      xpos.push_back(double(i));
    }
  } else {
    for (const double v : xt.values) {
      xtext.push_back(display_text(format_number(v, xt.decimals)));
      xpos.push_back(v);
    }
  }
  const int axis_line = ceil_px(font.line_height(kAxisPx));
  const int tick_line = ceil_px(font.line_height(kTickPx));
  const std::u32string title = elide(font, display_text(spec.title), kTitlePx, 1400);
  const int title_h =
      title.empty() ? tick_line / 2 : ceil_px(font.line_height(kTitlePx)) + kTitleGap;
  PixelRect plot;
  plot.x = kPad + (spec.y_axis.empty() ? 0 : axis_line + kAxisGap) + ytick_w + kTextGap + kTick;
  plot.y = kPad + title_h;
  plot.width = spec.plot_width;
  plot.height = spec.plot_height;
  // Room for a last x label's half, and for the whole title.
  const int width = std::max(plot.x + plot.width + kPad + tick_line,
                             2 * kPad + ceil_px(font.width(title, kTitlePx)));
  const int height = plot.y + plot.height + kTick + kTextGap + tick_line +
                     (spec.x_axis.empty() ? 0 : kAxisGap + axis_line) + kPad;
  ATTNSCOPE_ASSIGN(RgbaImage image, RgbaImage::create(width, height, kWhite));
  image.record = record;
  const float left = float(plot.x), right = float(plot.x + plot.width);
  const float top = float(plot.y), bottom = float(plot.y + plot.height);

  // Over the plot, unless that would push it off the figure.
  const float title_half = font.width(title, kTitlePx) / 2;
  draw_centred(image, font, title, kTitlePx,
               std::clamp(plot.x + plot.width / 2.0f, kPad + title_half, width - kPad - title_half),
               kPad);
  // Grid lines and y ticks.
  for (std::size_t i = 0; i < yt.values.size(); i++) {
    const int y = int(std::lround(yr.at(yt.values[i], bottom - 0.5f, top - 0.5f)));
    image.fill_rect(plot.x, y, plot.width, 1, kGrid);
    image.fill_rect(plot.x - 1 - kTick, y, kTick, 1, kFrame);
    const TextBitmap text = font.render(ytext[i], kTickPx);
    image.draw_text(text, plot.x - 1 - kTick - kTextGap - int(std::ceil(text.end)),
                    int(std::lround(y - text_middle(font, text, kTickPx))), kInk);
  }
  for (std::size_t i = 0; i < xpos.size(); i++) {
    const int x = int(std::lround(xr.at(xpos[i], left - 0.5f, right - 0.5f)));
    if (!categories) image.fill_rect(x, plot.y, 1, plot.height, kGrid);
    image.fill_rect(x, plot.y + plot.height + 1, 1, kTick, kFrame);
    draw_centred(image, font, xtext[i], kTickPx, x + 0.5f,
                 plot.y + plot.height + 1 + kTick + kTextGap);
  }
  draw_frame(image, plot);
  if (!spec.x_axis.empty())
    draw_centred(image, font, display_text(spec.x_axis), kAxisPx, plot.x + plot.width / 2.0f,
                 plot.y + plot.height + 1 + kTick + kTextGap + tick_line + kAxisGap);
  if (!spec.y_axis.empty())
    draw_vertical_centred(image, font,
                          elide(font, display_text(spec.y_axis), kAxisPx, float(plot.height)),
                          kAxisPx, kPad, plot.y + plot.height / 2.0f);

  const auto px = [&](double x) { return xr.at(x, left, right); };
  const auto py = [&](double y) { return yr.at(std::clamp(y, yr.lo, yr.hi), bottom, top); };
  if (spec.chance_diagonal) {  // dashed, in 8 px steps along the line
    const double lo = std::max(xr.lo, yr.lo), hi = std::min(xr.hi, yr.hi);
    const float x0 = px(lo), y0 = py(lo), x1 = px(hi), y1 = py(hi);
    const float length = std::hypot(x1 - x0, y1 - y0);
    for (float d = 0; d < length; d += 8) {
      const float a = d / length, b = std::min(length, d + 4) / length;
      image.draw_line(x0 + a * (x1 - x0), y0 + a * (y1 - y0), x0 + b * (x1 - x0),
                      y0 + b * (y1 - y0), 1.0f, kChance);
    }
  }
  for (const LineSeries& s : spec.series) {
    for (std::size_t i = 1; i < s.x.size(); i++)
      if (std::isfinite(s.y[i - 1]) && std::isfinite(s.y[i]))
        image.draw_line(px(s.x[i - 1]), py(s.y[i - 1]), px(s.x[i]), py(s.y[i]), kLineWidth,
                        s.colour);
    if (s.markers || s.x.size() == 1)
      for (std::size_t i = 0; i < s.x.size(); i++)
        if (std::isfinite(s.y[i]))
          image.draw_line(px(s.x[i]), py(s.y[i]), px(s.x[i]), py(s.y[i]), kMarker, s.colour);
  }
  // The legend, in the plot's lower right corner, one line per labelled series.
  std::vector<const LineSeries*> labelled;
  for (const LineSeries& s : spec.series)
    if (!s.label.empty()) labelled.push_back(&s);
  if (!labelled.empty()) {
    int text_w = 0;
    for (const LineSeries* s : labelled)
      text_w = std::max(text_w, ceil_px(font.width(display_text(s->label), kTickPx)));
    const int row = tick_line + 2, swatch = 18;
    const PixelRect box{plot.x + plot.width - 8 - (swatch + 6 + text_w + 12),
                        plot.y + plot.height - 8 - (int(labelled.size()) * row + 8),
                        swatch + 6 + text_w + 12, int(labelled.size()) * row + 8};
    image.fill_rect(box.x, box.y, box.width, box.height, kWhite);
    draw_frame(image, box);
    for (std::size_t i = 0; i < labelled.size(); i++) {
      const float cy = box.y + 4 + row * (i + 0.5f);
      image.draw_line(box.x + 6.0f, cy, box.x + 6.0f + swatch, cy, kLineWidth, labelled[i]->colour);
      const TextBitmap text = font.render(display_text(labelled[i]->label), kTickPx);
      image.draw_text(text, box.x + 6 + swatch + 6 - text.origin,
                      int(std::lround(cy - text_middle(font, text, kTickPx))), kInk);
    }
  }
  image.record = nullptr;
  HeatmapFigure figure;
  figure.image = std::move(image);
  figure.plots = {plot};
  figure.vmin = float(yr.lo);
  figure.vmax = float(yr.hi);
  return figure;
}

Result<std::vector<std::uint8_t>> render_line_chart_png(const LineChartSpec& spec, int scale) {
  return scaled_png(scale,
                    [&](std::vector<FigureOp>* record) { return render_line_chart(spec, record); });
}

Result<std::string> render_line_chart_svg(const LineChartSpec& spec) {
  std::vector<FigureOp> ops;
  ATTNSCOPE_ASSIGN(const HeatmapFigure figure, render_line_chart(spec, &ops));
  return figure_svg(figure, ops);
}

}  // namespace attnscope
