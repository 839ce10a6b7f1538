// edge_attribution.h — edge attribution patching (Syed, Rager & Conmy 2023): every edge's effect
// on the metric from one forward and one backward pass per prompt.
//
// For an edge s → r the score is the first-order change of the metric when the edge is patched
// to the corruption: (corrupt_s − out_s) · ∂metric/∂(r's input), summed over positions and
// averaged over prompts. A sender's node score is the sum of its outgoing edges' scores, the
// first-order change when the sender's every edge is patched: for a head, its mean ablation.
// Departures from the authors' code (Aaquib111/edge-attribution-patching, read at b2876b6): the
// corruption is paired as theirs only with CorruptionMode::paired (the default is the mean output
// over the negatives, the ground truth's ablation); a head's q, k and v inputs are one receiver,
// not three (our edge score is the sum of their three); the edge score is (corrupt − clean)·grad,
// theirs (clean − corrupt)·grad; `heads` keeps its sign (the circuit's heads are those whose
// ablation hurts), `heads_abs` is the authors' |score| ranking; the metric is the raw logit
// difference (their IOI demo normalises it between corrupt and clean: the same ranking).
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
  Tensor heads_abs;             // [layer, head]: |heads|, the authors' ranking
  double clean = 0.0;           // the metric, averaged over the prompts
};

// Edge attribution a prompt at a time, for callers that must return between steps (the
// explorer's frame loop in the browser). The graph must outlive it and keep its corruption.
class EdgeAttributionRun {
 public:
  static Result<EdgeAttributionRun> start(const CircuitGraph& graph,
                                          std::span<const Prompt> prompts);
  Result<bool> step();  // one prompt's forward and backward pass; true when all are done
  int done() const { return done_; }
  int total() const { return int(prompts_.size()); }
  EdgeAttribution result() const;  // averaged over the prompts done

 private:
  EdgeAttributionRun() = default;
  const CircuitGraph* graph_ = nullptr;
  std::vector<Prompt> prompts_;
  int done_ = 0;
  std::vector<double> edges_;  // sums over the prompts done
  double clean_ = 0;
  CircuitGraph::Run run_;
  std::vector<float> corrupted_;
};

// Needs the graph's corruption set. progress(done, total) may return false to cancel.
Result<EdgeAttribution> edge_attribution(const CircuitGraph& graph, std::span<const Prompt> prompts,
                                         const std::function<bool(int, int)>& progress = {});

}  // namespace attnscope
