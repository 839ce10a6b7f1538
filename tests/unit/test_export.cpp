// test_export.cpp — core/export: colormaps, ticks, CSV / NPY / JSON bytes, heatmap PNGs (decoded
// back with stb_image), and example figures written to <build>/test-output/export_*.png.
#include <doctest/doctest.h>
#include <stb/stb_image.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>
#include <xtensor/xadapt.hpp>

#include "core/export/colormap.h"
#include "core/export/data_export.h"
#include "core/export/figure_svg.h"
#include "core/export/font.h"
#include "core/export/heatmap_png.h"
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
  CHECK(parse_colormap("diverging") == Colormap::diverging);
  CHECK(parse_colormap("sequential") == Colormap::viridis);
  CHECK_FALSE(parse_colormap("jet").has_value());
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
