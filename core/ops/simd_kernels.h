// simd_kernels.h — the Highway kernels of the cpu-simd kernel set (cpu_simd.cpp), one entry point
// each: they dispatch to the best SIMD target of the machine (natively; SIMD128 in WASM) and run on
// the threads of parallel.h. Internal to core/ops: the cpu-simd backend runs them through Kernels.
//
// Shape legend as in kernels.h; ld* are row strides in floats.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/ops/kernels.h"

namespace attnscope::simd {

// A growable scratch buffer of floats aligned to 128 bytes (two cache lines, every SIMD width), so
// that vector loads from packed operands never straddle two cache lines. Contents are not kept
// when it grows. (std::aligned_alloc, not Highway's allocator: that one lives in libhwy, which the
// header-only WASM build does not link.)
class AlignedFloats {
 public:
  float* reserve(std::size_t n) {
    if (n > capacity_) {
      constexpr std::size_t kAlign = 128;
      const std::size_t bytes = (n * sizeof(float) + kAlign - 1) / kAlign * kAlign;
      data_.reset(static_cast<float*>(std::aligned_alloc(kAlign, bytes)));
      if (!data_) throw std::bad_alloc();
      capacity_ = n;
    }
    return data_.get();
  }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  std::size_t capacity_ = 0;
};

// out[t·ldo + n] = Σ_k x[t·ldx + k] · w[n, k] + bias[n] (bias may be null): the packed,
// blocked product of simd_gemm.cpp, for T of at least about half a panel.
void gemm_nt(float* out, std::size_t ldo, const float* x, std::size_t ldx, WeightView w,
             const float* bias, int T, int K, int N);
// gemm_nt for several outputs of one x, packed once and computed in one parallel loop.
void gemm_nt_multi(const float* x, std::size_t ldx, int T, int K,
                   std::span<const LinearOutput> outputs);
// dst[r·ldd + c] = w[r, c] widened to float32, r < rows, c < cols (one thread).
void widen_rows(float* dst, std::size_t ldd, WeightView w, int rows, int cols);
// Tokens per packed panel of gemm_nt (2 SIMD vectors).
std::size_t gemm_panel_width();
// One thread's sustained FP32 fused multiply-add rate, measured for about `seconds`, in GFLOP/s.
double fma_peak_gflops(double seconds);
// The SIMD target the kernels dispatch to ("AVX3", "AVX2", "WASM", ...).
const char* simd_target_name();
// The targets compiled in that this CPU runs, best first.
std::vector<std::string> simd_targets();
// Makes every kernel dispatch to one of them from now on (the float sums of a kernel differ in
// order between targets: reproducibility checks compare them). An error lists the choices.
Status force_simd_target(std::string_view name);

// Row-wise and element-wise ops, same contracts as the Kernels ops of the same name.
void layernorm(float* out, const float* x, const float* w, const float* b, int T, int C, float eps);
void rmsnorm(float* out, const float* x, const float* w, int T, int C, float eps);
void activate(float* x, std::size_t n, Activation act);
void multiply(float* a, const float* b, std::size_t n);
void add(float* a, const float* b, std::size_t n);
void rope(float* x, int T, int heads, int D, int R, float theta, int pos0);
void softmax_rows(float* pattern, const float* scores, int H, int T);

// Attention (simd_attention.cpp).
void attention_scores(float* scores, const float* q, const float* k, int T, int H, int G, int D,
                      float scale);
void attention_mix(float* z, const float* pattern, const float* v, int T, int H, int G, int D);
void attention(float* z, float* pattern, const float* q, const float* k, const float* v, int T,
               int H, int G, int D, float scale, int past);

}  // namespace attnscope::simd
