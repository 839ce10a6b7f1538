// figure_style.cpp — --colormap and --scale for the commands that write figures.
#include "ui/cli/figure_style.h"

#include "core/export/figure_raster.h"

namespace attnscope::cli {

void add_figure_style_options(CLI::App* cmd, FigureStyle& style) {
  cmd->add_option("--colormap", style.colormap,
                  "Colour map of the figure: viridis, magma, diverging or greys");
  cmd->add_option("--scale", style.scale, "PNG pixels per layout pixel: 1, 2 or 4 (default 1)");
}

Status apply_figure_style(const FigureStyle& style, FigureFormat format, HeatmapSpec& spec) {
  if (!style.colormap.empty()) {
    const std::optional<Colormap> map = parse_colormap(style.colormap);
    if (!map)
      return make_error("--colormap '" + printable(style.colormap) + "' is not a colour map",
                        "choose viridis, magma, diverging or greys");
    spec.colormap = *map;
  }
  if (style.scale != 1 && style.scale != 2 && style.scale != 4)
    return make_error("--scale " + std::to_string(style.scale) + " is not 1, 2 or 4");
  if (style.scale != 1 && format == FigureFormat::svg)
    return make_error("--scale applies to PNG figures",
                      "an SVG has no pixels to scale: leave it out");
  static_assert(kMaxFigureScale == 4);
  return {};
}

}  // namespace attnscope::cli
