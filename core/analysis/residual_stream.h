// residual_stream.h — a prompt's residual stream at every layer, the input of the analyses that
// read the stream itself (logit lens, massive activations).
//
// Row l < n_layers is blocks.{l}.hook_resid_pre, what block l reads; row n_layers is the last
// block's hook_resid_post, what the final norm reads. So n_layers + 1 rows, each [pos, d_model].
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/model/model.h"

namespace attnscope {

// The hook of each row: blocks.{l}.hook_resid_pre for l < n_layers, then
// blocks.{n_layers − 1}.hook_resid_post.
std::vector<HookId> residual_stream_hooks(int n_layers);

struct ResidualStreams {
  std::vector<Tensor> rows;  // n_layers + 1 tensors [pos, d_model]
  Tensor logits;             // [pos, vocab]: the model's own output of the same pass
};

// One forward pass capturing every row (the ids are checked by the pass).
Result<ResidualStreams> residual_streams(const Model& model, std::span<const int> ids);

}  // namespace attnscope
