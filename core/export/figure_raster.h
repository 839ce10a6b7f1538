// figure_raster.h — a recorded figure drawn again at 2× or 4× (PNG for slides and print): the
// layout is the 1× figure's (heatmap_png.h), every rectangle scaled and every text rendered
// afresh at scale × its size, so text stays sharp rather than becoming enlarged pixels.
//
//   std::vector<uint8_t> png = render_heatmap_png(spec, /*scale=*/4).value();
#pragma once

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "core/export/heatmap_png.h"

namespace attnscope {

inline constexpr int kMaxFigureScale = 4;
// A scaled figure stays under this many pixels (256 MB of RGBA).
inline constexpr std::size_t kMaxScaledPixels = std::size_t(64) << 20;

// The figure at `scale` (1..kMaxFigureScale) pixels per layout pixel, replayed from `ops`. Past
// kMaxReplayedCells cells the maps are instead the 1× image's, each pixel a scale × scale block:
// a cell is a whole number of pixels, so that is the cell scaled exactly, and such small cells
// carry no value text that would be enlarged with them.
inline constexpr std::size_t kMaxReplayedCells = 100000;
Result<RgbaImage> rasterise_figure(const HeatmapFigure& figure, const std::vector<FigureOp>& ops,
                                   int scale);
// An error unless 1 <= scale <= kMaxFigureScale (checked before a layout, which may be large).
Status check_figure_scale(int scale);
// The same as PNG bytes (the 1× image itself at scale 1).
Result<std::vector<std::uint8_t>> figure_png(const HeatmapFigure& figure,
                                             const std::vector<FigureOp>& ops, int scale);

// PNG bytes of any figure at `scale`: the scale checked before the layout (which may be large),
// then `render(record)` lays it out — recording its steps only when they are to be redrawn.
template <class Render>
Result<std::vector<std::uint8_t>> scaled_png(int scale, Render render) {
  ATTNSCOPE_TRY(check_figure_scale(scale));
  std::vector<FigureOp> ops;
  ATTNSCOPE_ASSIGN(const HeatmapFigure figure, render(scale > 1 ? &ops : nullptr));
  return figure_png(figure, ops, scale);
}

}  // namespace attnscope
