// colormap.cpp — sampling the generated colormap tables.
#include "core/export/colormap.h"

#include <algorithm>
#include <cmath>

#include "core/export/colormap_tables.h"

namespace attnscope {

namespace {

using Table = const std::uint8_t (*)[3];
constexpr int kLast = 256;  // each table has 257 entries: t = i / 256

Table table_of(Colormap map) {
  switch (map) {
    case Colormap::magma:
      return colormap_tables::magma;
    case Colormap::diverging:
      return colormap_tables::diverging;
    case Colormap::greys:
      return colormap_tables::greys;
    case Colormap::viridis:
      break;
  }
  return colormap_tables::viridis;
}

}  // namespace

Rgb sample(Colormap map, float t) {
  if (!(t > 0.0f)) t = 0.0f;  // also NaN
  if (t > 1.0f) t = 1.0f;
  const Table table = table_of(map);
  const float x = t * kLast;
  const int i = std::min(static_cast<int>(x), kLast - 1);
  const float f = x - static_cast<float>(i);
  const auto mix = [&](int c) {
    const float v = table[i][c] + (table[i + 1][c] - table[i][c]) * f;
    return static_cast<std::uint8_t>(std::lround(v));
  };
  return {mix(0), mix(1), mix(2)};
}

std::string_view colormap_name(Colormap map) {
  switch (map) {
    case Colormap::magma:
      return "magma";
    case Colormap::diverging:
      return "diverging";
    case Colormap::greys:
      return "greys";
    case Colormap::viridis:
      break;
  }
  return "viridis";
}

std::optional<Colormap> parse_colormap(std::string_view name) {
  if (name == "viridis" || name == "sequential") return Colormap::viridis;
  if (name == "magma") return Colormap::magma;
  if (name == "diverging") return Colormap::diverging;
  if (name == "greys" || name == "grays") return Colormap::greys;
  return std::nullopt;
}

}  // namespace attnscope
