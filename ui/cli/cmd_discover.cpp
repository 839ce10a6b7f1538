// cmd_discover.cpp — `attnscope discover`: a task's circuit by edge attribution patching
// (--method eap) or ACDC (--method acdc) on core/circuits' graph, corrupted to the negatives'
// mean outputs; with --ground-truth the node ROC AUC of the head scores, beside the strongest
// edges and the time taken.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

#include "core/analysis/task_prompts.h"
#include "core/circuits/discovery.h"
#include "core/sae/roc.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

struct DiscoverOptions {
  std::string model_path, positive, negative, ground_truth, task;
  std::string method = "eap";         // or acdc
  std::string metric = "kl";          // acdc: kl or logit-diff
  std::string corruption = "pooled";  // or positional, paired
  std::string rank = "signed";        // eap: or abs (the authors')
  bool absolute = false;              // acdc logit-diff: test |change|
  std::optional<std::uint64_t> seed;  // draw the prompts at random (else the first ones)
  std::vector<double> thresholds;     // acdc; empty: 10^linspace(-4, 0, 9)
  int prompts = 0;                    // first N positives (0: all for eap, 50 for acdc)
  int n_edges = 10;
  bool json = false;
};

Status discover(const DiscoverOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  if (o.method != "eap" && o.method != "acdc")
    return make_error("--method '" + printable(o.method) + "' is not one attnscope knows",
                      "eap or acdc");
  if (o.metric != "kl" && o.metric != "logit-diff")
    return make_error("--metric '" + printable(o.metric) + "' is not one attnscope knows",
                      "kl or logit-diff");
  if (o.corruption != "pooled" && o.corruption != "positional" && o.corruption != "paired")
    return make_error("--corruption '" + printable(o.corruption) + "' is not one attnscope knows",
                      "pooled, positional or paired");
  if (o.rank != "signed" && o.rank != "abs")
    return make_error("--rank '" + printable(o.rank) + "' is not one attnscope knows",
                      "signed or abs");
  ATTNSCOPE_ASSIGN(const Model model, load_model(o.model_path));
  ATTNSCOPE_ASSIGN(CircuitGraph graph, CircuitGraph::build(model));
  ATTNSCOPE_ASSIGN(const std::vector<Prompt> pool, load_task_prompts(model, o.positive));
  ATTNSCOPE_ASSIGN(const std::vector<Prompt> negatives, load_task_prompts(model, o.negative));
  std::optional<GroundTruth> truth;
  std::string task = o.task.empty() ? task_of(o.positive) : o.task;
  if (!o.ground_truth.empty()) {
    if (task.empty()) return make_error("no --task, and the --positive file names none");
    ATTNSCOPE_ASSIGN(const std::string text, read_text_file(o.ground_truth));
    auto parsed = parse_ground_truth(text, task);
    if (!parsed.ok())
      return make_error(o.ground_truth + ": " + parsed.error().message, parsed.error().hint);
    truth = std::move(parsed).value();
  }
  DiscoveryOptions options;
  options.method = o.method == "eap" ? DiscoveryMethod::eap : DiscoveryMethod::acdc;
  options.corruption = o.corruption == "paired"       ? CorruptionMode::paired
                       : o.corruption == "positional" ? CorruptionMode::positional_mean
                                                      : CorruptionMode::pooled_mean;
  options.prompts = o.prompts;
  options.seed = o.seed;
  options.rank_abs = o.rank == "abs";
  options.metric = o.metric == "kl" ? GraphMetric::kl : GraphMetric::logit_diff;
  options.absolute = o.absolute;
  options.thresholds = o.thresholds;
  Progress progress(o.method == "eap" ? "edge attribution" : "ACDC",
                    o.method == "eap" ? "prompts" : "edges");
  options.progress = [&progress](int done, int total) { return progress(done, total); };
  auto found = discover_circuit(graph, pool, negatives, options);
  if (!found.ok()) return found.error();
  const DiscoveryResult& r = found.value();
  const int L = graph.layers(), H = graph.heads();
  const std::vector<double>& head_scores = r.head_scores;
  const std::vector<double>& edge_scores = r.edge_scores;
  nlohmann::json runs = nlohmann::json::array();
  if (r.acdc)
    for (std::size_t t = 0; t < r.acdc->runs.size(); t++)
      runs.push_back({{"threshold", r.acdc->thresholds[t]},
                      {"kept_edges", r.acdc->runs[t].kept_edges},
                      {"metric", r.acdc->runs[t].metric},
                      {"edge_tests", r.acdc->runs[t].edge_tests}});
  std::optional<RocCurve> roc, threshold_roc;
  if (truth) {
    std::vector<bool> labels(head_scores.size(), false);
    for (const HeadRef& h : truth->heads)
      if (h.layer < L && h.head < H) labels[std::size_t(h.layer) * H + h.head] = true;
    ATTNSCOPE_ASSIGN(roc, roc_curve(head_scores, labels));
    if (r.acdc) {
      ATTNSCOPE_ASSIGN(threshold_roc, acdc_threshold_roc(*r.acdc, labels));
    }
  }
  const std::vector<std::size_t> order =
      strongest_edges(edge_scores, std::size_t(std::max(0, o.n_edges)));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const bool paired = options.corruption == CorruptionMode::paired;
  if (o.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (int l = 0; l < L; l++) {
      nlohmann::json row = nlohmann::json::array();
      for (int h = 0; h < H; h++) row.push_back(head_scores[std::size_t(l) * H + h]);
      rows.push_back(row);
    }
    nlohmann::json edges = nlohmann::json::array();
    for (std::size_t e : order)
      edges.push_back({{"edge", edge_name(graph, e)}, {"score", edge_scores[e]}});
    nlohmann::json json = {{"model", model_name(o.model_path)},
                           {"method", o.method},
                           {"description", r.description},
                           {"corruption", o.corruption},
                           {"prompts", r.prompts.size()},
                           {"references", r.references},
                           {"head_scores", rows},
                           {"edges", edges},
                           {"seconds", seconds}};
    if (o.method == "acdc") json["metric"] = o.metric, json["runs"] = runs;
    if (o.method == "eap") json["rank"] = o.rank;
    if (o.seed) json["seed"] = *o.seed;
    if (roc) json["task"] = task, json["auc"] = roc->auc;
    if (threshold_roc) json["auc_per_threshold"] = threshold_roc->auc;
    print_json(json);
    return {};
  }
  std::printf("%s of %s: %zu positive prompts, corrupted to %s\n", r.description.c_str(),
              model_name(o.model_path).c_str(), r.prompts.size(),
              paired ? "each one's own negative (paired)"
                     : ("the " + o.corruption + " mean output over " +
                        std::to_string(negatives.size()) + " negatives")
                           .c_str());
  std::printf("head scores (%s):\n    ", o.method == "eap"
                                             ? "predicted metric drop when mean-ablated"
                                             : "largest threshold at which the head is kept");
  for (int h = 0; h < H; h++) std::printf(" %9s", ("H" + std::to_string(h)).c_str());
  std::printf("\n");
  for (int l = 0; l < L; l++) {
    std::printf("%-4s", ("L" + std::to_string(l)).c_str());
    for (int h = 0; h < H; h++) std::printf(" %9.4g", head_scores[std::size_t(l) * H + h]);
    std::printf("\n");
  }
  std::printf("strongest edges:\n");
  for (std::size_t e : order)
    std::printf("  %-18s %10.4g\n", edge_name(graph, e).c_str(), edge_scores[e]);
  if (roc) std::printf("ground truth '%s': node ROC AUC %.4f\n", task.c_str(), roc->auc);
  if (threshold_roc)
    std::printf("  (one ROC point per threshold, pessimistic steps, as the authors: %.4f)\n",
                threshold_roc->auc);
  std::printf("time %.3f s\n", seconds);
  return {};
}

}  // namespace

void register_discover(CLI::App& app) {
  auto o = std::make_shared<DiscoverOptions>();
  CLI::App* cmd = app.add_subcommand(
      "discover", "Find a task's circuit by edge attribution patching or ACDC (GPT-2 family)");
  add_model_option(cmd, o->model_path);
  cmd->add_option("--positive", o->positive, "Positive task prompts (.jsonl)")->required();
  cmd->add_option("--negative", o->negative,
                  "Negative task prompts (.jsonl): their mean outputs are the corruption")
      ->required();
  cmd->add_option("--method", o->method, "eap or acdc")->capture_default_str();
  cmd->add_option("--metric", o->metric, "ACDC's metric: kl or logit-diff")->capture_default_str();
  cmd->add_option("--corruption", o->corruption,
                  "pooled or positional mean outputs over the negatives, or paired: each "
                  "positive's own negative (line by line)")
      ->capture_default_str();
  cmd->add_option("--rank", o->rank, "eap head scores: signed, or abs (the authors')")
      ->capture_default_str();
  cmd->add_flag("--absolute", o->absolute,
                "acdc --metric logit-diff: test |change| instead of the drop");
  cmd->add_option("--seed", o->seed, "Draw the --prompts prompts at random with this seed");
  cmd->add_option("--threshold", o->thresholds,
                  "ACDC thresholds to sweep (default: 10^-4 … 10^0, 9 values)");
  cmd->add_option("--prompts", o->prompts,
                  "The first N positive prompts (default: all for eap, 50 for acdc)");
  cmd->add_option("--ground-truth", o->ground_truth, "ground_truth.json: report the node ROC AUC");
  cmd->add_option("--task", o->task, "The ground truth's task (default: from --positive)");
  cmd->add_option("--edges", o->n_edges, "Strongest edges to list")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print JSON instead of tables");
  cmd->callback([o]() { finish(discover(*o)); });
}

}  // namespace attnscope::cli
