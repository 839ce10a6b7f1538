// sae_circuit.h — the whole method of O'Neill & Bui 2024 in one call, its evaluation against a
// ground-truth circuit, and its stability across seeds.
//
//   head_activations → draw the training prompts (seeded) → sae_train on their (prompt, head)
//   rows → sae_codes of the scored prompts → circuit_scores → select_circuit
//
// The default is the authors' protocol, read from their code (charlieoneill11/sae-circuits,
// experiments/main_results.py, src/{sae,train,node,edge}.py); every departure is an option, and
// SaeProtocol::attnscope_v1 is what attnscope 0.1 did.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/analysis/prompt.h"
#include "core/sae/circuit_scores.h"
#include "core/sae/roc.h"

namespace attnscope {

// Which prompts train the SAE and which are scored.
//   published: n_train prompts drawn from the whole pool (positives and negatives together, as
//     main_results.py's shuffle of all residual streams); codes and scores over every prompt of
//     the pool (main.py's evaluate_node_circuit encodes all of resid_streams).
//   attnscope_v1: n_positive positives and n_negative negatives drawn (paired: the same line of
//     each); codes and scores over those same prompts only.
enum class SaeProtocol { published, attnscope_v1 };
const char* protocol_name(SaeProtocol protocol);  // "published", "attnscope-v1"

// The authors' λ for a task (main_results.py: 0.05 for docstring, 0.02 otherwise).
double published_l1(std::string_view task);

struct SaeCircuitOptions {
  SaeProtocol protocol = SaeProtocol::published;
  int n_train = 10;     // published: prompts drawn from the pool to train on
  int n_positive = 5;   // attnscope_v1: prompts drawn from the positive pool
  int n_negative = 5;   // and from the negative pool
  bool paired = false;  // attnscope_v1: draw line indices once and take both versions
  // numpy's argmax gives unit 0 to a (prompt, head) whose code is all zeros, so the authors'
  // silent heads share unit 0's code; false keeps "silent" a code of its own.
  bool silent_as_unit_zero = true;
  std::uint64_t seed = 0;  // the prompt draw and the SAE's initial weights (sae.seed is ignored)
  SaeOptions sae;
  ActivationOptions activations;
  int top_k_codes = 1;
  ScoreOptions scores;
  CircuitCut cut;
};

struct SaeCircuitResult {
  SaeProtocol protocol = SaeProtocol::published;
  // The scored prompts (indices into the pools): published, all of them; attnscope_v1, as drawn.
  std::vector<int> positive_prompts, negative_prompts;
  // The training prompts, as indices into the scored list (positives first, then negatives).
  std::vector<int> train_prompts;
  HeadActivations activations;  // of the scored prompts: positives first, then negatives
  SaeTraining training;
  HeadCodes codes;
  CircuitScores scores;
  std::vector<HeadRef> circuit;
  double seconds_activations = 0, seconds_training = 0, seconds_scoring = 0;
};

Result<SaeCircuitResult> sae_circuit(const Model& model, std::span<const Prompt> positives,
                                     std::span<const Prompt> negatives,
                                     const SaeCircuitOptions& options = {});

// The same on activations already computed (positives' rows first: prompt < n_positive), so that
// several seeds share one forward pass per prompt. The published protocol draws its training
// prompts from these; attnscope_v1 needs sae_circuit (it draws before computing activations).
Result<SaeCircuitResult> sae_circuit_on(const HeadActivations& activations, int n_positive,
                                        const SaeCircuitOptions& options);

struct CircuitEvaluation {
  std::vector<bool> labels;  // [layer·head]: the heads of the ground truth
  RocCurve roc;
  std::vector<HeadRef> selected;
  PrecisionRecall at_cut;
};

// Scores per head (layer-major, n_layers·n_heads of them) against a ground-truth head set.
Result<CircuitEvaluation> evaluate_circuit(std::span<const double> head_scores, int n_layers,
                                           int n_heads, std::span<const HeadRef> truth,
                                           const CircuitCut& cut = {});
// The same against the circuit of `task` in a ground_truth.json (models/tasks).
Result<CircuitEvaluation> evaluate_circuit(std::span<const double> head_scores, int n_layers,
                                           int n_heads, std::string_view ground_truth_json,
                                           std::string_view task, const CircuitCut& cut = {});

// One row of a comparison table: a method's scores (the SAE's node scores, ablation effects,
// logit attribution, ...) against the same truth.
struct NamedScores {
  std::string method;
  std::vector<double> head_scores;  // layer-major
  CircuitCut cut;
};
struct ComparisonRow {
  std::string method;
  double auc = 0;
  PrecisionRecall at_cut;
};
Result<std::vector<ComparisonRow>> compare_methods(std::span<const NamedScores> methods,
                                                   int n_layers, int n_heads,
                                                   std::span<const HeadRef> truth);

// Runs sae_circuit for seeds 0..n_seeds−1 and the AUC of its node scores (and of the
// edge-derived node scores, when edges are computed) against `truth`.
struct MeanStd {
  double mean = 0;
  double std = 0;  // population standard deviation (np.std, as the authors report)
};
MeanStd mean_std(std::span<const double> values);
struct SeedStability {
  std::vector<double> auc;       // per seed, node scores
  std::vector<double> edge_auc;  // per seed, edge-derived node scores (empty without edges)
  double mean = 0;
  double std = 0;  // np.std over seeds (n, not n − 1); 0 for a single seed
  MeanStd edge;
  double seconds = 0;
};
Result<SeedStability> sae_seed_stability(const Model& model, std::span<const Prompt> positives,
                                         std::span<const Prompt> negatives,
                                         std::span<const HeadRef> truth, int n_seeds,
                                         SaeCircuitOptions options = {});

}  // namespace attnscope
