// codes.cpp — top-k active SAE units of every (row, head).
#include "core/sae/codes.h"

#include <algorithm>
#include <numeric>
#include <string>

namespace attnscope {

Result<HeadCodes> sae_codes(const SparseAutoencoder& sae, const HeadActivations& activations,
                            int top_k, Kernels* kernels) {
  const Shape shape = shape_of(activations.values);
  if (shape.size() != 3 || int(shape[2]) != sae.d_in)
    return make_error("activations " + shape_string(shape) + " do not fit an SAE of input " +
                      std::to_string(sae.d_in));
  if (top_k < 1) return make_error("top_k must be at least 1");
  HeadCodes out;
  out.n_rows = int(shape[0]);
  out.n_heads = int(shape[1]);
  out.top_k = top_k;
  const std::size_t n = shape[0] * shape[1], M = sae.n_hidden, K = top_k;
  out.codes.assign(n * K, kNoCode);
  if (n == 0) return out;
  const std::vector<float> h = sae_encode(sae, activations.values.data(), int(n), kernels);
  std::vector<int> order(M);
  for (std::size_t r = 0; r < n; r++) {
    const float* hr = h.data() + r * M;
    std::iota(order.begin(), order.end(), 0);
    const std::size_t keep = std::min(K, M);
    std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                      [&](int a, int b) { return hr[a] != hr[b] ? hr[a] > hr[b] : a < b; });
    int* dst = out.codes.data() + r * K;
    if (!(hr[order[0]] > 0)) {
      dst[0] = kSilentCode;
      continue;
    }
    for (std::size_t s = 0; s < keep && hr[order[s]] > 0; s++) dst[s] = order[s];
  }
  return out;
}

}  // namespace attnscope
