// cmd_discover.cpp — `attnscope discover`: a task's circuit by edge attribution patching
// (--method eap) or ACDC (--method acdc) on core/circuits' graph, corrupted to the negatives'
// mean outputs; with --ground-truth the node ROC AUC of the head scores, beside the strongest
// edges and the time taken.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "core/analysis/task_prompts.h"
#include "core/circuits/acdc.h"
#include "core/circuits/edge_attribution.h"
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
  std::string corruption = "pooled";  // or positional
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
  if (o.corruption != "pooled" && o.corruption != "positional")
    return make_error("--corruption '" + printable(o.corruption) + "' is not one attnscope knows",
                      "pooled or positional");
  if (o.prompts < 0) return make_error("--prompts must not be negative");
  for (double t : o.thresholds)
    if (!(t >= 0) || !std::isfinite(t))
      return make_error("--threshold values must be finite numbers >= 0");
  ATTNSCOPE_ASSIGN(const Model model, load_model(o.model_path));
  ATTNSCOPE_ASSIGN(CircuitGraph graph, CircuitGraph::build(model));
  const int limit = o.prompts > 0 ? o.prompts : (o.method == "acdc" ? 50 : 0);
  ATTNSCOPE_ASSIGN(const std::vector<Prompt> positives,
                   load_task_prompts(model, o.positive, limit));
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
  ATTNSCOPE_TRY(graph.set_corruption(negatives, o.corruption == "pooled"
                                                    ? CorruptionMode::pooled_mean
                                                    : CorruptionMode::positional_mean));
  const int L = graph.layers(), H = graph.heads();
  std::vector<double> head_scores(std::size_t(L) * H);
  std::vector<double> edge_scores(graph.edges().size());
  std::string description;
  nlohmann::json extra;
  Progress progress(o.method == "eap" ? "edge attribution" : "ACDC",
                    o.method == "eap" ? "prompts" : "edge tests");
  auto report = [&progress](int done, int total) { return progress(done, total); };
  if (o.method == "eap") {
    ATTNSCOPE_ASSIGN(const EdgeAttribution eap, edge_attribution(graph, positives, report));
    for (std::size_t i = 0; i < head_scores.size(); i++) head_scores[i] = eap.heads.data()[i];
    edge_scores = eap.edges;
    description = "edge attribution patching (Syed et al. 2023), logit difference, clean " +
                  std::to_string(eap.clean);
  } else {
    std::vector<double> thresholds = o.thresholds;
    if (thresholds.empty())
      for (int i = 0; i <= 8; i++) thresholds.push_back(std::pow(10.0, -4.0 + 0.5 * i));
    AcdcOptions options;
    options.metric = o.metric == "kl" ? GraphMetric::kl : GraphMetric::logit_diff;
    options.progress = report;
    ATTNSCOPE_ASSIGN(const AcdcSweep sweep, acdc_sweep(graph, positives, thresholds, options));
    for (std::size_t i = 0; i < head_scores.size(); i++)
      head_scores[i] = sweep.head_scores.data()[i];
    // Edge scores: the largest threshold at which each edge is kept.
    for (std::size_t t = 0; t < sweep.runs.size(); t++)
      for (std::size_t e = 0; e < edge_scores.size(); e++)
        if (sweep.runs[t].kept[e]) edge_scores[e] = sweep.thresholds[t];
    description = "ACDC (Conmy et al. 2023), " + o.metric + ", thresholds swept";
    nlohmann::json runs = nlohmann::json::array();
    for (std::size_t t = 0; t < sweep.runs.size(); t++)
      runs.push_back({{"threshold", sweep.thresholds[t]},
                      {"kept_edges", sweep.runs[t].kept_edges},
                      {"metric", sweep.runs[t].metric},
                      {"edge_tests", sweep.runs[t].edge_tests}});
    extra["runs"] = runs;
  }
  std::optional<RocCurve> roc;
  if (truth) {
    std::vector<bool> labels(head_scores.size(), false);
    for (const HeadRef& h : truth->heads)
      if (h.layer < L && h.head < H) labels[std::size_t(h.layer) * H + h.head] = true;
    ATTNSCOPE_ASSIGN(roc, roc_curve(head_scores, labels));
  }
  std::vector<std::size_t> order(edge_scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::abs(edge_scores[a]) > std::abs(edge_scores[b]);
  });
  order.resize(std::min<std::size_t>(order.size(), std::size_t(std::max(0, o.n_edges))));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto edge_name = [&](std::size_t e) {
    return graph.senders()[graph.edges()[e].sender].name() + " -> " +
           graph.receivers()[graph.edges()[e].receiver].name();
  };
  if (o.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (int l = 0; l < L; l++) {
      nlohmann::json row = nlohmann::json::array();
      for (int h = 0; h < H; h++) row.push_back(head_scores[std::size_t(l) * H + h]);
      rows.push_back(row);
    }
    nlohmann::json edges = nlohmann::json::array();
    for (std::size_t e : order)
      edges.push_back({{"edge", edge_name(e)}, {"score", edge_scores[e]}});
    nlohmann::json json = {{"model", model_name(o.model_path)},
                           {"method", o.method},
                           {"description", description},
                           {"corruption", o.corruption},
                           {"prompts", positives.size()},
                           {"references", negatives.size()},
                           {"head_scores", rows},
                           {"edges", edges},
                           {"seconds", seconds}};
    if (o.method == "acdc") json["metric"] = o.metric, json["runs"] = extra["runs"];
    if (roc) json["task"] = task, json["auc"] = roc->auc;
    print_json(json);
    return {};
  }
  std::printf(
      "%s of %s: %zu positive prompts, corrupted to the mean output (%s) over %zu "
      "negatives\n",
      description.c_str(), model_name(o.model_path).c_str(), positives.size(), o.corruption.c_str(),
      negatives.size());
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
  for (std::size_t e : order) std::printf("  %-18s %10.4g\n", edge_name(e).c_str(), edge_scores[e]);
  if (roc) std::printf("ground truth '%s': node ROC AUC %.4f\n", task.c_str(), roc->auc);
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
                  "Mean outputs pooled over positions or per position")
      ->capture_default_str();
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
