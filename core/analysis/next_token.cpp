#include "core/analysis/next_token.h"

#include "core/analysis/prompt.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace attnscope {
namespace {

// log-softmax of the last row, in double.
std::vector<double> last_log_probs(const Tensor& logits) {
  const std::size_t V = logits.shape()[1];
  return log_softmax(logits.data() + (logits.shape()[0] - 1) * V, V);
}

Status check_logits(const Tensor& logits, const char* which) {
  if (logits.dimension() != 2 || logits.shape()[0] == 0 || logits.shape()[1] == 0)
    return make_error(std::string(which) + " logits must be [pos, vocab] and non-empty, got " +
                      shape_string(shape_of(logits)));
  return {};
}

std::vector<TokenChange> top_tokens(const std::vector<double>& by, const std::vector<double>& p,
                                    const std::vector<double>& q, std::size_t k) {
  const std::vector<int> order = top_k_indices(by, k);
  std::vector<TokenChange> out(k);
  for (std::size_t i = 0; i < k; i++)
    out[i] = {order[i], static_cast<float>(p[order[i]]), static_cast<float>(q[order[i]])};
  return out;
}

}  // namespace

std::vector<int> top_k_indices(std::span<const double> values, std::size_t k) {
  k = std::min(k, values.size());
  std::vector<int> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(
      order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
      [&](int a, int b) { return values[a] > values[b] || (values[a] == values[b] && a < b); });
  order.resize(k);
  return order;
}

Result<std::vector<double>> next_token_probs(const Tensor& logits) {
  ATTNSCOPE_TRY(check_logits(logits, "the"));
  std::vector<double> p = last_log_probs(logits);
  for (double& x : p) x = std::exp(x);
  return p;
}

Result<NextTokenEffect> next_token_effect(const Tensor& logits_before, const Tensor& logits_after,
                                          int top_k) {
  ATTNSCOPE_TRY(check_logits(logits_before, "the clean"));
  ATTNSCOPE_TRY(check_logits(logits_after, "the intervened"));
  if (logits_before.shape()[1] != logits_after.shape()[1])
    return make_error(
        "the two logits have different vocabularies: " + shape_string(shape_of(logits_before)) +
        " and " + shape_string(shape_of(logits_after)));
  const std::vector<double> log_p = last_log_probs(logits_before);
  const std::vector<double> log_q = last_log_probs(logits_after);
  const std::size_t V = log_p.size();
  std::vector<double> p(V), q(V);
  NextTokenEffect effect;
  for (std::size_t v = 0; v < V; v++) {
    p[v] = std::exp(log_p[v]);
    q[v] = std::exp(log_q[v]);
    effect.kl += p[v] * (log_p[v] - log_q[v]);
    effect.max_abs_change = std::max(effect.max_abs_change, std::fabs(q[v] - p[v]));
  }
  effect.kl = std::max(effect.kl, 0.0);  // rounding can leave a tiny negative for equal inputs
  const std::size_t k = static_cast<std::size_t>(std::clamp(top_k, 0, static_cast<int>(V)));
  effect.top_before = top_tokens(p, p, q, k);
  effect.top_after = top_tokens(q, p, q, k);
  return effect;
}

}  // namespace attnscope
