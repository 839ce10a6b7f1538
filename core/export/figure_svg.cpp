// figure_svg.cpp — writing a recorded figure as SVG (hand-written: the format needed here is a
// few element types; base64 for the embedded images is written here too).
#include "core/export/figure_svg.h"

#include <algorithm>
#include <cstdio>

#include "core/export/xml_text.h"

namespace attnscope {

namespace {

std::string hex(Rgb c) {
  char s[8];
  std::snprintf(s, sizeof s, "#%02x%02x%02x", c.r, c.g, c.b);
  return s;
}

std::string number(float v) {
  char s[32];
  std::snprintf(s, sizeof s, "%.6g", static_cast<double>(v));
  return s;
}

std::string xml_text(const std::u32string& text) {
  std::string out;
  for (char32_t cp : text) append_xml_text(out, cp);
  return out;
}

std::string base64(const std::vector<std::uint8_t>& bytes) {
  static const char* const kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t b0 = bytes[i], b1 = i + 1 < bytes.size() ? bytes[i + 1] : 0,
                        b2 = i + 2 < bytes.size() ? bytes[i + 2] : 0;
    const std::uint32_t v = (b0 << 16) | (b1 << 8) | b2;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

Result<std::string> embedded_plot(const RgbaImage& image, PixelRect r) {
  ATTNSCOPE_ASSIGN(RgbaImage crop, RgbaImage::create(r.width, r.height, Rgb{255, 255, 255}));
  for (int y = 0; y < r.height; y++) {
    const auto* from = &image.pixels[(static_cast<std::size_t>(r.y + y) * image.width + r.x) * 4];
    std::copy(from, from + static_cast<std::size_t>(r.width) * 4,
              &crop.pixels[static_cast<std::size_t>(y) * r.width * 4]);
  }
  ATTNSCOPE_ASSIGN(const std::vector<std::uint8_t> png, encode_png(crop));
  return "<image x=\"" + std::to_string(r.x) + "\" y=\"" + std::to_string(r.y) + "\" width=\"" +
         std::to_string(r.width) + "\" height=\"" + std::to_string(r.height) +
         "\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64," + base64(png) +
         "\"/>\n";
}

}  // namespace

Result<std::string> figure_svg(const HeatmapFigure& figure, const std::vector<FigureOp>& ops) {
  const RgbaImage& image = figure.image;
  const std::size_t cells = static_cast<std::size_t>(std::count_if(
      ops.begin(), ops.end(), [](const FigureOp& op) { return op.kind == FigureOp::Kind::cell; }));
  const bool embed = cells > kMaxSvgCells;
  const std::string w = std::to_string(image.width), h = std::to_string(image.height);
  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\"" + h +
         "\" viewBox=\"0 0 " + w + " " + h + "\" shape-rendering=\"crispEdges\">\n";
  svg += "<style>text{font-family:'DejaVu Sans',Verdana,sans-serif;white-space:pre}</style>\n";
  svg += "<rect width=\"" + w + "\" height=\"" + h + "\" fill=\"#ffffff\"/>\n";
  if (embed) {
    for (const PixelRect& plot : figure.plots) {
      ATTNSCOPE_ASSIGN(const std::string element, embedded_plot(image, plot));
      svg += element;
    }
  }
  for (const FigureOp& op : ops) {
    if (op.kind == FigureOp::Kind::cell && embed) continue;
    if (op.kind == FigureOp::Kind::line) {
      // Anti-aliased like the PNG's (the document's crispEdges is for the cells).
      svg += "<line x1=\"" + number(op.pen_x) + "\" y1=\"" + number(op.pen_y) + "\" x2=\"" +
             number(op.end_x) + "\" y2=\"" + number(op.end_y) + "\" stroke=\"" + hex(op.colour) +
             "\" stroke-width=\"" + number(op.stroke) + "\"" +
             (op.opacity < 1 ? " stroke-opacity=\"" + number(op.opacity) + "\"" : std::string()) +
             " stroke-linecap=\"round\" shape-rendering=\"geometricPrecision\"/>\n";
      continue;
    }
    if (op.kind != FigureOp::Kind::text) {
      // Clipped to the image, as the PNG clips it.
      const int x0 = std::max(op.x, 0), y0 = std::max(op.y, 0);
      const int x1 = std::min(op.x + op.w, image.width), y1 = std::min(op.y + op.h, image.height);
      if (x1 <= x0 || y1 <= y0) continue;
      svg += "<rect x=\"" + std::to_string(x0) + "\" y=\"" + std::to_string(y0) + "\" width=\"" +
             std::to_string(x1 - x0) + "\" height=\"" + std::to_string(y1 - y0) + "\" fill=\"" +
             hex(op.colour) + "\"/>\n";
      continue;
    }
    const std::string size = " font-size=\"" + number(op.px) + "\" fill=\"" + hex(op.colour) + "\"";
    if (op.direction == TextDirection::up) {
      svg += "<text transform=\"translate(" + number(op.pen_x) + " " + number(op.pen_y) +
             ") rotate(-90)\"" + size + ">" + xml_text(op.text) + "</text>\n";
    } else {
      svg += "<text x=\"" + number(op.pen_x) + "\" y=\"" + number(op.pen_y) + "\"" + size + ">" +
             xml_text(op.text) + "</text>\n";
    }
  }
  svg += "</svg>\n";
  return svg;
}

Result<std::string> render_heatmap_svg(const HeatmapSpec& spec) {
  std::vector<FigureOp> ops;
  ATTNSCOPE_ASSIGN(const HeatmapFigure figure, render_heatmap(spec, &ops));
  return figure_svg(figure, ops);
}

Result<std::string> render_heatmap_grid_svg(const std::vector<HeatmapSpec>& cells, int grid_cols,
                                            const std::string& title) {
  std::vector<FigureOp> ops;
  ATTNSCOPE_ASSIGN(const HeatmapFigure figure, render_heatmap_grid(cells, grid_cols, title, &ops));
  return figure_svg(figure, ops);
}

}  // namespace attnscope
