// attribution.h — direct logit attribution: how much each head writes, straight through the
// final norm and the unembedding, to a chosen logit or logit difference at one position (the last
// unless told).
//
// The final norm is frozen at its value on the clean run at that position (TransformerLens's
// apply_ln_to_stack with the scale of ln_final on the final residual stream): for
// LayerNorm a component c contributes ((c − mean(c)) / σ) ⊙ w · u, for RMSNorm (c / rms) ⊙ w · u,
// where σ / rms are the full residual stream's, and u is the unembedding direction (W_U[a] or
// W_U[a] − W_U[b]). Summed over every component of the residual stream (embeddings, each head,
// attention biases, MLPs) plus the norm's bias term, this gives the logit difference exactly.
#pragma once

#include <span>

#include "core/analysis/pattern.h"
#include "core/model/model.h"

namespace attnscope {

struct LogitAttribution {
  Tensor heads;           // [layer, head]: each head's direct contribution
  Tensor mlps;            // [layer]
  Tensor attn_biases;     // [layer]: the output bias of each attention layer (not a head's)
  double embeddings = 0;  // token (+ position) embeddings
  double norm_bias = 0;   // the final norm's bias · u (LayerNorm only)
  double total = 0;       // the logit (difference) itself, from the clean logits
};

// Contributions to logit[answer] − logit[distractor] at `position` (distractor −1: the answer's
// logit alone; position −1: the last).
Result<LogitAttribution> direct_logit_attribution(const Model& model, std::span<const int> ids,
                                                  int answer, int distractor = -1,
                                                  int position = -1);

}  // namespace attnscope
