// logit_lens.cpp — see logit_lens.h.
#include "core/analysis/logit_lens.h"

#include <cmath>
#include <string>

#include "core/analysis/attribution.h"
#include "core/analysis/next_token.h"
#include "core/analysis/prompt.h"
#include "core/analysis/residual_stream.h"

namespace attnscope {

Result<LogitLens> logit_lens(const Model& model, std::span<const int> ids,
                             const LogitLensOptions& options) {
  const ModelConfig& c = model.config();
  ATTNSCOPE_TRY(model.check_ids(ids));
  const int T = int(ids.size()), V = c.vocab_size;
  if (options.top_k < 1)
    return make_error("top " + std::to_string(options.top_k) + ": keep at least 1 token");
  if (options.target < -1 || options.target >= V)
    return make_error("target token id " + std::to_string(options.target) +
                      " is outside the vocabulary (" + std::to_string(V) + " tokens)");
  if (options.position < -1 || options.position >= T)
    return make_error("position " + std::to_string(options.position) +
                          " is outside the prompt (0.." + std::to_string(T - 1) + ")",
                      "the prompt has " + std::to_string(T) + " tokens");

  ATTNSCOPE_ASSIGN(const ResidualStreams streams, residual_streams(model, ids));
  LogitLens lens;
  lens.rows = int(streams.rows.size());
  lens.positions = T;
  lens.top_k = std::min(options.top_k, V);
  lens.target = options.target;
  lens.position = options.position < 0 ? T - 1 : options.position;
  lens.top.reserve(std::size_t(lens.rows) * T * lens.top_k);
  const bool tracked = options.target >= 0;
  if (tracked) {
    lens.target_prob = zeros({std::size_t(lens.rows), std::size_t(T)});
    lens.target_rank = zeros({std::size_t(lens.rows), std::size_t(T)});
  }
  for (int r = 0; r < lens.rows; r++) {
    // The final norm and the unembedding alone: forward_from past the last block.
    ATTNSCOPE_ASSIGN(const Tensor logits, model.forward_from(c.n_layers, streams.rows[r]));
    for (int t = 0; t < T; t++) {
      const float* row = logits.data() + std::size_t(t) * V;
      const std::vector<double> log_p = log_softmax(row, std::size_t(V));
      for (int id : top_k_indices(log_p, std::size_t(lens.top_k)))
        lens.top.push_back({id, static_cast<float>(std::exp(log_p[id]))});
      if (!tracked) continue;
      const int target = options.target;
      int above = 0;  // tokens ordered before the target: a higher logit, or equal and a lower id
      for (int v = 0; v < V; v++)
        above += row[v] > row[target] || (row[v] == row[target] && v < target);
      lens.target_rank(r, t) = static_cast<float>(above + 1);
      lens.target_prob(r, t) = static_cast<float>(std::exp(log_p[target]));
    }
  }
  if (tracked) {
    ATTNSCOPE_ASSIGN(const LogitAttribution dla,
                     direct_logit_attribution(model, ids, options.target, -1, lens.position));
    lens.head_dla = dla.heads;
  }
  return lens;
}

}  // namespace attnscope
