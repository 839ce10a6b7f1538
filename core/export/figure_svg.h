// figure_svg.h — heatmap figures as SVG: the same layout as the PNG (heatmap_png.h), written as
// vector steps. Text is text (font-family DejaVu Sans, the font the layout was measured with,
// then Verdana and sans-serif), each drawn cell one <rect>; past kMaxSvgCells cells the maps'
// cells are one embedded PNG image per map instead, so a file stays a few megabytes.
//
//   std::string svg = render_heatmap_svg(spec).value();   // spec as for render_heatmap_png
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/export/heatmap_png.h"

namespace attnscope {

inline constexpr std::size_t kMaxSvgCells = 100000;

Result<std::string> render_heatmap_svg(const HeatmapSpec& spec);
Result<std::string> render_heatmap_grid_svg(const std::vector<HeatmapSpec>& cells, int grid_cols,
                                            const std::string& title);

// A figure and its recorded steps as an SVG document (the two render_ functions above call it).
Result<std::string> figure_svg(const HeatmapFigure& figure, const std::vector<FigureOp>& ops);

}  // namespace attnscope
