// sae_circuit.cpp — the SAE circuit pipeline, its evaluation and its seed stability.
#include "core/sae/sae_circuit.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <random>

#include "core/analysis/task_prompts.h"
#include "core/seeded_draw.h"

namespace attnscope {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

const char* protocol_name(SaeProtocol protocol) {
  return protocol == SaeProtocol::published ? "published" : "attnscope-v1";
}

double published_l1(std::string_view task) {
  return task == "docstring" ? 0.05 : 0.02;
}

MeanStd mean_std(std::span<const double> values) {
  MeanStd out;
  if (values.empty()) return out;
  for (double v : values) out.mean += v;
  out.mean /= double(values.size());
  double sq = 0;
  for (double v : values) sq += (v - out.mean) * (v - out.mean);
  out.std = std::sqrt(sq / double(values.size()));
  return out;
}

namespace {

// The ids of the scored prompts: positives first, then negatives.
std::vector<std::vector<int>> prompt_ids(std::span<const Prompt> pool, std::span<const int> which) {
  std::vector<std::vector<int>> ids;
  for (int i : which) ids.push_back(pool[std::size_t(i)].ids);
  return ids;
}

std::vector<int> iota_vector(int n) {
  std::vector<int> v(std::size_t(std::max(n, 0)));
  for (int i = 0; i < n; i++) v[std::size_t(i)] = i;
  return v;
}

}  // namespace

Result<SaeCircuitResult> sae_circuit_on(const HeadActivations& activations, int n_positive,
                                        const SaeCircuitOptions& options) {
  const int P = activations.n_prompts;
  if (n_positive < 1 || n_positive >= P)
    return make_error("the SAE circuit needs at least one positive and one negative prompt");
  SaeCircuitResult out;
  out.protocol = options.protocol;
  out.positive_prompts = iota_vector(n_positive);
  out.negative_prompts = iota_vector(P - n_positive);
  std::mt19937_64 rng(options.seed);
  if (options.protocol == SaeProtocol::published) {
    if (options.n_train < 1 || options.n_train > P)
      return make_error("asked to train on " + std::to_string(options.n_train) +
                        " prompts of a pool of " + std::to_string(P));
    out.train_prompts = seeded_draw(P, options.n_train, rng);
    std::sort(out.train_prompts.begin(), out.train_prompts.end());
  } else {
    out.train_prompts = iota_vector(P);  // attnscope_v1 trains on what it scores
  }
  // Rows of the training prompts, in row order.
  const Shape shape = shape_of(activations.values);
  const std::size_t row_size = shape[1] * shape[2];
  std::vector<bool> in_train(std::size_t(P), false);
  for (int p : out.train_prompts) in_train[std::size_t(p)] = true;
  std::vector<float> train;
  for (std::size_t r = 0; r < shape[0]; r++)
    if (in_train[std::size_t(activations.prompt[r])])
      train.insert(train.end(), activations.values.data() + r * row_size,
                   activations.values.data() + (r + 1) * row_size);
  const std::size_t rows = train.size() / shape[2];

  auto start = std::chrono::steady_clock::now();
  SaeOptions sae_options = options.sae;
  sae_options.seed = options.seed;
  ATTNSCOPE_ASSIGN(out.training, sae_train(train, int(rows), int(shape[2]), sae_options));
  out.seconds_training = seconds_since(start);

  start = std::chrono::steady_clock::now();
  ATTNSCOPE_ASSIGN(out.codes, sae_codes(out.training.sae, activations, options.top_k_codes,
                                        options.sae.kernels));
  if (options.silent_as_unit_zero)
    for (int& c : out.codes.codes)
      if (c == kSilentCode) c = 0;
  std::vector<bool> positive(std::size_t(P), false);
  for (int p = 0; p < n_positive; p++) positive[std::size_t(p)] = true;
  ATTNSCOPE_ASSIGN(out.scores,
                   circuit_scores(out.codes, activations.prompt, positive, options.scores));
  out.circuit =
      select_circuit(out.scores.node, activations.n_layers, activations.n_heads, options.cut);
  out.seconds_scoring = seconds_since(start);
  out.activations = activations;
  return out;
}

Result<SaeCircuitResult> sae_circuit(const Model& model, std::span<const Prompt> positives,
                                     std::span<const Prompt> negatives,
                                     const SaeCircuitOptions& options) {
  std::vector<int> pos, neg;
  if (options.protocol == SaeProtocol::published) {
    if (positives.empty() || negatives.empty())
      return make_error("the SAE circuit needs at least one positive and one negative prompt");
    pos = iota_vector(int(positives.size()));
    neg = iota_vector(int(negatives.size()));
  } else {
    if (options.n_positive < 1 || options.n_negative < 1)
      return make_error("the SAE circuit needs at least one positive and one negative prompt");
    if (options.n_positive > int(positives.size()) || options.n_negative > int(negatives.size()))
      return make_error("asked for " + std::to_string(options.n_positive) + " positive and " +
                        std::to_string(options.n_negative) + " negative prompts, the pools hold " +
                        std::to_string(positives.size()) + " and " +
                        std::to_string(negatives.size()));
    std::mt19937_64 rng(options.seed);
    if (options.paired) {
      if (options.n_positive != options.n_negative || positives.size() != negatives.size())
        return make_error("paired draws need as many positives as negatives, in pools of one size");
      pos = seeded_draw(int(positives.size()), options.n_positive, rng);
      neg = pos;
    } else {
      pos = seeded_draw(int(positives.size()), options.n_positive, rng);
      neg = seeded_draw(int(negatives.size()), options.n_negative, rng);
    }
  }
  std::vector<std::vector<int>> ids = prompt_ids(positives, pos);
  for (auto& v : prompt_ids(negatives, neg)) ids.push_back(std::move(v));
  const auto start = std::chrono::steady_clock::now();
  ATTNSCOPE_ASSIGN(const HeadActivations activations,
                   head_activations(model, ids, options.activations));
  const double seconds = seconds_since(start);
  ATTNSCOPE_ASSIGN(SaeCircuitResult out, sae_circuit_on(activations, int(pos.size()), options));
  out.positive_prompts = std::move(pos);
  out.negative_prompts = std::move(neg);
  out.seconds_activations = seconds;
  return out;
}

Result<CircuitEvaluation> evaluate_circuit(std::span<const double> head_scores, int n_layers,
                                           int n_heads, std::span<const HeadRef> truth,
                                           const CircuitCut& cut) {
  const std::size_t A = std::size_t(n_layers) * n_heads;
  if (head_scores.size() != A)
    return make_error(std::to_string(head_scores.size()) + " head scores for a model of " +
                      std::to_string(A) + " heads");
  std::vector<bool> labels(A, false), selected(A, false);
  for (const HeadRef& h : truth) {
    if (Status ok = check_head(h, n_layers, n_heads); !ok)
      return make_error("ground-truth " + ok.error().message);
    labels[std::size_t(h.layer) * n_heads + h.head] = true;
  }
  CircuitEvaluation out;
  ATTNSCOPE_ASSIGN(out.roc, roc_curve(head_scores, labels));
  out.selected = select_circuit(head_scores, n_layers, n_heads, cut);
  for (const HeadRef& h : out.selected) selected[std::size_t(h.layer) * n_heads + h.head] = true;
  out.at_cut = precision_recall(selected, labels);
  out.labels = std::move(labels);
  return out;
}

Result<CircuitEvaluation> evaluate_circuit(std::span<const double> head_scores, int n_layers,
                                           int n_heads, std::string_view ground_truth_json,
                                           std::string_view task, const CircuitCut& cut) {
  ATTNSCOPE_ASSIGN(const GroundTruth truth, parse_ground_truth(ground_truth_json, task));
  return evaluate_circuit(head_scores, n_layers, n_heads, truth.heads, cut);
}

Result<std::vector<ComparisonRow>> compare_methods(std::span<const NamedScores> methods,
                                                   int n_layers, int n_heads,
                                                   std::span<const HeadRef> truth) {
  std::vector<ComparisonRow> rows;
  for (const NamedScores& m : methods) {
    auto e = evaluate_circuit(m.head_scores, n_layers, n_heads, truth, m.cut);
    if (!e.ok()) return make_error(m.method + ": " + e.error().message, e.error().hint);
    rows.push_back({m.method, e->roc.auc, e->at_cut});
  }
  return rows;
}

Result<SeedStability> sae_seed_stability(const Model& model, std::span<const Prompt> positives,
                                         std::span<const Prompt> negatives,
                                         std::span<const HeadRef> truth, int n_seeds,
                                         SaeCircuitOptions options) {
  if (n_seeds < 1) return make_error("seed stability needs at least one seed");
  const auto start = std::chrono::steady_clock::now();
  SeedStability out;
  const ModelConfig& c = model.config();
  // The published protocol scores the whole pool whatever the seed: one set of activations.
  std::optional<HeadActivations> pool;
  if (options.protocol == SaeProtocol::published) {
    std::vector<std::vector<int>> ids = prompt_ids(positives, iota_vector(int(positives.size())));
    for (auto& v : prompt_ids(negatives, iota_vector(int(negatives.size()))))
      ids.push_back(std::move(v));
    ATTNSCOPE_ASSIGN(pool, head_activations(model, ids, options.activations));
  }
  for (int s = 0; s < n_seeds; s++) {
    options.seed = std::uint64_t(s);
    ATTNSCOPE_ASSIGN(const SaeCircuitResult r,
                     pool ? sae_circuit_on(*pool, int(positives.size()), options)
                          : sae_circuit(model, positives, negatives, options));
    ATTNSCOPE_ASSIGN(const CircuitEvaluation e,
                     evaluate_circuit(r.scores.node, c.n_layers, c.n_heads, truth, options.cut));
    out.auc.push_back(e.roc.auc);
    if (!r.scores.edge_node.empty()) {
      ATTNSCOPE_ASSIGN(const CircuitEvaluation edge,
                       evaluate_circuit(r.scores.edge_node, c.n_layers, c.n_heads, truth));
      out.edge_auc.push_back(edge.roc.auc);
    }
  }
  const MeanStd node = mean_std(out.auc);
  out.mean = node.mean;
  out.std = node.std;
  out.edge = mean_std(out.edge_auc);
  out.seconds = seconds_since(start);
  return out;
}

}  // namespace attnscope
