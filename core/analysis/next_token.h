// next_token.h — how an intervention changes the next-token distribution at the last position.
//
// Compares two logits tensors [pos, vocab] of the same prompt, a clean run ("before") and an
// intervened one ("after"): the top-k tokens of each with both probabilities, and the KL
// divergence KL(before || after) = Σ_v p_before(v) · log(p_before(v) / p_after(v)) in nats — the
// information lost when the intervened distribution stands in for the clean one (the direction
// ACDC and activation-patching work use). Softmax and KL are computed in double.
#pragma once

#include <span>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"

namespace attnscope {

struct TokenChange {
  int id = 0;
  float before = 0;  // probability in the clean run
  float after = 0;   // probability in the intervened run
};

struct NextTokenEffect {
  std::vector<TokenChange> top_before;  // the k most likely tokens before, most likely first
  std::vector<TokenChange> top_after;   // the k most likely tokens after, most likely first
  double kl = 0;                        // KL(before || after), nats, >= 0
  double max_abs_change = 0;            // max_v |p_after(v) − p_before(v)|
};

// The indices of the k largest values (k clamped to their number), largest first; ties: lower
// index first. The order of every top-k token list (next token, logit lens).
std::vector<int> top_k_indices(std::span<const double> values, std::size_t k);

// The next-token distribution (softmax of the last row of logits [pos, vocab]), in double.
Result<std::vector<double>> next_token_probs(const Tensor& logits);

// Both logits must be [pos, vocab] with the same vocab; k is clamped to the vocabulary (ties in
// probability: lower id first).
Result<NextTokenEffect> next_token_effect(const Tensor& logits_before, const Tensor& logits_after,
                                          int top_k = 10);

}  // namespace attnscope
