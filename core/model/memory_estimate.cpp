// memory_estimate.cpp — see memory_estimate.h. The counts follow forward.cpp's allocations (shape
// legend: T tokens, C d_model, H heads, G kv heads, D d_head, F d_mlp, V vocab, L layers).
#include "core/model/memory_estimate.h"

#include <algorithm>

#include "core/io/memory_budget.h"
#include "core/ops/amx_gemm.h"
#include "core/ops/matmul_precision.h"

namespace attnscope {

namespace {

constexpr std::uint64_t kFloat = sizeof(float);

}  // namespace

std::uint64_t estimate_weight_bytes(const ModelConfig& c) {
  const std::uint64_t C = c.d_model, H = c.n_heads, G = c.n_kv_heads, D = c.d_head, F = c.d_mlp,
                      V = c.vocab_size, L = c.n_layers;
  const std::uint64_t attention = H * D * C * 3 + 2 * G * D * C;  // q, o, o per head; k, v
  const std::uint64_t mlp = (c.gated_mlp ? 3 : 2) * F * C;
  const std::uint64_t per_layer = attention + mlp + 8 * C + 3 * H * D + F;
  std::uint64_t total = L * per_layer + V * C * (c.tied_embeddings ? 1 : 2) + 2 * C;
  if (c.position == PositionKind::learned) total += static_cast<std::uint64_t>(c.n_ctx) * C;
  const std::uint64_t largest = std::max({V * C, 3 * H * D * C, F * C});
  // Matmul precision "high" on a CPU with AMX keeps every linear weight a second time, split
  // into BF16 parts (core/ops/amx_gemm.h): the same bytes as its float32 values.
  if (matmul_precision() == MatmulPrecision::high && amx::mode() != amx::Mode::off)
    total += L * ((H + 2 * G) * D * C + H * D * C + mlp) + V * C;
  return (total + largest) * kFloat;
}

std::uint64_t estimate_forward_bytes(const ModelConfig& c, std::uint64_t n_tokens) {
  // In double: layers × heads × T² × 4 bytes can pass 2^64 for the largest configs accepted.
  const double C = c.d_model, H = c.n_heads, G = c.n_kv_heads, D = c.d_head, F = c.d_mlp,
               V = c.vocab_size, L = c.n_layers, T = static_cast<double>(n_tokens);
  const double block = T * (6 * C + H * D * 2 + G * D * 2 + 3 * F) + 2 * H * T * T;
  const double cached_patterns = L * H * T * T;
  const double bytes = (block + cached_patterns + T * V + 2 * T * C) * kFloat;
  return bytes >= 1.8e19 ? UINT64_MAX : static_cast<std::uint64_t>(bytes);
}

Status check_weight_memory(const ModelConfig& config) {
  const std::uint64_t need = estimate_weight_bytes(config);
  if (need <= memory_budget()) return {};
  return make_error("the weights of this model need about " + format_bytes(need) +
                        " as float32, more than the " + format_bytes(memory_budget()) +
                        " attnscope may use here",
                    "open a smaller model");
}

Status check_forward_memory(const ModelConfig& config, std::uint64_t n_tokens) {
  const std::uint64_t need = estimate_forward_bytes(config, n_tokens);
  if (need <= memory_budget()) return {};
  // The longest prompt that fits: the estimate grows with T, so bisect.
  std::uint64_t lo = 0, hi = n_tokens;
  while (lo + 1 < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    (estimate_forward_bytes(config, mid) <= memory_budget() ? lo : hi) = mid;
  }
  return make_error("a prompt of " + std::to_string(n_tokens) + " tokens needs about " +
                        format_bytes(need) + " for one forward pass (" +
                        std::to_string(config.n_layers) + " layers × " +
                        std::to_string(config.n_heads) + " heads × tokens² of attention), more " +
                        "than the " + format_bytes(memory_budget()) + " attnscope may use here",
                    lo > 0 ? "at most " + std::to_string(lo) + " tokens fit: shorten the prompt"
                           : "this model does not fit in memory");
}

}  // namespace attnscope
