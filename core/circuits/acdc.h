// acdc.h — automatic circuit discovery (Conmy et al. 2023): prune the graph's edges one at a
// time, keeping an edge only when patching it changes the metric by at least a threshold.
//
// Receivers are visited from the logits back to the first layer, each one's incoming edges from
// its latest sender to its earliest (the authors' "reversed" order). An edge is patched to the
// corruption (α = 1); if the metric over the prompts moves by less than τ from its current value,
// the edge stays patched and the current value becomes the new one. KL: the increase of the KL
// divergence from the clean model (the authors' default); logit difference: |change| divided by
// |clean metric| (the authors compare the raw metric with abs_value_threshold; normalising lets
// one τ serve tasks whose logit differences differ). A head belongs to the circuit when one of
// its outgoing edges is kept.
// Departures from the authors' code (ArthurConmy/Automatic-Circuit-Discovery): mean outputs over
// the negatives as the corruption (the ground truth's ablation), not paired corrupted prompts; a
// head's q, k and v inputs are one receiver; the positional embedding is part of "embed".
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "core/circuits/circuit_graph.h"

namespace attnscope {

struct AcdcOptions {
  GraphMetric metric = GraphMetric::kl;
  double threshold = 0.01;
  std::function<bool(int done, int total)> progress;  // edges tested; return false to cancel
};

struct AcdcResult {
  std::vector<bool> kept;  // [edges]
  int kept_edges = 0;
  double metric = 0.0;  // the final graph's metric (KL: from the clean model)
  int edge_tests = 0;
  Tensor heads;  // [layer, head]: 1 for heads in the circuit
};

// Needs the graph's corruption set.
Result<AcdcResult> acdc(const CircuitGraph& graph, std::span<const Prompt> prompts,
                        const AcdcOptions& options);

// A head score for a ROC curve: ACDC run at every threshold (ascending), each head scored by the
// largest threshold at which it is still in the circuit (0: at none).
struct AcdcSweep {
  std::vector<double> thresholds;
  std::vector<AcdcResult> runs;
  Tensor head_scores;  // [layer, head]
};
Result<AcdcSweep> acdc_sweep(const CircuitGraph& graph, std::span<const Prompt> prompts,
                             std::vector<double> thresholds, AcdcOptions options);

}  // namespace attnscope
