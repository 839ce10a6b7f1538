// kernels.h — the numeric kernels on host memory, one set per CPU implementation.
//
// A Kernels set is what a CPU backend (host_backend.h) runs and what the SAE trainer (core/sae)
// calls directly: plain functions on host pointers, outputs first, shapes last, row-major,
// dimensions in PyTorch / Hugging Face order. The forward pass never calls them itself: it runs
// ops on buffer views through a Backend (backend.h), which may keep its memory on a device.
// A scalar reference implements every kernel; cpu_simd replaces each with Highway code, tested
// against the reference by the table in tests/unit/test_backend_ops.cpp.
//
// Shape legend:
//   T  tokens (sequence length)          C  channels (d_model)
//   K  input features of a linear        N  output features of a linear
//   H  query heads                       G  key/value heads (grouped-query attention; H % G == 0)
//   D  head dimension                    R  rotary dimensions per head (R <= D, even)
//
// Training ops (the SAE of core/sae uses them): matmul and matmul_tn for the products a linear's
// backward needs without transposing anything, linear_masked for a gradient through a ReLU,
// adam_step. They skip zeros of their sparse operand, so a product with a ReLU's output costs in
// proportion to its non-zeros.
#pragma once

#include <cmath>
#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace attnscope {

namespace amx {
struct SplitWeight;
}

enum class Activation {
  gelu_erf,   // exact GELU, x·Φ(x) (HF "gelu": Pythia)
  gelu_tanh,  // tanh approximation (HF "gelu_new" / "gelu_pytorch_tanh": GPT-2)
  silu,       // x·σ(x) (HF "silu": Llama, Qwen2)
  relu,
};

// How a weight matrix's elements are stored: float32, or the raw 16 bits of IEEE half (F16) or
// bfloat16 (BF16). Products widen 16-bit weights to float32 as they read them.
enum class WeightType { f32, f16, bf16 };

// A view of a row-major weight matrix (or table) of any WeightType: rows `ld` elements apart.
struct WeightView {
  const void* data = nullptr;
  WeightType type = WeightType::f32;
  std::size_t ld = 0;
  // The same matrix split into BF16 parts for AMX tiles (amx_gemm.h), when the backend made one
  // at load, and where this view starts in it; null otherwise. Kernels that cannot use it read
  // `data` as always.
  const amx::SplitWeight* split = nullptr;
  std::size_t split_row = 0, split_col = 0;

  static WeightView f32(const float* w, std::size_t ld) { return {w, WeightType::f32, ld}; }
  std::size_t element_size() const { return type == WeightType::f32 ? 4 : 2; }
  // The same matrix from element (row, col) on: a block of rows, or some columns (a head's).
  WeightView at(std::size_t row, std::size_t col) const {
    return {static_cast<const char*>(data) + (row * ld + col) * element_size(),
            type,
            ld,
            split,
            split_row + row,
            split_col + col};
  }
};

// One output of Kernels::linear_multi: out[t·ldo + n] = x[t] · w[n] + bias[n] for n < N.
struct LinearOutput {
  float* out;
  std::size_t ldo;
  WeightView w;
  const float* bias;  // may be null
  int N;
};

// One Adam step's settings (torch.optim.Adam without weight decay). step counts from 1.
struct AdamStep {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  int step = 1;
};

// RoPE's inverse frequency of rotary pair i (of R rotated dims) and its angle at position pos,
// computed as HF does (inv_freq in float32, the angle a float32 product), so that every backend
// rotates by the same bits.
inline float rope_inv_freq(int i, int R, float theta) {
  return 1.0f / std::pow(theta, static_cast<float>(2 * i) / static_cast<float>(R));
}
inline float rope_angle(int pos, float inv_freq) {
  return static_cast<float>(static_cast<double>(pos)) * inv_freq;
}

class Kernels {
 public:
  virtual ~Kernels() = default;
  virtual std::string_view name() const = 0;

  // out[T,N] = x[T,K] · w[N,K]ᵀ + bias[N]; bias may be null. w is a torch.nn.Linear weight.
  virtual void linear(float* out, const float* x, const float* w, const float* bias, int T, int K,
                      int N) = 0;

  // linear on strided views and weights of any WeightType: out[t·ldo + n] = Σ_k x[t·ldx + k] ·
  // w[n, k] + bias[n]. One head's slice of z against W_O's columns of that head (hook_result)
  // needs no copy; F16/BF16 weights stay 16-bit (widened inside the kernel).
  virtual void linear_strided(float* out, std::size_t ldo, const float* x, std::size_t ldx,
                              WeightView w, const float* bias, int T, int K, int N) = 0;

  // Several linears of one input x[T,K] (rows ldx apart), as linear_strided computes each: q, k
  // and v of a block, or the gate and up projections of a gated MLP. A kernel set may share the
  // work of reading x among them.
  virtual void linear_multi(const float* x, std::size_t ldx, int T, int K,
                            std::span<const LinearOutput> outputs) = 0;

  // A second layout of a linear weight w [N][K] for this kernel set's products, made once when a
  // model is bound (cpu-simd: the AMX split of amx_gemm.h, for matmul precision "high"); null
  // when it has none. The backend keeps it beside the weight and passes it in WeightView::split.
  virtual std::shared_ptr<const amx::SplitWeight> prepare_weight(WeightView /*w*/, int /*N*/,
                                                                 int /*K*/) {
    return nullptr;
  }

  // out[T,N] = a[T,K] · b[K,N] + bias[N]; bias may be null. b is [K,N] (not a torch weight as in
  // linear): a linear's input gradient, or a product with a [in, out] matrix. Zero entries of a
  // contribute nothing and may be skipped (so b must be finite).
  virtual void matmul(float* out, const float* a, const float* b, const float* bias, int T, int K,
                      int N) = 0;

  // out[K,N] = a[T,K]ᵀ · b[T,N], a sum over the T rows: a linear's weight gradient (a = ∂L/∂out,
  // b = its input). Zero entries of a contribute nothing and may be skipped (b must be finite).
  virtual void matmul_tn(float* out, const float* a, const float* b, int T, int K, int N) = 0;

  // out[T,N] = x[T,K] · w[N,K]ᵀ + bias[N] where mask[T,N] > 0, and 0 elsewhere: linear evaluated
  // only where a ReLU with pre-activation (or output) mask lets the gradient through. bias may be
  // null.
  virtual void linear_masked(float* out, const float* x, const float* w, const float* bias,
                             const float* mask, int T, int K, int N) = 0;

  // One Adam step on n parameters, in place, with their first and second moments m and v (start
  // them at 0): m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g²,
  // param −= lr / (1 − β1^step) · m / (sqrt(v / (1 − β2^step)) + eps).
  virtual void adam_step(float* param, float* m, float* v, const float* grad, std::size_t n,
                         const AdamStep& s) = 0;

  // out[T,C] = (x - mean) / sqrt(var + eps) · w + b, per row; b may be null.
  virtual void layernorm(float* out, const float* x, const float* w, const float* b, int T, int C,
                         float eps) = 0;

  // out[T,C] = x / sqrt(mean(x²) + eps) · w, per row.
  virtual void rmsnorm(float* out, const float* x, const float* w, int T, int C, float eps) = 0;

  // x[n] = act(x[n]), in place.
  virtual void activate(float* x, std::size_t n, Activation act) = 0;

  // out[n] = a[n] · b[n] (SwiGLU's gate · up), in place into a.
  virtual void multiply(float* a, const float* b, std::size_t n) = 0;

  // out[n] = a[n] + b[n] (residual adds), in place into a.
  virtual void add(float* a, const float* b, std::size_t n) = 0;

  // Rotary position embedding, in place on x[T, heads, D]: the first R dims of each head are
  // rotated as HF's rotate_half does (pairs i and i + R/2), angle = (pos0 + t) · theta^(-2i/R).
  // Every backend takes the angles from rope_inv_freq and rope_angle below.
  virtual void rope(float* x, int T, int heads, int D, int R, float theta, int pos0) = 0;

  // scores[H,T,T] = q[T,H,D] · k[T,G,D]ᵀ · scale; query head h reads key head h / (H/G).
  // Causal: keys after the query get -inf.
  virtual void attention_scores(float* scores, const float* q, const float* k, int T, int H, int G,
                                int D, float scale) = 0;

  // pattern[H,T,T] = softmax over keys of scores; masked (-inf) entries become exactly 0.
  virtual void softmax_rows(float* pattern, const float* scores, int H, int T) = 0;

  // z[T,H,D] = pattern[H,T,T] · v[T,G,D], query head h reads value head h / (H/G).
  virtual void attention_mix(float* z, const float* pattern, const float* v, int T, int H, int G,
                             int D) = 0;

  // Causal attention in one op: z[T,H,D] = softmax(q · kᵀ · scale, keys up to the query) · v, as
  // attention_scores, softmax_rows and attention_mix compute it. pattern is written only when not
  // null (the forward pass asks for it when a hook captures the pattern).
  // With past > 0 the T queries are the positions past..past+T−1 of a longer sequence (a step of
  // generation with a key/value cache): k and v are [S = past+T, G, D], every key and value up to
  // the last query, and query i sees keys 0..past+i; pattern is [H,T,S]. past 0 is the whole
  // sequence, S = T.
  virtual void attention(float* z, float* pattern, const float* q, const float* k, const float* v,
                         int T, int H, int G, int D, float scale, int past) = 0;

  // out[n,C] = table[ids[i], :C] widened to float32 (an embedding lookup); every id must be a row
  // of the table.
  virtual void gather_rows(float* out, WeightView table, const int* ids, int n, int C) = 0;

  // out[T,C] = bias[C] + Σ_h x[T,H,C], heads added in order; bias may be null.
  virtual void sum_heads(float* out, const float* x, const float* bias, int T, int H, int C) = 0;

  // The declarative edits (zero or replace a head's slice, set a position's vector, scale the
  // attention to some keys), on rows × cols elements with rows ld apart. They move memory and
  // do no arithmetic worth vectorising, so every CPU kernel set shares these loops.
  // x[r·ld + c] = value.
  virtual void fill(float* x, std::size_t ld, int rows, int cols, float value);
  // dst[r·ldd + c] = src[r·lds + c].
  virtual void copy(float* dst, std::size_t ldd, const float* src, std::size_t lds, int rows,
                    int cols);
  // x[r·ld + c] *= factor.
  virtual void scale(float* x, std::size_t ld, int rows, int cols, float factor);
};

// The scalar reference every other kernel set is tested against.
Kernels& cpu_reference_kernels();

// Highway SIMD kernels for every op (a packed GEMM, fused attention, vectorised norms and
// activations), threaded natively (see parallel.h).
Kernels& cpu_simd_kernels();

// The fastest kernel set compiled in (the SAE trainer's default).
Kernels& default_kernels();

// All kernel sets compiled into this build, the reference first.
std::vector<Kernels*> available_kernels();

}  // namespace attnscope
