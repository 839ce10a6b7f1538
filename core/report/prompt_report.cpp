// prompt_report.cpp — running core's analyses on one prompt and arranging them as a report.
#include "core/report/prompt_report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/analysis/activation_patching.h"
#include "core/analysis/logit_lens.h"
#include "core/analysis/massive_activations.h"
#include "core/analysis/pattern.h"
#include "core/analysis/residual_stream.h"
#include "core/analysis/sinks.h"
#include "core/export/figure_svg.h"
#include "core/version.h"

namespace attnscope {

namespace {

using nlohmann::json;

// Patterns go into the JSON up to this many values (8 MB of text or so); past it, the figure
// still shows them and the JSON says they were left out.
constexpr std::size_t kMaxPatternValuesInJson = std::size_t(1) << 20;
// The lens table shows at most this many positions (the last ones) to stay readable.
constexpr int kMaxLensColumns = 24;

std::string fixed(double v, int decimals = 3) {
  if (!std::isfinite(v)) return v > 0 ? "inf" : (v < 0 ? "-inf" : "nan");
  char s[48];
  std::snprintf(s, sizeof s, "%.*f", decimals, v);
  return s;
}

std::vector<std::string> layer_labels(int n) {
  std::vector<std::string> out;
  for (int l = 0; l < n; l++) out.push_back("L" + std::to_string(l));
  return out;
}

std::vector<std::string> head_labels(int n) {
  std::vector<std::string> out;
  for (int h = 0; h < n; h++) out.push_back("H" + std::to_string(h));
  return out;
}

// A layer × head (or layer × position) map as an SVG figure.
Result<std::string> map_svg(const Tensor& values, std::vector<std::string> rows,
                            std::vector<std::string> cols, std::string title, std::string row_axis,
                            std::string col_axis, std::string bar, Colormap colormap) {
  HeatmapSpec spec;
  spec.values = values.data();
  spec.rows = int(values.shape()[0]);
  spec.cols = int(values.shape()[1]);
  spec.row_labels = std::move(rows);
  spec.col_labels = std::move(cols);
  spec.title = std::move(title);
  spec.row_axis = std::move(row_axis);
  spec.col_axis = std::move(col_axis);
  spec.colorbar_label = std::move(bar);
  spec.colormap = colormap;
  spec.annotate = true;
  return render_heatmap_svg(spec);
}

json tensor_json(const Tensor& t) {
  return json{{"shape", t.shape()}, {"values", std::vector<float>(t.begin(), t.end())}};
}

Status attention_section(const Model& model, const std::vector<int>& ids,
                         const std::vector<std::string>& tokens, HtmlReport& report, json& data) {
  const ModelConfig& c = model.config();
  HookPlan plan;
  plan.capture("blocks.*.attn.hook_pattern");
  Cache cache;
  ATTNSCOPE_TRY(model.forward(ids, plan, &cache));
  ATTNSCOPE_ASSIGN(const std::vector<const Tensor*> patterns, layer_patterns(cache));
  const int T = int(ids.size());
  std::vector<HeatmapSpec> cells;
  for (int l = 0; l < c.n_layers; l++)
    for (int h = 0; h < c.n_heads; h++) {
      HeatmapSpec spec = attention_pattern_spec(
          patterns[std::size_t(l)]->data() + std::size_t(h) * T * T, T, tokens);
      spec.title = head_label({l, h});
      cells.push_back(std::move(spec));
    }
  HtmlSection& s = report.sections.emplace_back();
  s.title = "Attention patterns";
  ATTNSCOPE_ASSIGN(std::string grid,
                   render_heatmap_grid_svg(cells, c.n_heads, "attention, every layer × head"));
  s.figures.push_back(std::move(grid));

  const SinkOptions sink_options;  // τ = 0.1, as the explorer's default
  ATTNSCOPE_ASSIGN(const SinkSummary sinks, find_sinks(cache, sink_options));
  s.paragraphs.push_back(std::to_string(sinks.heads_with_first_token_sink) + " of " +
                         std::to_string(c.n_layers * c.n_heads) +
                         " heads have a sink on the first token and " +
                         std::to_string(sinks.heads_with_hidden_sink) +
                         " a hidden sink (a later token); a sink is a key whose mean attention "
                         "from the queries that see it exceeds " +
                         fixed(sinks.cutoff, 2) + ".");
  HtmlTable& t = s.tables.emplace_back();
  t.caption = "Sinks per head";
  t.header = {"head", "sinks (position: token)", "sink mass", "hidden mass"};
  json sink_rows = json::array();
  for (const HeadSinks& h : sinks.heads) {
    if (h.sinks.empty()) continue;
    std::string where;
    json positions = json::array();
    for (const SinkToken& k : h.sinks) {
      where += (where.empty() ? "" : ", ") + std::to_string(k.position) + ": " +
               tokens[std::size_t(k.position)];
      positions.push_back(k.position);
    }
    t.rows.push_back({head_label(h.head), where, fixed(h.mass), fixed(h.hidden_mass)});
    sink_rows.push_back({{"head", head_label(h.head)},
                         {"positions", positions},
                         {"mass", h.mass},
                         {"hidden_mass", h.hidden_mass}});
  }
  data["sinks"] = {{"cutoff", sinks.cutoff}, {"heads", sink_rows}};
  const std::size_t values = std::size_t(c.n_layers) * c.n_heads * T * T;
  if (values <= kMaxPatternValuesInJson) {
    json all = json::array();
    for (const Tensor* p : patterns) all.push_back(tensor_json(*p));
    data["patterns"] = all;
  } else {
    data["patterns"] = "left out: " + std::to_string(values) + " values";
  }
  return {};
}

Status lens_section(const Model& model, const std::vector<int>& ids,
                    const std::vector<std::string>& tokens, int target, HtmlReport& report,
                    json& data) {
  const ModelConfig& c = model.config();
  LogitLensOptions o;
  o.top_k = 3;
  o.target = target;
  ATTNSCOPE_ASSIGN(const LogitLens lens, logit_lens(model, ids, o));
  const std::vector<HookId> rows = residual_stream_hooks(c.n_layers);
  const std::string target_text = model.token_display(target);
  HtmlSection& s = report.sections.emplace_back();
  s.title = "Logit lens";
  s.paragraphs.push_back(
      "Each layer's residual stream read through the final norm and the unembedding. Followed "
      "token: \"" +
      target_text + "\" (id " + std::to_string(target) + ").");
  const int first = std::max(0, lens.positions - kMaxLensColumns);
  HtmlTable& top = s.tables.emplace_back();
  top.caption =
      "Most likely next token per layer and position (probability)" +
      std::string(first > 0 ? ", the last " + std::to_string(kMaxLensColumns) + " positions" : "");
  top.header = {"residual stream"};
  for (int p = first; p < lens.positions; p++)
    top.header.push_back(std::to_string(p) + " " + tokens[std::size_t(p)]);
  json top_json = json::array();
  for (int r = 0; r < lens.rows; r++) {
    std::vector<std::string> row = {hook_name(rows[std::size_t(r)])};
    json row_json = json::array();
    for (int p = 0; p < lens.positions; p++) {
      const LensToken& k = lens.top_at(r, p, 0);
      if (p >= first) row.push_back(model.token_display(k.id) + " (" + fixed(k.prob, 2) + ")");
      json ks = json::array();
      for (int i = 0; i < lens.top_k; i++)
        ks.push_back({{"id", lens.top_at(r, p, i).id}, {"prob", lens.top_at(r, p, i).prob}});
      row_json.push_back(ks);
    }
    top.rows.push_back(std::move(row));
    top_json.push_back({{"hook", hook_name(rows[std::size_t(r)])}, {"top", row_json}});
  }
  HtmlTable& rank = s.tables.emplace_back();
  rank.caption = "\"" + target_text + "\" at the last position";
  rank.header = {"residual stream", "rank", "probability"};
  const std::size_t last = std::size_t(lens.positions - 1);
  for (int r = 0; r < lens.rows; r++)
    rank.rows.push_back({hook_name(rows[std::size_t(r)]),
                         fixed(lens.target_rank(std::size_t(r), last), 0),
                         fixed(lens.target_prob(std::size_t(r), last), 4)});
  ATTNSCOPE_ASSIGN(std::string dla,
                   map_svg(lens.head_dla, layer_labels(c.n_layers), head_labels(c.n_heads),
                           "direct logit attribution to \"" + target_text + "\", last position",
                           "layer", "head", "logit", Colormap::diverging));
  s.figures.push_back(std::move(dla));
  data["logit_lens"] = {{"target", target},
                        {"rows", top_json},
                        {"target_rank", tensor_json(lens.target_rank)},
                        {"target_prob", tensor_json(lens.target_prob)},
                        {"head_dla", tensor_json(lens.head_dla)}};
  return {};
}

Status massive_section(const Model& model, const std::vector<int>& ids,
                       const std::vector<std::string>& tokens, HtmlReport& report, json& data) {
  ATTNSCOPE_ASSIGN(const std::vector<MassiveLayer> layers, massive_activations(model, ids, 3));
  const std::vector<HookId> hooks = residual_stream_hooks(model.config().n_layers);
  HtmlSection& s = report.sections.emplace_back();
  s.title = "Massive activations";
  s.paragraphs.push_back(
      "Per layer, the residual stream's largest magnitude against its median (Sun et al. 2024): "
      "flagged over 100× and 1000×; massive when also over 100 in absolute value.");
  HtmlTable& t = s.tables.emplace_back();
  t.header = {"residual stream", "largest", "position: token", "channel", "median |a|",
              "ratio",           "flags"};
  json rows = json::array();
  for (std::size_t r = 0; r < layers.size(); r++) {
    const MassiveLayer& m = layers[r];
    const MassiveValue& v = m.top.front();
    const std::string flags = m.massive     ? "massive"
                              : m.over_1000 ? "> 1000×"
                              : m.over_100  ? "> 100×"
                                            : "";
    t.rows.push_back({hook_name(hooks[r]), fixed(v.value),
                      std::to_string(v.position) + ": " + tokens[std::size_t(v.position)],
                      std::to_string(v.channel), fixed(m.median_abs, 4), fixed(m.ratio, 1), flags});
    rows.push_back({{"hook", hook_name(hooks[r])},
                    {"value", v.value},
                    {"position", v.position},
                    {"channel", v.channel},
                    {"median_abs", m.median_abs},
                    {"ratio", std::isfinite(m.ratio) ? json(m.ratio) : json(nullptr)},
                    {"over_100", m.over_100},
                    {"over_1000", m.over_1000},
                    {"massive", m.massive}});
  }
  data["massive_activations"] = rows;
  return {};
}

Status patching_section(const Model& model, const PromptReportOptions& o,
                        const std::vector<std::string>& tokens, HtmlReport& report, json& data) {
  const ModelConfig& c = model.config();
  Prompt clean;
  clean.ids = o.ids;
  clean.answers = {o.answer};
  if (o.distractor >= 0) clean.distractors = {o.distractor};
  PatchingOptions p;
  p.metric = o.distractor >= 0 ? MetricKind::logit_diff : MetricKind::probability;
  HtmlSection& s = report.sections.emplace_back();
  s.title = "Activation patching";
  const std::string metric = o.distractor >= 0
                                 ? "logit(\"" + model.token_display(o.answer) + "\") − logit(\"" +
                                       model.token_display(o.distractor) + "\")"
                                 : "p(\"" + model.token_display(o.answer) + "\")";
  std::string corrupted;
  for (std::size_t i = 0; i < o.corrupted_ids.size(); i++)
    corrupted += (i ? "|" : "") + model.token_display(o.corrupted_ids[i]);
  std::vector<ReportedPatching> sweeps = o.patching;
  if (sweeps.empty()) {
    for (const PatchTarget target : {PatchTarget::resid_pre, PatchTarget::head_z}) {
      p.target = target;
      ATTNSCOPE_ASSIGN(PatchingResult r, activation_patching(model, clean, o.corrupted_ids, p));
      sweeps.push_back({std::move(r), {}});
    }
  }
  s.paragraphs.push_back("Corrupted prompt: " + corrupted + ". Metric " + metric +
                         " at the last position: clean " + fixed(sweeps.front().result.clean, 4) +
                         ", corrupted " + fixed(sweeps.front().result.corrupted, 4) +
                         "; each map shows what a patch recovers, 0 = corrupted, 1 = clean.");
  json runs = json::object();
  for (const ReportedPatching& sweep : sweeps) {
    const PatchingResult& r = sweep.result;
    std::vector<std::string> rows = layer_labels(c.n_layers), cols = tokens;
    std::string what, col_axis = "position";
    switch (r.target) {
      case PatchTarget::resid_pre:
        what = "the residual stream (resid_pre)";
        break;
      case PatchTarget::attn_out:
        what = "each layer's attention output";
        break;
      case PatchTarget::mlp_out:
        what = "each layer's MLP output";
        break;
      case PatchTarget::head_z:
        what = "each head's z (every position)";
        cols = head_labels(c.n_heads);
        col_axis = "head";
        break;
      case PatchTarget::head_z_position:
        what = head_label(sweep.head) + "'s z, one position at a time";
        rows = {head_label(sweep.head)};
        break;
    }
    if (r.normalised.shape()[0] != rows.size() || r.normalised.shape()[1] != cols.size())
      return make_error("a patching result does not fit the model and prompt of the report");
    ATTNSCOPE_ASSIGN(std::string svg, map_svg(r.normalised, rows, cols, "patching " + what, "layer",
                                              col_axis, "recovered", Colormap::diverging));
    s.figures.push_back(std::move(svg));
    runs[std::string(patch_target_name(r.target))] = {
        {"clean", r.clean}, {"corrupted", r.corrupted}, {"normalised", tensor_json(r.normalised)}};
  }
  data["patching"] = {{"corrupted_ids", o.corrupted_ids},
                      {"answer", o.answer},
                      {"distractor", o.distractor},
                      {"metric", metric},
                      {"runs", runs}};
  return {};
}

}  // namespace

Result<HtmlReport> prompt_report(const Model& model, const PromptReportOptions& o) {
  ATTNSCOPE_TRY(model.check_ids(o.ids));
  const ModelConfig& c = model.config();
  const bool patching = !o.corrupted_ids.empty();
  if (patching && o.answer < 0)
    return make_error("a report with patching needs the clean run's answer token");
  int target = o.target >= 0 ? o.target : o.answer;
  if (target < 0) {  // the model's own prediction
    ATTNSCOPE_ASSIGN(const Tensor logits, model.forward(o.ids));
    const float* last = logits.data() + (o.ids.size() - 1) * std::size_t(c.vocab_size);
    target = int(std::max_element(last, last + c.vocab_size) - last);
  }
  std::vector<std::string> tokens;
  std::string strip;
  for (const int id : o.ids) {
    tokens.push_back(model.token_display(id));
    strip += (strip.empty() ? "" : "|") + tokens.back();
  }
  HtmlReport report;
  report.title = "attnscope report — " + o.model_name;
  report.facts = o.facts;
  report.facts.insert(report.facts.begin(),
                      {{"model", o.model_name},
                       {"architecture", c.model_type + ", " + std::to_string(c.n_layers) +
                                            " layers × " + std::to_string(c.n_heads) +
                                            " heads, d_model " + std::to_string(c.d_model) +
                                            ", vocabulary " + std::to_string(c.vocab_size)},
                       {"prompt", strip + "  (" + std::to_string(o.ids.size()) + " tokens)"},
                       {"attnscope", version()}});
  json data = {{"model", o.model_name}, {"input_ids", o.ids}, {"tokens", tokens}};
  ATTNSCOPE_TRY(attention_section(model, o.ids, tokens, report, data));
  ATTNSCOPE_TRY(lens_section(model, o.ids, tokens, target, report, data));
  ATTNSCOPE_TRY(massive_section(model, o.ids, tokens, report, data));
  if (patching) ATTNSCOPE_TRY(patching_section(model, o, tokens, report, data));
  report.data_json = data.dump(-1, ' ', false, json::error_handler_t::replace);
  return report;
}

}  // namespace attnscope
