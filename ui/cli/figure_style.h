// figure_style.h — the options every figure-writing command shares: the colour map and, for PNG,
// the scale (1×, 2× or 4× pixels per layout pixel, core/export/figure_raster.h).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "core/error.h"
#include "core/export/heatmap_png.h"
#include "ui/cli/cli_io.h"

namespace attnscope::cli {

struct FigureStyle {
  std::string colormap;  // empty: the figure's own default
  int scale = 1;
};

void add_figure_style_options(CLI::App* cmd, FigureStyle& style);

// Sets spec.colormap from --colormap (when given) and checks --scale against the format (SVG has
// no pixel scale). One message for a bad name or scale.
Status apply_figure_style(const FigureStyle& style, FigureFormat format, HeatmapSpec& spec);

}  // namespace attnscope::cli
