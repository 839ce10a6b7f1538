#include "core/circuits/acdc.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "core/ops/parallel.h"

namespace attnscope {

struct AcdcSearch::Prepared {
  std::vector<Prompt> prompts;
  std::vector<std::vector<float>> corrupted;  // [prompt]: corrupted_outputs()
  std::vector<CircuitGraph::Run> clean;       // [prompt]: T and out only
  std::vector<std::vector<float>> clean_logits;
  double clean_metric = 0;
  double scale = 1;  // |clean metric| for the logit difference
};

Result<AcdcSearch> AcdcSearch::start(const CircuitGraph& graph, std::span<const Prompt> prompts,
                                     std::vector<double> thresholds, AcdcOptions options) {
  if (prompts.empty()) return make_error("ACDC needs at least one prompt");
  if (thresholds.empty()) return make_error("ACDC needs at least one threshold");
  for (double t : thresholds)
    if (!(t >= 0) || !std::isfinite(t))
      return make_error("the ACDC threshold must be a finite number ≥ 0");
  std::sort(thresholds.begin(), thresholds.end());
  auto prepared = std::make_shared<Prepared>();
  Prepared& p = *prepared;
  p.prompts.assign(prompts.begin(), prompts.end());
  p.corrupted.resize(prompts.size());
  p.clean.resize(prompts.size());
  p.clean_logits.resize(prompts.size());
  CircuitGraph::Run run;
  for (std::size_t i = 0; i < prompts.size(); i++) {
    if (options.metric == GraphMetric::logit_diff && prompts[i].answers.empty())
      return make_error("the logit difference needs answer tokens on every prompt");
    // Every prompt's corrupted outputs, once: each edge test patches from them.
    ATTNSCOPE_TRY(graph.corrupted_outputs(int(i), int(prompts[i].ids.size()), p.corrupted[i]));
    ATTNSCOPE_TRY(graph.run(prompts[i].ids, {}, run));
    p.clean_logits[i] = run.logits;
    p.clean_metric += CircuitGraph::metric(options.metric, run, prompts[i], p.clean_logits[i]);
    p.clean[i].T = run.T;
    p.clean[i].out = std::move(run.out);
  }
  p.clean_metric /= double(prompts.size());
  if (options.metric == GraphMetric::logit_diff)
    p.scale = std::max(std::abs(p.clean_metric), 1e-12);
  AcdcSearch search;
  search.graph_ = &graph;
  search.options_ = std::move(options);
  search.prepared_ = std::move(prepared);
  search.sweep_.thresholds = std::move(thresholds);
  search.sweep_.head_scores = zeros({std::size_t(graph.layers()), std::size_t(graph.heads())});
  search.begin_threshold();
  return search;
}

void AcdcSearch::begin_threshold() {
  const Prepared& p = *prepared_;
  alpha_.assign(graph_->edges().size(), 0.0f);
  cur_ = p.clean_metric;
  current_ = p.clean;
  trial_out_.assign(p.prompts.size(), {});
  run_ = AcdcResult{};
  receiver_ = int(graph_->receivers().size());
  next_ = 0;
  receiver_dead_ = false;
}

void AcdcSearch::finish_threshold() {
  const std::vector<CircuitEdge>& edges = graph_->edges();
  run_.metric = cur_;
  run_.kept.resize(edges.size());
  run_.heads = zeros({std::size_t(graph_->layers()), std::size_t(graph_->heads())});
  for (std::size_t e = 0; e < edges.size(); e++) {
    run_.kept[e] = alpha_[e] == 0.0f;
    run_.kept_edges += run_.kept[e];
    const CircuitNode& s = graph_->senders()[edges[e].sender];
    if (run_.kept[e] && s.kind == CircuitNode::Kind::head) run_.heads(s.layer, s.head) = 1.0f;
  }
  for (int l = 0; l < graph_->layers(); l++)
    for (int h = 0; h < graph_->heads(); h++)
      if (run_.heads(l, h) > 0) sweep_.head_scores(l, h) = float(sweep_.thresholds[t_]);
  sweep_.runs.push_back(std::move(run_));
}

Result<bool> AcdcSearch::step() {
  if (t_ >= sweep_.thresholds.size()) return true;
  const CircuitGraph& graph = *graph_;
  const std::vector<CircuitEdge>& edges = graph.edges();
  // Receivers from the logits back to the first layer; each one's senders latest first.
  while (receiver_ >= int(graph.receivers().size()) ||
         next_ >= int(graph.edges_into(receiver_).size())) {
    receiver_--;
    next_ = 0;
    if (receiver_ < 0) {
      finish_threshold();
      if (++t_ == sweep_.thresholds.size()) return true;
      begin_threshold();
      continue;
    }
    // A node nothing reads any more: its inputs go untested (the authors skip it too). Its
    // outgoing edges were all decided before: receivers come latest first.
    const CircuitNode& node = graph.receivers()[receiver_];
    receiver_dead_ = false;
    if (node.kind != CircuitNode::Kind::logits) {
      const int s = node.kind == CircuitNode::Kind::head ? graph.head_sender(node.layer, node.head)
                                                         : graph.mlp_sender(node.layer);
      receiver_dead_ = true;
      for (std::size_t e = 0; e < edges.size(); e++)
        if (edges[e].sender == s && alpha_[e] == 0.0f) receiver_dead_ = false;
    }
  }
  const std::span<const int> into = graph.edges_into(receiver_);
  const int e = into[into.size() - 1 - std::size_t(next_)];
  next_++;
  done_++;
  alpha_[e] = 1.0f;
  // Patched without a test when dead: its output changes but reaches nothing, since every edge
  // out of it is patched and a patched edge reads the corruption, not the output.
  if (receiver_dead_) return false;
  const CircuitNode& node = graph.receivers()[receiver_];
  const int start = node.kind == CircuitNode::Kind::logits ? graph.layers() : node.layer;
  const Prepared& p = *prepared_;
  // The prompts' trials are independent: threaded over prompts (a run's own ops are small and
  // then stay on their thread), each with its own scratch run; the metric is summed in prompt
  // order, so the result does not depend on the threads.
  const std::size_t n = p.prompts.size();
  scratch_.resize(n);
  trial_metric_.assign(n, 0.0);
  std::vector<Status> status(n);
  parallel_for(n, 1, [&](std::size_t b, std::size_t end) {
    for (std::size_t i = b; i < end; i++) {
      status[i] = graph.run(p.prompts[i].ids, alpha_, scratch_[i], &current_[i], start,
                            p.corrupted[i], receiver_);
      if (!status[i].ok()) continue;
      trial_metric_[i] =
          CircuitGraph::metric(options_.metric, scratch_[i], p.prompts[i], p.clean_logits[i]);
      trial_out_[i].swap(scratch_[i].out);
    }
  });
  double m = 0;
  for (std::size_t i = 0; i < n; i++) {
    ATTNSCOPE_TRY(status[i]);
    m += trial_metric_[i];
  }
  m /= double(n);
  run_.edge_tests++;
  // KL: how much further from the clean model; logit difference: how far it dropped (the
  // authors' signed test: a removal that raises it always goes), or |change| when absolute.
  const double change = options_.metric == GraphMetric::kl ? m - cur_
                        : options_.absolute                ? std::abs(m - cur_) / p.scale
                                                           : (cur_ - m) / p.scale;
  if (change < sweep_.thresholds[t_]) {  // the edge does not matter: it stays patched
    cur_ = m;
    // Only the outputs carry on: later trials start from them; metrics compare with clean.
    for (std::size_t i = 0; i < p.prompts.size(); i++) current_[i].out.swap(trial_out_[i]);
  } else {
    alpha_[e] = 0.0f;
  }
  return false;
}

Result<AcdcSweep> acdc_sweep(const CircuitGraph& graph, std::span<const Prompt> prompts,
                             std::vector<double> thresholds, AcdcOptions options) {
  const auto progress = options.progress;
  ATTNSCOPE_ASSIGN(AcdcSearch search,
                   AcdcSearch::start(graph, prompts, std::move(thresholds), std::move(options)));
  for (;;) {
    ATTNSCOPE_ASSIGN(const bool complete, search.step());
    if (complete) break;
    if (progress && !progress(search.done(), search.total())) return make_error("cancelled");
  }
  return search.sweep();
}

Result<AcdcResult> acdc(const CircuitGraph& graph, std::span<const Prompt> prompts,
                        const AcdcOptions& options) {
  ATTNSCOPE_ASSIGN(AcdcSweep sweep, acdc_sweep(graph, prompts, {options.threshold}, options));
  return std::move(sweep.runs.front());
}

Result<RocCurve> acdc_threshold_roc(const AcdcSweep& sweep, const std::vector<bool>& labels) {
  int P = 0, N = 0;
  for (bool b : labels) (b ? P : N)++;
  if (P == 0 || N == 0) return make_error("the ROC needs heads in and out of the circuit");
  std::vector<RocPoint> points;
  for (std::size_t t = 0; t < sweep.runs.size(); t++) {
    const Tensor& heads = sweep.runs[t].heads;
    if (heads.size() != labels.size()) return make_error("the labels are for another model");
    int tp = 0, fp = 0;
    for (std::size_t i = 0; i < labels.size(); i++)
      if (heads.data()[i] > 0) (labels[i] ? tp : fp)++;
    points.push_back({sweep.thresholds[t], double(fp) / N, double(tp) / P});
  }
  // Pareto front: drop every point another beats (fpr no higher, tpr no lower, one strictly);
  // then the ends, which every curve has.
  std::vector<RocPoint> front = {{std::numeric_limits<double>::infinity(), 0.0, 0.0},
                                 {0.0, 1.0, 1.0}};
  for (const RocPoint& a : points) {
    bool dominated = false;
    for (const RocPoint& b : points)
      dominated |= b.fpr <= a.fpr && b.tpr >= a.tpr && (b.fpr < a.fpr || b.tpr > a.tpr);
    if (!dominated) front.push_back(a);
  }
  std::sort(front.begin(), front.end(), [](const RocPoint& a, const RocPoint& b) {
    return a.fpr != b.fpr ? a.fpr < b.fpr : a.tpr < b.tpr;
  });
  front.erase(std::unique(front.begin(), front.end(),
                          [](const RocPoint& a, const RocPoint& b) {
                            return a.fpr == b.fpr && a.tpr == b.tpr;
                          }),
              front.end());
  RocCurve roc;
  roc.n_positive = P;
  roc.n_negative = N;
  // Pessimistic: each point's tpr holds until the next point's fpr (a step, not a line).
  for (std::size_t i = 0; i + 1 < front.size(); i++)
    roc.auc += (front[i + 1].fpr - front[i].fpr) * front[i].tpr;
  roc.points = std::move(front);
  return roc;
}

}  // namespace attnscope
