// cmd_ground_truth.cpp — `attnscope ground-truth`: each task's circuit by pooled and positional
// mean ablation and the 80% rule (core/analysis/ground_truth.h), as the table a reader checks or,
// with --json, the models/tasks/ground_truth.json that every circuit method is scored against.
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/analysis/ground_truth.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

struct GroundTruthCliOptions {
  std::string model_path;
  std::string tasks_dir = "models/tasks";
  std::vector<std::string> tasks = {"induction", "ioi", "greater_than", "docstring"};
  double keep = 0.8;
  double threshold = 0.05;  // also listed: the heads of relative effect >= this (attnscope 0.1's)
  bool json = false;
};

nlohmann::json rounded(double v) {
  return std::round(v * 1e4) / 1e4;
}

nlohmann::json head_list(const std::vector<HeadRef>& heads) {
  nlohmann::json out = nlohmann::json::array();
  for (const HeadRef& h : heads) out.push_back(head_label(h));
  return out;
}

nlohmann::json ablation_json(const AblationGroundTruth& g, double threshold) {
  nlohmann::json effects = nlohmann::json::array();
  std::vector<HeadRef> above;
  for (std::size_t l = 0; l < g.effect.shape()[0]; l++) {
    nlohmann::json row = nlohmann::json::array();
    for (std::size_t h = 0; h < g.effect.shape()[1]; h++) {
      row.push_back(rounded(g.effect(l, h)));
      if (g.effect(l, h) >= threshold) above.push_back({int(l), int(h)});
    }
    effects.push_back(row);
  }
  nlohmann::json faithfulness = nlohmann::json::array();
  for (double f : g.faithfulness) faithfulness.push_back(rounded(f));
  return {{"clean_metric", rounded(g.clean)},
          {"all_ablated_metric", rounded(g.all_ablated)},
          {"effects", effects},
          {"order", head_list(g.order)},
          {"faithfulness", faithfulness},
          {"heads", head_list(g.circuit)},
          {"heads_above_threshold", head_list(above)}};
}

Status ground_truth(const GroundTruthCliOptions& o) {
  if (!(o.keep > 0 && o.keep <= 1)) return make_error("--keep must be in (0, 1]", "e.g. 0.8");
  ATTNSCOPE_ASSIGN(const Model model, load_model(o.model_path));
  nlohmann::json file = nlohmann::json::object();
  for (const std::string& task : o.tasks) {
    const std::filesystem::path dir(o.tasks_dir);
    ATTNSCOPE_ASSIGN(const std::vector<Prompt> positives,
                     load_task_prompts(model, (dir / (task + "_positive.jsonl")).string()));
    ATTNSCOPE_ASSIGN(const std::vector<Prompt> negatives,
                     load_task_prompts(model, (dir / (task + "_negative.jsonl")).string()));
    Progress progress("ground truth " + task, "ablation runs");
    GroundTruthOptions options;
    options.keep = o.keep;
    options.progress = [&progress](int done, int total) { return progress(done, total); };
    auto truth = task_ground_truth(model, positives, negatives, options);
    if (!truth.ok()) return make_error(task + ": " + truth.error().message, truth.error().hint);
    const AblationGroundTruth& pooled = truth.value()[0];
    const AblationGroundTruth& positional = truth.value()[1];
    nlohmann::json entry = {
        {"metric", "mean logit of answers - mean logit of distractors, last position"},
        {"ablation",
         "mean, pooled: each head's hook_z replaced by its mean over all positions of the "
         "negative prompts"},
        {"effect", "(clean metric - ablated metric) / |clean metric|, over the positives; signed"},
        {"rule",
         "heads ordered by effect, largest first; the circuit is the shortest prefix whose heads, "
         "with every other head ablated, keep >= keep of (clean - all heads ablated)"},
        {"keep", o.keep},
        {"threshold", o.threshold},
        {"prompts", positives.size()}};
    entry.update(ablation_json(pooled, o.threshold));
    entry["positional"] = ablation_json(positional, o.threshold);
    entry["positional"]["ablation"] =
        "mean, per position: each head's hook_z at position t replaced by its mean at t over the "
        "negatives";
    file[task] = entry;
    if (!o.json) {
      for (const AblationGroundTruth* g : {&pooled, &positional}) {
        std::printf("%s, %s mean ablation: clean %.4f, every head ablated %.4f\n", task.c_str(),
                    std::string(mean_ablation_name(g->ablation)).c_str(), g->clean, g->all_ablated);
        std::printf("  head (effect, faithfulness of the heads up to it):");
        const std::size_t k = g->circuit.size();
        for (std::size_t i = 0; i < std::min(g->order.size(), k + 3); i++) {
          const HeadRef h = g->order[i];
          std::printf("%s %s %+.3f %.3f", i == k ? " |" : "", head_label(h).c_str(),
                      double(g->effect(h.layer, h.head)), g->faithfulness[i + 1]);
        }
        std::printf("\n  circuit (%zu heads, keeps %.3f >= %.2f):", k, g->faithfulness[k], o.keep);
        for (const HeadRef& h : g->circuit) std::printf(" %s", head_label(h).c_str());
        std::printf("\n");
      }
    }
  }
  if (o.json) print_json(file);
  return {};
}

}  // namespace

void register_ground_truth(CLI::App& app) {
  auto o = std::make_shared<GroundTruthCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "ground-truth",
      "Each task's circuit by mean ablation (pooled and per position) and the 80% rule");
  add_model_option(cmd, o->model_path);
  cmd->add_option("--tasks", o->tasks_dir, "Folder of <task>_positive/negative.jsonl")
      ->capture_default_str();
  cmd->add_option("--task", o->tasks, "Tasks (repeatable)")->capture_default_str();
  cmd->add_option("--keep", o->keep, "The rule's share of the ablations' effect")
      ->capture_default_str();
  cmd->add_option("--threshold", o->threshold,
                  "Also list the heads whose relative effect is at least this")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print ground_truth.json instead of the summary");
  cmd->callback([o]() { finish(ground_truth(*o)); });
}

}  // namespace attnscope::cli
