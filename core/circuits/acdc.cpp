#include "core/circuits/acdc.h"

#include <algorithm>
#include <cmath>

namespace attnscope {

Result<AcdcResult> acdc(const CircuitGraph& graph, std::span<const Prompt> prompts,
                        const AcdcOptions& options) {
  if (prompts.empty()) return make_error("ACDC needs at least one prompt");
  if (!(options.threshold >= 0) || !std::isfinite(options.threshold))
    return make_error("the ACDC threshold must be a finite number ≥ 0");
  const std::vector<CircuitEdge>& edges = graph.edges();
  const int L = graph.layers(), H = graph.heads();
  for (const Prompt& p : prompts) {
    ATTNSCOPE_TRY(graph.corruption_covers(int(p.ids.size())));
    if (options.metric == GraphMetric::logit_diff && p.answers.empty())
      return make_error("the logit difference needs answer tokens on every prompt");
  }
  // The current graph's runs (every sender's output), and the clean logits KL compares with.
  std::vector<CircuitGraph::Run> current(prompts.size());
  std::vector<std::vector<float>> clean(prompts.size());
  double clean_metric = 0;
  for (std::size_t p = 0; p < prompts.size(); p++) {
    ATTNSCOPE_TRY(graph.run(prompts[p].ids, {}, current[p]));
    clean[p] = current[p].logits;
    clean_metric += CircuitGraph::metric(options.metric, current[p], prompts[p], clean[p]);
  }
  clean_metric /= double(prompts.size());
  const double scale =
      options.metric == GraphMetric::logit_diff ? std::max(std::abs(clean_metric), 1e-12) : 1.0;

  std::vector<float> alpha(edges.size(), 0.0f);
  double cur = clean_metric;
  AcdcResult out;
  CircuitGraph::Run scratch;
  std::vector<std::vector<float>> trial_out(prompts.size());
  const int total = int(edges.size());
  for (int r = int(graph.receivers().size()) - 1; r >= 0; r--) {
    const CircuitNode& node = graph.receivers()[r];
    const int start = node.kind == CircuitNode::Kind::logits ? L : node.layer;
    const std::span<const int> into = graph.edges_into(r);
    for (auto it = into.rbegin(); it != into.rend(); ++it) {
      const int e = *it;
      if (options.progress && !options.progress(out.edge_tests, total))
        return make_error("cancelled");
      alpha[e] = 1.0f;
      double m = 0;
      for (std::size_t p = 0; p < prompts.size(); p++) {
        ATTNSCOPE_TRY(graph.run(prompts[p].ids, alpha, scratch, &current[p], start));
        m += CircuitGraph::metric(options.metric, scratch, prompts[p], clean[p]);
        trial_out[p].swap(scratch.out);
      }
      m /= double(prompts.size());
      out.edge_tests++;
      const double change = options.metric == GraphMetric::kl ? m - cur : std::abs(m - cur) / scale;
      if (change < options.threshold) {  // the edge does not matter: it stays patched
        cur = m;
        // Only the outputs carry on: later trials start from them; metrics compare with clean.
        for (std::size_t p = 0; p < prompts.size(); p++) current[p].out.swap(trial_out[p]);
      } else {
        alpha[e] = 0.0f;
      }
    }
  }
  out.metric = cur;
  out.kept.resize(edges.size());
  out.heads = zeros({std::size_t(L), std::size_t(H)});
  for (std::size_t e = 0; e < edges.size(); e++) {
    out.kept[e] = alpha[e] == 0.0f;
    out.kept_edges += out.kept[e];
    const CircuitNode& s = graph.senders()[edges[e].sender];
    if (out.kept[e] && s.kind == CircuitNode::Kind::head) out.heads(s.layer, s.head) = 1.0f;
  }
  return out;
}

Result<AcdcSweep> acdc_sweep(const CircuitGraph& graph, std::span<const Prompt> prompts,
                             std::vector<double> thresholds, AcdcOptions options) {
  if (thresholds.empty()) return make_error("the ACDC sweep needs at least one threshold");
  std::sort(thresholds.begin(), thresholds.end());
  AcdcSweep sweep;
  sweep.head_scores = zeros({std::size_t(graph.layers()), std::size_t(graph.heads())});
  const auto progress = options.progress;
  for (std::size_t i = 0; i < thresholds.size(); i++) {
    options.threshold = thresholds[i];
    if (progress)
      options.progress = [&, i](int done, int total) {
        return progress(int(i) * total + done, int(thresholds.size()) * total);
      };
    ATTNSCOPE_ASSIGN(AcdcResult run, acdc(graph, prompts, options));
    for (int l = 0; l < graph.layers(); l++)
      for (int h = 0; h < graph.heads(); h++)
        if (run.heads(l, h) > 0) sweep.head_scores(l, h) = float(thresholds[i]);
    sweep.runs.push_back(std::move(run));
  }
  sweep.thresholds = std::move(thresholds);
  return sweep;
}

}  // namespace attnscope
