// heatmap_png.cpp — laying out and drawing heatmap figures (single maps and grids of panels).
//
// [SECTION] figure constants      sizes of text, margins, colour bar
// [SECTION] cells                 cell size, downsampling, value range, drawing the cells
// [SECTION] labels                token / index labels on both axes, thinned so they never touch
// [SECTION] colour bar and text   the gradient with ticks; titles and axis names
// [SECTION] figures               render_heatmap, render_heatmap_grid, heatmap_of
#include "core/export/heatmap_png.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/export/figure_parts.h"
#include "core/export/font.h"
#include "core/export/ticks.h"

namespace attnscope {

namespace {

using namespace figure;  // the sizes and text helpers every figure shares

// [SECTION] figure constants ---------------------------------------------------------------------

constexpr float kPanelTitlePx = 12;
constexpr float kLabelMaxPx = 13, kLabelMinPx = 10;  // token labels shrink to fit their cells
constexpr float kMaxLabelWidth = 200;                // longer labels end in '…'
constexpr int kColorbarGap = 18, kColorbarWidth = 18, kMinColorbarHeight = 120;
constexpr int kMaxGridColorbarHeight = 480;
constexpr int kPanelGapX = 14, kPanelGapY = 12;
constexpr int kMaxPlotSide = 2048, kMaxPanelSide = 1024;  // larger maps are downsampled

// [SECTION] cells --------------------------------------------------------------------------------

// How a map's cells become pixels: blocks of row_block × col_block source cells (1 × 1 unless the
// map is larger than the side limit) are drawn as cell_w × cell_h pixels.
struct CellGrid {
  int rows = 0, cols = 0;
  int row_block = 1, col_block = 1;
  int drawn_rows = 0, drawn_cols = 0;
  int cell_w = 1, cell_h = 1;

  int width() const { return drawn_cols * cell_w; }
  int height() const { return drawn_rows * cell_h; }
  float row_pitch() const { return static_cast<float>(height()) / rows; }  // px per source row
  float col_pitch() const { return static_cast<float>(width()) / cols; }
};

struct CellSizing {
  float target_side;  // automatic cells make the longer side about this long
  int max_cell;       // ... with at most this many pixels per cell
  int label_cell;     // ... or this many if that lets every label show within label_side
  int label_side;
  int min_across;  // a thin map's short side is stretched to this (automatic cells only)
};
constexpr CellSizing kSingleSizing{720, 48, 14, 1400, 96};
constexpr CellSizing kPanelSizing{144, 24, 0, 0, 48};

CellGrid plan_cells(int rows, int cols, int cell_px, const CellSizing& sizing, int max_side) {
  CellGrid g;
  g.rows = rows;
  g.cols = cols;
  const int n = std::max(rows, cols);
  int cell = cell_px;
  if (cell <= 0) {
    cell = std::clamp(static_cast<int>(std::lround(sizing.target_side / n)), 1, sizing.max_cell);
    if (cell < sizing.label_cell && n * sizing.label_cell <= sizing.label_side) {
      cell = sizing.label_cell;
    }
  }
  // Past max_side cells on a side, one pixel per block of cells.
  cell = n > max_side ? 1 : std::max(1, std::min(cell, max_side / n));
  const auto blocks = [&](int count) {
    return count > max_side ? (count + max_side - 1) / max_side : 1;
  };
  g.row_block = blocks(rows);
  g.col_block = blocks(cols);
  g.drawn_rows = (rows + g.row_block - 1) / g.row_block;
  g.drawn_cols = (cols + g.col_block - 1) / g.col_block;
  g.cell_w = g.cell_h = cell;
  if (cell_px <= 0) {
    const auto stretch = [&](int drawn, int& side) {
      if (drawn * side < sizing.min_across) {
        side = std::max(side, std::min(sizing.max_cell, (sizing.min_across + drawn - 1) / drawn));
      }
    };
    stretch(g.drawn_rows, g.cell_h);
    stretch(g.drawn_cols, g.cell_w);
  }
  return g;
}

bool masked(const HeatmapSpec& spec, int row, int col) {
  return spec.mask_upper && col > row;
}

struct ValueRange {
  float lo = 0, hi = 1;
  float t(float v) const { return (v - lo) / (hi - lo); }
};

Result<ValueRange> value_range(const std::vector<const HeatmapSpec*>& maps, Colormap colormap,
                               std::optional<float> vmin, std::optional<float> vmax) {
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (const HeatmapSpec* m : maps) {
    for (int r = 0; r < m->rows; r++) {
      const float* row = m->values + static_cast<std::size_t>(r) * m->cols;
      for (int c = 0; c < m->cols; c++) {
        if (masked(*m, r, c) || !std::isfinite(row[c])) continue;
        lo = std::min(lo, row[c]);
        hi = std::max(hi, row[c]);
      }
    }
  }
  const bool any = lo <= hi;
  if ((vmin && !std::isfinite(*vmin)) || (vmax && !std::isfinite(*vmax))) {
    return make_error("heatmap vmin/vmax must be finite numbers");
  }
  if (vmin && vmax && *vmin > *vmax) {
    char message[96];
    std::snprintf(message, sizeof message, "heatmap vmin (%g) is above vmax (%g)",
                  static_cast<double>(*vmin), static_cast<double>(*vmax));
    return make_error(message, "swap them");
  }
  ValueRange range;
  if (is_diverging(colormap)) {
    const float m = any ? std::max(std::fabs(lo), std::fabs(hi)) : 1.0f;
    range.lo = vmin ? *vmin : (vmax ? -*vmax : -m);
    range.hi = vmax ? *vmax : (vmin ? -*vmin : m);
  } else {
    range.lo = vmin ? *vmin : (any ? lo : 0.0f);
    range.hi = vmax ? *vmax : (any ? hi : 1.0f);
  }
  if (range.lo >= range.hi) {  // constant data, or one end set beyond the data
    const float fixed = vmin ? range.lo : range.hi;
    const float d = fixed != 0 ? std::fabs(fixed) * 0.1f : 1.0f;
    if (vmin && !vmax) {
      range.hi = range.lo + d;
    } else if (vmax && !vmin) {
      range.lo = range.hi - d;
    } else if (range.lo == range.hi) {
      range.lo -= d;
      range.hi += d;
    }
  }
  if (!(range.lo < range.hi) || !std::isfinite(range.hi - range.lo)) {
    return make_error("heatmap value range is empty or too wide", "set vmin and vmax");
  }
  return range;
}

// The mean of a block's finite, unmasked values; false when it has none.
bool block_value(const HeatmapSpec& spec, const CellGrid& g, int drawn_row, int drawn_col,
                 float& value) {
  const int r0 = drawn_row * g.row_block, r1 = std::min(r0 + g.row_block, spec.rows);
  const int c0 = drawn_col * g.col_block, c1 = std::min(c0 + g.col_block, spec.cols);
  double sum = 0;
  int count = 0;
  for (int r = r0; r < r1; r++) {
    const float* row = spec.values + static_cast<std::size_t>(r) * spec.cols;
    for (int c = c0; c < c1; c++) {
      if (masked(spec, r, c) || std::isnan(row[c])) continue;
      sum += row[c];
      count++;
    }
  }
  if (count == 0) return false;
  value = count == 1 ? static_cast<float>(sum) : static_cast<float>(sum / count);
  return !std::isnan(value);
}

// Values written into cells: a font size that fits the widest value, or none (px == 0).
struct Annotation {
  float px = 0;
  int decimals = 2;
};

std::string annotation_text(float v, int decimals) {
  if (std::isinf(v)) return v > 0 ? "\u221e" : "\u2212\u221e";
  return format_number(v, decimals);
}

Annotation plan_annotation(const Font& font, const HeatmapSpec& spec, const CellGrid& g,
                           ValueRange range) {
  Annotation a;
  if (!spec.annotate || g.row_block > 1 || g.col_block > 1) return a;
  float max_abs = std::max(std::fabs(range.lo), std::fabs(range.hi));
  float widest_value = range.lo < 0 ? -max_abs : max_abs;
  a.decimals = annotation_decimals(max_abs);
  const std::u32string widest = display_text(annotation_text(widest_value, a.decimals));
  for (float px = 12; px >= 8; px -= 0.5f) {
    if (font.width(widest, px) + 4 <= g.cell_w && font.line_height(px) + 2 <= g.cell_h) {
      a.px = px;
      break;
    }
  }
  return a;
}

void draw_cells(RgbaImage& image, const Font& font, const HeatmapSpec& spec, const CellGrid& g,
                ValueRange range, Colormap colormap, const Annotation& annotation, PixelRect at) {
  for (int dr = 0; dr < g.drawn_rows; dr++) {
    for (int dc = 0; dc < g.drawn_cols; dc++) {
      float v = 0;
      const bool has_value = block_value(spec, g, dr, dc, v);
      const Rgb colour = has_value ? sample(colormap, range.t(v)) : masked_cell_colour(colormap);
      const int x = at.x + dc * g.cell_w, y = at.y + dr * g.cell_h;
      image.fill_cell(x, y, g.cell_w, g.cell_h, colour);
      if (!has_value || annotation.px == 0) continue;
      const TextBitmap text =
          font.render(display_text(annotation_text(v, annotation.decimals)), annotation.px);
      const int luma = (299 * colour.r + 587 * colour.g + 114 * colour.b) / 1000;
      const Rgb ink = luma < 128 ? kWhite : kInk;
      const float cx = x + g.cell_w / 2.0f, cy = y + g.cell_h / 2.0f;
      image.draw_text(
          text, static_cast<int>(std::lround(cx - (text.origin + text.end) / 2)),
          static_cast<int>(std::lround(cy - text.baseline + font.cap_height(annotation.px) / 2)),
          ink);
    }
  }
  draw_frame(image, at);
}

// [SECTION] labels -------------------------------------------------------------------------------

struct LabelPlan {
  std::vector<int> shown;  // source indices that get a label
  std::vector<std::u32string> text;
  float px = kLabelMaxPx;
  int extent = 0;       // the widest label, in pixels along its reading direction
  int line = 0;         // the height of a line of label text
  bool upright = true;  // column labels: written horizontally (they fit side by side)
};

// 1, 2, 5, 10, 20, 50, ...: the smallest at least `at_least`.
int nice_stride(int at_least) {
  for (int decade = 1;; decade *= 10) {
    for (const int m : {1, 2, 5}) {
      if (m * decade >= at_least) return m * decade;
    }
    if (decade > std::numeric_limits<int>::max() / 100) return std::numeric_limits<int>::max();
  }
}

// Labels for n cells `pitch` pixels apart: as large as the cells allow (10..13 px), every
// stride-th one where even 10 px text would not fit each cell.
LabelPlan plan_labels(const Font& font, const std::vector<std::string>& labels, int n,
                      float pitch) {
  LabelPlan plan;
  plan.px = std::clamp(pitch * 0.8f, kLabelMinPx, kLabelMaxPx);
  const float line = font.line_height(plan.px);
  // Thinned index labels are spaced wider than token labels: every 50th of 1024, not every 20th.
  const float spacing = labels.empty() ? std::max(line, 40.0f) : line;
  const int stride = pitch >= line ? 1 : nice_stride(ceil_px(spacing / pitch));
  plan.line = ceil_px(line);
  for (int i = 0; i < n; i += stride) {
    std::u32string text =
        labels.empty() ? display_text(std::to_string(i)) : display_text(labels[i]);
    text = elide(font, std::move(text), plan.px, kMaxLabelWidth);
    plan.extent = std::max(plan.extent, ceil_px(font.width(text, plan.px)) + 1);
    plan.shown.push_back(i);
    plan.text.push_back(std::move(text));
    if (i > n - stride) break;  // no overflow of i += stride
  }
  // Short labels (indices, "H3") stay horizontal when neighbours keep a few pixels apart.
  plan.upright = plan.extent + 4 <= pitch * stride;
  return plan;
}

// The space labels take beside the plot (tick, gap, text), 0 when there are none.
int label_band(const LabelPlan& plan) {
  return plan.shown.empty() ? 0 : 1 + kTick + kTextGap + plan.extent;
}
int col_label_band(const LabelPlan& plan) {
  return plan.shown.empty() || !plan.upright ? label_band(plan) : 1 + kTick + kTextGap + plan.line;
}

// Row labels, right-aligned left of the plot, with tick marks.
void draw_row_labels(RgbaImage& image, const Font& font, const LabelPlan& plan, PixelRect plot,
                     float pitch) {
  for (std::size_t k = 0; k < plan.shown.size(); k++) {
    const float cy = plot.y + (plan.shown[k] + 0.5f) * pitch;
    const int tick_y = static_cast<int>(std::floor(cy));
    image.fill_rect(plot.x - 1 - kTick, tick_y, kTick, 1, kFrame);
    const TextBitmap text = font.render(plan.text[k], plan.px);
    const int right = plot.x - 1 - kTick - kTextGap;
    image.draw_text(text, right - static_cast<int>(std::lround(text.end)),
                    static_cast<int>(std::lround(cy - text_middle(font, text, plan.px))), kInk);
  }
}

// Column labels below the plot: centred under their ticks when they fit side by side, else
// written vertically (reading bottom to top) and ending at the ticks.
void draw_col_labels(RgbaImage& image, const Font& font, const LabelPlan& plan, PixelRect plot,
                     float pitch) {
  const int bottom = plot.y + plot.height + 1;
  for (std::size_t k = 0; k < plan.shown.size(); k++) {
    const float cx = plot.x + (plan.shown[k] + 0.5f) * pitch;
    image.fill_rect(static_cast<int>(std::floor(cx)), bottom, 1, kTick, kFrame);
    const TextBitmap text = font.render(plan.text[k], plan.px);
    const int top = bottom + kTick + kTextGap;
    if (plan.upright) {
      const int x = static_cast<int>(std::lround(cx - (text.origin + text.end) / 2));
      image.draw_text(text, x, top, kInk);
      continue;
    }
    // Turned up, text column tx lands on image row y + width - 1 - tx: the pen's end on `top`.
    const int y = top - text.width + 1 + static_cast<int>(std::lround(text.end));
    const int x = static_cast<int>(std::lround(cx - text_middle(font, text, plan.px)));
    image.draw_text(text, x, y, kInk, TextDirection::up);
  }
}

// [SECTION] colour bar and text ------------------------------------------------------------------

struct ColorbarPlan {
  Ticks ticks;
  std::vector<std::u32string> tick_text;
  std::u32string label;
  int width = 0;  // from the plot's right edge to the end of the label
};

ColorbarPlan plan_colorbar(const Font& font, ValueRange range, int height,
                           const std::string& label) {
  ColorbarPlan plan;
  const int max_ticks = std::clamp(height / 40, 2, 11);
  plan.ticks = nice_ticks(range.lo, range.hi, max_ticks);
  int widest = 0;
  for (const double v : plan.ticks.values) {
    plan.tick_text.push_back(display_text(format_number(v, plan.ticks.decimals)));
    widest = std::max(widest, ceil_px(font.width(plan.tick_text.back(), kTickPx)));
  }
  plan.label = elide(font, display_text(label), kAxisPx, static_cast<float>(height));
  plan.width = kColorbarGap + kColorbarWidth + kTick + kTextGap + widest;
  if (!plan.label.empty()) plan.width += kAxisGap + ceil_px(font.line_height(kAxisPx));
  return plan;
}

void draw_colorbar(RgbaImage& image, const Font& font, const ColorbarPlan& plan, ValueRange range,
                   Colormap colormap, PixelRect bar) {
  for (int y = 0; y < bar.height; y++) {
    const float t = 1.0f - (y + 0.5f) / bar.height;  // vmax at the top
    image.fill_rect(bar.x, bar.y + y, bar.width, 1, sample(colormap, t));
  }
  draw_frame(image, bar);
  int text_right = bar.x + bar.width + 1 + kTick + kTextGap;
  for (std::size_t i = 0; i < plan.ticks.values.size(); i++) {
    const float t = static_cast<float>((plan.ticks.values[i] - range.lo) / (range.hi - range.lo));
    const float y = bar.y + std::clamp((1.0f - t) * bar.height - 0.5f, 0.0f, bar.height - 1.0f);
    image.fill_rect(bar.x + bar.width + 1, static_cast<int>(std::lround(y)), kTick, 1, kFrame);
    const TextBitmap text = font.render(plan.tick_text[i], kTickPx);
    const int x = bar.x + bar.width + 1 + kTick + kTextGap - text.origin;
    image.draw_text(text, x, static_cast<int>(std::lround(y - text_middle(font, text, kTickPx))),
                    kInk);
    text_right = std::max(text_right, x + static_cast<int>(std::ceil(text.end)));
  }
  if (!plan.label.empty()) {
    const TextBitmap text = font.render(plan.label, kAxisPx);
    const float cy = bar.y + bar.height / 2.0f;
    image.draw_text(
        text, text_right + kAxisGap,
        static_cast<int>(std::lround(cy - text.width + 1 + (text.origin + text.end) / 2)), kInk,
        TextDirection::up);
  }
}

// [SECTION] figures ------------------------------------------------------------------------------

Status check_spec(const HeatmapSpec& spec, const std::string& what) {
  if (spec.rows <= 0 || spec.cols <= 0) {
    return make_error(what + " has no cells (" + std::to_string(spec.rows) + " rows × " +
                          std::to_string(spec.cols) + " columns)",
                      "pass at least one row and one column");
  }
  if (spec.values == nullptr) return make_error(what + " has no values");
  const auto check_labels = [&](const std::vector<std::string>& labels, int n, const char* axis) {
    if (labels.empty() || labels.size() == static_cast<std::size_t>(n)) return Status{};
    return Status{make_error(what + " has " + std::to_string(labels.size()) + " " + axis +
                                 " labels for " + std::to_string(n) + " " + axis + "s",
                             "give one label per " + std::string(axis) + ", or none")};
  };
  ATTNSCOPE_TRY(check_labels(spec.row_labels, spec.rows, "row"));
  ATTNSCOPE_TRY(check_labels(spec.col_labels, spec.cols, "column"));
  if (spec.cell_px < 0 || spec.cell_px > 256) {
    return make_error(what + " cell_px " + std::to_string(spec.cell_px) + " is outside 0..256");
  }
  return {};
}

}  // namespace

Result<HeatmapFigure> render_heatmap(const HeatmapSpec& spec, std::vector<FigureOp>* record) {
  ATTNSCOPE_TRY(check_spec(spec, "heatmap"));
  ATTNSCOPE_ASSIGN(const std::shared_ptr<const Font> font_ptr, export_font());
  const Font& font = *font_ptr;
  ATTNSCOPE_ASSIGN(const ValueRange range,
                   value_range({&spec}, spec.colormap, spec.vmin, spec.vmax));
  const CellGrid g = plan_cells(spec.rows, spec.cols, spec.cell_px, kSingleSizing, kMaxPlotSide);
  const LabelPlan row_labels = plan_labels(font, spec.row_labels, spec.rows, g.row_pitch());
  const LabelPlan col_labels = plan_labels(font, spec.col_labels, spec.cols, g.col_pitch());
  const Annotation annotation = plan_annotation(font, spec, g, range);

  const int axis_line = ceil_px(font.line_height(kAxisPx));
  const int half_tick_line = ceil_px(font.line_height(kTickPx) / 2);
  const std::u32string title =
      elide(font, display_text(spec.title), kTitlePx, kMaxImageSide - 2.0f * kPad);
  const std::u32string row_axis = elide(font, display_text(spec.row_axis), kAxisPx, g.height());
  const std::u32string col_axis = elide(font, display_text(spec.col_axis), kAxisPx, g.width());

  PixelRect plot{0, 0, g.width(), g.height()};
  plot.x = kPad + (row_axis.empty() ? 0 : axis_line + kAxisGap) + label_band(row_labels) + 1;
  plot.y =
      kPad + (title.empty() ? half_tick_line : ceil_px(font.line_height(kTitlePx)) + kTitleGap);
  const PixelRect bar{plot.x + plot.width + 1 + kColorbarGap, plot.y, kColorbarWidth,
                      std::max(plot.height, kMinColorbarHeight)};
  const ColorbarPlan colorbar = plan_colorbar(font, range, bar.height, spec.colorbar_label);
  const int title_width = ceil_px(font.width(title, kTitlePx));
  const int width =
      std::max(plot.x + plot.width + 1 + colorbar.width + kPad, title_width + 2 * kPad);
  const int col_axis_top = plot.y + plot.height + col_label_band(col_labels) + kAxisGap;
  const int height = std::max(col_axis_top + (col_axis.empty() ? 0 : axis_line) + kPad,
                              bar.y + bar.height + half_tick_line + kPad);

  HeatmapFigure figure;
  ATTNSCOPE_ASSIGN(figure.image, RgbaImage::create(width, height, kWhite));
  RgbaImage& image = figure.image;
  image.record = record;
  draw_cells(image, font, spec, g, range, spec.colormap, annotation, plot);
  draw_row_labels(image, font, row_labels, plot, g.row_pitch());
  draw_col_labels(image, font, col_labels, plot, g.col_pitch());
  draw_colorbar(image, font, colorbar, range, spec.colormap, bar);
  // The title centred over the plot, moved in if it would cross the image's edge.
  const float title_cx = std::clamp(plot.x + plot.width / 2.0f, kPad + title_width / 2.0f,
                                    width - kPad - title_width / 2.0f);
  draw_centred(image, font, title, kTitlePx, title_cx, kPad);
  draw_centred(image, font, col_axis, kAxisPx, plot.x + plot.width / 2.0f, col_axis_top);
  draw_vertical_centred(image, font, row_axis, kAxisPx, kPad, plot.y + plot.height / 2.0f);

  figure.plots = {plot};
  image.record = nullptr;
  figure.colorbar = bar;
  figure.vmin = range.lo;
  figure.vmax = range.hi;
  figure.row_block = g.row_block;
  figure.col_block = g.col_block;
  return figure;
}

Result<HeatmapFigure> render_heatmap_grid(const std::vector<HeatmapSpec>& cells, int grid_cols,
                                          const std::string& title_utf8,
                                          std::vector<FigureOp>* record) {
  if (cells.empty()) {
    return make_error("heatmap grid has no maps", "pass at least one HeatmapSpec");
  }
  if (grid_cols < 1) {
    return make_error("heatmap grid needs at least one column (got " + std::to_string(grid_cols) +
                      ")");
  }
  const HeatmapSpec& first = cells.front();
  std::vector<const HeatmapSpec*> maps;
  for (std::size_t i = 0; i < cells.size(); i++) {
    const std::string what = "heatmap grid map " + std::to_string(i);
    ATTNSCOPE_TRY(check_spec(cells[i], what));
    if (cells[i].rows != first.rows || cells[i].cols != first.cols) {
      return make_error(what + " is " + std::to_string(cells[i].rows) + "×" +
                            std::to_string(cells[i].cols) + ", map 0 is " +
                            std::to_string(first.rows) + "×" + std::to_string(first.cols),
                        "all maps of a grid have one shape");
    }
    maps.push_back(&cells[i]);
  }
  ATTNSCOPE_ASSIGN(const std::shared_ptr<const Font> font_ptr, export_font());
  const Font& font = *font_ptr;
  ATTNSCOPE_ASSIGN(const ValueRange range,
                   value_range(maps, first.colormap, first.vmin, first.vmax));

  const int count = static_cast<int>(cells.size());
  grid_cols = std::min(grid_cols, count);
  const int grid_rows = (count + grid_cols - 1) / grid_cols;
  const bool panel_titles = std::any_of(cells.begin(), cells.end(),
                                        [](const HeatmapSpec& s) { return !s.title.empty(); });
  const int panel_title_h = panel_titles ? ceil_px(font.line_height(kPanelTitlePx)) + 3 : 0;
  // Panels small enough that the whole grid (plus about 500 px of labels and colour bar) fits.
  const int max_panel_w = (kMaxImageSide - 500) / grid_cols - kPanelGapX;
  const int max_panel_h = (kMaxImageSide - 400) / grid_rows - kPanelGapY - panel_title_h;
  const int max_side = std::min({kMaxPanelSide, max_panel_w, max_panel_h});
  if (max_side < 4) {
    return make_error("heatmap grid of " + std::to_string(grid_rows) + "×" +
                          std::to_string(grid_cols) + " panels does not fit in " +
                          std::to_string(kMaxImageSide) + " pixels",
                      "export fewer panels per image");
  }
  const CellGrid g = plan_cells(first.rows, first.cols, first.cell_px, kPanelSizing, max_side);
  const LabelPlan row_labels = plan_labels(font, first.row_labels, first.rows, g.row_pitch());
  const LabelPlan col_labels = plan_labels(font, first.col_labels, first.cols, g.col_pitch());

  const int axis_line = ceil_px(font.line_height(kAxisPx));
  const int half_tick_line = ceil_px(font.line_height(kTickPx) / 2);
  const int grid_w = grid_cols * g.width() + (grid_cols - 1) * kPanelGapX;
  const int grid_h = grid_rows * (panel_title_h + g.height()) + (grid_rows - 1) * kPanelGapY;
  const std::u32string title =
      elide(font, display_text(title_utf8), kTitlePx, kMaxImageSide - 2.0f * kPad);
  const std::u32string row_axis = elide(font, display_text(first.row_axis), kAxisPx, grid_h);
  const std::u32string col_axis = elide(font, display_text(first.col_axis), kAxisPx, grid_w);

  const int left =
      kPad + (row_axis.empty() ? 0 : axis_line + kAxisGap) + label_band(row_labels) + 1;
  const int top =
      kPad + (title.empty() ? half_tick_line : ceil_px(font.line_height(kTitlePx)) + kTitleGap);
  const int bar_h = std::max(std::min(grid_h, kMaxGridColorbarHeight), kMinColorbarHeight);
  const PixelRect bar{left + grid_w + 1 + kColorbarGap, top + std::max(0, (grid_h - bar_h) / 2),
                      kColorbarWidth, bar_h};
  const ColorbarPlan colorbar = plan_colorbar(font, range, bar.height, first.colorbar_label);
  const int title_width = ceil_px(font.width(title, kTitlePx));
  const int width = std::max(left + grid_w + 1 + colorbar.width + kPad, title_width + 2 * kPad);
  const int col_axis_top = top + grid_h + col_label_band(col_labels) + kAxisGap;
  const int height = std::max(col_axis_top + (col_axis.empty() ? 0 : axis_line) + kPad,
                              bar.y + bar.height + half_tick_line + kPad);

  HeatmapFigure figure;
  ATTNSCOPE_ASSIGN(figure.image, RgbaImage::create(width, height, kWhite));
  RgbaImage& image = figure.image;
  image.record = record;
  for (int k = 0; k < count; k++) {
    const HeatmapSpec& spec = cells[k];
    const int r = k / grid_cols, c = k % grid_cols;
    const PixelRect plot{left + c * (g.width() + kPanelGapX),
                         top + r * (panel_title_h + g.height() + kPanelGapY) + panel_title_h,
                         g.width(), g.height()};
    const Annotation annotation = plan_annotation(font, spec, g, range);
    draw_cells(image, font, spec, g, range, first.colormap, annotation, plot);
    const std::u32string panel_title = elide(font, display_text(spec.title), kPanelTitlePx,
                                             static_cast<float>(g.width() + kPanelGapX - 2));
    draw_centred(image, font, panel_title, kPanelTitlePx, plot.x + plot.width / 2.0f,
                 plot.y - panel_title_h - 1);
    if (c == 0) draw_row_labels(image, font, row_labels, plot, g.row_pitch());
    if (k + grid_cols >= count) draw_col_labels(image, font, col_labels, plot, g.col_pitch());
    figure.plots.push_back(plot);
  }
  draw_colorbar(image, font, colorbar, range, first.colormap, bar);
  const float title_cx = std::clamp(left + grid_w / 2.0f, kPad + title_width / 2.0f,
                                    width - kPad - title_width / 2.0f);
  draw_centred(image, font, title, kTitlePx, title_cx, kPad);
  draw_centred(image, font, col_axis, kAxisPx, left + grid_w / 2.0f, col_axis_top);
  draw_vertical_centred(image, font, row_axis, kAxisPx, kPad, top + grid_h / 2.0f);

  image.record = nullptr;
  figure.colorbar = bar;
  figure.vmin = range.lo;
  figure.vmax = range.hi;
  figure.row_block = g.row_block;
  figure.col_block = g.col_block;
  return figure;
}

HeatmapSpec attention_pattern_spec(const float* values, int tokens,
                                   const std::vector<std::string>& labels) {
  HeatmapSpec spec;
  spec.values = values;
  spec.rows = spec.cols = tokens;
  spec.row_labels = spec.col_labels = labels;
  spec.row_axis = "query";
  spec.col_axis = "key";
  spec.colorbar_label = "attention";
  spec.mask_upper = true;
  spec.vmin = 0.0f;
  spec.vmax = 1.0f;
  return spec;
}

Result<HeatmapSpec> heatmap_of(const Tensor& tensor, std::size_t index) {
  const std::size_t dims = tensor.dimension();
  if (dims == 0) return make_error("cannot draw a 0-D tensor as a heatmap");
  const std::size_t cols = tensor.shape()[dims - 1];
  const std::size_t rows = dims >= 2 ? tensor.shape()[dims - 2] : 1;
  const Shape shape = shape_of(tensor);
  if (rows == 0 || cols == 0) {
    return make_error("cannot draw an empty tensor " + shape_string(shape) + " as a heatmap");
  }
  constexpr auto kIntMax = static_cast<std::size_t>(std::numeric_limits<int>::max());
  if (rows > kIntMax || cols > kIntMax) {
    return make_error("tensor " + shape_string(shape) + " is too large for a heatmap");
  }
  const std::size_t matrices = tensor.size() / (rows * cols);
  if (index >= matrices) {
    return make_error("heatmap index " + std::to_string(index) + " is out of range: tensor " +
                      shape_string(shape) + " holds " + std::to_string(matrices) + " matrices");
  }
  HeatmapSpec spec;
  spec.values = tensor.data() + index * rows * cols;
  spec.rows = static_cast<int>(rows);
  spec.cols = static_cast<int>(cols);
  return spec;
}

}  // namespace attnscope
