// sampling.h — choosing the next token from one row of logits: greedy, or a seeded draw from the
// softmax at a temperature, cut to the top-k tokens and then to the top-p nucleus (the order
// Hugging Face's generate() applies its temperature, top-k and top-p warpers in).
#pragma once

#include <cstdint>
#include <random>
#include <span>

#include "core/error.h"

namespace attnscope {

struct SamplingOptions {
  // 0: greedy, the most likely token (lowest id on ties). > 0: a draw from softmax(logits / t).
  float temperature = 0.0f;
  // Draws only among the k most likely tokens (0: all of them).
  int top_k = 0;
  // Then only among the fewest most likely tokens whose probabilities (after top-k, renormalized)
  // add up to at least top_p; in (0, 1], 1 keeps all.
  float top_p = 1.0f;
  // The seed of the draws (a generation starts its std::mt19937_64 from it).
  std::uint64_t seed = 0;

  bool greedy() const { return temperature == 0.0f; }
};

// One clear error for a temperature below 0 (or not finite), a negative top-k, a top-p outside
// (0, 1].
Status check_sampling(const SamplingOptions& options);

// The next token from logits [vocab]. A draw uses one value of `rng` (seeded_uniform: the same
// draw on every platform); greedy uses none. The options must pass check_sampling.
int sample_token(std::span<const float> logits, const SamplingOptions& options,
                 std::mt19937_64& rng);

}  // namespace attnscope
