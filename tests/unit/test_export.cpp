// test_export.cpp — core/export: colormaps, ticks, CSV / NPY / JSON bytes, heatmap PNGs (decoded
// back with stb_image), and example figures written to <build>/test-output/export_*.png.
#include <doctest/doctest.h>
#include <stb/stb_image.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <xtensor/xadapt.hpp>

#include "core/export/attention_lines.h"
#include "core/export/colormap.h"
#include "core/export/data_export.h"
#include "core/export/figure_raster.h"
#include "core/export/figure_svg.h"
#include "core/export/font.h"
#include "core/export/heatmap_png.h"
#include "core/export/line_chart.h"
#include "core/export/ticks.h"

using namespace attnscope;

namespace {

struct Decoded {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgba;
  Rgb at(int x, int y) const {
    const std::uint8_t* p = &rgba[(static_cast<std::size_t>(y) * width + x) * 4];
    return {p[0], p[1], p[2]};
  }
};

Decoded decode_png(const std::vector<std::uint8_t>& png) {
  Decoded d;
  int channels = 0;
  unsigned char* pixels = stbi_load_from_memory(png.data(), static_cast<int>(png.size()), &d.width,
                                                &d.height, &channels, 4);
  REQUIRE_MESSAGE(pixels != nullptr, "stb_image cannot decode the PNG: " << stbi_failure_reason());
  d.rgba.assign(pixels, pixels + static_cast<std::size_t>(d.width) * d.height * 4);
  stbi_image_free(pixels);
  return d;
}

int colour_distance(Rgb a, Rgb b) {
  return std::abs(a.r - b.r) + std::abs(a.g - b.g) + std::abs(a.b - b.b);
}

// The centre pixel of cell (row, col) of a figure's plot (no downsampling).
Rgb cell_centre(const Decoded& d, const PixelRect& plot, int rows, int cols, int row, int col) {
  const int x = plot.x + static_cast<int>((col + 0.5) * plot.width / cols);
  const int y = plot.y + static_cast<int>((row + 0.5) * plot.height / rows);
  return d.at(x, y);
}

std::string test_output_dir() {
  const std::string dir = ATTNSCOPE_TEST_OUTPUT;
  std::filesystem::create_directories(dir);
  return dir;
}

void save(const std::string& name, const std::vector<std::uint8_t>& bytes) {
  const std::string path = test_output_dir() + "/" + name;
  std::ofstream file(path, std::ios::binary);
  file.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  REQUIRE_MESSAGE(file.good(), "cannot write " << path);
  MESSAGE("wrote " << path);
}

// A plausible causal attention pattern [n, n]: a sink on the first token, a previous-token
// component of strength `prev`, the rest spread by a smooth recency bias. Rows sum to 1.
std::vector<float> synthetic_pattern(int n, float sink, float prev, float recency) {
  std::vector<float> p(static_cast<std::size_t>(n) * n, 0.0f);
  for (int q = 0; q < n; q++) {
    double total = 0;
    for (int k = 0; k <= q; k++) {
      double score = recency * (k - q) / 4.0;
      if (k == 0) score += sink;
      if (k == q - 1) score += prev;
      p[q * n + k] = static_cast<float>(std::exp(score));
      total += p[q * n + k];
    }
    for (int k = 0; k <= q; k++) p[q * n + k] = static_cast<float>(p[q * n + k] / total);
  }
  return p;
}

}  // namespace

TEST_CASE("export colormaps: ends, diverging centre, lightness order") {
  CHECK(sample(Colormap::viridis, 0.0f) == Rgb{68, 1, 84});
  CHECK(sample(Colormap::viridis, -3.0f) == sample(Colormap::viridis, 0.0f));
  CHECK(sample(Colormap::viridis, 7.0f) == sample(Colormap::viridis, 1.0f));
  CHECK(sample(Colormap::viridis, std::nanf("")) == sample(Colormap::viridis, 0.0f));
  const Rgb centre = sample(Colormap::diverging, 0.5f);
  CHECK(centre.r == centre.g);
  CHECK(centre.g == centre.b);
  CHECK(centre.r > 235);
  CHECK(sample(Colormap::diverging, 0.0f).b > sample(Colormap::diverging, 0.0f).r);  // blue
  CHECK(sample(Colormap::diverging, 1.0f).r > sample(Colormap::diverging, 1.0f).b);  // red
  for (Colormap map : {Colormap::viridis, Colormap::magma}) {
    int previous = -1;
    for (int i = 0; i <= 64; i++) {
      const Rgb c = sample(map, i / 64.0f);
      const int luma = 299 * c.r + 587 * c.g + 114 * c.b;
      CHECK_MESSAGE(luma > previous, colormap_name(map) << " gets darker at " << i);
      previous = luma;
    }
  }
  // greys: high values dark, as on paper; its low end a light grey, so masked cells (white on
  // this map) stand apart from zeros.
  int previous_grey = 1 << 30;
  for (int i = 0; i <= 64; i++) {
    const Rgb c = sample(Colormap::greys, i / 64.0f);
    CHECK(c.r == c.g);
    CHECK(c.g == c.b);
    CHECK(c.r < previous_grey);
    previous_grey = c.r;
  }
  CHECK(colour_distance(sample(Colormap::greys, 0.0f), masked_cell_colour(Colormap::greys)) >= 45);
  CHECK(colour_distance(sample(Colormap::viridis, 0.0f), masked_cell_colour(Colormap::viridis)) >=
        45);
  for (Colormap map : kColormaps) CHECK(parse_colormap(colormap_name(map)) == map);
  CHECK(parse_colormap("diverging") == Colormap::diverging);
  CHECK(parse_colormap("sequential") == Colormap::viridis);
  CHECK_FALSE(parse_colormap("jet").has_value());
}

namespace {

// Colour-vision deficiency, simulated as Machado, Oliveira & Fernandes (2009) do it: a 3 × 3
// matrix on linear RGB, their published matrices for full severity (dichromacy). Typed in here
// from the paper's table; no library in the project's dependencies has them.
struct Deficiency {
  const char* name;
  double m[3][3];
};
constexpr Deficiency kDeficiencies[] = {
    {"protanopia",
     {{0.152286, 1.052583, -0.204868},
      {0.114503, 0.786281, 0.099216},
      {-0.003882, -0.048116, 1.051998}}},
    {"deuteranopia",
     {{0.367322, 0.860646, -0.227968},
      {0.280085, 0.672501, 0.047413},
      {-0.011820, 0.042940, 0.968881}}},
    {"tritanopia",
     {{1.255528, -0.076749, -0.178779},
      {-0.078411, 0.930809, 0.147602},
      {0.004733, 0.691367, 0.303900}}},
    {"greyscale print",  // luminance only (Rec. 709 weights)
     {{0.2126, 0.7152, 0.0722}, {0.2126, 0.7152, 0.0722}, {0.2126, 0.7152, 0.0722}}},
};

double srgb_to_linear(double c) {
  return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

struct Oklab {
  double L, a, b;
};

// Oklab (Ottosson 2020) of a linear-RGB colour; the distance between two such colours is the
// perceived difference (about 0.02 is just noticeable).
Oklab oklab_of_linear(const double rgb[3]) {
  const double l = std::cbrt(0.4122214708 * rgb[0] + 0.5363325363 * rgb[1] + 0.0514459929 * rgb[2]);
  const double m = std::cbrt(0.2119034982 * rgb[0] + 0.6806995451 * rgb[1] + 0.1073969566 * rgb[2]);
  const double s = std::cbrt(0.0883024619 * rgb[0] + 0.2817188376 * rgb[1] + 0.6299787005 * rgb[2]);
  return {0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s,
          1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
          0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s};
}

Oklab seen_with(const Deficiency& d, Rgb c) {
  const double in[3] = {srgb_to_linear(c.r / 255.0), srgb_to_linear(c.g / 255.0),
                        srgb_to_linear(c.b / 255.0)};
  double out[3];
  for (int i = 0; i < 3; i++)
    out[i] = std::clamp(d.m[i][0] * in[0] + d.m[i][1] * in[1] + d.m[i][2] * in[2], 0.0, 1.0);
  return oklab_of_linear(out);
}

double distance(Oklab x, Oklab y) {
  return std::sqrt((x.L - y.L) * (x.L - y.L) + (x.a - y.a) * (x.a - y.a) +
                   (x.b - y.b) * (x.b - y.b));
}

}  // namespace

// The colour-blind check: every map still reads for readers with each dichromacy and in
// greyscale print. Sequential maps keep their order in lightness; every map's steps of 1/16 stay
// at least one just-noticeable difference apart; the diverging map's arms stay apart (+x is not
// mistaken for −x) and its centre stays the lightest colour.
TEST_CASE("export colormaps: readable with colour-vision deficiencies (Machado et al. 2009)") {
  for (const Deficiency& d : kDeficiencies) {
    for (const Colormap map : kColormaps) {
      CAPTURE(std::string(d.name));
      CAPTURE(std::string(colormap_name(map)));
      for (int i = 0; i < 16; i++)
        CHECK(distance(seen_with(d, sample(map, i / 16.0f)),
                       seen_with(d, sample(map, (i + 1) / 16.0f))) >= 0.02);
      if (!is_diverging(map)) {
        const double sign = map == Colormap::greys ? -1.0 : 1.0;  // greys darkens as t grows
        double previous = -1e9;
        for (int i = 0; i <= 64; i++) {
          const double L = sign * seen_with(d, sample(map, i / 64.0f)).L;
          CHECK(L > previous);
          previous = L;
        }
        continue;
      }
      const double centre = seen_with(d, sample(map, 0.5f)).L;
      // In greyscale the arms, equal in lightness by design, show magnitude only; the sign
      // needs colour (or the greys map on |value|).
      const bool grey = std::string_view(d.name) == "greyscale print";
      for (int i = 0; i <= 6; i++) {  // t = 0 .. 3/8 against 1 .. 5/8
        const float t = i / 16.0f;
        if (!grey)
          CHECK(distance(seen_with(d, sample(map, t)), seen_with(d, sample(map, 1.0f - t))) >=
                0.08);
        CHECK(seen_with(d, sample(map, t)).L < centre);
        CHECK(seen_with(d, sample(map, 1.0f - t)).L < centre);
      }
    }
  }
}

TEST_CASE("export ticks: nice steps and number formats") {
  const Ticks unit = nice_ticks(0, 1, 6);
  REQUIRE(unit.values.size() == 6);
  CHECK(unit.values[1] == doctest::Approx(0.2));
  CHECK(unit.decimals == 1);
  const Ticks signed_range = nice_ticks(-0.37, 0.37, 5);
  CHECK(signed_range.values == std::vector<double>{-0.2, 0.0, 0.2});
  const Ticks quarter = nice_ticks(0, 1, 5);
  CHECK(quarter.values.size() == 5);
  CHECK(quarter.decimals == 2);
  CHECK(format_number(0.25, 2) == "0.25");
  CHECK(format_number(-0.5, 1) == "\u22120.5");
  CHECK(format_number(-0.0001, 2) == "0.00");
  CHECK(nice_ticks(3, 3, 5).values == std::vector<double>{3.0});
  CHECK(nice_ticks(std::nan(""), 1, 5).values.empty());
}

TEST_CASE("export NPY: v1.0 header padded to 64 bytes, little-endian float32 in C order") {
  const Tensor t = {{1.0f, 2.0f, 3.0f}, {4.0f, -0.5f, 1e-5f}};
  const std::vector<std::uint8_t> npy = to_npy(t);
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  // 10 bytes of prefix + dict (59) + spaces + '\n' = 128.
  REQUIRE(dict.size() == 59);
  std::string header = dict + std::string(128 - 10 - dict.size() - 1, ' ') + "\n";
  std::vector<std::uint8_t> expected = {
      0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<std::uint8_t>(header.size()), 0};
  expected.insert(expected.end(), header.begin(), header.end());
  for (const float v : {1.0f, 2.0f, 3.0f, 4.0f, -0.5f, 1e-5f}) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &v, 4);
    for (int b = 0; b < 4; b++) expected.push_back(static_cast<std::uint8_t>(bits >> (8 * b)));
  }
  CHECK(npy == expected);
  CHECK(npy.size() == 128 + 24);

  const Tensor vector = {7.0f, 8.0f, 9.0f};
  const std::vector<std::uint8_t> v = to_npy(vector);
  const std::string v_header(v.begin() + 10, v.begin() + 10 + v[8]);
  CHECK(v_header.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"));
  CHECK(v_header.back() == '\n');
  CHECK((10 + v_header.size()) % 64 == 0);
  CHECK(v.size() == 10 + v_header.size() + 12);

  const Tensor scalar = 2.5f;
  const std::vector<std::uint8_t> s = to_npy(scalar);
  CHECK(std::string(s.begin() + 10, s.end()).find("'shape': (), }") != std::string::npos);
  CHECK(s.size() % 64 == 4);
}

TEST_CASE("export CSV: RFC 4180 quoting, matrix and long forms") {
  CHECK(csv_field("plain") == "plain");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("line\nbreak") == "\"line\nbreak\"");
  CHECK(csv_field("\r") == "\"\r\"");
  CHECK(csv_field(" cat") == "\" cat\"");
  CHECK(csv_field("·the") == "·the");
  CHECK(csv_field("\xe4\xbd") == "\xef\xbf\xbd\xef\xbf\xbd");  // a cut character: U+FFFD each
  CHECK(float_text(0.1f) == "0.1");
  CHECK(float_text(1.0f) == "1");
  CHECK(float_text(1e-5f) == "1e-05");
  CHECK(float_text(-0.25f) == "-0.25");
  CHECK(float_text(std::numeric_limits<float>::infinity()) == "inf");
  CHECK(float_text(std::nanf("")) == "nan");
  for (const float v : {1.0f / 3.0f, 123456789.0f, 3.4e38f, 1.17549435e-38f, 0.3f}) {
    CHECK(std::strtof(float_text(v).c_str(), nullptr) == v);
  }

  const Tensor m = {{0.5f, 0.25f}, {1.0f, std::nanf("")}};
  ExportInfo info;
  info.axes = {{"query", {"The", "a,b"}}, {"key", {"\"q\"", " cat"}}};
  CHECK(to_csv(m, info).value() ==
        "query,\"\"\"q\"\"\",\" cat\"\r\n"
        "The,0.5,0.25\r\n"
        "\"a,b\",1,nan\r\n");
  CHECK(to_csv(m).value() == ",0,1\r\n0,0.5,0.25\r\n1,1,nan\r\n");
  CHECK(to_csv(m, info, CsvLayout::long_form).value() ==
        "query,query_label,key,key_label,value\r\n"
        "0,The,0,\"\"\"q\"\"\",0.5\r\n"
        "0,The,1,\" cat\",0.25\r\n"
        "1,\"a,b\",0,\"\"\"q\"\"\",1\r\n"
        "1,\"a,b\",1,\" cat\",nan\r\n");

  const Tensor cube = zeros({2, 2, 2});
  const auto not_2d = to_csv(cube);
  REQUIRE_FALSE(not_2d.ok());
  CHECK(not_2d.error().message.find("2-D") != std::string::npos);
  CHECK(to_csv(cube, {}, CsvLayout::long_form).value().starts_with("dim0,dim1,dim2,value\r\n"));
  ExportInfo wrong;
  wrong.axes = {{"query", {"only one"}}, {"key", {}}};
  const auto mismatch = to_csv(m, wrong);
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.error().message == "axis query has 1 labels for 2 entries");
  wrong.axes = {{"pos", {}}, {"pos", {}}};
  CHECK_FALSE(to_csv(m, wrong).ok());
}

TEST_CASE("export JSON: round trip through nlohmann, non-finite values as null") {
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor t = {{0.1f, -2.0f, std::nanf("")}, {-inf, 1e-7f, 3.0f}};
  ExportInfo info;
  info.axes = {{"query", {"The", "\xe4\xbd"}}, {"key", {"a", "\"b\"", "c\nd"}}};
  info.meta = {{"model", "gpt2"}, {"layer", 3}, {"hook", "blocks.3.attn.hook_pattern"}};
  const std::string text = to_json(t, info).value();
  const nlohmann::json j = nlohmann::json::parse(text);
  CHECK(j["shape"] == nlohmann::json({2, 3}));
  CHECK(j["axes"] == nlohmann::json({"query", "key"}));
  CHECK(j["labels"]["key"] == nlohmann::json({"a", "\"b\"", "c\nd"}));
  CHECK(j["labels"]["query"][1] == "\xef\xbf\xbd\xef\xbf\xbd");
  CHECK(j["meta"]["layer"] == 3);
  CHECK(j["meta"]["model"] == "gpt2");
  REQUIRE(j["data"].size() == 6);
  CHECK(j["data"][2].is_null());
  CHECK(j["data"][3].is_null());
  for (const int i : {0, 1, 4, 5}) {
    CHECK(j["data"][i].get<float>() == t.data()[i]);
  }
  const nlohmann::json bare = nlohmann::json::parse(to_json(zeros({2})).value());
  CHECK(bare["axes"] == nlohmann::json({"dim0"}));
  CHECK(bare["labels"].empty());
  CHECK(bare["data"] == nlohmann::json({0, 0}));
}

TEST_CASE("export font: the embedded font, and bad bytes are an error, not a crash") {
  REQUIRE_MESSAGE(has_embedded_export_font(), "build without fonts-dejavu-core?");
  const auto font = export_font();
  REQUIRE(font.ok());
  CHECK((*font)->line_height(10) > 10);
  CHECK((*font)->width(U"Hello", 13) > 20);
  const auto garbage = set_export_font(Bytes::from_string("not a font at all, not at all"));
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().message.find("not a usable TrueType font") != std::string::npos);
  CHECK_FALSE(Font::from_ttf(Bytes{}).ok());
  // A real font cut short: its table directory points past the end.
  std::string truncated = {'\0', '\x01', '\0', '\0', '\0', '\x02',
                           '\0', '\0',   '\0', '\0', '\0', '\0'};
  truncated += "cmap" + std::string(4, '\0') + std::string("\0\0\0\x40\0\0\x10\0", 8);
  truncated += "head" + std::string(12, '\0');
  CHECK_FALSE(Font::from_ttf(Bytes::from_string(truncated)).ok());
  CHECK(export_font().ok());  // unchanged by the failed set

  CHECK(display_text("a\nb") == U"a\u21B5b");
  CHECK(display_text("\xe4\xbd") == U"\uFFFD\uFFFD");
  CHECK(display_text("\t\x01") == U"\u21E5\u2401");
  const std::u32string long_label = elide(**font, std::u32string(100000, U'w'), 13, 100);
  CHECK(long_label.back() == U'\u2026');
  CHECK((*font)->width(long_label, 13) <= 100);
  const TextBitmap cjk = (*font)->render(U"日本", 13);  // not in DejaVu Sans: boxes
  CHECK(cjk.width > 10);
  CHECK(std::count(cjk.coverage.begin(), cjk.coverage.end(), 255) > 10);
}

TEST_CASE("export heatmap PNG: cells, mask, colour bar and background at known pixels") {
  const std::vector<float> values = {0.0f, 1.0f, 0.25f, 0.75f};
  HeatmapSpec spec;
  spec.values = values.data();
  spec.rows = spec.cols = 2;
  spec.vmin = 0.0f;
  spec.vmax = 1.0f;
  spec.row_labels = {"The", "·cat"};
  spec.col_labels = {"The", "·cat"};
  spec.title = "pattern";
  spec.row_axis = "query";
  spec.col_axis = "key";
  spec.colorbar_label = "attention";
  const auto figure = render_heatmap(spec);
  REQUIRE_MESSAGE(figure.ok(), figure.error().to_string());
  const auto png = render_heatmap_png(spec);
  REQUIRE(png.ok());
  const Decoded d = decode_png(*png);
  CHECK(d.width == figure->image.width);
  CHECK(d.height == figure->image.height);
  CHECK(d.rgba == figure->image.pixels);
  const PixelRect plot = figure->plots.at(0);
  CHECK(plot.width == plot.height);
  CHECK(plot.width >= 64);
  CHECK(cell_centre(d, plot, 2, 2, 0, 0) == sample(Colormap::viridis, 0.0f));
  CHECK(cell_centre(d, plot, 2, 2, 0, 1) == sample(Colormap::viridis, 1.0f));
  CHECK(cell_centre(d, plot, 2, 2, 1, 0) == sample(Colormap::viridis, 0.25f));
  CHECK(cell_centre(d, plot, 2, 2, 1, 1) == sample(Colormap::viridis, 0.75f));
  CHECK(d.at(0, 0) == Rgb{255, 255, 255});
  CHECK(d.at(d.width - 1, d.height - 1) == Rgb{255, 255, 255});
  const PixelRect bar = figure->colorbar;
  const int bar_x = bar.x + bar.width / 2;
  CHECK(colour_distance(d.at(bar_x, bar.y), sample(Colormap::viridis, 1.0f)) <= 6);
  CHECK(colour_distance(d.at(bar_x, bar.y + bar.height - 1), sample(Colormap::viridis, 0.0f)) <= 6);
  CHECK(colour_distance(d.at(bar_x, bar.y + bar.height / 2), sample(Colormap::viridis, 0.5f)) <= 6);
  // Text was drawn: dark pixels left of the plot (row labels) and below it (column labels).
  int dark_left = 0, dark_below = 0;
  for (int y = plot.y; y < plot.y + plot.height; y++) {
    for (int x = 0; x < plot.x - 6; x++) dark_left += d.at(x, y).r < 100;
  }
  for (int y = plot.y + plot.height + 6; y < d.height; y++) {
    for (int x = plot.x; x < plot.x + plot.width; x++) dark_below += d.at(x, y).r < 100;
  }
  CHECK(dark_left > 20);
  CHECK(dark_below > 20);

  SUBCASE("mask_upper draws the cells above the diagonal grey") {
    spec.mask_upper = true;
    spec.vmin.reset();
    spec.vmax.reset();
    const auto masked = render_heatmap(spec);
    REQUIRE(masked.ok());
    const Decoded m = decode_png(encode_png(masked->image).value());
    const PixelRect p = masked->plots.at(0);
    CHECK(cell_centre(m, p, 2, 2, 0, 1) == kMaskedCell);
    // The masked 1.0 is not data: the range is the other cells' 0 .. 0.75.
    CHECK(masked->vmin == 0.0f);
    CHECK(masked->vmax == 0.75f);
    CHECK(cell_centre(m, p, 2, 2, 1, 1) == sample(Colormap::viridis, 1.0f));
  }
  SUBCASE("diverging maps default to a range symmetric around zero") {
    const std::vector<float> effects = {-0.2f, 0.5f, 0.0f, 0.1f};
    spec.values = effects.data();
    spec.colormap = Colormap::diverging;
    spec.vmin.reset();
    spec.vmax.reset();
    spec.annotate = true;
    const auto div = render_heatmap(spec);
    REQUIRE(div.ok());
    CHECK(div->vmin == -0.5f);
    CHECK(div->vmax == 0.5f);
    // The zero cell is the map's neutral centre, apart from its annotation text.
    const Decoded m = decode_png(encode_png(div->image).value());
    const PixelRect p = div->plots.at(0);
    CHECK(m.at(p.x + 2, p.y + p.height / 2 + 2) == sample(Colormap::diverging, 0.5f));
  }
}

TEST_CASE("export heatmap PNG: errors, odd labels, large and huge maps") {
  HeatmapSpec empty;
  const auto none = render_heatmap_png(empty);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().message == "heatmap has no cells (0 rows × 0 columns)");

  std::vector<float> values(12, 0.5f);
  HeatmapSpec spec;
  spec.values = values.data();
  spec.rows = 3;
  spec.cols = 4;
  spec.row_labels = {"a", "b"};
  const auto wrong = render_heatmap_png(spec);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().message == "heatmap has 2 row labels for 3 rows");

  spec.row_labels = {"\n", "日本語", "\xe4\xbd"};
  spec.col_labels = {"", std::string(5000, 'x'), "tab\there", "\x7f\x01"};
  spec.title = "constant data, odd labels · 日本";
  spec.vmin = 1.0f;  // above every value: the range grows upward from vmin
  const auto odd = render_heatmap(spec);
  REQUIRE_MESSAGE(odd.ok(), odd.error().to_string());
  CHECK(odd->vmin == 1.0f);
  CHECK(odd->vmax > 1.0f);
  spec.vmax = 0.0f;
  const auto swapped = render_heatmap(spec);
  REQUIRE_FALSE(swapped.ok());
  CHECK(swapped.error().message == "heatmap vmin (1) is above vmax (0)");

  // 1024 tokens: one pixel per cell, labels thinned, well inside the size cap.
  const int n = 1024;
  const std::vector<float> big = synthetic_pattern(n, 2.0f, 1.0f, 0.3f);
  HeatmapSpec large;
  large.values = big.data();
  large.rows = large.cols = n;
  large.mask_upper = true;
  for (int i = 0; i < n; i++) large.row_labels.push_back("·tok" + std::to_string(i));
  large.col_labels = large.row_labels;
  const auto fig = render_heatmap(large);
  REQUIRE_MESSAGE(fig.ok(), fig.error().to_string());
  CHECK(fig->plots[0].width == n);
  CHECK(fig->row_block == 1);
  CHECK(fig->image.width <= kMaxImageSide);
  CHECK(fig->image.height <= kMaxImageSide);

  // Longer than the plot limit: drawn as block means, image still capped.
  const int tall = 5000;
  std::vector<float> strip(static_cast<std::size_t>(tall) * 3);
  for (std::size_t i = 0; i < strip.size(); i++) strip[i] = static_cast<float>(i % 7);
  HeatmapSpec huge;
  huge.values = strip.data();
  huge.rows = tall;
  huge.cols = 3;
  const auto h = render_heatmap(huge);
  REQUIRE_MESSAGE(h.ok(), h.error().to_string());
  CHECK(h->row_block == 3);
  CHECK(h->plots[0].height <= 2048);
  CHECK(h->image.height <= kMaxImageSide);
  CHECK(h->plots[0].width >= 48);  // a thin map is stretched across

  huge.cell_px = 10;  // asked for, but 5000 rows only fit as blocks of one pixel
  const auto h10 = render_heatmap(huge);
  REQUIRE(h10.ok());
  CHECK(h10->plots[0].height <= 2048);
  CHECK(h10->plots[0].width == 3);

  spec = HeatmapSpec{};
  spec.values = values.data();
  spec.rows = 3;
  spec.cols = 4;
  spec.cell_px = 300;
  CHECK_FALSE(render_heatmap(spec).ok());
}

TEST_CASE("export heatmap grid: shared colour bar, one panel per map") {
  const int n = 6;
  std::vector<std::vector<float>> patterns;
  for (int i = 0; i < 6; i++)
    patterns.push_back(synthetic_pattern(n, 0.5f * i, 2.0f - 0.3f * i, 0.2f));
  std::vector<HeatmapSpec> cells;
  for (int i = 0; i < 6; i++) {
    HeatmapSpec s;
    s.values = patterns[i].data();
    s.rows = s.cols = n;
    s.mask_upper = true;
    s.title = "L" + std::to_string(i / 3) + "H" + std::to_string(i % 3);
    cells.push_back(s);
  }
  cells[0].vmin = 0.0f;
  cells[0].vmax = 1.0f;
  const auto grid = render_heatmap_grid(cells, 3, "two layers");
  REQUIRE_MESSAGE(grid.ok(), grid.error().to_string());
  REQUIRE(grid->plots.size() == 6);
  CHECK(grid->plots[1].x > grid->plots[0].x + grid->plots[0].width);
  CHECK(grid->plots[3].y > grid->plots[0].y + grid->plots[0].height);
  const Decoded d = decode_png(render_heatmap_grid_png(cells, 3, "two layers").value());
  for (int i = 0; i < 6; i++) {
    CHECK(cell_centre(d, grid->plots[i], n, n, 0, n - 1) == kMaskedCell);
    CHECK(cell_centre(d, grid->plots[i], n, n, 0, 0) == sample(Colormap::viridis, 1.0f));
  }
  CHECK_FALSE(render_heatmap_grid({}, 3, "").ok());
  CHECK_FALSE(render_heatmap_grid(cells, 0, "").ok());
  cells[4].rows = 5;
  CHECK_FALSE(render_heatmap_grid(cells, 3, "").ok());
}

TEST_CASE("export heatmap_of views one matrix of a tensor") {
  Tensor pattern = zeros({2, 3, 3});
  pattern(1, 2, 0) = 0.75f;
  const HeatmapSpec spec = heatmap_of(pattern, 1).value();
  CHECK(spec.rows == 3);
  CHECK(spec.cols == 3);
  CHECK(spec.values[2 * 3 + 0] == 0.75f);
  CHECK_FALSE(heatmap_of(pattern, 2).ok());
  CHECK(heatmap_of(Tensor{1.0f, 2.0f}).value().rows == 1);
  CHECK_FALSE(heatmap_of(zeros({0, 3})).ok());
}

TEST_CASE("export example figures (written to <build>/test-output/export_*.png)") {
  const std::vector<std::string> tokens = {"The", "·cat", "·sat", "·on",  "·the",    "·mat",
                                           ",",   "·and", "·the", "·dog", "·barked", "."};
  const int n = static_cast<int>(tokens.size());
  const std::vector<float> pattern = synthetic_pattern(n, 2.5f, 2.0f, 0.4f);
  HeatmapSpec spec;
  spec.values = pattern.data();
  spec.rows = spec.cols = n;
  spec.row_labels = spec.col_labels = tokens;
  spec.title = "Layer 0, head 3 (previous-token)";
  spec.row_axis = "query";
  spec.col_axis = "key";
  spec.colorbar_label = "attention";
  spec.mask_upper = true;
  spec.vmin = 0.0f;
  spec.vmax = 1.0f;
  save("export_pattern.png", render_heatmap_png(spec).value());
  spec.annotate = true;
  save("export_pattern_annotated.png", render_heatmap_png(spec).value());

  // Layer × head small multiples: 4 layers × 8 heads of patterns.
  std::vector<std::vector<float>> patterns;
  for (int i = 0; i < 32; i++) {
    const int l = i / 8, h = i % 8;
    patterns.push_back(synthetic_pattern(n, 0.4f * h, 3.0f - 0.7f * l, 0.1f * (h % 3)));
  }
  std::vector<HeatmapSpec> cells;
  for (int i = 0; i < 32; i++) {
    HeatmapSpec s;
    s.values = patterns[i].data();
    s.rows = s.cols = n;
    s.mask_upper = true;
    s.title = "L" + std::to_string(i / 8) + "H" + std::to_string(i % 8);
    if (i == 0) {
      s.row_labels = s.col_labels = tokens;
      s.row_axis = "query";
      s.col_axis = "key";
      s.colorbar_label = "attention";
      s.vmin = 0.0f;
      s.vmax = 1.0f;
    }
    cells.push_back(s);
  }
  save("export_grid.png",
       render_heatmap_grid_png(cells, 8, "Attention patterns, all heads").value());

  // A signed layer × head map: the change in loss when each head is ablated.
  const int layers = 12, heads = 12;
  std::vector<float> effects(layers * heads);
  for (int l = 0; l < layers; l++) {
    for (int h = 0; h < heads; h++) {
      effects[l * heads + h] = 0.08f * std::sin(1.7f * l + 2.3f * h) * std::exp(-0.15f * l);
    }
  }
  effects[5 * heads + 1] = 0.92f;   // an induction head
  effects[9 * heads + 6] = -0.41f;  // a negative head
  HeatmapSpec ablation;
  ablation.values = effects.data();
  ablation.rows = layers;
  ablation.cols = heads;
  for (int l = 0; l < layers; l++) ablation.row_labels.push_back("L" + std::to_string(l));
  for (int h = 0; h < heads; h++) ablation.col_labels.push_back("H" + std::to_string(h));
  ablation.title = "Ablation: Δ loss per head";
  ablation.row_axis = "layer";
  ablation.col_axis = "head";
  ablation.colorbar_label = "Δ loss (nats)";
  ablation.colormap = Colormap::diverging;
  ablation.annotate = true;
  save("export_ablation.png", render_heatmap_png(ablation).value());

  // A long prompt: labels thinned, never overlapping.
  const int long_n = 200;
  const std::vector<float> long_pattern = synthetic_pattern(long_n, 5.0f, 4.0f, 0.05f);
  HeatmapSpec long_spec;
  long_spec.values = long_pattern.data();
  long_spec.rows = long_spec.cols = long_n;
  for (int i = 0; i < long_n; i++) {
    long_spec.row_labels.push_back(i % 17 == 5 ? "\n" : tokens[i % tokens.size()]);
  }
  long_spec.col_labels = long_spec.row_labels;
  long_spec.mask_upper = true;
  long_spec.title = "200 tokens";
  long_spec.row_axis = "query";
  long_spec.col_axis = "key";
  long_spec.colormap = Colormap::magma;
  save("export_long.png", render_heatmap_png(long_spec).value());

  // Labels as tokenizers produce them: newlines, tabs, a character cut in two, CJK and emoji
  // (boxes: DejaVu Sans has no glyphs for them), a very long token.
  const std::vector<std::string> odd = {
      "\n", "\t", "\xe4\xbd", "日本", "·naïve", "😀", "·" + std::string(60, 'w'), "\"q\",", "\x01"};
  const std::vector<float> odd_pattern = synthetic_pattern(9, 1.0f, 1.5f, 0.3f);
  HeatmapSpec odd_spec;
  odd_spec.values = odd_pattern.data();
  odd_spec.rows = odd_spec.cols = 9;
  odd_spec.row_labels = odd_spec.col_labels = odd;
  odd_spec.mask_upper = true;
  odd_spec.title = "Odd tokens · ↵ ⇥ \xe4\xbd 日本";
  save("export_odd_labels.png", render_heatmap_png(odd_spec).value());

  // 1024 tokens, index labels: one pixel per cell.
  const int huge_n = 1024;
  const std::vector<float> huge_pattern = synthetic_pattern(huge_n, 6.0f, 5.0f, 0.02f);
  HeatmapSpec huge_spec;
  huge_spec.values = huge_pattern.data();
  huge_spec.rows = huge_spec.cols = huge_n;
  huge_spec.mask_upper = true;
  huge_spec.title = "1024 tokens";
  huge_spec.row_axis = "query position";
  huge_spec.col_axis = "key position";
  huge_spec.colorbar_label = "attention";
  huge_spec.vmin = 0.0f;
  huge_spec.vmax = 1.0f;
  save("export_1024.png", render_heatmap_png(huge_spec).value());
}

namespace {
std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) n++;
  return n;
}
}  // namespace

TEST_CASE("export SVG: the PNG's layout as vector steps, text as text, big maps embedded") {
  REQUIRE_MESSAGE(has_embedded_export_font(), "build without fonts-dejavu-core?");
  const std::vector<float> values{0.1f, 0.5f, 0.9f, 0.2f, 0.4f, 0.6f, 0.3f, 0.7f, 1.0f};
  HeatmapSpec spec;
  spec.values = values.data();
  spec.rows = spec.cols = 3;
  spec.row_labels = spec.col_labels = {"<a>", "&", "\"q\""};
  spec.title = "L0H1 <test>";
  spec.row_axis = "query";
  spec.col_axis = "key";
  std::vector<FigureOp> ops;
  const HeatmapFigure figure = render_heatmap(spec, &ops).value();
  const std::string svg = figure_svg(figure, ops).value();
  CHECK(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=", 0) == 0);
  CHECK(svg.find("width=\"" + std::to_string(figure.image.width) + "\" height=\"" +
                 std::to_string(figure.image.height) + "\"") != std::string::npos);
  // One rectangle per cell, in the colour the PNG has at the cell's centre.
  int cells = 0;
  for (const FigureOp& op : ops) {
    if (op.kind != FigureOp::Kind::cell) continue;
    cells++;
    const Rgb c = figure.image.at(op.x + op.w / 2, op.y + op.h / 2);
    CHECK(c == op.colour);
    char rect[160];
    std::snprintf(rect, sizeof rect,
                  "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#%02x%02x%02x\"/>",
                  op.x, op.y, op.w, op.h, c.r, c.g, c.b);
    CHECK(svg.find(rect) != std::string::npos);
  }
  CHECK(cells == 9);
  // Labels, title and axis names are text elements, escaped.
  CHECK(count_of(svg, "<text") >= 3 + 3 + 3);
  CHECK(svg.find(">&lt;a&gt;</text>") != std::string::npos);
  CHECK(svg.find(">&amp;</text>") != std::string::npos);
  CHECK(svg.find(">&quot;q&quot;</text>") != std::string::npos);
  CHECK(svg.find(">L0H1 &lt;test&gt;</text>") != std::string::npos);
  CHECK(svg.find("rotate(-90)") != std::string::npos);  // the vertical axis name
  CHECK(svg.find("<a>") == std::string::npos);
  CHECK(svg.find("data:image/png") == std::string::npos);
  CHECK(render_heatmap_svg(spec).value() == svg);

  // Past kMaxSvgCells cells the map is one embedded PNG; the labels stay text.
  const int rows = 400, cols = 300;
  std::vector<float> big(static_cast<std::size_t>(rows) * cols);
  for (std::size_t i = 0; i < big.size(); i++) big[i] = static_cast<float>(i % 97) / 96.0f;
  HeatmapSpec large;
  large.values = big.data();
  large.rows = rows;
  large.cols = cols;
  large.title = "large";
  const std::string large_svg = render_heatmap_svg(large).value();
  CHECK(count_of(large_svg, "data:image/png;base64,") == 1);
  CHECK(count_of(large_svg, "<rect") < 2000);
  CHECK(large_svg.find(">large</text>") != std::string::npos);

  // A grid: one embedded image per panel only when the panels' cells together pass the limit.
  std::vector<HeatmapSpec> panels(4, spec);
  const std::string grid = render_heatmap_grid_svg(panels, 2, "grid").value();
  CHECK(count_of(grid, "data:image/png") == 0);
  CHECK(grid.find(">grid</text>") != std::string::npos);
  std::filesystem::create_directories(ATTNSCOPE_TEST_OUTPUT);
  std::ofstream(std::string(ATTNSCOPE_TEST_OUTPUT) + "/export_svg_small.svg") << svg;
}

namespace {

// A small figure with every part: labels, title, axis names, a colour bar, values in cells,
// masked and missing cells.
struct SmallFigure {
  std::vector<float> values = synthetic_pattern(5, 2.0f, 1.5f, 0.3f);
  HeatmapSpec spec;
  explicit SmallFigure(Colormap map) {
    values[3 * 5 + 1] = std::nanf("");  // a missing value
    spec.values = values.data();
    spec.rows = spec.cols = 5;
    spec.row_labels = spec.col_labels = {"When", "·Mary", "·and", "·John", "·went"};
    spec.title = "L1H2 — reference";
    spec.row_axis = "query";
    spec.col_axis = "key";
    spec.colorbar_label = "attention";
    spec.mask_upper = true;
    spec.vmin = 0.0f;
    spec.vmax = 1.0f;
    spec.annotate = true;
    spec.colormap = map;
  }
};

// The share of pixels that differ from the reference by more than `tolerance` in a channel.
double differing_share(const Decoded& a, const Decoded& b, int tolerance) {
  std::size_t differ = 0;
  for (std::size_t i = 0; i < a.rgba.size(); i += 4)
    for (int c = 0; c < 3; c++)
      if (std::abs(int(a.rgba[i + c]) - int(b.rgba[i + c])) > tolerance) {
        differ++;
        break;
      }
  return double(differ) / double(a.rgba.size() / 4);
}

}  // namespace

TEST_CASE("export PNG at 2× and 4×: the 1× layout, cells scaled exactly, text drawn afresh") {
  const SmallFigure f(Colormap::viridis);
  const HeatmapFigure one = render_heatmap(f.spec).value();
  const Decoded d1 = decode_png(render_heatmap_png(f.spec).value());
  for (const int scale : {2, 4}) {
    CAPTURE(scale);
    const Decoded d = decode_png(render_heatmap_png(f.spec, scale).value());
    REQUIRE(d.width == one.image.width * scale);
    REQUIRE(d.height == one.image.height * scale);
    const PixelRect plot = one.plots.at(0);
    const PixelRect scaled{plot.x * scale, plot.y * scale, plot.width * scale, plot.height * scale};
    // The masked triangle and the missing cell keep their colours, now scale× as large.
    CHECK(cell_centre(d, scaled, 5, 5, 0, 4) == kMaskedCell);
    CHECK(cell_centre(d, scaled, 5, 5, 3, 1) == kMaskedCell);
    // A corner pixel of a cell (no value text there) is the cell's colour at every scale.
    const int cell = plot.width / 5;
    CHECK(d.at(scaled.x + 1, scaled.y + 4 * cell * scale + 1) == d1.at(plot.x, plot.y + 4 * cell));
    // Text is rendered at scale× its size: about scale² as much ink, and drawn afresh — enlarged
    // 1× pixels would make every scale × scale block of the title one colour.
    const PixelRect title1{0, 0, d1.width, plot.y - 8};
    std::size_t ink1 = 0, ink = 0, mixed_blocks = 0;
    for (int y = title1.y; y < title1.y + title1.height; y++)
      for (int x = title1.x; x < title1.x + title1.width; x++) {
        ink1 += d1.at(x, y).r < 128;
        bool uniform = true;
        for (int dy = 0; dy < scale; dy++)
          for (int dx = 0; dx < scale; dx++) {
            const Rgb p = d.at(x * scale + dx, y * scale + dy);
            ink += p.r < 128;
            uniform = uniform && p == d.at(x * scale, y * scale);
          }
        mixed_blocks += !uniform;
      }
    REQUIRE(ink1 > 50);
    const double ratio = double(ink) / double(ink1);
    CHECK(ratio > 0.7 * scale * scale);
    CHECK(ratio < 1.3 * scale * scale);
    CHECK(mixed_blocks > ink1 / 4);
    save("export_scale_" + std::to_string(scale) + "x.png",
         render_heatmap_png(f.spec, scale).value());
  }
  // A grid at 2×, and the errors: scales outside 1..4, and an image too large to make.
  std::vector<HeatmapSpec> panels(4, f.spec);
  const Decoded g = decode_png(render_heatmap_grid_png(panels, 2, "grid", 2).value());
  CHECK(g.width == render_heatmap_grid(panels, 2, "grid").value().image.width * 2);
  for (const int bad : {0, 5, -1}) {
    const auto r = render_heatmap_png(f.spec, bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("outside 1..4") != std::string::npos);
  }
  const std::vector<float> big(2000 * 2000, 0.5f);
  HeatmapSpec huge;  // about 2300 px square at 1×: 4× would be over 80 megapixels
  huge.values = big.data();
  huge.rows = huge.cols = 2000;
  huge.cell_px = 1;
  const auto too_large = render_heatmap_png(huge, 4);
  REQUIRE_FALSE(too_large.ok());
  CHECK(too_large.error().message.find("would be") != std::string::npos);
  const Decoded big2 = decode_png(render_heatmap_png(huge, 2).value());  // many cells: from 1×
  CHECK(big2.width == render_heatmap(huge).value().image.width * 2);
}

namespace {

// An ROC-like chart: one curve, the chance diagonal, fixed unit axes.
LineChartSpec example_roc() {
  LineChartSpec roc;
  roc.title = "SAE circuit vs ablation ground truth";
  roc.x_axis = "false positive rate";
  roc.y_axis = "true positive rate";
  roc.series = {{"nodes (AUC 0.81)", {0, 0, 0.25, 0.5, 1}, {0, 0.5, 0.75, 1, 1}, series_colour(0)},
                {"edges (AUC 0.70)", {0, 0.25, 0.5, 1}, {0, 0.25, 0.75, 1}, series_colour(1)}};
  roc.chance_diagonal = true;
  roc.x_min = roc.y_min = 0;
  roc.x_max = roc.y_max = 1;
  roc.plot_width = roc.plot_height = 240;
  return roc;
}

// A 4-token causal pattern with one strong previous-token link and a first-token sink.
const std::vector<float> kLinePattern = {1.0f, 0,    0,     0,  //
                                         0.3f, 0.7f, 0,     0,  //
                                         0.6f, 0.1f, 0.3f,  0,  //
                                         0.5f, 0.0f, 0.45f, 0.05f};

}  // namespace

TEST_CASE("export line chart: points where the axes put them, legend, scales, errors") {
  LineChartSpec flat;
  flat.series = {{"", {0, 1, 2}, {0.5, 0.5, 0.5}, Rgb{200, 0, 0}}};
  flat.y_min = 0;
  flat.y_max = 1;
  flat.x_axis = "layer";
  flat.y_axis = "probability";
  const HeatmapFigure f = render_line_chart(flat).value();
  const PixelRect plot = f.plots.at(0);
  const RgbaImage& im = f.image;
  // The line at y = 0.5 crosses the plot's middle row in its colour; off the line is white.
  const int mid = plot.y + plot.height / 2;
  CHECK(colour_distance(im.at(plot.x + plot.width / 2, mid), Rgb{200, 0, 0}) < 40);
  CHECK(im.at(plot.x + plot.width * 3 / 8, plot.y + plot.height / 4 + 3) == Rgb{255, 255, 255});
  CHECK(im.at(plot.x + 10, plot.y - 1) == Rgb{90, 90, 90});  // the frame
  // As SVG: two segments, tick labels as text, the axis names.
  const std::string svg = render_line_chart_svg(flat).value();
  CHECK(count_of(svg, "<line ") == 2);
  CHECK(svg.find(">probability</text>") != std::string::npos);
  CHECK(svg.find(">0.5</text>") != std::string::npos);
  // Categories label x; a 2× PNG doubles the figure.
  LineChartSpec layers = flat;
  layers.x_categories = {"L0 in", "L1 in", "final"};
  CHECK(render_line_chart_svg(layers).value().find(">final</text>") != std::string::npos);
  const Decoded twice = decode_png(render_line_chart_png(layers, 2).value());
  CHECK(twice.width == render_line_chart(layers).value().image.width * 2);

  const LineChartSpec roc = example_roc();
  const std::string roc_svg = render_line_chart_svg(roc).value();
  CHECK(roc_svg.find(">nodes (AUC 0.81)</text>") != std::string::npos);  // the legend
  CHECK(roc_svg.find("stroke=\"#0072b2\"") != std::string::npos);        // Okabe–Ito blue
  save("export_roc.png", render_line_chart_png(roc, 2).value());

  const auto error_of = [](LineChartSpec s) {
    auto r = render_line_chart(s);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  CHECK(error_of(LineChartSpec{}).find("at least one series") != std::string::npos);
  LineChartSpec uneven = flat;
  uneven.series[0].y.pop_back();
  CHECK(error_of(uneven).find("3 x and 2 y values") != std::string::npos);
  LineChartSpec tiny = flat;
  tiny.plot_width = 10;
  CHECK(error_of(tiny).find("64..2048") != std::string::npos);
  LineChartSpec nan_end = flat;
  nan_end.y_max = std::nan("");
  CHECK(error_of(nan_end).find("finite") != std::string::npos);
  CHECK_FALSE(render_line_chart_png(flat, 5).ok());
}

TEST_CASE("export attention lines: one line per weight over the threshold, a query's alone") {
  AttentionLinesSpec spec;
  spec.pattern = kLinePattern.data();
  spec.tokens = 4;
  spec.labels = {"The", "·cat", "·sat", "<&>"};
  spec.title = "L0H1 lines";
  const std::string svg = render_attention_lines_svg(spec).value();
  int over = 0;
  for (int q = 0; q < 4; q++)
    for (int k = 0; k <= q; k++) over += kLinePattern[q * 4 + k] >= 0.02f;
  CHECK(count_of(svg, "<line ") == std::size_t(over));
  CHECK(svg.find(">&lt;&amp;&gt;</text>") != std::string::npos);  // labels escaped, twice
  spec.query = 3;
  CHECK(count_of(render_attention_lines_svg(spec).value(), "<line ") == 3);  // 0.5, 0.45, 0.05
  const Decoded d1 = decode_png(render_attention_lines_png(spec).value());
  const Decoded d4 = decode_png(render_attention_lines_png(spec, 4).value());
  CHECK(d4.width == 4 * d1.width);
  save("export_lines.png", render_attention_lines_png(spec, 2).value());
  spec.query = 9;
  CHECK_FALSE(render_attention_lines(spec).ok());
  std::vector<float> big(600 * 600, 0.0f);
  AttentionLinesSpec many;
  many.pattern = big.data();
  many.tokens = 600;
  const auto r = render_attention_lines(many);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("at most 512") != std::string::npos);
}

// Reference renderings (tests/unit/reference_figures): the figures as they looked when they were
// last checked by eye. A change to the layout, the font or a colormap shows up here; after
// looking at the new images in <build>/test-output, run the test with
// ATTNSCOPE_UPDATE_REFERENCE_FIGURES=1 to make them the new references.
TEST_CASE("export figures equal their reference renderings") {
  const std::string dir = std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/unit/reference_figures";
  const bool update = std::getenv("ATTNSCOPE_UPDATE_REFERENCE_FIGURES") != nullptr;
  const auto small = [](Colormap map, int scale) {
    SmallFigure f(map);
    if (map == Colormap::diverging) {
      for (float& v : f.values) v = std::isnan(v) ? v : v - 0.3f;
      f.spec.vmin = -0.7f;
      f.spec.vmax = 0.7f;
    }
    return render_heatmap_png(f.spec, scale).value();
  };
  AttentionLinesSpec lines;
  lines.pattern = kLinePattern.data();
  lines.tokens = 4;
  lines.labels = {"The", "·cat", "·sat", "·on"};
  lines.title = "L0H1 — reference";
  const std::vector<std::pair<const char*, std::vector<std::uint8_t>>> cases = {
      {"small_viridis_1x.png", small(Colormap::viridis, 1)},
      {"small_viridis_2x.png", small(Colormap::viridis, 2)},
      {"small_greys_1x.png", small(Colormap::greys, 1)},
      {"small_diverging_1x.png", small(Colormap::diverging, 1)},
      {"roc_1x.png", render_line_chart_png(example_roc()).value()},
      {"lines_1x.png", render_attention_lines_png(lines).value()},
  };
  for (const auto& one : cases) {
    // Not a structured binding: clang 14 (the WASM build) cannot capture one in CAPTURE's lambda.
    const char* name = one.first;
    const std::vector<std::uint8_t>& png = one.second;
    CAPTURE(std::string(name));
    save(std::string("reference_") + name, png);
    const std::string path = dir + "/" + name;
    if (update) {
      std::filesystem::create_directories(dir);
      std::ofstream(path, std::ios::binary)
          .write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
    }
    std::ifstream file(path, std::ios::binary);
    REQUIRE_MESSAGE(file.good(), "no reference rendering " << path);
    const std::vector<std::uint8_t> want((std::istreambuf_iterator<char>(file)), {});
    const Decoded got = decode_png(png), ref = decode_png(want);
    REQUIRE(got.width == ref.width);
    REQUIRE(got.height == ref.height);
    // Glyph edges may round differently between compilers (native, WASM): a few pixels may
    // differ slightly, none by much.
    CHECK(differing_share(got, ref, 24) == 0.0);
    CHECK(differing_share(got, ref, 2) < 0.005);
  }
}
