// cmd_heatmap.cpp — `attnscope heatmap`: one head's attention pattern (or a layer's mean / max
// over heads, or every layer × head as small multiples) as a PNG with token labels, and the
// numbers behind it as CSV, JSON or NPY.
#include <cstdio>

#include "core/analysis/attention_stats.h"
#include "core/export/attention_lines.h"
#include "core/export/data_export.h"
#include "core/export/figure_svg.h"
#include "core/export/heatmap_png.h"
#include "ui/cli/backend_choice.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/figure_style.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

struct HeatmapOptions {
  PromptOptions prompt;
  int layer = -1;
  int head = -1;
  bool grid = false;
  bool lines = false;     // the line view (queries left, keys right) instead of a heatmap
  std::string aggregate;  // "", "mean" or "max"
  std::string out, csv, json_data, npy;
  FigureStyle style;
};

// The matrix (or stack of them) the command draws and exports, with its axes.
struct HeatmapData {
  Tensor values;  // [T, T], or [L, H, T, T] for --grid
  std::string title;
  std::vector<ExportAxis> axes;
};

Result<HeatmapData> select(const Model& model, const Cache& cache, const HeatmapOptions& options,
                           const std::vector<std::string>& tokens) {
  const ModelConfig& c = model.config();
  const std::string name = model_name(options.prompt.model_path);
  ATTNSCOPE_ASSIGN(const std::vector<const Tensor*> patterns, layer_patterns(cache));
  if (options.grid) {
    const std::size_t T = tokens.size();
    Tensor all = zeros({patterns.size(), static_cast<std::size_t>(c.n_heads), T, T});
    for (std::size_t l = 0; l < patterns.size(); l++)
      std::copy(patterns[l]->begin(), patterns[l]->end(), all.begin() + l * c.n_heads * T * T);
    std::vector<std::string> layers, heads;
    for (int l = 0; l < c.n_layers; l++) layers.push_back("L" + std::to_string(l));
    for (int h = 0; h < c.n_heads; h++) heads.push_back("H" + std::to_string(h));
    return HeatmapData{std::move(all),
                       "attention — " + name,
                       {{"layer", layers}, {"head", heads}, {"query", tokens}, {"key", tokens}}};
  }
  if (options.layer < 0 || options.layer >= c.n_layers)
    return make_error("--layer " + std::to_string(options.layer) + " is out of range",
                      "the model has " + std::to_string(c.n_layers) + " layers: 0.." +
                          std::to_string(c.n_layers - 1));
  const Tensor& pattern = *patterns[options.layer];
  const std::vector<ExportAxis> axes = {{"query", tokens}, {"key", tokens}};
  const std::string layer = "L" + std::to_string(options.layer);
  if (!options.aggregate.empty()) {
    if (options.aggregate != "mean" && options.aggregate != "max")
      return make_error("--aggregate '" + options.aggregate + "' is not mean or max");
    ATTNSCOPE_ASSIGN(Tensor values, options.aggregate == "mean" ? mean_over_heads(pattern)
                                                                : max_over_heads(pattern));
    return HeatmapData{std::move(values), layer + " " + options.aggregate + " over heads — " + name,
                       axes};
  }
  if (options.head < 0 || options.head >= c.n_heads)
    return make_error(options.head < 0
                          ? "give --head (or --aggregate mean|max, or --grid)"
                          : "--head " + std::to_string(options.head) + " is out of range",
                      "the model has " + std::to_string(c.n_heads) + " heads per layer: 0.." +
                          std::to_string(c.n_heads - 1));
  const std::size_t T = tokens.size();
  Tensor values = zeros({T, T});
  const float* head = pattern.data() + static_cast<std::size_t>(options.head) * T * T;
  std::copy(head, head + T * T, values.begin());
  return HeatmapData{std::move(values), head_label({options.layer, options.head}) + " — " + name,
                     axes};
}

HeatmapSpec attention_spec(const float* values, int n_tokens,
                           const std::vector<std::string>& tokens, const FigureStyle& style) {
  HeatmapSpec spec = attention_pattern_spec(values, n_tokens, tokens);
  (void)apply_figure_style(style, FigureFormat::png, spec);  // checked in heatmap() already
  return spec;
}

Status heatmap(const HeatmapOptions& options) {
  ATTNSCOPE_ASSIGN(const FigureFormat format, figure_format(options.out, "--out"));
  HeatmapSpec style_check;  // a bad --colormap or --scale is reported before the model loads
  ATTNSCOPE_TRY(apply_figure_style(options.style, format, style_check));
  if (options.lines && options.grid)
    return make_error("--lines draws one head (or --aggregate), not --grid");
  ATTNSCOPE_ASSIGN(const Model model,
                   load_model(options.prompt.model_path, options.prompt.backend));
  ATTNSCOPE_ASSIGN(const std::vector<int> ids, prompt_ids(model, options.prompt));
  const std::vector<std::string> tokens = token_texts(model, ids);
  HookPlan plan;
  plan.capture("blocks.*.attn.hook_pattern");
  Cache cache;
  ATTNSCOPE_TRY(model.forward(ids, plan, &cache));
  ATTNSCOPE_ASSIGN(const HeatmapData data, select(model, cache, options, tokens));

  const int T = static_cast<int>(ids.size());
  const bool svg = format == FigureFormat::svg;
  std::vector<std::uint8_t> png;
  std::string svg_text;
  if (options.grid) {
    const ModelConfig& c = model.config();
    std::vector<HeatmapSpec> cells;
    for (int l = 0; l < c.n_layers; l++)
      for (int h = 0; h < c.n_heads; h++) {
        cells.push_back(
            attention_spec(data.values.data() + static_cast<std::size_t>(l * c.n_heads + h) * T * T,
                           T, tokens, options.style));
        cells.back().title = head_label({l, h});
      }
    if (svg) {
      ATTNSCOPE_ASSIGN(svg_text, render_heatmap_grid_svg(cells, c.n_heads, data.title));
    } else {
      ATTNSCOPE_ASSIGN(png,
                       render_heatmap_grid_png(cells, c.n_heads, data.title, options.style.scale));
    }
  } else if (options.lines) {
    AttentionLinesSpec lines;
    lines.pattern = data.values.data();
    lines.tokens = T;
    lines.labels = tokens;
    lines.title = data.title;
    if (svg) {
      ATTNSCOPE_ASSIGN(svg_text, render_attention_lines_svg(lines));
    } else {
      ATTNSCOPE_ASSIGN(png, render_attention_lines_png(lines, options.style.scale));
    }
  } else {
    HeatmapSpec spec = attention_spec(data.values.data(), T, tokens, options.style);
    spec.title = data.title;
    if (svg) {
      ATTNSCOPE_ASSIGN(svg_text, render_heatmap_svg(spec));
    } else {
      ATTNSCOPE_ASSIGN(png, render_heatmap_png(spec, options.style.scale));
    }
  }
  if (svg) {
    ATTNSCOPE_TRY(write_file(options.out, svg_text));
  } else {
    ATTNSCOPE_TRY(write_file(options.out, png));
  }

  ExportInfo info{data.axes,
                  {{"model", model_name(options.prompt.model_path)},
                   {"title", data.title},
                   {"input_ids", ids}}};
  if (!options.csv.empty()) {
    ATTNSCOPE_ASSIGN(
        const std::string csv,
        to_csv(data.values, info, options.grid ? CsvLayout::long_form : CsvLayout::matrix));
    ATTNSCOPE_TRY(write_file(options.csv, csv));
  }
  if (!options.json_data.empty()) {
    ATTNSCOPE_ASSIGN(const std::string json, to_json(data.values, info));
    ATTNSCOPE_TRY(write_file(options.json_data, json));
  }
  if (!options.npy.empty()) ATTNSCOPE_TRY(write_file(options.npy, to_npy(data.values)));
  std::fprintf(stderr, "attnscope: wrote %s (%s, %d tokens)\n", options.out.c_str(),
               data.title.c_str(), T);
  return {};
}

}  // namespace

void register_heatmap(CLI::App& app) {
  auto options = std::make_shared<HeatmapOptions>();
  CLI::App* cmd = app.add_subcommand(
      "heatmap", "Draw attention patterns as a PNG heatmap (one head, a layer's mean/max, a grid)");
  add_prompt_options(cmd, options->prompt);
  cmd->add_option("--layer", options->layer, "Layer of the head (or of --aggregate)");
  cmd->add_option("--head", options->head, "Head within the layer");
  cmd->add_flag("--grid", options->grid,
                "Every layer × head as small multiples (ignores --layer / --head)");
  cmd->add_option("--aggregate", options->aggregate, "mean or max over the heads of --layer");
  cmd->add_flag("--lines", options->lines,
                "Draw the line view (queries left, keys right, a line per weight) instead");
  cmd->add_option("--out", options->out, "Output file: .png, or .svg (text as text)")->required();
  add_figure_style_options(cmd, options->style);
  cmd->add_option("--csv", options->csv, "Also write the values as CSV");
  cmd->add_option("--json-data", options->json_data, "Also write the values as JSON");
  cmd->add_option("--npy", options->npy, "Also write the values as NumPy .npy");
  cmd->callback([options]() { finish(heatmap(*options)); });
}

}  // namespace attnscope::cli
