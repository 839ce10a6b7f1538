#include "core/circuits/edge_attribution.h"

namespace attnscope {

Result<EdgeAttribution> edge_attribution(const CircuitGraph& graph, std::span<const Prompt> prompts,
                                         const std::function<bool(int, int)>& progress) {
  if (prompts.empty()) return make_error("edge attribution needs at least one prompt");
  if (graph.corruption().empty())
    return make_error("edge attribution needs the corrupted outputs (the reference prompts)");
  const std::vector<CircuitEdge>& edges = graph.edges();
  EdgeAttribution out;
  out.edges.assign(edges.size(), 0.0);
  CircuitGraph::Run run;
  for (std::size_t p = 0; p < prompts.size(); p++) {
    if (progress && !progress(int(p), int(prompts.size()))) return make_error("cancelled");
    if (prompts[p].answers.empty())
      return make_error("edge attribution scores the logit difference: prompt " +
                        std::to_string(p) + " has no answer tokens");
    ATTNSCOPE_TRY(graph.corruption_covers(int(prompts[p].ids.size())));
    ATTNSCOPE_TRY(graph.run(prompts[p].ids, {}, run));
    out.clean += CircuitGraph::metric(GraphMetric::logit_diff, run, prompts[p], {});
    ATTNSCOPE_ASSIGN(const std::vector<float> g, graph.input_gradients(run, prompts[p]));
    const int T = run.T;
    const std::size_t D = graph.d_model();
    for (std::size_t e = 0; e < edges.size(); e++) {
      const float* o = run.out.data() + std::size_t(edges[e].sender) * T * D;
      const float* gr = g.data() + std::size_t(edges[e].receiver) * T * D;
      double s = 0;
      for (int t = 0; t < T; t++) {
        const float* cr = graph.corrupt_row(edges[e].sender, t);
        for (std::size_t i = 0; i < D; i++) s += (double(cr[i]) - o[t * D + i]) * gr[t * D + i];
      }
      out.edges[e] += s;
    }
  }
  const double n = double(prompts.size());
  out.clean /= n;
  out.senders.assign(graph.senders().size(), 0.0);
  for (std::size_t e = 0; e < edges.size(); e++) {
    out.edges[e] /= n;
    out.senders[edges[e].sender] += out.edges[e];
  }
  out.heads = zeros({std::size_t(graph.layers()), std::size_t(graph.heads())});
  for (int l = 0; l < graph.layers(); l++)
    for (int h = 0; h < graph.heads(); h++)
      out.heads(l, h) = static_cast<float>(-out.senders[graph.head_sender(l, h)]);
  return out;
}

}  // namespace attnscope
