// heatmap_png.h — heatmaps as publication figures: PNG bytes with a title, token labels on both
// axes, axis names and a colour bar, on white, with anti-aliased DejaVu Sans text (font.h).
//
//   Tensor pattern = *cache.find("blocks.0.attn.hook_pattern");         // [head, query, key]
//   HeatmapSpec spec = heatmap_of(pattern, /*head=*/3).value();          // views the tensor
//   spec.row_labels = spec.col_labels = tokens;  spec.mask_upper = true;
//   spec.title = "L0H3";  spec.row_axis = "query";  spec.col_axis = "key";
//   spec.vmin = 0;  spec.vmax = 1;
//   std::vector<uint8_t> png = render_heatmap_png(spec).value();
//
// Layout: cells are square (cell_px, or sized automatically for 1..1024 tokens), except that a
// very thin map is stretched to at least 96 px across (48 in grid panels). Labels shrink to fit
// (13 px down to 10 px) and are thinned to every 2nd, 5th, 10th, ... when cells are still too
// small for them, so they never overlap; long labels end in '…'. Column labels are horizontal when
// they fit side by side ("H3", indices), else written vertically, reading bottom to top. Masked
// (above the diagonal with mask_upper) and missing (NaN) cells are kMaskedCell grey. A map larger
// than 2048 cells on a side (1024 for grid panels, fewer when there are many) is drawn with each
// pixel the mean of a block of cells, so no image exceeds kMaxImageSide (4096 px) on a side.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/export/colormap.h"
#include "core/export/image.h"
#include "core/tensor.h"

namespace attnscope {

struct HeatmapSpec {
  const float* values = nullptr;  // [rows, cols], row-major; must outlive the call
  int rows = 0, cols = 0;
  std::vector<std::string> row_labels, col_labels;  // UTF-8 (token strings); empty: 0, 1, 2, ...
  std::string title, row_axis, col_axis, colorbar_label;
  Colormap colormap = Colormap::sequential;
  // The values at the ends of the colormap. Unset: the data's finite min and max; for a
  // diverging map, symmetric around 0 (±max |value|, or ± the one that is set).
  std::optional<float> vmin, vmax;
  bool mask_upper = false;  // causal attention: cells with col > row drawn grey, not as values
  int cell_px = 0;          // pixels per cell; 0: automatic
  bool annotate = false;    // write values in cells that are big enough (and not downsampled)
};

// The grey of masked and missing cells; white (the paper) on the greys map, whose own values
// are greys.
inline constexpr Rgb kMaskedCell{220, 220, 220};
inline constexpr Rgb masked_cell_colour(Colormap map) {
  return map == Colormap::greys ? Rgb{255, 255, 255} : kMaskedCell;
}

// A rendered figure and where its parts are, for tests and for UIs that map pixels to cells.
struct HeatmapFigure {
  RgbaImage image;
  std::vector<PixelRect> plots;      // the cells of each map (one; or one per grid panel)
  PixelRect colorbar;                // the gradient, vmax at the top
  float vmin = 0, vmax = 1;          // what the colormap's ends stand for
  int row_block = 1, col_block = 1;  // cells per drawn cell (above 1 when downsampled)
};

// With `record`, every drawing step is also appended there (the SVG's source, figure_svg.h).
Result<HeatmapFigure> render_heatmap(const HeatmapSpec& spec,
                                     std::vector<FigureOp>* record = nullptr);
// PNG bytes at `scale` 1, 2 or 4 pixels per layout pixel (written in figure_raster.cpp).
Result<std::vector<std::uint8_t>> render_heatmap_png(const HeatmapSpec& spec, int scale = 1);

// Small multiples: the maps (e.g. one per layer × head, each titled "L0H3") in a grid of
// grid_cols columns with one shared colour bar. All maps have the same shape; the colormap, the
// range (vmin/vmax, else over all maps), the axis names, the colour-bar label and the labels come
// from cells[0]; row and column labels are drawn on the outer panels when they fit.
Result<HeatmapFigure> render_heatmap_grid(const std::vector<HeatmapSpec>& cells, int grid_cols,
                                          const std::string& title,
                                          std::vector<FigureOp>* record = nullptr);
Result<std::vector<std::uint8_t>> render_heatmap_grid_png(const std::vector<HeatmapSpec>& cells,
                                                          int grid_cols, std::string title,
                                                          int scale = 1);

// One head's causal attention pattern [T, T] as a map: token labels on both axes (query down, key
// across), the masked upper triangle, the 0..1 range. Every attention figure starts from it.
HeatmapSpec attention_pattern_spec(const float* values, int tokens,
                                   const std::vector<std::string>& labels);

// A spec viewing matrix `index` of a tensor [..., rows, cols] (leading dimensions in row-major
// order, e.g. the head of a hook_pattern [head, query, key]); a 1-D tensor is one row. The tensor
// must outlive the spec.
Result<HeatmapSpec> heatmap_of(const Tensor& tensor, std::size_t index = 0);

}  // namespace attnscope
