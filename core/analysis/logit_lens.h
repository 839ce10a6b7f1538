// logit_lens.h — the logit lens (nostalgebraist, 2020): every layer's residual stream read as if
// it were the last one, through the model's final norm and its unembedding, to see at which layer
// the prediction forms.
//
// Rows are residual_stream.h's: blocks.{l}.hook_resid_pre for each block, then the final residual
// stream (n_layers + 1 rows); the last row's logits are the model's own. Each row goes through the
// model's final norm (LayerNorm or RMSNorm with its weights) and the unembedding (with its bias)
// on the model's backend — the same ops as the forward pass (Model::forward_from at n_layers),
// not a copy of them. For a target token, its probability and rank per row × position, and each
// head's direct logit attribution to it at one position (attribution.h: the final norm's scale
// frozen at the final residual stream, TransformerLens's convention).
#pragma once

#include <span>
#include <vector>

#include "core/model/model.h"

namespace attnscope {

struct LensToken {
  int id = 0;
  float prob = 0;  // softmax of the row's logits, computed in double
};

struct LogitLensOptions {
  int top_k = 5;      // tokens kept per row × position (clamped to the vocabulary)
  int target = -1;    // the token followed; -1: none (no rank, probability or attribution)
  int position = -1;  // where heads are attributed; -1: the last position
};

struct LogitLens {
  int rows = 0, positions = 0, top_k = 0;
  std::vector<LensToken> top;  // [row, pos, k] flattened, most likely first (ties: lower id)
  int target = -1, position = 0;
  // Without a target these stay [0, 0] (a default xarray is a 0-d scalar of size 1, not empty).
  Tensor target_prob = zeros({0, 0});  // [row, pos]
  Tensor target_rank = zeros({0, 0});  // [row, pos]: 1 = the most likely (ties: lower id first)
  Tensor head_dla = zeros({0, 0});     // [layer, head] at `position`

  const LensToken& top_at(int row, int pos, int i) const {
    return top[(std::size_t(row) * std::size_t(positions) + std::size_t(pos)) * std::size_t(top_k) +
               std::size_t(i)];
  }
};

Result<LogitLens> logit_lens(const Model& model, std::span<const int> ids,
                             const LogitLensOptions& options = {});

}  // namespace attnscope
