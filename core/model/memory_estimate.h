// memory_estimate.h — what a model's weights and one forward pass will allocate, checked against
// memory_budget() before the allocation: a config with huge sizes, or a 30,000-token prompt for a
// model with a long context (attention grows as layers × heads × T²), is refused with a message
// that says what would fit, instead of aborting with std::bad_alloc.
#pragma once

#include <cstdint>

#include "core/error.h"
#include "core/model/config.h"

namespace attnscope {

// Bytes of the float32 weights as the loaders keep them (per-head copies included), plus the
// largest tensor once more for the conversion in flight, plus the AMX split of the linear
// weights where matmul precision "high" makes one.
std::uint64_t estimate_weight_bytes(const ModelConfig& config);

// Bytes of one forward pass of n_tokens tokens: one block's activations and attention scores,
// every layer's attention pattern kept in a cache (what the explorer and the CLI do), the logits.
std::uint64_t estimate_forward_bytes(const ModelConfig& config, std::uint64_t n_tokens);

// An error naming the need, the budget and what fits; success when within memory_budget().
Status check_weight_memory(const ModelConfig& config);
Status check_forward_memory(const ModelConfig& config, std::uint64_t n_tokens);

}  // namespace attnscope
