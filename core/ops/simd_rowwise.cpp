// simd_rowwise.cpp — cpu-simd's row-wise and element-wise kernels: LayerNorm, RMSNorm, the
// activations (GELU erf and tanh, SiLU, ReLU), multiply, add, RoPE and the softmax over rows,
// in Highway, threaded over rows (or blocks of elements).
//
// Shape legend: T tokens (rows), C channels, n elements, H heads, D head dimension, R rotary dims.
//
// Accuracy: sums over a row are float vectors (lanes summed at the end), where the reference sums
// in double; exp and tanh are Highway's (contrib/math, about 1 ulp); erf is Abramowitz & Stegun
// 7.1.26 (absolute error below 1.5e-7). The op table (tests/unit/test_backend_ops.cpp) bounds the
// differences. Each row or element is computed the same way whatever thread takes it: element
// blocks are multiples of every lane count.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/ops/simd_rowwise.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <hwy/contrib/math/math-inl.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <mutex>
#include <vector>

#include "core/ops/parallel.h"
#include "core/ops/simd_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace attnscope {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// Σ x[c] over a row, and Σ (x[c] − mean)².
HWY_INLINE float RowSum(DF d, const float* HWY_RESTRICT x, int C) {
  const int lanes = static_cast<int>(hn::Lanes(d));
  VF a0 = hn::Zero(d), a1 = a0;
  int c = 0;
  for (; c + 2 * lanes <= C; c += 2 * lanes) {
    a0 = hn::Add(a0, hn::LoadU(d, x + c));
    a1 = hn::Add(a1, hn::LoadU(d, x + c + lanes));
  }
  for (; c + lanes <= C; c += lanes) a0 = hn::Add(a0, hn::LoadU(d, x + c));
  float s = hn::GetLane(hn::SumOfLanes(d, hn::Add(a0, a1)));
  for (; c < C; c++) s += x[c];
  return s;
}

HWY_INLINE float RowSquares(DF d, const float* HWY_RESTRICT x, int C, float center) {
  const int lanes = static_cast<int>(hn::Lanes(d));
  const VF m = hn::Set(d, center);
  VF a0 = hn::Zero(d), a1 = a0;
  int c = 0;
  for (; c + 2 * lanes <= C; c += 2 * lanes) {
    const VF u = hn::Sub(hn::LoadU(d, x + c), m), v = hn::Sub(hn::LoadU(d, x + c + lanes), m);
    a0 = hn::MulAdd(u, u, a0);
    a1 = hn::MulAdd(v, v, a1);
  }
  for (; c + lanes <= C; c += lanes) {
    const VF u = hn::Sub(hn::LoadU(d, x + c), m);
    a0 = hn::MulAdd(u, u, a0);
  }
  float s = hn::GetLane(hn::SumOfLanes(d, hn::Add(a0, a1)));
  for (; c < C; c++) s += (x[c] - center) * (x[c] - center);
  return s;
}

void LayerNormRows(float* HWY_RESTRICT out, const float* HWY_RESTRICT x,
                   const float* HWY_RESTRICT w, const float* HWY_RESTRICT b, int C, float eps,
                   int t_begin, int t_end) {
  const DF d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  for (int t = t_begin; t < t_end; t++) {
    const float* xt = x + std::size_t(t) * C;
    float* ot = out + std::size_t(t) * C;
    const float mean = RowSum(d, xt, C) / float(C);
    const float var = RowSquares(d, xt, C, mean) / float(C);
    const float rstd = 1.0f / std::sqrt(var + eps);
    const VF vm = hn::Set(d, mean), vr = hn::Set(d, rstd);
    int c = 0;
    for (; c + lanes <= C; c += lanes) {
      const VF norm = hn::Mul(hn::Sub(hn::LoadU(d, xt + c), vm), vr);
      const VF bias = b ? hn::LoadU(d, b + c) : hn::Zero(d);
      hn::StoreU(hn::MulAdd(norm, hn::LoadU(d, w + c), bias), d, ot + c);
    }
    for (; c < C; c++) ot[c] = (xt[c] - mean) * rstd * w[c] + (b ? b[c] : 0.0f);
  }
}

void RmsNormRows(float* HWY_RESTRICT out, const float* HWY_RESTRICT x, const float* HWY_RESTRICT w,
                 int C, float eps, int t_begin, int t_end) {
  const DF d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  for (int t = t_begin; t < t_end; t++) {
    const float* xt = x + std::size_t(t) * C;
    float* ot = out + std::size_t(t) * C;
    const float rstd = 1.0f / std::sqrt(RowSquares(d, xt, C, 0.0f) / float(C) + eps);
    const VF vr = hn::Set(d, rstd);
    int c = 0;
    for (; c + lanes <= C; c += lanes)
      hn::StoreU(hn::Mul(hn::Mul(hn::LoadU(d, xt + c), vr), hn::LoadU(d, w + c)), d, ot + c);
    for (; c < C; c++) ot[c] = (xt[c] * rstd) * w[c];
  }
}

// erf(x) by Abramowitz & Stegun 7.1.26.
HWY_INLINE VF Erf(DF d, VF x) {
  const VF ax = hn::Abs(x);
  const VF t = hn::Div(hn::Set(d, 1.0f), hn::MulAdd(hn::Set(d, 0.3275911f), ax, hn::Set(d, 1.0f)));
  VF p = hn::Set(d, 1.061405429f);
  p = hn::MulAdd(p, t, hn::Set(d, -1.453152027f));
  p = hn::MulAdd(p, t, hn::Set(d, 1.421413741f));
  p = hn::MulAdd(p, t, hn::Set(d, -0.284496736f));
  p = hn::MulAdd(p, t, hn::Set(d, 0.254829592f));
  p = hn::Mul(p, t);
  const VF y = hn::NegMulAdd(p, hn::Exp(d, hn::Neg(hn::Mul(ax, ax))), hn::Set(d, 1.0f));
  return hn::CopySign(y, x);
}

HWY_INLINE VF Activate(DF d, VF x, Activation act) {
  const VF half = hn::Set(d, 0.5f), one = hn::Set(d, 1.0f);
  switch (act) {
    case Activation::gelu_erf:
      return hn::Mul(hn::Mul(half, x),
                     hn::Add(one, Erf(d, hn::Mul(x, hn::Set(d, float(M_SQRT1_2))))));
    case Activation::gelu_tanh: {
      const VF inner = hn::Mul(hn::Set(d, std::sqrt(2.0f / float(M_PI))),
                               hn::MulAdd(hn::Mul(hn::Set(d, 0.044715f), hn::Mul(x, x)), x, x));
      return hn::Mul(hn::Mul(half, x), hn::Add(one, hn::Tanh(d, inner)));
    }
    case Activation::silu:
      // exp(−x) overflows past 88: clamp (x / (1 + e^88) is 0 to float precision anyway).
      return hn::Div(x, hn::Add(one, hn::Exp(d, hn::Min(hn::Neg(x), hn::Set(d, 88.0f)))));
    case Activation::relu:
      return hn::Max(x, hn::Zero(d));
  }
  return x;
}

void ActivateRange(float* HWY_RESTRICT x, std::size_t begin, std::size_t end, Activation act) {
  const DF d;
  const std::size_t lanes = hn::Lanes(d);
  std::size_t i = begin;
  for (; i + lanes <= end; i += lanes) hn::StoreU(Activate(d, hn::LoadU(d, x + i), act), d, x + i);
  if (i < end) {  // the tail through a padded vector, so it is computed the same way
    HWY_ALIGN float tail[hn::MaxLanes(d)] = {};
    std::copy(x + i, x + end, tail);
    hn::Store(Activate(d, hn::Load(d, tail), act), d, tail);
    std::copy(tail, tail + (end - i), x + i);
  }
}

void MultiplyRange(float* HWY_RESTRICT a, const float* HWY_RESTRICT b, std::size_t begin,
                   std::size_t end) {
  const DF d;
  const std::size_t lanes = hn::Lanes(d);
  std::size_t i = begin;
  for (; i + lanes <= end; i += lanes)
    hn::StoreU(hn::Mul(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, a + i);
  for (; i < end; i++) a[i] *= b[i];
}

void AddRange(float* HWY_RESTRICT a, const float* HWY_RESTRICT b, std::size_t begin,
              std::size_t end) {
  const DF d;
  const std::size_t lanes = hn::Lanes(d);
  std::size_t i = begin;
  for (; i + lanes <= end; i += lanes)
    hn::StoreU(hn::Add(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, a + i);
  for (; i < end; i++) a[i] += b[i];
}

// Rotates rows [t_begin, t_end) of x[T, heads, D] with cos/sin tables [T][R/2].
void RopeRows(float* HWY_RESTRICT x, const float* HWY_RESTRICT cos_t,
              const float* HWY_RESTRICT sin_t, int heads, int D, int R, int t_begin, int t_end) {
  const DF d;
  const int lanes = static_cast<int>(hn::Lanes(d)), half = R / 2;
  for (int t = t_begin; t < t_end; t++) {
    const float* ct = cos_t + std::size_t(t) * half;
    const float* st = sin_t + std::size_t(t) * half;
    for (int h = 0; h < heads; h++) {
      float* xh = x + (std::size_t(t) * heads + h) * D;
      int i = 0;
      for (; i + lanes <= half; i += lanes) {
        const VF a = hn::LoadU(d, xh + i), b = hn::LoadU(d, xh + i + half);
        const VF c = hn::LoadU(d, ct + i), s = hn::LoadU(d, st + i);
        hn::StoreU(hn::Sub(hn::Mul(a, c), hn::Mul(b, s)), d, xh + i);
        hn::StoreU(hn::Add(hn::Mul(b, c), hn::Mul(a, s)), d, xh + i + half);
      }
      for (; i < half; i++) {
        const float a = xh[i], b = xh[i + half];
        xh[i] = a * ct[i] - b * st[i];
        xh[i + half] = b * ct[i] + a * st[i];
      }
    }
  }
}

// pattern rows [r_begin, r_end) of [rows, T] = softmax of the scores rows; −inf becomes 0.
void SoftmaxRows(float* HWY_RESTRICT pattern, const float* HWY_RESTRICT scores, int T,
                 std::size_t r_begin, std::size_t r_end) {
  const DF d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const float neg_inf = -std::numeric_limits<float>::infinity();
  const VF vninf = hn::Set(d, neg_inf);
  for (std::size_t r = r_begin; r < r_end; r++) {
    const float* in = scores + r * T;
    float* out = pattern + r * T;
    VF vmax = vninf;
    int j = 0;
    for (; j + lanes <= T; j += lanes) vmax = hn::Max(vmax, hn::LoadU(d, in + j));
    float max = hn::GetLane(hn::MaxOfLanes(d, vmax));
    for (; j < T; j++) max = std::max(max, in[j]);
    if (max == neg_inf) {
      std::fill(out, out + T, 0.0f);
      continue;
    }
    const VF vm = hn::Set(d, max);
    VF vsum = hn::Zero(d);
    for (j = 0; j + lanes <= T; j += lanes) {
      const VF s = hn::LoadU(d, in + j);
      const VF e = hn::IfThenElseZero(hn::Ne(s, vninf), hn::Exp(d, hn::Sub(s, vm)));
      hn::StoreU(e, d, out + j);
      vsum = hn::Add(vsum, e);
    }
    float sum = hn::GetLane(hn::SumOfLanes(d, vsum));
    for (; j < T; j++) {
      out[j] = in[j] == neg_inf ? 0.0f : std::exp(in[j] - max);
      sum += out[j];
    }
    const float inv = 1.0f / sum;
    const VF vinv = hn::Set(d, inv);
    for (j = 0; j + lanes <= T; j += lanes)
      hn::StoreU(hn::Mul(hn::LoadU(d, out + j), vinv), d, out + j);
    for (; j < T; j++) out[j] *= inv;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace attnscope
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace attnscope {

#ifdef __EMSCRIPTEN__
#define ATTNSCOPE_ROWWISE(kernel) HWY_STATIC_DISPATCH(kernel)
#else
HWY_EXPORT(LayerNormRows);
HWY_EXPORT(RmsNormRows);
HWY_EXPORT(ActivateRange);
HWY_EXPORT(MultiplyRange);
HWY_EXPORT(AddRange);
HWY_EXPORT(RopeRows);
HWY_EXPORT(SoftmaxRows);
#define ATTNSCOPE_ROWWISE(kernel) HWY_DYNAMIC_DISPATCH(kernel)
#endif

namespace simd {
namespace {

// Rows per parallel grain: all rows on the calling thread when the whole op is small.
std::size_t rows_grain(std::size_t rows, std::size_t per_row) {
  return rows * per_row < (1 << 15) ? std::max<std::size_t>(rows, 1) : 1;
}

// Element blocks: 4096 (a multiple of every lane count) or everything when small.
constexpr std::size_t kBlock = 4096;
std::size_t elements_grain(std::size_t n) {
  return n < 4 * kBlock ? std::max<std::size_t>(n, 1) : kBlock;
}

}  // namespace

void layernorm(float* out, const float* x, const float* w, const float* b, int T, int C,
               float eps) {
  parallel_for(T, rows_grain(T, C), [&](std::size_t begin, std::size_t end) {
    ATTNSCOPE_ROWWISE(LayerNormRows)(out, x, w, b, C, eps, int(begin), int(end));
  });
}

void rmsnorm(float* out, const float* x, const float* w, int T, int C, float eps) {
  parallel_for(T, rows_grain(T, C), [&](std::size_t begin, std::size_t end) {
    ATTNSCOPE_ROWWISE(RmsNormRows)(out, x, w, C, eps, int(begin), int(end));
  });
}

void activate(float* x, std::size_t n, Activation act) {
  parallel_for(n, elements_grain(n), [&](std::size_t begin, std::size_t end) {
    ATTNSCOPE_ROWWISE(ActivateRange)(x, begin, end, act);
  });
}

void multiply(float* a, const float* b, std::size_t n) {
  parallel_for(n, elements_grain(n), [&](std::size_t begin, std::size_t end) {
    ATTNSCOPE_ROWWISE(MultiplyRange)(a, b, begin, end);
  });
}

void add(float* a, const float* b, std::size_t n) {
  parallel_for(n, elements_grain(n), [&](std::size_t begin, std::size_t end) {
    ATTNSCOPE_ROWWISE(AddRange)(a, b, begin, end);
  });
}

void rope(float* x, int T, int heads, int D, int R, float theta, int pos0) {
  // The cos/sin table of the last call is kept: every layer's q and k use the same one.
  struct Table {
    int T = 0, R = 0, pos0 = 0;
    float theta = 0.0f;
    std::vector<float> cos, sin;
  };
  thread_local Table table;
  const int half = R / 2;
  if (table.T < T || table.R != R || table.pos0 != pos0 || table.theta != theta) {
    table = Table{T,
                  R,
                  pos0,
                  theta,
                  std::vector<float>(std::size_t(T) * half),
                  std::vector<float>(std::size_t(T) * half)};
    std::vector<float> inv_freq(half);
    for (int i = 0; i < half; i++) inv_freq[i] = rope_inv_freq(i, R, theta);
    float* cos_p = table.cos.data();
    float* sin_p = table.sin.data();
    parallel_for(T, rows_grain(T, std::size_t(half) * 16), [&](std::size_t b, std::size_t e) {
      for (std::size_t t = b; t < e; t++)
        for (int i = 0; i < half; i++) {
          const float angle = rope_angle(pos0 + int(t), inv_freq[i]);
          cos_p[t * half + i] = std::cos(angle);
          sin_p[t * half + i] = std::sin(angle);
        }
    });
  }
  const float* cos_p = table.cos.data();
  const float* sin_p = table.sin.data();
  parallel_for(T, rows_grain(T, std::size_t(heads) * D), [&](std::size_t begin, std::size_t end) {
    ATTNSCOPE_ROWWISE(RopeRows)(x, cos_p, sin_p, heads, D, R, int(begin), int(end));
  });
}

void softmax_rows(float* pattern, const float* scores, int H, int T) {
  const std::size_t rows = std::size_t(H) * T;
  parallel_for(rows, rows_grain(rows, T), [&](std::size_t begin, std::size_t end) {
    ATTNSCOPE_ROWWISE(SoftmaxRows)(pattern, scores, T, begin, end);
  });
}

}  // namespace simd
}  // namespace attnscope
#endif  // HWY_ONCE
