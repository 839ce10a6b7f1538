#include "core/circuits/edge_attribution.h"

#include <algorithm>

namespace attnscope {

Result<EdgeAttributionRun> EdgeAttributionRun::start(const CircuitGraph& graph,
                                                     std::span<const Prompt> prompts) {
  if (prompts.empty()) return make_error("edge attribution needs at least one prompt");
  if (graph.corruption().empty() && graph.corruption_mode() != CorruptionMode::paired)
    return make_error("edge attribution needs the corrupted outputs (the reference prompts)");
  for (std::size_t p = 0; p < prompts.size(); p++)
    if (prompts[p].answers.empty())
      return make_error("edge attribution scores the logit difference: prompt " +
                        std::to_string(p) + " has no answer tokens");
  EdgeAttributionRun r;
  r.graph_ = &graph;
  r.prompts_.assign(prompts.begin(), prompts.end());
  r.edges_.assign(graph.edges().size(), 0.0);
  return r;
}

Result<bool> EdgeAttributionRun::step() {
  if (done_ >= total()) return true;
  const CircuitGraph& graph = *graph_;
  const Prompt& prompt = prompts_[std::size_t(done_)];
  const std::vector<CircuitEdge>& edges = graph.edges();
  ATTNSCOPE_TRY(graph.corrupted_outputs(done_, int(prompt.ids.size()), corrupted_));
  ATTNSCOPE_TRY(graph.run(prompt.ids, {}, run_));
  clean_ += CircuitGraph::metric(GraphMetric::logit_diff, run_, prompt, {});
  ATTNSCOPE_ASSIGN(const std::vector<float> g, graph.input_gradients(run_, prompt));
  const int T = run_.T;
  const std::size_t D = graph.d_model();
  for (std::size_t e = 0; e < edges.size(); e++) {
    const float* o = run_.out.data() + std::size_t(edges[e].sender) * T * D;
    const float* c = corrupted_.data() + std::size_t(edges[e].sender) * T * D;
    const float* gr = g.data() + std::size_t(edges[e].receiver) * T * D;
    double s = 0;
    for (std::size_t i = 0; i < std::size_t(T) * D; i++) s += (double(c[i]) - o[i]) * gr[i];
    edges_[e] += s;
  }
  done_++;
  return done_ == total();
}

EdgeAttribution EdgeAttributionRun::result() const {
  const CircuitGraph& graph = *graph_;
  const std::vector<CircuitEdge>& edges = graph.edges();
  const double n = std::max(1, done_);
  EdgeAttribution out;
  out.clean = clean_ / n;
  out.edges.resize(edges.size());
  out.senders.assign(graph.senders().size(), 0.0);
  for (std::size_t e = 0; e < edges.size(); e++) {
    out.edges[e] = edges_[e] / n;
    out.senders[edges[e].sender] += out.edges[e];
  }
  out.heads = zeros({std::size_t(graph.layers()), std::size_t(graph.heads())});
  for (int l = 0; l < graph.layers(); l++)
    for (int h = 0; h < graph.heads(); h++)
      out.heads(l, h) = static_cast<float>(-out.senders[graph.head_sender(l, h)]);
  out.heads_abs = xt::abs(out.heads);
  return out;
}

Result<EdgeAttribution> edge_attribution(const CircuitGraph& graph, std::span<const Prompt> prompts,
                                         const std::function<bool(int, int)>& progress) {
  ATTNSCOPE_ASSIGN(EdgeAttributionRun run, EdgeAttributionRun::start(graph, prompts));
  for (;;) {
    if (progress && !progress(run.done(), run.total())) return make_error("cancelled");
    ATTNSCOPE_ASSIGN(const bool complete, run.step());
    if (complete) break;
  }
  return run.result();
}

}  // namespace attnscope
