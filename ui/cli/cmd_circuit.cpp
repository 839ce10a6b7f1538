// cmd_circuit.cpp — `attnscope circuit`: O'Neill & Bui 2024's SAE circuit discovery on a task's
// positive and negative prompt sets (models/tasks/*.jsonl): per-head node scores, the circuit they
// select, the strongest edges and the time each stage took; with --ground-truth its ROC AUC,
// precision and recall, next to a direct-logit-attribution baseline, and with --seeds N the AUC's
// mean and spread over seeds 0..N−1.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

#include "core/analysis/attribution.h"
#include "core/analysis/task_prompts.h"
#include "core/sae/sae_circuit.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

struct CircuitOptions {
  std::string model_path;
  std::string positive, negative;
  std::string ground_truth, task;
  std::uint64_t seed = 0;
  int seeds = 0;
  std::string protocol = "published";    // or attnscope-v1
  std::string constraint = "published";  // or decoder-columns
  bool silent_own_code = false;          // keep "silent" a code of its own
  int prompts = 10;                      // published: training prompts from the pool
  int n_positive = 0, n_negative = 0;    // attnscope-v1: 0 = half of --prompts each
  int hidden = 200;
  std::optional<double> l1;  // default: the authors' λ for the task (0.05 docstring, else 0.02)
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8;
  int epochs = 500;
  int top_k_codes = 1;
  bool per_position = false;
  bool normalize = false;
  bool no_edges = false;
  bool paired = false;
  int top_k = 0;
  std::optional<double> threshold;
  int n_edges = 10;
  int baseline_prompts = 0;  // 0: every positive prompt
  bool json = false;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Status check_options(const CircuitOptions& o) {
  if (o.epochs < 1)
    return make_error("--epochs " + std::to_string(o.epochs) + " must be at least 1");
  if (o.hidden < 1)
    return make_error("--hidden " + std::to_string(o.hidden) + " must be at least 1");
  if (o.top_k_codes < 1)
    return make_error("--top-k-codes " + std::to_string(o.top_k_codes) + " must be at least 1");
  if (o.protocol != "published" && o.protocol != "attnscope-v1")
    return make_error("--protocol '" + printable(o.protocol) + "' is not one attnscope knows",
                      "published or attnscope-v1");
  if (o.constraint != "published" && o.constraint != "decoder-columns")
    return make_error("--constraint '" + printable(o.constraint) + "' is not one attnscope knows",
                      "published or decoder-columns");
  if (o.prompts < (o.protocol == "published" ? 1 : 2))
    return make_error("--prompts " + std::to_string(o.prompts) + " is too few",
                      o.protocol == "published"
                          ? "the SAE trains on at least one prompt"
                          : "half are drawn from the positives, half from the negatives");
  if (o.n_positive < 0 || o.n_negative < 0)
    return make_error("--n-positive / --n-negative must not be negative");
  if (o.l1 && (!(*o.l1 >= 0) || !std::isfinite(*o.l1)))
    return make_error("--l1 must be a finite number >= 0");
  if (!(o.lr > 0) || !std::isfinite(o.lr)) return make_error("--lr must be a finite number > 0");
  if (!(o.beta1 >= 0 && o.beta1 < 1) || !(o.beta2 >= 0 && o.beta2 < 1))
    return make_error("--beta1 and --beta2 must lie in [0, 1)");
  if (!(o.adam_eps > 0)) return make_error("--adam-eps must be > 0");
  if (o.top_k < 0) return make_error("--top-k must not be negative");
  if (o.threshold && !std::isfinite(*o.threshold))
    return make_error("--threshold must be a finite number");
  if (o.seeds < 0) return make_error("--seeds must not be negative");
  if (o.baseline_prompts < 0) return make_error("--baseline-prompts must not be negative");
  if (o.seeds > 0 && o.ground_truth.empty())
    return make_error("--seeds measures the AUC's stability and needs --ground-truth FILE.json");
  if (!o.task.empty() && o.ground_truth.empty())
    return make_error("--task names a circuit of --ground-truth", "add --ground-truth FILE.json");
  return {};
}

SaeCircuitOptions sae_options(const CircuitOptions& o, const std::string& task) {
  SaeCircuitOptions s;
  s.protocol = o.protocol == "published" ? SaeProtocol::published : SaeProtocol::attnscope_v1;
  s.sae.constraint =
      o.constraint == "published" ? SaeConstraint::published : SaeConstraint::unit_decoder_columns;
  s.silent_as_unit_zero = !o.silent_own_code;
  s.n_train = o.prompts;
  s.n_positive = o.n_positive > 0 ? o.n_positive : (o.prompts + 1) / 2;
  s.n_negative = o.n_negative > 0 ? o.n_negative : o.prompts / 2;
  s.paired = o.paired;
  s.seed = o.seed;
  s.sae.n_hidden = o.hidden;
  s.sae.l1_coefficient = o.l1 ? *o.l1 : published_l1(task);
  s.sae.learning_rate = o.lr;
  s.sae.beta1 = o.beta1;
  s.sae.beta2 = o.beta2;
  s.sae.adam_eps = o.adam_eps;
  s.sae.epochs = o.epochs;
  s.activations.per_position = o.per_position;
  s.top_k_codes = o.top_k_codes;
  s.scores.normalize = o.normalize;
  s.scores.edges = !o.no_edges;
  s.cut.top_k = o.top_k;
  s.cut.threshold = o.threshold;
  return s;
}

// Training progress on stderr, "\rlabel: epoch e/E, loss x", at most 10 times a second and only
// when stderr is a terminal.
std::function<bool(int, double)> training_progress(std::string label, int epochs) {
  if (isatty(STDERR_FILENO) == 0) return {};
  auto last = std::make_shared<std::chrono::steady_clock::time_point>();
  return [label = std::move(label), epochs, last](int epoch, double loss) {
    const auto now = std::chrono::steady_clock::now();
    const bool done = epoch + 1 >= epochs;
    if (!done && now - *last < std::chrono::milliseconds(100)) return true;
    *last = now;
    std::fprintf(stderr, "\r%s: epoch %d/%d, loss %.6g   ", label.c_str(), epoch + 1, epochs, loss);
    if (done) std::fprintf(stderr, "\n");
    std::fflush(stderr);
    return true;
  };
}

// Mean |direct logit attribution| of each head over the positive prompts, to each prompt's first
// answer minus its first distractor (layer-major).
Result<std::vector<double>> logit_attribution_scores(const Model& model,
                                                     std::span<const Prompt> positives) {
  const ModelConfig& c = model.config();
  std::vector<double> scores(std::size_t(c.n_layers) * c.n_heads, 0.0);
  int used = 0;
  Progress progress("logit attribution", "prompts");
  for (std::size_t i = 0; i < positives.size(); i++) {
    const Prompt& p = positives[i];
    if (p.answers.empty()) continue;
    const int distractor = p.distractors.empty() ? -1 : p.distractors[0];
    ATTNSCOPE_ASSIGN(const LogitAttribution dla,
                     direct_logit_attribution(model, p.ids, p.answers[0], distractor));
    for (int l = 0; l < c.n_layers; l++)
      for (int h = 0; h < c.n_heads; h++)
        scores[std::size_t(l) * c.n_heads + h] += std::fabs(dla.heads(l, h));
    used++;
    progress(int(i + 1), int(positives.size()));
  }
  if (used == 0)
    return make_error("no positive prompt has an answer",
                      "the logit attribution baseline needs "
                      "\"answers\" in the positive prompts");
  for (double& s : scores) s /= used;
  return scores;
}

struct Edge {
  int a, b;
  double count;
};

std::vector<Edge> strongest_edges(const CircuitScores& scores, int n) {
  std::vector<Edge> edges;
  const int A = scores.n_heads;
  if (scores.edge_counts.size() != std::size_t(A) * A) return edges;
  for (int a = 0; a < A; a++)
    for (int b = a + 1; b < A; b++) {
      const double count = scores.edge_counts[std::size_t(a) * A + b];
      if (count > 0) edges.push_back({a, b, count});
    }
  std::stable_sort(edges.begin(), edges.end(),
                   [](const Edge& x, const Edge& y) { return x.count > y.count; });
  if (edges.size() > std::size_t(n)) edges.resize(std::size_t(n));
  return edges;
}

nlohmann::json rows_json(std::span<const double> values, int n_layers, int n_heads) {
  nlohmann::json rows = nlohmann::json::array();
  for (int l = 0; l < n_layers; l++) {
    nlohmann::json row = nlohmann::json::array();
    for (int h = 0; h < n_heads; h++) row.push_back(values[std::size_t(l) * n_heads + h]);
    rows.push_back(row);
  }
  return rows;
}

nlohmann::json labels_json(std::span<const HeadRef> heads) {
  nlohmann::json labels = nlohmann::json::array();
  for (const HeadRef& h : heads) labels.push_back(head_label(h));
  return labels;
}

std::string labels_text(std::span<const HeadRef> heads) {
  if (heads.empty()) return "none";
  std::string text;
  for (const HeadRef& h : heads) text += (text.empty() ? "" : " ") + head_label(h);
  return text;
}

HeadRef head_at(int index, int n_heads) {
  return {index / n_heads, index % n_heads};
}

void print_table(const char* title, std::span<const double> values, int n_layers, int n_heads) {
  std::printf("%s\n    ", title);
  for (int h = 0; h < n_heads; h++) std::printf(" %8s", ("H" + std::to_string(h)).c_str());
  std::printf("\n");
  for (int l = 0; l < n_layers; l++) {
    std::printf("%-4s", ("L" + std::to_string(l)).c_str());
    for (int h = 0; h < n_heads; h++) std::printf(" %8.4f", values[std::size_t(l) * n_heads + h]);
    std::printf("\n");
  }
}

Status circuit(const CircuitOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  ATTNSCOPE_TRY(check_options(o));
  std::string task = o.task;
  if (!o.ground_truth.empty() && task.empty()) {
    task = task_of(o.positive);
    if (task.empty())
      return make_error("no --task, and '" + o.positive + "' is not named <task>_positive.jsonl",
                        "give --task NAME, e.g. --task ioi");
  }
  ATTNSCOPE_ASSIGN(const Model model, load_model(o.model_path));
  ATTNSCOPE_ASSIGN(const std::vector<Prompt> positives, load_task_prompts(model, o.positive));
  ATTNSCOPE_ASSIGN(const std::vector<Prompt> negatives, load_task_prompts(model, o.negative));
  std::optional<GroundTruth> truth;
  if (!o.ground_truth.empty()) {
    ATTNSCOPE_ASSIGN(const std::string text, read_text_file(o.ground_truth));
    auto parsed = parse_ground_truth(text, task);
    if (!parsed.ok())
      return make_error(o.ground_truth + ": " + parsed.error().message, parsed.error().hint);
    truth = std::move(parsed).value();
  }
  const ModelConfig& c = model.config();
  const int L = c.n_layers, H = c.n_heads;

  // The λ default follows the task (from the --positive file's name when there is no --task).
  const std::string l1_task = task.empty() ? task_of(o.positive) : task;
  SaeCircuitOptions options = sae_options(o, l1_task);
  Progress activation_progress("activations", "prompts");
  options.activations.progress = [&activation_progress](int done, int total) {
    return activation_progress(done, total);
  };
  options.sae.progress = training_progress("training", o.epochs);
  ATTNSCOPE_ASSIGN(const SaeCircuitResult r, sae_circuit(model, positives, negatives, options));
  const std::vector<double>& node = r.scores.node;
  const std::vector<Edge> edges = strongest_edges(r.scores, o.n_edges);

  std::optional<CircuitEvaluation> evaluation;
  std::vector<ComparisonRow> comparison;
  double seconds_baseline = 0;
  std::optional<SeedStability> stability;
  if (truth) {
    ATTNSCOPE_ASSIGN(evaluation, evaluate_circuit(node, L, H, truth->heads, options.cut));
    const auto baseline_start = std::chrono::steady_clock::now();
    std::span<const Prompt> baseline_prompts(positives);
    if (o.baseline_prompts > 0 && std::size_t(o.baseline_prompts) < positives.size())
      baseline_prompts = baseline_prompts.first(std::size_t(o.baseline_prompts));
    ATTNSCOPE_ASSIGN(std::vector<double> dla, logit_attribution_scores(model, baseline_prompts));
    seconds_baseline = seconds_since(baseline_start);
    // The baseline's magnitudes are not softmax scores, so it is cut to as many heads as the SAE
    // circuit (precision and recall at an equal size).
    CircuitCut dla_cut;
    dla_cut.top_k = std::max<int>(1, int(r.circuit.size()));
    std::vector<NamedScores> methods = {{"sae", node, options.cut}};
    if (!r.scores.edge_node.empty()) methods.push_back({"sae_edges", r.scores.edge_node, {}});
    methods.push_back({"logit_attribution", std::move(dla), dla_cut});
    ATTNSCOPE_ASSIGN(comparison, compare_methods(methods, L, H, truth->heads));
    if (o.seeds > 0) {
      SaeCircuitOptions seed_options = sae_options(o, l1_task);
      seed_options.sae.progress = training_progress("seeds", o.epochs);
      ATTNSCOPE_ASSIGN(stability, sae_seed_stability(model, positives, negatives, truth->heads,
                                                     o.seeds, seed_options));
    }
  }
  const double seconds_total = seconds_since(start);

  if (o.json) {
    nlohmann::json edges_json = nlohmann::json::array();
    for (const Edge& e : edges)
      edges_json.push_back({{"a", head_label(head_at(e.a, H))},
                            {"b", head_label(head_at(e.b, H))},
                            {"count", e.count}});
    nlohmann::json json = {
        {"model", model_name(o.model_path)},
        {"positive", o.positive},
        {"negative", o.negative},
        {"options",
         {{"protocol", protocol_name(options.protocol)},
          {"constraint", o.constraint},
          {"silent_as_unit_zero", options.silent_as_unit_zero},
          {"train_prompts", options.n_train},
          {"seed", o.seed},
          {"n_positive", options.n_positive},
          {"n_negative", options.n_negative},
          {"paired", o.paired},
          {"hidden", o.hidden},
          {"l1", options.sae.l1_coefficient},
          {"lr", o.lr},
          {"beta1", o.beta1},
          {"beta2", o.beta2},
          {"adam_eps", o.adam_eps},
          {"epochs", o.epochs},
          {"top_k_codes", o.top_k_codes},
          {"per_position", o.per_position},
          {"normalize", o.normalize},
          {"edges", !o.no_edges},
          {"baseline_prompts", o.baseline_prompts},
          {"top_k", o.top_k},
          {"threshold", o.threshold ? nlohmann::json(*o.threshold) : nlohmann::json(nullptr)}}},
        {"prompts",
         {{"positive", r.positive_prompts},
          {"negative", r.negative_prompts},
          {"train", r.train_prompts}}},
        {"n_layers", L},
        {"n_heads", H},
        {"rows", r.codes.n_rows},
        {"scores", rows_json(node, L, H)},
        {"node_counts", rows_json(r.scores.node_counts, L, H)},
        {"edge_scores", r.scores.edge_node.empty() ? nlohmann::json(nullptr)
                                                   : rows_json(r.scores.edge_node, L, H)},
        {"circuit", labels_json(r.circuit)},
        {"edges", edges_json},
        {"loss", {{"first", r.training.losses.front()}, {"final", r.training.losses.back()}}},
        {"losses", r.training.losses},
        {"timings",
         {{"activations", r.seconds_activations},
          {"training", r.seconds_training},
          {"scoring", r.seconds_scoring},
          {"baseline", seconds_baseline},
          {"stability", stability ? stability->seconds : 0.0},
          {"total", seconds_total}}}};
    if (evaluation) {
      nlohmann::json fpr = nlohmann::json::array(), tpr = nlohmann::json::array();
      for (const RocPoint& p : evaluation->roc.points) fpr.push_back(p.fpr), tpr.push_back(p.tpr);
      json["task"] = task;
      json["ground_truth"] = labels_json(truth->heads);
      json["auc"] = evaluation->roc.auc;
      json["precision"] = evaluation->at_cut.precision;
      json["recall"] = evaluation->at_cut.recall;
      json["true_positive"] = evaluation->at_cut.true_positive;
      json["roc"] = {{"fpr", fpr}, {"tpr", tpr}};
      nlohmann::json rows = nlohmann::json::array();
      for (const ComparisonRow& row : comparison)
        rows.push_back({{"method", row.method},
                        {"auc", row.auc},
                        {"precision", row.at_cut.precision},
                        {"recall", row.at_cut.recall},
                        {"selected", row.at_cut.selected}});
      json["comparison"] = rows;
    }
    if (stability)
      json["stability"] = {{"seeds", o.seeds},
                           {"auc", stability->auc},
                           {"mean", stability->mean},
                           {"std", stability->std},
                           {"edge_auc", stability->edge_auc},
                           {"edge_mean", stability->edge.mean},
                           {"edge_std", stability->edge.std}};
    print_json(json);
    return {};
  }

  if (options.protocol == SaeProtocol::published)
    std::printf(
        "SAE circuit of %s, the published protocol: trained on %zu prompts drawn from the pool "
        "(seed %llu), scored on all %zu positive + %zu negative prompts (%d rows); SAE %d hidden, "
        "λ %g, %d epochs, loss %.6g -> %.6g\n",
        model_name(o.model_path).c_str(), r.train_prompts.size(),
        static_cast<unsigned long long>(o.seed), r.positive_prompts.size(),
        r.negative_prompts.size(), r.codes.n_rows, o.hidden, options.sae.l1_coefficient, o.epochs,
        r.training.losses.front(), r.training.losses.back());
  else
    std::printf(
        "SAE circuit of %s, protocol attnscope-v1: %d positive + %d negative prompts (seed %llu), "
        "trained and scored on them (%d rows); SAE %d hidden, λ %g, %d epochs, loss %.6g -> "
        "%.6g\n",
        model_name(o.model_path).c_str(), options.n_positive, options.n_negative,
        static_cast<unsigned long long>(o.seed), r.codes.n_rows, o.hidden,
        options.sae.l1_coefficient, o.epochs, r.training.losses.front(), r.training.losses.back());
  print_table("node scores (softmax over heads of the codes only positives produce):", node, L, H);
  char cut[64];
  if (o.top_k > 0)
    std::snprintf(cut, sizeof cut, "top %d", o.top_k);
  else if (o.threshold)
    std::snprintf(cut, sizeof cut, "score > %g", *o.threshold);
  else
    std::snprintf(cut, sizeof cut, "score > 1/%d", L * H);
  std::printf("circuit (%zu heads, %s): %s\n", r.circuit.size(), cut,
              labels_text(r.circuit).c_str());
  if (o.no_edges) {
    std::printf("edges: not computed (--no-edges)\n");
  } else {
    std::printf("strongest edges (code pairs on positives only):");
    if (edges.empty()) std::printf(" none");
    std::printf("\n");
    for (const Edge& e : edges)
      std::printf("  %-6s %-6s %g\n", head_label(head_at(e.a, H)).c_str(),
                  head_label(head_at(e.b, H)).c_str(), e.count);
  }
  if (evaluation) {
    std::printf("ground truth '%s': %s\n", task.c_str(), labels_text(truth->heads).c_str());
    std::printf("%-18s %8s %10s %8s %9s\n", "method", "AUC", "precision", "recall", "selected");
    for (const ComparisonRow& row : comparison)
      std::printf("%-18s %8.4f %10.4f %8.4f %9d\n", row.method.c_str(), row.auc,
                  row.at_cut.precision, row.at_cut.recall, row.at_cut.selected);
  }
  if (stability) {
    std::printf("AUC over seeds 0..%d: %.4f ± %.4f", o.seeds - 1, stability->mean, stability->std);
    if (!stability->edge_auc.empty())
      std::printf("; from edges %.4f ± %.4f", stability->edge.mean, stability->edge.std);
    std::printf(" (%.2f s, ± is np.std over seeds)\n", stability->seconds);
  }
  std::printf("timings: activations %.3f s, training %.3f s, scoring %.3f s", r.seconds_activations,
              r.seconds_training, r.seconds_scoring);
  if (truth) std::printf(", baseline %.3f s", seconds_baseline);
  std::printf(", total %.3f s\n", seconds_total);
  return {};
}

}  // namespace

void register_circuit(CLI::App& app) {
  auto o = std::make_shared<CircuitOptions>();
  CLI::App* cmd = app.add_subcommand(
      "circuit", "Find a task's circuit with a sparse autoencoder on head outputs (O'Neill & Bui)");
  add_model_option(cmd, o->model_path);
  cmd->add_option("--positive", o->positive, "Positive task prompts (.jsonl, models/tasks format)")
      ->required();
  cmd->add_option("--negative", o->negative, "Negative task prompts (.jsonl)")->required();
  cmd->add_option("--ground-truth", o->ground_truth,
                  "ground_truth.json: report ROC AUC, precision and recall against its circuit");
  cmd->add_option("--task", o->task,
                  "The ground truth's task (default: the --positive file's name before "
                  "'_positive')");
  cmd->add_option("--seed", o->seed, "Seed of the prompt draw and of the SAE's initial weights")
      ->capture_default_str();
  cmd->add_option("--seeds", o->seeds,
                  "Also run seeds 0..N-1 and report the AUC's mean ± std (needs --ground-truth)")
      ->capture_default_str();
  cmd->add_option("--protocol", o->protocol,
                  "published: train on --prompts prompts drawn from the whole pool, score every "
                  "prompt (the authors' code); attnscope-v1: draw half positives, half negatives "
                  "and score only those")
      ->capture_default_str();
  cmd->add_option("--constraint", o->constraint,
                  "SAE weights: published (unit-norm encoder rows and decoder rows, N(0,1) init) "
                  "or decoder-columns (attnscope 0.1)")
      ->capture_default_str();
  cmd->add_flag("--silent-own-code", o->silent_own_code,
                "A head with no active unit gets a code of its own (the authors' argmax gives "
                "unit 0)");
  cmd->add_option("--prompts", o->prompts,
                  "Training prompts (published) or prompts drawn in all (attnscope-v1)")
      ->capture_default_str();
  cmd->add_option("--n-positive", o->n_positive,
                  "attnscope-v1: positive prompts drawn (overrides --prompts)");
  cmd->add_option("--n-negative", o->n_negative,
                  "attnscope-v1: negative prompts drawn (overrides --prompts)");
  cmd->add_flag("--paired", o->paired,
                "attnscope-v1: draw line indices once and take both versions");
  cmd->add_option("--hidden", o->hidden, "SAE hidden units")->capture_default_str();
  cmd->add_option("--l1", o->l1,
                  "L1 coefficient of the hidden code (default: the authors' per task, 0.05 for "
                  "docstring, else 0.02)");
  cmd->add_option("--lr", o->lr, "Adam learning rate")->capture_default_str();
  cmd->add_option("--beta1", o->beta1, "Adam beta1")->capture_default_str();
  cmd->add_option("--beta2", o->beta2, "Adam beta2")->capture_default_str();
  cmd->add_option("--adam-eps", o->adam_eps, "Adam epsilon")->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "Full-batch training steps")->capture_default_str();
  cmd->add_option("--top-k-codes", o->top_k_codes,
                  "Codes per (row, head): its top-k active hidden units")
      ->capture_default_str();
  cmd->add_flag("--per-position", o->per_position,
                "One row per token position instead of the mean over the prompt");
  cmd->add_flag("--normalize", o->normalize,
                "Divide each head's count by the size of its union of codes");
  cmd->add_flag("--no-edges", o->no_edges, "Skip the head × head edge counts");
  auto* top_k = cmd->add_option("--top-k", o->top_k, "Circuit: the K highest-scoring heads");
  auto* threshold = cmd->add_option("--threshold", o->threshold,
                                    "Circuit: the heads scoring above X (default: 1/heads)");
  top_k->excludes(threshold);
  threshold->excludes(top_k);
  cmd->add_option("--edges", o->n_edges, "Strongest edges to list")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--baseline-prompts", o->baseline_prompts,
                  "--ground-truth: average the logit attribution baseline over the first N "
                  "positive prompts (0: all)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print JSON instead of tables");
  cmd->callback([o]() { finish(circuit(*o)); });
}

}  // namespace attnscope::cli
