// line_chart.h — line charts as publication figures, in the heatmaps' style (heatmap_png.h): a
// circuit method's ROC against the ablation ground truth, a token's probability by layer. Axes
// with nice ticks (or named categories along x), a title, axis names, light grid lines and a
// legend; PNG at 1×, 2× or 4× and SVG from the same recorded steps (figure_raster.h, figure_svg.h).
//
//   LineChartSpec roc;
//   roc.title = "SAE circuit: ROC";  roc.x_axis = "false positive rate";  roc.y_axis = "true ...";
//   roc.series = {{"nodes (AUC 0.81)", fpr, tpr}};  roc.chance_diagonal = true;
//   roc.x_min = roc.y_min = 0;  roc.x_max = roc.y_max = 1;
//   std::string svg = render_line_chart_svg(roc).value();
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/export/heatmap_png.h"

namespace attnscope {

struct LineSeries {
  std::string label;         // in the legend (none when every series is unlabelled)
  std::vector<double> x, y;  // the points, in order; the same length, at least one
  Rgb colour{31, 119, 180};
  bool markers = false;  // a dot at each point
};

struct LineChartSpec {
  std::string title, x_axis, y_axis;
  std::vector<LineSeries> series;
  // The axes' ends; unset: the data's range (a flat series gets ±0.5 around its value).
  std::optional<double> x_min, x_max, y_min, y_max;
  // Named positions along x (layers, say): x values are then 0..n−1 and labelled with these.
  std::vector<std::string> x_categories;
  bool chance_diagonal = false;             // a dashed y = x, for ROC curves
  int plot_width = 480, plot_height = 320;  // the plot area in pixels, 64..2048 each
};

// The figure (plots[0] is the plot area); with `record`, its drawing steps as well.
Result<HeatmapFigure> render_line_chart(const LineChartSpec& spec,
                                        std::vector<FigureOp>* record = nullptr);
Result<std::vector<std::uint8_t>> render_line_chart_png(const LineChartSpec& spec, int scale = 1);
Result<std::string> render_line_chart_svg(const LineChartSpec& spec);

// A categorical palette for several series (Okabe–Ito, readable with colour-vision deficiencies).
Rgb series_colour(std::size_t index);

}  // namespace attnscope
