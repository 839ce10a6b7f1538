// activations.h — what the SAE of O'Neill & Bui 2024 reads: each head's output written into the
// residual stream (blocks.{l}.attn.hook_result, [pos, head, d_model]), per prompt.
//
// Shape legend: R rows, L layers, H heads per layer, C d_model. A row is one prompt (the head
// outputs averaged over its token positions, the paper's choice) or, with per_position, one
// (prompt, position) pair. Heads are flattened layer-major: index l·H + h.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "core/model/model.h"
#include "core/tensor.h"

namespace attnscope {

struct ActivationOptions {
  bool per_position = false;  // one row per token instead of the mean over the prompt
  std::function<bool(int done, int total)> progress;  // per prompt; return false to cancel
};

struct HeadActivations {
  Tensor values;              // [R, L·H, C]
  std::vector<int> prompt;    // row → index of its prompt
  std::vector<int> position;  // row → token position; -1 for a mean over positions
  int n_layers = 0, n_heads = 0;
  int n_prompts = 0;
};

// Runs every prompt and collects hook_result of every layer. Errors on an empty prompt set or a
// prompt the model refuses.
Result<HeadActivations> head_activations(const Model& model,
                                         std::span<const std::vector<int>> prompts,
                                         const ActivationOptions& options = {});

}  // namespace attnscope
