// figure_raster.cpp — replaying a recorded figure at a larger scale.
#include "core/export/figure_raster.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/export/font.h"

namespace attnscope {

namespace {

// Copies the 1× pixels of `r` into `out`, each as a scale × scale block.
void scale_block(const RgbaImage& from, PixelRect r, int scale, RgbaImage& out) {
  for (int y = 0; y < r.height * scale; y++) {
    const std::uint8_t* row =
        &from.pixels[(static_cast<std::size_t>(r.y + y / scale) * from.width + r.x) * 4];
    std::uint8_t* to =
        &out.pixels[(static_cast<std::size_t>(r.y * scale + y) * out.width + r.x * scale) * 4];
    for (int x = 0; x < r.width * scale; x++, to += 4) {
      const std::uint8_t* p = row + (x / scale) * 4;
      to[0] = p[0];
      to[1] = p[1];
      to[2] = p[2];
      to[3] = 255;
    }
  }
}

bool inside(PixelRect r, const RgbaImage& image) {
  return r.x >= 0 && r.y >= 0 && r.width > 0 && r.height > 0 && r.x + r.width <= image.width &&
         r.y + r.height <= image.height;
}

}  // namespace

Status check_figure_scale(int scale) {
  if (scale < 1 || scale > kMaxFigureScale)
    return make_error("figure scale " + std::to_string(scale) + " is outside 1.." +
                      std::to_string(kMaxFigureScale));
  return {};
}

Result<RgbaImage> rasterise_figure(const HeatmapFigure& figure, const std::vector<FigureOp>& ops,
                                   int scale) {
  ATTNSCOPE_TRY(check_figure_scale(scale));
  const RgbaImage& base = figure.image;
  if (scale == 1) return base;
  const std::size_t width = std::size_t(base.width) * scale,
                    height = std::size_t(base.height) * scale;
  if (width * height > kMaxScaledPixels)
    return make_error("a " + std::to_string(scale) + "× image of this figure would be " +
                          std::to_string(width) + "×" + std::to_string(height) + " pixels",
                      "the limit is " + std::to_string(kMaxScaledPixels >> 20) +
                          " megapixels: use a smaller scale, or SVG");
  ATTNSCOPE_ASSIGN(const std::shared_ptr<const Font> font, export_font());
  RgbaImage out;
  out.width = static_cast<int>(width);
  out.height = static_cast<int>(height);
  out.pixels.assign(width * height * 4, 255);  // white, opaque: every figure's background
  const std::size_t cells = static_cast<std::size_t>(std::count_if(
      ops.begin(), ops.end(), [](const FigureOp& op) { return op.kind == FigureOp::Kind::cell; }));
  const bool from_base = cells > kMaxReplayedCells;
  if (from_base)
    for (const PixelRect& plot : figure.plots)
      if (inside(plot, base)) scale_block(base, plot, scale, out);
  for (const FigureOp& op : ops) {
    switch (op.kind) {
      case FigureOp::Kind::cell:
        if (!from_base)
          out.fill_cell(op.x * scale, op.y * scale, op.w * scale, op.h * scale, op.colour);
        continue;
      case FigureOp::Kind::rect:
        out.fill_rect(op.x * scale, op.y * scale, op.w * scale, op.h * scale, op.colour);
        continue;
      case FigureOp::Kind::line:
        out.draw_line(op.pen_x * float(scale), op.pen_y * float(scale), op.end_x * float(scale),
                      op.end_y * float(scale), op.stroke * float(scale), op.colour, op.opacity);
        continue;
      case FigureOp::Kind::text:
        break;
    }
    // The pen lands where the 1× pen was, scaled (image.cpp's draw_text records it so).
    const TextBitmap text = font->render(op.text, op.px * float(scale));
    const float pen_x = op.pen_x * float(scale), pen_y = op.pen_y * float(scale);
    if (op.direction == TextDirection::up) {
      out.draw_text(text, static_cast<int>(std::lround(pen_x)) - text.baseline,
                    static_cast<int>(std::lround(pen_y)) - text.width + text.origin, op.colour,
                    TextDirection::up);
    } else {
      out.draw_text(text, static_cast<int>(std::lround(pen_x)) - text.origin,
                    static_cast<int>(std::lround(pen_y)) - text.baseline, op.colour);
    }
  }
  return out;
}

Result<std::vector<std::uint8_t>> figure_png(const HeatmapFigure& figure,
                                             const std::vector<FigureOp>& ops, int scale) {
  if (scale == 1) return encode_png(figure.image);
  ATTNSCOPE_ASSIGN(const RgbaImage image, rasterise_figure(figure, ops, scale));
  return encode_png(image);
}

Result<std::vector<std::uint8_t>> render_heatmap_png(const HeatmapSpec& spec, int scale) {
  return scaled_png(scale,
                    [&](std::vector<FigureOp>* record) { return render_heatmap(spec, record); });
}

Result<std::vector<std::uint8_t>> render_heatmap_grid_png(const std::vector<HeatmapSpec>& cells,
                                                          int grid_cols, std::string title,
                                                          int scale) {
  return scaled_png(scale, [&](std::vector<FigureOp>* record) {
    return render_heatmap_grid(cells, grid_cols, title, record);
  });
}

}  // namespace attnscope
