// edge_attribution.h — edge attribution patching (Syed, Rager & Conmy 2023): every edge's effect
// on the metric from one forward and one backward pass per prompt.
//
// For an edge s → r the score is the first-order change of the metric when the edge is patched
// to the corruption: (corrupt_s − out_s) · ∂metric/∂(r's input), summed over positions and
// averaged over prompts. A sender's node score is the sum of its outgoing edges' scores, the
// first-order change when the sender's every edge is patched: for a head, its mean ablation.
// Departures from the authors' code (Aaquib111/edge-attribution-patching): the corruption is
// the mean output over the negatives (the ground truth's ablation), not a paired corrupted
// prompt; a head's q, k and v inputs are one receiver, not three; scores keep their sign (the
// authors rank edges by |score|: here the circuit's heads are those whose ablation hurts).
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "core/circuits/circuit_graph.h"

namespace attnscope {

struct EdgeAttribution {
  std::vector<double> edges;  // [edges]: first-order change of the metric when the edge is patched
  std::vector<double> senders;  // [senders]: Σ of each sender's outgoing edges
  Tensor heads;                 // [layer, head]: −senders of the heads: the predicted metric drop
  double clean = 0.0;           // the metric, averaged over the prompts
};

// Needs the graph's corruption set. progress(done, total) may return false to cancel.
Result<EdgeAttribution> edge_attribution(const CircuitGraph& graph, std::span<const Prompt> prompts,
                                         const std::function<bool(int, int)>& progress = {});

}  // namespace attnscope
