// massive_activations.h — massive activations (Sun et al. 2024, "Massive Activations in Large
// Language Models"): a few residual-stream values, in a few fixed channels and usually at the
// first token or a delimiter, orders of magnitude larger than the rest. They act as biases the
// attention sinks (sinks.h) are built on, so a sink token usually carries one.
//
// Per layer (residual_stream.h's rows: each block's hook_resid_pre, then the final stream): the
// top-k |values| over the whole [pos, d_model] stream with their position and channel, the median
// |value| over all of it, and the ratio of the largest |value| to that median. The paper calls an
// activation massive when its magnitude is larger than 100 and about 1,000 times the median
// magnitude of its hidden state; attnscope's rule, exactly: `massive` when max |a| > 100 and
// max |a| > 1000 × median |a|. The ratio flags (> 100×, > 1000×) say how far a layer is from it
// whatever the model's scale.
#pragma once

#include <span>
#include <vector>

#include "core/model/model.h"

namespace attnscope {

struct MassiveValue {
  int position = 0, channel = 0;
  float value = 0;  // signed, as in the stream
};

struct MassiveLayer {
  std::vector<MassiveValue> top;  // largest |value| first (ties: lower position, then channel)
  double median_abs = 0;          // median |value| over [pos, d_model] (mean of the middle two)
  double ratio = 0;               // max |value| / median_abs (+inf for a zero median, 0 if all 0)
  bool over_100 = false, over_1000 = false;  // ratio > 100, ratio > 1000
  bool massive = false;                      // max |value| > 100 and ratio > 1000
};

// The statistics of one residual stream [pos, d_model]; top_k ≥ 1, clamped to its size.
Result<MassiveLayer> massive_activations(const Tensor& resid, int top_k = 5);

// Every layer of a prompt: n_layers + 1 rows.
Result<std::vector<MassiveLayer>> massive_activations(const Model& model, std::span<const int> ids,
                                                      int top_k = 5);

}  // namespace attnscope
