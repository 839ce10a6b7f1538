// acdc.h — automatic circuit discovery (Conmy et al. 2023): prune the graph's edges one at a
// time, keeping an edge only when patching it changes the metric by at least a threshold.
//
// Receivers are visited from the logits back to the first layer, each one's incoming edges from
// its latest sender to its earliest (the order of the authors' main.py defaults). An edge is
// patched to the corruption (α = 1); if the metric over the prompts gets worse by less than τ,
// the edge stays patched and the current value becomes the new one. KL: the increase of the KL
// divergence from the clean model (the authors' default); logit difference: its drop divided by
// |clean metric| (the authors' signed test on the raw metric; normalising lets one τ serve tasks
// whose logit differences differ), or with `absolute` the |change| (their abs_value_threshold).
// A node whose every outgoing edge is removed has its incoming edges removed untested, as the
// authors do. A head belongs to the circuit when one of its outgoing edges is kept.
// Departures from the authors' code (ArthurConmy/Automatic-Circuit-Discovery, read at bc99ace):
// a head's q, k and v inputs are one receiver (their graph splits them and also tests the
// q/k/v → head edges), so one removal corrupts all three; the metric is the last position's, for
// induction too (theirs: every repeated position of 300-token sequences); the corruption is
// paired as theirs only with CorruptionMode::paired (the default here is the mean over the
// negatives, the ground truth's ablation); one logit difference for every task (theirs: a
// probability difference for greater-than, correct − max wrong for docstring).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "core/circuits/circuit_graph.h"
#include "core/sae/roc.h"

namespace attnscope {

struct AcdcOptions {
  GraphMetric metric = GraphMetric::kl;
  double threshold = 0.01;
  bool absolute = false;  // logit difference: test |change| instead of the drop
  std::function<bool(int done, int total)> progress;  // edges tested; return false to cancel
};

struct AcdcResult {
  std::vector<bool> kept;  // [edges]
  int kept_edges = 0;
  double metric = 0.0;  // the final graph's metric (KL: from the clean model)
  int edge_tests = 0;   // edges tested (those into nodes nothing reads go untested)
  Tensor heads;         // [layer, head]: 1 for heads in the circuit
};

// ACDC at every threshold of a sweep (ascending), for a ROC curve.
struct AcdcSweep {
  std::vector<double> thresholds;
  std::vector<AcdcResult> runs;
  Tensor head_scores;  // [layer, head]: the largest threshold at which the head is kept (0: none)
};

// ACDC an edge at a time, for callers that must return between steps (the explorer's frame loop
// in the browser). start() runs every prompt clean once; each step() decides one edge (and tests
// it, unless nothing reads its receiver any more). The graph must outlive the search and keep
// its corruption.
class AcdcSearch {
 public:
  static Result<AcdcSearch> start(const CircuitGraph& graph, std::span<const Prompt> prompts,
                                  std::vector<double> thresholds, AcdcOptions options);
  // Decides the next edge at the current threshold; true once every threshold is done.
  Result<bool> step();
  int done() const { return done_; }  // edges decided, over all thresholds
  int total() const { return int(sweep_.thresholds.size() * graph_->edges().size()); }
  // Complete once step() has returned true; runs[t] is thresholds[t]'s (ascending).
  const AcdcSweep& sweep() const { return sweep_; }

 private:
  struct Prepared;  // the prompts' clean runs and corruptions, shared by every threshold
  AcdcSearch() = default;
  void begin_threshold();
  void finish_threshold();
  const CircuitGraph* graph_ = nullptr;
  AcdcOptions options_;
  std::shared_ptr<const Prepared> prepared_;
  // The current threshold's search.
  std::size_t t_ = 0;
  int receiver_ = -1, next_ = 0;  // edges_into(receiver_)[size − 1 − next_] is next
  bool receiver_dead_ = false;
  std::vector<float> alpha_;
  double cur_ = 0;
  std::vector<CircuitGraph::Run> current_;  // only T and out: what later trials start from
  std::vector<std::vector<float>> trial_out_;
  std::vector<CircuitGraph::Run> scratch_;  // one per prompt: trials run in parallel
  std::vector<double> trial_metric_;
  AcdcResult run_;
  int done_ = 0;
  AcdcSweep sweep_;  // its thresholds are the search's, ascending
};

// Needs the graph's corruption set.
Result<AcdcResult> acdc(const CircuitGraph& graph, std::span<const Prompt> prompts,
                        const AcdcOptions& options);

// A head score for a ROC curve: ACDC run at every threshold (ascending), each head scored by the
// largest threshold at which it is still in the circuit (0: at none).
Result<AcdcSweep> acdc_sweep(const CircuitGraph& graph, std::span<const Prompt> prompts,
                             std::vector<double> thresholds, AcdcOptions options);

// The authors' node ROC of a sweep (their roc_plot_generator and pessimistic_auc): one point
// (fpr, tpr) per threshold from that run's heads, (0, 0) and (1, 1) added, points another beats
// dropped, and the area under the step each point holds until the next. Unlike roc_curve over
// head_scores it assumes nothing of how the runs' circuits nest. labels: [layer·head].
Result<RocCurve> acdc_threshold_roc(const AcdcSweep& sweep, const std::vector<bool>& labels);

}  // namespace attnscope
