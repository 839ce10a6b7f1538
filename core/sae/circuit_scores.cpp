// circuit_scores.cpp — codes seen only on positives, per head and per pair of heads.
#include "core/sae/circuit_scores.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>

namespace attnscope {

namespace {

void sort_unique(std::vector<std::int64_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// |pos \ neg| for sorted, unique vectors.
std::size_t count_only_in_first(const std::vector<std::int64_t>& pos,
                                const std::vector<std::int64_t>& neg) {
  std::size_t count = 0, j = 0;
  for (std::int64_t x : pos) {
    while (j < neg.size() && neg[j] < x) j++;
    if (j == neg.size() || neg[j] != x) count++;
  }
  return count;
}

// Softmax over all values, shifted by the maximum.
std::vector<double> softmax(std::span<const double> x) {
  std::vector<double> out(x.size(), 0.0);
  if (x.empty()) return out;
  const double top = *std::max_element(x.begin(), x.end());
  double sum = 0;
  for (std::size_t i = 0; i < x.size(); i++) sum += out[i] = std::exp(x[i] - top);
  for (double& s : out) s /= sum;
  return out;
}

}  // namespace

std::vector<double> edge_node_scores(std::span<const double> edge_counts, int n_heads) {
  const std::size_t A = std::size_t(std::max(n_heads, 0));
  if (edge_counts.size() != A * A || A == 0) return {};
  // Flat indices by count, descending; among equal counts the larger index first.
  std::vector<std::size_t> order(A * A);
  std::iota(order.begin(), order.end(), std::size_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return edge_counts[x] < edge_counts[y]; });
  std::reverse(order.begin(), order.end());
  std::vector<double> counts(A, 0.0);
  const std::size_t k = (A * A) / 2;  // entries of the component list, two per pair
  for (std::size_t e = 0; e < k; e++) {
    const std::size_t pair = order[e / 2];
    counts[e % 2 == 0 ? pair / A : pair % A] += 1;
  }
  return softmax(counts);
}

Result<CircuitScores> circuit_scores(const HeadCodes& codes, std::span<const int> row_prompt,
                                     const std::vector<bool>& prompt_positive,
                                     const ScoreOptions& options) {
  if (row_prompt.size() != std::size_t(codes.n_rows))
    return make_error("circuit scores: " + std::to_string(row_prompt.size()) + " row prompts for " +
                      std::to_string(codes.n_rows) + " rows of codes");
  const int P = int(prompt_positive.size()), A = codes.n_heads, K = codes.top_k;
  for (int p : row_prompt)
    if (p < 0 || p >= P) return make_error("circuit scores: a row names a prompt out of range");
  const auto n_pos = std::count(prompt_positive.begin(), prompt_positive.end(), true);
  if (n_pos == 0 || n_pos == P)
    return make_error("circuit scores need both positive and negative prompts");

  // Every prompt's set of codes per head: sets[p][a], sorted and unique.
  std::vector<std::vector<std::vector<int>>> sets(P, std::vector<std::vector<int>>(A));
  for (int r = 0; r < codes.n_rows; r++)
    for (int a = 0; a < A; a++)
      for (int s = 0; s < K; s++) {
        const int c = codes.at(r, a, s);
        if (c != kNoCode) sets[row_prompt[r]][a].push_back(c);
      }
  for (auto& per_head : sets)
    for (auto& s : per_head) {
      std::sort(s.begin(), s.end());
      s.erase(std::unique(s.begin(), s.end()), s.end());
    }

  CircuitScores out;
  out.n_heads = A;
  out.node_counts.assign(A, 0.0);
  for (int a = 0; a < A; a++) {
    std::vector<std::int64_t> pos, neg;
    for (int p = 0; p < P; p++)
      for (int c : sets[p][a]) (prompt_positive[p] ? pos : neg).push_back(c);
    sort_unique(pos);
    sort_unique(neg);
    const double only_pos = double(count_only_in_first(pos, neg));
    std::vector<std::int64_t> all = pos;
    all.insert(all.end(), neg.begin(), neg.end());
    sort_unique(all);
    out.node_counts[a] =
        options.normalize ? (all.empty() ? 0.0 : only_pos / double(all.size())) : only_pos;
  }
  out.node = softmax(out.node_counts);
  if (!options.edges) return out;

  // Code pairs of heads a < b, keyed (c_a + 2) · stride + (c_b + 2) so silent and real codes fit.
  std::int64_t stride = 2;
  for (int c : codes.codes) stride = std::max<std::int64_t>(stride, std::int64_t(c) + 3);
  out.edge_counts.assign(std::size_t(A) * A, 0.0);
  std::vector<std::int64_t> pos, neg;
  for (int a = 0; a < A; a++)
    for (int b = a + 1; b < A; b++) {
      pos.clear();
      neg.clear();
      for (int p = 0; p < P; p++) {
        auto& dst = prompt_positive[p] ? pos : neg;
        for (int ca : sets[p][a])
          for (int cb : sets[p][b]) dst.push_back((std::int64_t(ca) + 2) * stride + (cb + 2));
      }
      sort_unique(pos);
      sort_unique(neg);
      const double count = double(count_only_in_first(pos, neg));
      out.edge_counts[std::size_t(a) * A + b] = out.edge_counts[std::size_t(b) * A + a] = count;
    }
  out.edge_node = edge_node_scores(out.edge_counts, A);
  return out;
}

std::vector<HeadRef> select_circuit(std::span<const double> head_scores, int n_layers, int n_heads,
                                    const CircuitCut& cut) {
  const int A = std::min<int>(int(head_scores.size()), n_layers * n_heads);
  std::vector<int> chosen;
  if (cut.top_k > 0) {
    std::vector<int> order(A);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int x, int y) { return head_scores[x] > head_scores[y]; });
    chosen.assign(order.begin(), order.begin() + std::min(cut.top_k, A));
    std::sort(chosen.begin(), chosen.end());
  } else {
    const double threshold = cut.threshold ? *cut.threshold : (A > 0 ? 1.0 / A : 0.0);
    for (int a = 0; a < A; a++)
      if (head_scores[a] > threshold) chosen.push_back(a);
  }
  std::vector<HeadRef> heads;
  for (int a : chosen) heads.push_back({a / n_heads, a % n_heads});
  return heads;
}

}  // namespace attnscope
