#include "core/analysis/sampling.h"

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "core/analysis/next_token.h"
#include "core/seeded_draw.h"

namespace attnscope {

Status check_sampling(const SamplingOptions& o) {
  if (!std::isfinite(o.temperature) || o.temperature < 0.0f)
    return make_error("temperature " + std::to_string(o.temperature) + " is not allowed",
                      "give 0 for greedy decoding or a positive temperature");
  if (o.top_k < 0)
    return make_error("top-k " + std::to_string(o.top_k) + " is negative",
                      "give 0 to keep every token, or a positive count");
  if (!(o.top_p > 0.0f && o.top_p <= 1.0f))
    return make_error("top-p " + std::to_string(o.top_p) + " is outside (0, 1]",
                      "give a probability mass such as 0.9, or 1 to keep every token");
  return {};
}

int sample_token(std::span<const float> logits, const SamplingOptions& o, std::mt19937_64& rng) {
  const std::size_t V = logits.size();
  if (o.greedy()) {
    std::size_t best = 0;
    for (std::size_t v = 1; v < V; v++)
      if (logits[v] > logits[best]) best = v;
    return int(best);
  }
  // Scaled logits in double; the candidates most likely first when top-k or top-p cut them
  // (top_k_indices: ties by lower id), in id order when every token stays.
  std::vector<double> scaled(V);
  for (std::size_t v = 0; v < V; v++) scaled[v] = double(logits[v]) / double(o.temperature);
  const bool cut = o.top_k > 0 || o.top_p < 1.0f;
  std::vector<int> candidates;
  if (cut) {
    candidates = top_k_indices(scaled, o.top_k > 0 ? std::size_t(o.top_k) : V);
  } else {
    candidates.resize(V);
    std::iota(candidates.begin(), candidates.end(), 0);
  }
  double max = -INFINITY;
  for (int c : candidates) max = std::max(max, scaled[std::size_t(c)]);
  std::vector<double> weight(candidates.size());
  double total = 0.0;
  for (std::size_t i = 0; i < candidates.size(); i++)
    total += weight[i] = std::exp(scaled[std::size_t(candidates[i])] - max);
  if (o.top_p < 1.0f) {
    // The nucleus: the shortest prefix (most likely first) holding top_p of the mass; at least one.
    std::size_t keep = 0;
    double mass = 0.0;
    while (keep < weight.size() && (keep == 0 || mass < double(o.top_p) * total))
      mass += weight[keep++];
    weight.resize(keep);
    total = mass;
  }
  const double u = seeded_uniform(rng) * total;
  double cumulative = 0.0;
  for (std::size_t i = 0; i < weight.size(); i++) {
    cumulative += weight[i];
    if (u < cumulative) return candidates[i];
  }
  return candidates[weight.size() - 1];  // u within rounding of the total
}

}  // namespace attnscope
