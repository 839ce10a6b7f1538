// massive_activations.cpp — see massive_activations.h.
#include "core/analysis/massive_activations.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "core/analysis/next_token.h"
#include "core/analysis/residual_stream.h"

namespace attnscope {

Result<MassiveLayer> massive_activations(const Tensor& resid, int top_k) {
  if (resid.dimension() != 2 || resid.size() == 0)
    return make_error("the residual stream must be [pos, d_model] and non-empty, got " +
                      shape_string(shape_of(resid)));
  if (top_k < 1) return make_error("top " + std::to_string(top_k) + ": keep at least 1 activation");
  const std::size_t n = resid.size(), C = resid.shape()[1];
  std::vector<double> magnitude(n);
  for (std::size_t i = 0; i < n; i++)
    magnitude[i] = std::fabs(static_cast<double>(resid.data()[i]));

  MassiveLayer out;
  // Flat index order is position-major, so top_k_indices's "lower index first" on ties is
  // "lower position, then lower channel".
  for (int i : top_k_indices(magnitude, std::size_t(top_k)))
    out.top.push_back({int(std::size_t(i) / C), int(std::size_t(i) % C), resid.data()[i]});

  std::vector<double> sorted = magnitude;
  const std::size_t mid = n / 2;
  std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(mid), sorted.end());
  out.median_abs = sorted[mid];
  if (n % 2 == 0)  // the middle two: the largest of the lower half, and sorted[mid]
    out.median_abs =
        (*std::max_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(mid)) + sorted[mid]) / 2;
  const double largest =
      magnitude[std::size_t(out.top.front().position) * C + std::size_t(out.top.front().channel)];
  out.ratio = out.median_abs > 0 ? largest / out.median_abs
              : largest > 0      ? std::numeric_limits<double>::infinity()
                                 : 0.0;
  out.over_100 = out.ratio > 100;
  out.over_1000 = out.ratio > 1000;
  out.massive = largest > 100 && out.over_1000;
  return out;
}

Result<std::vector<MassiveLayer>> massive_activations(const Model& model, std::span<const int> ids,
                                                      int top_k) {
  if (top_k < 1) return make_error("top " + std::to_string(top_k) + ": keep at least 1 activation");
  ATTNSCOPE_ASSIGN(const ResidualStreams streams, residual_streams(model, ids));
  std::vector<MassiveLayer> layers;
  for (const Tensor& resid : streams.rows) {
    ATTNSCOPE_ASSIGN(MassiveLayer layer, massive_activations(resid, top_k));
    layers.push_back(std::move(layer));
  }
  return layers;
}

}  // namespace attnscope
