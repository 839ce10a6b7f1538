// pattern.h — the attention pattern every analysis reads, and how analyses name heads.
//
// A layer's pattern is blocks.{l}.attn.hook_pattern, [head, query, key] (TransformerLens's
// layout): row (h, q) is head h's softmax over the keys 0..q that query q can see; entries above
// the diagonal (k > q) are 0 under the causal mask. A head is named by (layer, head).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/model/hooks.h"
#include "core/tensor.h"

namespace attnscope {

struct HeadRef {
  int layer = 0;
  int head = 0;
  bool operator==(const HeadRef&) const = default;
};

// "L2H5", the short name tables and logs use.
std::string head_label(const HeadRef& head);
// "head L9H1 is outside the model (3 layers × 4 heads)" unless the head is one of the model's;
// `as_typed` names the head as the user wrote it ("9.1"), when given.
Status check_head(const HeadRef& head, int n_layers, int n_heads, std::string_view as_typed = {});

// A pattern must be [head, query, key] with query == key >= 1 (a square causal pattern).
Status check_pattern(const Tensor& pattern);

// Every head of an n_layers × n_heads model, layer-major.
std::vector<HeadRef> all_heads(int n_layers, int n_heads);

// The captured blocks.{l}.attn.hook_pattern of every layer, ordered by layer. Errors if the cache
// holds none, if a layer between 0 and the last captured one is missing, or if the layers'
// shapes differ (they come from one forward pass).
Result<std::vector<const Tensor*>> layer_patterns(const Cache& cache);

// Raw row access into a checked pattern [H, T, T]: the T keys of query q of head h.
inline const float* pattern_row(const Tensor& pattern, std::size_t h, std::size_t q) {
  const std::size_t T = pattern.shape()[1];
  return pattern.data() + (h * T + q) * T;
}
inline float* pattern_row(Tensor& pattern, std::size_t h, std::size_t q) {
  const std::size_t T = pattern.shape()[1];
  return pattern.data() + (h * T + q) * T;
}

}  // namespace attnscope
