// cmd_ablate.cpp — `attnscope ablate`: knock out heads (zero, mean or resample ablation) and
// measure what changes: a metric clean vs ablated and the next-token distribution, or with
// --sweep every head one at a time as a layer × head map. With --task-prompts it runs a whole
// task prompt set (models/tasks/*.jsonl), as models/attnscope-tasks' ground truth was made.
#include <cmath>
#include <cstdio>

#include "core/analysis/ablation.h"
#include "core/export/data_export.h"
#include "core/export/heatmap_png.h"
#include "ui/cli/backend_choice.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/figure_style.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

struct AblateOptions {
  PromptOptions prompt;
  std::string heads;
  bool sweep = false;
  AblationInput ablation;
  std::string metric;  // empty: logit_diff with answer tokens, else loss
  std::string answer, distractor;
  int top_k = 10;
  std::string task_prompts;
  int limit = 0;
  double threshold = 0.05;
  bool absolute = false;
  std::string png, csv, npy;
  FigureStyle style;  // --png's colour map and scale
  bool json = false;
};

// What the run is about: the prompts with their answers, the metric and the ablation source.
struct AblateSetup {
  Model model;
  std::vector<Prompt> prompts;
  MetricKind metric = MetricKind::loss;
  AblationMode mode = AblationMode::zero;
  std::shared_ptr<const Tensor> mean_z;        // mode == mean
  std::vector<std::vector<int>> resample_ids;  // mode == resample: one per prompt
};

Result<MetricKind> parse_metric(const std::string& name) {
  for (MetricKind kind : {MetricKind::logit_diff, MetricKind::loss, MetricKind::probability})
    if (metric_name(kind) == name) return kind;
  return make_error("--metric '" + name + "' is not a metric",
                    "use logit_diff, loss or probability");
}

Result<std::vector<Prompt>> load_prompts(const Model& model, const AblateOptions& options) {
  const bool has_prompt = !options.prompt.text.empty() || !options.prompt.ids.empty();
  if (!options.task_prompts.empty()) {
    if (has_prompt)
      return make_error("--task-prompts replaces --text / --ids", "give one or the other");
    if (!options.answer.empty() || !options.distractor.empty())
      return make_error("--answer / --distractor come from the --task-prompts file",
                        "leave them out with --task-prompts");
    return load_task_prompts(model, options.task_prompts, options.limit);
  }
  ATTNSCOPE_ASSIGN(const std::vector<int> ids, prompt_ids(model, options.prompt));
  Prompt prompt;
  prompt.ids = ids;
  if (!options.answer.empty()) {
    ATTNSCOPE_ASSIGN(const int answer, single_token(model, options.answer, "--answer"));
    prompt.answers = {answer};
  }
  if (!options.distractor.empty()) {
    ATTNSCOPE_ASSIGN(const int distractor, single_token(model, options.distractor, "--distractor"));
    prompt.distractors = {distractor};
  }
  return std::vector<Prompt>{prompt};
}

Result<AblateSetup> setup(const AblateOptions& options) {
  if (options.sweep == !options.heads.empty())
    return make_error("give --heads L.H,... or --sweep", "--sweep ablates every head in turn");
  if (!options.sweep && (!options.png.empty() || !options.csv.empty() || !options.npy.empty()))
    return make_error("--png, --csv and --npy write the --sweep map", "add --sweep");
  ATTNSCOPE_ASSIGN(Model model, load_model(options.prompt.model_path, options.prompt.backend));
  AblateSetup s{std::move(model), {}, MetricKind::loss, AblationMode::zero, nullptr, {}};
  ATTNSCOPE_ASSIGN(s.mode, ablation_mode(options.ablation, "--mode"));
  ATTNSCOPE_ASSIGN(s.prompts, load_prompts(s.model, options));
  const Prompt& first = s.prompts.front();
  if (options.metric.empty()) {
    s.metric = first.answers.empty() ? MetricKind::loss : MetricKind::logit_diff;
  } else {
    ATTNSCOPE_ASSIGN(s.metric, parse_metric(options.metric));
  }
  if (s.metric != MetricKind::loss && first.answers.empty())
    return make_error("the " + std::string(metric_name(s.metric)) + " metric needs --answer",
                      "e.g. --answer ' Mary' --distractor ' John', or --metric loss");
  if (s.metric == MetricKind::logit_diff && first.distractors.empty())
    return make_error("the logit_diff metric needs --distractor", "or use --metric probability");

  const bool task = !options.task_prompts.empty();
  if (s.mode == AblationMode::mean) {
    ATTNSCOPE_ASSIGN(const std::vector<Prompt> reference,
                     load_task_prompts(s.model, options.ablation.reference, options.limit));
    ATTNSCOPE_ASSIGN(Tensor mean, mean_head_z(s.model, prompt_ids_of(reference)));
    s.mean_z = std::make_shared<const Tensor>(std::move(mean));
  } else if (s.mode == AblationMode::resample && task) {
    // Line i of <task>_negative.jsonl is the corrupted version of line i of the positives.
    if (options.ablation.reference.empty())
      return make_error("resample ablation of --task-prompts needs --reference FILE.jsonl",
                        "its line i is the corrupted version of prompt i");
    ATTNSCOPE_ASSIGN(const std::vector<Prompt> reference,
                     load_task_prompts(s.model, options.ablation.reference, options.limit));
    if (reference.size() < s.prompts.size())
      return make_error("--reference has " + std::to_string(reference.size()) +
                        " prompts, fewer than the " + std::to_string(s.prompts.size()) +
                        " task prompts");
    for (std::size_t i = 0; i < s.prompts.size(); i++) {
      if (reference[i].ids.size() != s.prompts[i].ids.size())
        return make_error("--reference prompt " + std::to_string(i) + " is " +
                          std::to_string(reference[i].ids.size()) + " tokens, its task prompt " +
                          std::to_string(s.prompts[i].ids.size()));
      s.resample_ids.push_back(reference[i].ids);
    }
  } else if (s.mode == AblationMode::resample) {
    ATTNSCOPE_ASSIGN(std::vector<int> corrupted,
                     corrupted_ids(s.model, options.ablation, first.ids.size()));
    s.resample_ids = {std::move(corrupted)};
  }
  return s;
}

double effect_of(MetricKind metric, double clean, double ablated) {
  return metric == MetricKind::loss ? ablated - clean : clean - ablated;
}

Status ablate_heads(const AblateSetup& s, const AblateOptions& options) {
  const Model& model = s.model;
  auto heads = parse_heads(options.heads, model.config());
  if (!heads.ok()) return make_error("--heads: " + heads.error().message, heads.error().hint);
  double clean = 0, ablated = 0;
  Tensor first_clean, first_ablated;
  Progress progress("ablate", "prompts");
  for (std::size_t i = 0; i < s.prompts.size(); i++) {
    const Prompt& prompt = s.prompts[i];
    Ablation ablation{s.mode, heads.value(), s.mean_z};
    if (s.mode == AblationMode::resample) {
      ATTNSCOPE_ASSIGN(Tensor z, head_z(model, s.resample_ids[i]));
      ablation.source = std::make_shared<const Tensor>(std::move(z));
    }
    HookPlan plan;
    ATTNSCOPE_TRY(add_ablation(plan, model.config(), ablation, prompt.ids.size()));
    ATTNSCOPE_ASSIGN(Tensor clean_logits, model.forward(prompt.ids));
    ATTNSCOPE_ASSIGN(Tensor ablated_logits, model.forward(prompt.ids, plan));
    clean += evaluate(s.metric, clean_logits, prompt);
    ablated += evaluate(s.metric, ablated_logits, prompt);
    if (i == 0) {
      first_clean = std::move(clean_logits);
      first_ablated = std::move(ablated_logits);
    }
    progress(static_cast<int>(i + 1), static_cast<int>(s.prompts.size()));
  }
  clean /= static_cast<double>(s.prompts.size());
  ablated /= static_cast<double>(s.prompts.size());
  const double effect = effect_of(s.metric, clean, ablated);
  const double relative = clean != 0.0 ? effect / std::fabs(clean) : 0.0;
  const bool single = s.prompts.size() == 1;
  NextTokenEffect next;
  if (single) {
    ATTNSCOPE_ASSIGN(next, next_token_effect(first_clean, first_ablated, options.top_k));
  }
  const std::string metric(metric_name(s.metric));
  const std::string mode(ablation_mode_name(s.mode));
  if (options.json) {
    nlohmann::json labels = nlohmann::json::array();
    for (const HeadRef& h : heads.value()) labels.push_back(head_label(h));
    nlohmann::json json = {{"model", model_name(options.prompt.model_path)},
                           {"mode", mode},
                           {"metric", metric},
                           {"heads", labels},
                           {"prompts", s.prompts.size()},
                           {"clean", clean},
                           {"ablated", ablated},
                           {"effect", effect},
                           {"relative", relative}};
    if (single)
      json["next_token"] = {{"kl", next.kl},
                            {"max_abs_change", next.max_abs_change},
                            {"top_before", token_changes_json(model, next.top_before)},
                            {"top_after", token_changes_json(model, next.top_after)}};
    print_json(json);
    return {};
  }
  std::string labels;
  for (const HeadRef& h : heads.value()) labels += (labels.empty() ? "" : " ") + head_label(h);
  std::printf("%s ablation of %s", mode.c_str(), labels.c_str());
  if (!single) std::printf(", mean over %zu prompts", s.prompts.size());
  std::printf("\n%-8s %s\n", "metric", metric.c_str());
  std::printf("%-8s %.6g\n%-8s %.6g\n", "clean", clean, "ablated", ablated);
  std::printf("%-8s %.6g (relative %.4f)\n", "effect", effect, relative);
  if (single) {
    std::printf("\n");
    print_next_token_effect(model, next);
  }
  return {};
}

Status write_map_files(const Tensor& map, const AblateSetup& s, const AblateOptions& options,
                       const std::string& what) {
  const std::size_t L = map.shape()[0], H = map.shape()[1];
  std::vector<std::string> layers, heads;
  for (std::size_t l = 0; l < L; l++) layers.push_back("L" + std::to_string(l));
  for (std::size_t h = 0; h < H; h++) heads.push_back("H" + std::to_string(h));
  const std::string model = model_name(options.prompt.model_path);
  if (!options.png.empty()) {
    HeatmapSpec spec;
    spec.values = map.data();
    spec.rows = static_cast<int>(L);
    spec.cols = static_cast<int>(H);
    spec.row_labels = layers;
    spec.col_labels = heads;
    spec.colormap = Colormap::diverging;
    spec.title = std::string(ablation_mode_name(s.mode)) + " ablation, " +
                 std::string(metric_name(s.metric)) + " — " + model;
    spec.row_axis = "layer";
    spec.col_axis = "head";
    spec.colorbar_label = what;
    spec.annotate = true;
    ATTNSCOPE_TRY(apply_figure_style(options.style, FigureFormat::png, spec));
    ATTNSCOPE_ASSIGN(const std::vector<std::uint8_t> png,
                     render_heatmap_png(spec, options.style.scale));
    ATTNSCOPE_TRY(write_file(options.png, png));
  }
  const ExportInfo info{{{"layer", layers}, {"head", heads}},
                        {{"model", model},
                         {"mode", ablation_mode_name(s.mode)},
                         {"metric", metric_name(s.metric)},
                         {"values", what}}};
  if (!options.csv.empty()) {
    ATTNSCOPE_ASSIGN(const std::string csv, to_csv(map, info));
    ATTNSCOPE_TRY(write_file(options.csv, csv));
  }
  if (!options.npy.empty()) ATTNSCOPE_TRY(write_file(options.npy, to_npy(map)));
  return {};
}

Status sweep(const AblateSetup& s, const AblateOptions& options) {
  SweepOptions sweep_options;
  sweep_options.mode = s.mode;
  sweep_options.metric = s.metric;
  sweep_options.mean_z = s.mean_z;
  sweep_options.resample_ids = s.resample_ids;
  Progress progress("sweep", "head ablations");
  sweep_options.progress = [&progress](int done, int total) { return progress(done, total); };
  ATTNSCOPE_ASSIGN(const SweepResult result, ablation_sweep(s.model, s.prompts, sweep_options));
  const std::vector<HeadRef> above = heads_above(result, options.threshold);
  const Tensor& map = options.absolute ? result.effect : result.relative;
  const std::string what = options.absolute ? "effect" : "relative effect";
  ATTNSCOPE_TRY(write_map_files(map, s, options, what));

  const std::string metric(metric_name(s.metric));
  const std::string mode(ablation_mode_name(s.mode));
  if (options.json) {
    nlohmann::json labels = nlohmann::json::array();
    for (const HeadRef& h : above) labels.push_back(head_label(h));
    print_json({{"model", model_name(options.prompt.model_path)},
                {"mode", mode},
                {"metric", metric},
                {"prompts", s.prompts.size()},
                {"clean", result.clean},
                {"n_layers", result.ablated.shape()[0]},
                {"n_heads", result.ablated.shape()[1]},
                {"ablated", rows_json(result.ablated)},
                {"effect", rows_json(result.effect)},
                {"relative", rows_json(result.relative)},
                {"threshold", options.threshold},
                {"heads_above", labels}});
    return {};
  }
  std::printf("%s ablation sweep, metric %s, %zu prompt%s; clean %s %.6g\n", mode.c_str(),
              metric.c_str(), s.prompts.size(), s.prompts.size() == 1 ? "" : "s", metric.c_str(),
              result.clean);
  std::printf("%s of ablating each head (%s):\n", what.c_str(),
              options.absolute
                  ? (s.metric == MetricKind::loss ? "ablated − clean" : "clean − ablated")
                  : "effect / |clean|");
  std::printf("    ");
  for (std::size_t h = 0; h < map.shape()[1]; h++)
    std::printf(" %8s", ("H" + std::to_string(h)).c_str());
  std::printf("\n");
  for (std::size_t l = 0; l < map.shape()[0]; l++) {
    std::printf("%-4s", ("L" + std::to_string(l)).c_str());
    for (std::size_t h = 0; h < map.shape()[1]; h++) std::printf(" %8.4f", map(l, h));
    std::printf("\n");
  }
  std::printf("heads with relative effect >= %g: ", options.threshold);
  if (above.empty()) std::printf("none");
  for (std::size_t i = 0; i < above.size(); i++)
    std::printf("%s%s", i ? " " : "", head_label(above[i]).c_str());
  std::printf("\n");
  return {};
}

Status ablate(const AblateOptions& options) {
  HeatmapSpec style_check;  // a bad --colormap or --scale is reported before the sweep runs
  ATTNSCOPE_TRY(apply_figure_style(options.style, FigureFormat::png, style_check));
  ATTNSCOPE_ASSIGN(const AblateSetup s, setup(options));
  return options.sweep ? sweep(s, options) : ablate_heads(s, options);
}

}  // namespace

void register_ablate(CLI::App& app) {
  auto options = std::make_shared<AblateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "ablate", "Ablate heads (zero/mean/resample) and measure the change; --sweep for every head");
  add_prompt_options(cmd, options->prompt);
  cmd->add_option("--heads", options->heads, "Heads to ablate together: L.H,... e.g. 1.1,2.3");
  cmd->add_flag("--sweep", options->sweep, "Ablate every head, one at a time: a layer × head map");
  add_ablation_mode_options(cmd, options->ablation, "--mode");
  cmd->add_option("--metric", options->metric,
                  "logit_diff, loss or probability (default: logit_diff with answers, else loss)");
  cmd->add_option("--answer", options->answer, "The correct next token, e.g. ' Mary' (one token)");
  cmd->add_option("--distractor", options->distractor,
                  "The token the answer is compared to, e.g. ' John' (one token)");
  cmd->add_option("--top-k", options->top_k, "Next tokens to list")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--task-prompts", options->task_prompts,
                  "Task prompts (.jsonl, models/tasks format) with their answers and distractors, "
                  "instead of --text / --ids");
  cmd->add_option("--limit", options->limit,
                  "Use only the first N task and reference prompts (0: all)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--threshold", options->threshold,
                  "--sweep: list the heads whose relative effect is at least this")
      ->capture_default_str();
  cmd->add_flag("--absolute", options->absolute,
                "--sweep: show and write the effect (clean − ablated) instead of the relative one");
  cmd->add_option("--png", options->png, "--sweep: write the map as a PNG heatmap");
  add_figure_style_options(cmd, options->style);
  cmd->add_option("--csv", options->csv, "--sweep: write the map as CSV");
  cmd->add_option("--npy", options->npy, "--sweep: write the map as NumPy .npy");
  cmd->add_flag("--json", options->json, "Print JSON instead of a table");
  cmd->callback([options]() { finish(ablate(*options)); });
}

}  // namespace attnscope::cli
