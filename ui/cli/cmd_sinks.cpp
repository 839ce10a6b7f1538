// cmd_sinks.cpp — `attnscope sinks`: the attention sinks of every head (the first token and the
// hidden sinks after it), and with --calibrate, what ACT calibration of heads does to the
// next-token distribution.
#include <cstdio>

#include "core/analysis/calibration.h"
#include "core/analysis/sinks.h"
#include "ui/cli/backend_choice.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

struct SinksOptions {
  PromptOptions prompt;
  float tau = 0.1f;
  float alpha = 5.0f;
  bool relative = false;
  int min_queries = 1;
  std::string calibrate;  // "L.H,..." or "all"
  float beta = 0.4f;
  int top_k = 10;
  bool json = false;
};

nlohmann::json head_json(const Model& model, const std::vector<int>& ids, const HeadSinks& head) {
  nlohmann::json sinks = nlohmann::json::array();
  for (const SinkToken& s : head.sinks)
    sinks.push_back({{"position", s.position},
                     {"token", token_text(model, ids[s.position])},
                     {"score", s.score},
                     {"mass", s.mass},
                     {"hidden", s.hidden()}});
  return {{"head", head_label(head.head)},
          {"layer", head.head.layer},
          {"index", head.head.head},
          {"first_token_sink", head.first_token_sink()},
          {"hidden_sink", head.has_hidden_sink()},
          {"mass", head.mass},
          {"hidden_mass", head.hidden_mass},
          {"sinks", sinks}};
}

void print_table(const Model& model, const std::vector<int>& ids, const SinkSummary& summary,
                 const SinksOptions& options) {
  std::printf("%d tokens, %d layers × %d heads; a sink scores above %.4g (%s)\n", summary.n_tokens,
              summary.n_layers, summary.n_heads, summary.cutoff,
              options.relative ? "alpha / tokens" : "tau");
  std::printf("%-6s %6s  %s\n", "head", "mass", "sinks: position 'token' score (mass), * hidden");
  for (const HeadSinks& head : summary.heads) {
    std::printf("%-6s %6.3f ", head_label(head.head).c_str(), head.mass);
    if (head.sinks.empty()) std::printf(" -");
    for (const SinkToken& s : head.sinks)
      std::printf(" %s%d '%s' %.3f (%.3f)", s.hidden() ? "*" : "", s.position,
                  token_text(model, ids[s.position]).c_str(), s.score, s.mass);
    std::printf("\n");
  }
  std::printf("\nheads with a first-token sink: %d of %d\n", summary.heads_with_first_token_sink,
              summary.n_layers * summary.n_heads);
  std::printf("heads with hidden sinks: %d\n", summary.heads_with_hidden_sink);
  std::printf("sink in how many heads, per position:\n");
  for (std::size_t p = 0; p < summary.heads_per_position.size(); p++)
    if (summary.heads_per_position[p] > 0)
      std::printf("  %4zu  %s %3d\n", p, pad("'" + token_text(model, ids[p]) + "'", 16).c_str(),
                  summary.heads_per_position[p]);
}

Status sinks(const SinksOptions& options) {
  ATTNSCOPE_ASSIGN(const Model model,
                   load_model(options.prompt.model_path, options.prompt.backend));
  ATTNSCOPE_ASSIGN(const std::vector<int> ids, prompt_ids(model, options.prompt));
  SinkOptions sink_options;
  sink_options.criterion = options.relative ? SinkCriterion::relative : SinkCriterion::threshold;
  sink_options.tau = options.tau;
  sink_options.alpha = options.alpha;
  sink_options.min_queries = options.min_queries;
  ATTNSCOPE_TRY(check_sink_options(sink_options));

  // Validate --calibrate before the forward pass, so a bad head fails fast.
  std::vector<HeadRef> calibrated;
  if (options.calibrate == "all") {
    calibrated = all_heads(model.config().n_layers, model.config().n_heads);
  } else if (!options.calibrate.empty()) {
    auto heads = parse_heads(options.calibrate, model.config());
    if (!heads.ok()) return make_error("--calibrate: " + heads.error().message, heads.error().hint);
    calibrated = std::move(heads).value();
  }
  CalibrationOptions calibration;
  calibration.beta = options.beta;
  calibration.sinks = sink_options;
  if (!calibrated.empty()) ATTNSCOPE_TRY(check_calibration_options(calibration));

  HookPlan plan;
  plan.capture("blocks.*.attn.hook_pattern");
  Cache cache;
  ATTNSCOPE_TRY(model.forward(ids, plan, &cache));
  ATTNSCOPE_ASSIGN(const SinkSummary summary, find_sinks(cache, sink_options));

  nlohmann::json json;
  if (options.json) {
    nlohmann::json tokens = nlohmann::json::array();
    for (int id : ids) tokens.push_back({{"id", id}, {"token", token_text(model, id)}});
    nlohmann::json heads = nlohmann::json::array();
    for (const HeadSinks& head : summary.heads) heads.push_back(head_json(model, ids, head));
    json = {{"model", model_name(options.prompt.model_path)},
            {"tokens", tokens},
            {"criterion", options.relative ? "relative" : "threshold"},
            {"tau", options.tau},
            {"alpha", options.alpha},
            {"min_queries", options.min_queries},
            {"cutoff", summary.cutoff},
            {"n_layers", summary.n_layers},
            {"n_heads", summary.n_heads},
            {"heads", heads},
            {"summary",
             {{"heads_with_first_token_sink", summary.heads_with_first_token_sink},
              {"heads_with_hidden_sink", summary.heads_with_hidden_sink},
              {"heads_per_position", summary.heads_per_position}}}};
  } else {
    print_table(model, ids, summary, options);
  }

  if (!calibrated.empty()) {
    ATTNSCOPE_ASSIGN(const NextTokenEffect effect,
                     calibration_effect(model, ids, calibrated, calibration, options.top_k));
    if (options.json) {
      nlohmann::json heads = nlohmann::json::array();
      for (const HeadRef& h : calibrated) heads.push_back(head_label(h));
      json["calibration"] = {{"heads", heads},
                             {"beta", options.beta},
                             {"kl", effect.kl},
                             {"max_abs_change", effect.max_abs_change},
                             {"top_before", token_changes_json(model, effect.top_before)},
                             {"top_after", token_changes_json(model, effect.top_after)}};
    } else {
      std::printf("\nACT calibration of %zu head%s (beta %.3g):\n", calibrated.size(),
                  calibrated.size() == 1 ? "" : "s", options.beta);
      print_next_token_effect(model, effect);
    }
  }
  if (options.json) print_json(json);
  return {};
}

}  // namespace

void register_sinks(CLI::App& app) {
  auto options = std::make_shared<SinksOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sinks", "Attention sinks per head (first token and hidden sinks); ACT calibration");
  add_prompt_options(cmd, options->prompt);
  cmd->add_option("--tau", options->tau, "A key is a sink when its score exceeds tau")
      ->capture_default_str();
  cmd->add_option("--alpha", options->alpha, "With --relative: score above alpha / tokens")
      ->capture_default_str();
  cmd->add_flag("--relative", options->relative, "Use the relative cutoff alpha / tokens");
  cmd->add_option("--min-queries", options->min_queries,
                  "Keys seen by fewer queries are never sinks (e.g. 4 to skip the last tokens)")
      ->capture_default_str();
  cmd->add_option("--calibrate", options->calibrate,
                  "ACT-calibrate these heads (L.H,... or 'all') and show the next-token change");
  cmd->add_option("--beta", options->beta, "Calibration: scale of the calibrated sinks' attention")
      ->capture_default_str();
  cmd->add_option("--top-k", options->top_k, "Next tokens to list with --calibrate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", options->json, "Print JSON instead of a table");
  cmd->callback([options]() { finish(sinks(*options)); });
}

}  // namespace attnscope::cli
