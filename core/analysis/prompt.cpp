#include "core/analysis/prompt.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope {
namespace {

// The last row of logits [pos, vocab], or null for a tensor that is not 2-D and non-empty.
const float* last_row(const Tensor& logits, std::size_t& vocab) {
  if (logits.dimension() != 2 || logits.shape()[0] == 0 || logits.shape()[1] == 0) return nullptr;
  vocab = logits.shape()[1];
  return logits.data() + (logits.shape()[0] - 1) * vocab;
}

}  // namespace

double log_sum_exp(const float* row, std::size_t n) {
  double max = row[0];
  for (std::size_t v = 1; v < n; v++) max = std::max(max, static_cast<double>(row[v]));
  double sum = 0;
  for (std::size_t v = 0; v < n; v++) sum += std::exp(static_cast<double>(row[v]) - max);
  return max + std::log(sum);
}

std::vector<double> log_softmax(const float* row, std::size_t n) {
  const double log_z = log_sum_exp(row, n);
  std::vector<double> out(n);
  for (std::size_t v = 0; v < n; v++) out[v] = static_cast<double>(row[v]) - log_z;
  return out;
}

double target_log_prob(const Tensor& logits, const Prompt& prompt) {
  std::size_t V = 0;
  const float* row = last_row(logits, V);
  if (!row || prompt.target < 0 || static_cast<std::size_t>(prompt.target) >= V)
    return -std::numeric_limits<double>::infinity();
  return static_cast<double>(row[prompt.target]) - log_sum_exp(row, V);
}

double target_top1(const Tensor& logits, const Prompt& prompt) {
  std::size_t V = 0;
  const float* row = last_row(logits, V);
  if (!row || prompt.target < 0 || static_cast<std::size_t>(prompt.target) >= V) return 0.0;
  std::size_t best = 0;
  for (std::size_t v = 1; v < V; v++)
    if (row[v] > row[best]) best = v;
  return best == static_cast<std::size_t>(prompt.target) ? 1.0 : 0.0;
}

namespace {
double mean_logit(const float* row, const std::vector<int>& ids, std::size_t vocab) {
  double sum = 0.0;
  std::size_t n = 0;
  for (int id : ids)
    if (id >= 0 && static_cast<std::size_t>(id) < vocab) sum += row[id], n++;
  return n ? sum / static_cast<double>(n) : 0.0;
}
}  // namespace

double logit_difference(const Tensor& logits, const Prompt& prompt) {
  std::size_t vocab = 0;
  const float* row = last_row(logits, vocab);
  if (!row) return 0.0;
  return mean_logit(row, prompt.answers, vocab) - mean_logit(row, prompt.distractors, vocab);
}

double answer_top1(const Tensor& logits, const Prompt& prompt) {
  std::size_t vocab = 0;
  const float* row = last_row(logits, vocab);
  if (!row) return 0.0;
  const auto top = static_cast<int>(std::max_element(row, row + vocab) - row);
  return std::find(prompt.answers.begin(), prompt.answers.end(), top) != prompt.answers.end();
}

}  // namespace attnscope
