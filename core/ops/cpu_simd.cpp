// cpu_simd.cpp — the SIMD CPU kernels: Google Highway code for every kernel, threaded natively
// (parallel.h). This file holds the kernel set and the kernels of the training products (matmul,
// matmul_tn, linear_masked), adam_step and the dot-product linear for a few tokens;
// simd_gemm.cpp the packed GEMM of linear, simd_rowwise.cpp the norms, activations, RoPE and
// softmax, simd_attention.cpp the attention ops. Natively Highway compiles every x86 target and
// dispatches at run time (SSE4, AVX2, AVX-512); in WASM it compiles SIMD128 statically and runs on
// one thread. Sums are accumulated in a different order than the reference, so results agree to
// rounding (tests/unit/test_backend_ops.cpp checks every op against the reference).
//
// Determinism: every kernel splits its outputs (never a sum) over threads, and computes each
// output by the same sequence of operations whatever tile or thread it falls in: a dot product is
// one vector accumulator over k in order, summed across lanes, then the scalar tail; an axpy
// product (matmul, matmul_tn) adds its terms in order of the summed index. So results are the same
// for any number of threads.
//
// Sparse operands: matmul and matmul_tn first list, per tile of 4 output rows, the summed indices
// where any of the 4 rows' entries of a is non-zero, then run register tiles (4 rows × up to 4
// vectors) over that list only. linear_masked runs 4×4 tiles over a group of 4 rows when at least
// a quarter of their outputs are unmasked, and otherwise only the unmasked (row, output) pairs.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/ops/cpu_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
// foreach_target re-includes this file once per target, then once more with HWY_ONCE.
#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/ops/amx_gemm.h"
#include "core/ops/kernels.h"
#include "core/ops/matmul_precision.h"
#include "core/ops/parallel.h"
#include "core/ops/simd_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace attnscope {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using DI = hn::RebindToSigned<DF>;
using VF = hn::Vec<DF>;

// Output rows per register tile, and vectors of columns per tile in matmul / matmul_tn.
constexpr int kRows = 4;
constexpr int kVectors = 4;

// ---------------------------------------------------------------------------------------------
// Dot products: linear, linear_masked. Every output is x · w + bias with one vector accumulator
// over k in order (FinishDot adds its lanes and the scalar tail), whatever tile computes it.
HWY_INLINE float FinishDot(DF d, VF acc, const float* x, const float* w, int K_vec, int K) {
  float s = hn::GetLane(hn::SumOfLanes(d, acc));
  for (int k = K_vec; k < K; k++) s += x[k] * w[k];
  return s;
}

// s[4·r + j] = x_r · w_j for 4 rows of x and 4 of w: 8 loads per 16 multiply-adds.
HWY_INLINE void Dot4x4(DF d, const float* const* x, const float* const* w, int K, float* s) {
  const int lanes = static_cast<int>(hn::Lanes(d));
  const int K_vec = K - K % lanes;
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  const float *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
  VF a00 = hn::Zero(d), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00,
     a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
  for (int k = 0; k < K_vec; k += lanes) {
    const VF v0 = hn::LoadU(d, w0 + k), v1 = hn::LoadU(d, w1 + k), v2 = hn::LoadU(d, w2 + k),
             v3 = hn::LoadU(d, w3 + k);
    VF u = hn::LoadU(d, x0 + k);
    a00 = hn::MulAdd(u, v0, a00), a01 = hn::MulAdd(u, v1, a01);
    a02 = hn::MulAdd(u, v2, a02), a03 = hn::MulAdd(u, v3, a03);
    u = hn::LoadU(d, x1 + k);
    a10 = hn::MulAdd(u, v0, a10), a11 = hn::MulAdd(u, v1, a11);
    a12 = hn::MulAdd(u, v2, a12), a13 = hn::MulAdd(u, v3, a13);
    u = hn::LoadU(d, x2 + k);
    a20 = hn::MulAdd(u, v0, a20), a21 = hn::MulAdd(u, v1, a21);
    a22 = hn::MulAdd(u, v2, a22), a23 = hn::MulAdd(u, v3, a23);
    u = hn::LoadU(d, x3 + k);
    a30 = hn::MulAdd(u, v0, a30), a31 = hn::MulAdd(u, v1, a31);
    a32 = hn::MulAdd(u, v2, a32), a33 = hn::MulAdd(u, v3, a33);
  }
  s[0] = FinishDot(d, a00, x0, w0, K_vec, K), s[1] = FinishDot(d, a01, x0, w1, K_vec, K);
  s[2] = FinishDot(d, a02, x0, w2, K_vec, K), s[3] = FinishDot(d, a03, x0, w3, K_vec, K);
  s[4] = FinishDot(d, a10, x1, w0, K_vec, K), s[5] = FinishDot(d, a11, x1, w1, K_vec, K);
  s[6] = FinishDot(d, a12, x1, w2, K_vec, K), s[7] = FinishDot(d, a13, x1, w3, K_vec, K);
  s[8] = FinishDot(d, a20, x2, w0, K_vec, K), s[9] = FinishDot(d, a21, x2, w1, K_vec, K);
  s[10] = FinishDot(d, a22, x2, w2, K_vec, K), s[11] = FinishDot(d, a23, x2, w3, K_vec, K);
  s[12] = FinishDot(d, a30, x3, w0, K_vec, K), s[13] = FinishDot(d, a31, x3, w1, K_vec, K);
  s[14] = FinishDot(d, a32, x3, w2, K_vec, K), s[15] = FinishDot(d, a33, x3, w3, K_vec, K);
}

// s[j] = x · w_j for one row of x and 4 of w.
HWY_INLINE void Dot1x4(DF d, const float* x, const float* const* w, int K, float* s) {
  const int lanes = static_cast<int>(hn::Lanes(d));
  const int K_vec = K - K % lanes;
  const float *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
  VF a0 = hn::Zero(d), a1 = a0, a2 = a0, a3 = a0;
  for (int k = 0; k < K_vec; k += lanes) {
    const VF u = hn::LoadU(d, x + k);
    a0 = hn::MulAdd(u, hn::LoadU(d, w0 + k), a0);
    a1 = hn::MulAdd(u, hn::LoadU(d, w1 + k), a1);
    a2 = hn::MulAdd(u, hn::LoadU(d, w2 + k), a2);
    a3 = hn::MulAdd(u, hn::LoadU(d, w3 + k), a3);
  }
  s[0] = FinishDot(d, a0, x, w0, K_vec, K);
  s[1] = FinishDot(d, a1, x, w1, K_vec, K);
  s[2] = FinishDot(d, a2, x, w2, K_vec, K);
  s[3] = FinishDot(d, a3, x, w3, K_vec, K);
}

// s[r] = x_r · w for 4 rows of x and one of w.
HWY_INLINE void Dot4x1(DF d, const float* const* x, const float* w, int K, float* s) {
  const int lanes = static_cast<int>(hn::Lanes(d));
  const int K_vec = K - K % lanes;
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  VF a0 = hn::Zero(d), a1 = a0, a2 = a0, a3 = a0;
  for (int k = 0; k < K_vec; k += lanes) {
    const VF v = hn::LoadU(d, w + k);
    a0 = hn::MulAdd(hn::LoadU(d, x0 + k), v, a0);
    a1 = hn::MulAdd(hn::LoadU(d, x1 + k), v, a1);
    a2 = hn::MulAdd(hn::LoadU(d, x2 + k), v, a2);
    a3 = hn::MulAdd(hn::LoadU(d, x3 + k), v, a3);
  }
  s[0] = FinishDot(d, a0, x0, w, K_vec, K);
  s[1] = FinishDot(d, a1, x1, w, K_vec, K);
  s[2] = FinishDot(d, a2, x2, w, K_vec, K);
  s[3] = FinishDot(d, a3, x3, w, K_vec, K);
}

HWY_INLINE float Dot1x1(DF d, const float* x, const float* w, int K) {
  const int lanes = static_cast<int>(hn::Lanes(d));
  const int K_vec = K - K % lanes;
  VF a = hn::Zero(d);
  for (int k = 0; k < K_vec; k += lanes)
    a = hn::MulAdd(hn::LoadU(d, x + k), hn::LoadU(d, w + k), a);
  return FinishDot(d, a, x, w, K_vec, K);
}

// out[T,N] = x[T,K] · w[N,K]ᵀ + bias[N] for the weight rows n in [n_begin, n_end). Weight rows go
// in blocks of about 256 KB, so that a block stays in the L2 cache while every token tile reads it.
// Rows of x, w and out are ldx, ldw and ldo floats apart.
void LinearRows(float* HWY_RESTRICT out, std::size_t ldo, const float* HWY_RESTRICT x,
                std::size_t ldx, const float* HWY_RESTRICT w, std::size_t ldw,
                const float* HWY_RESTRICT bias, int T, int K, int n_begin, int n_end) {
  const DF d;
  const int block = std::max(kRows, (65536 / std::max(K, 1)) / kRows * kRows);
  const std::size_t sK = ldx, sW = ldw, sN = ldo;
  auto b_at = [&](int n) { return bias ? bias[n] : 0.0f; };
  for (int b0 = n_begin; b0 < n_end; b0 += block) {
    const int b1 = std::min(n_end, b0 + block);
    int t = 0;
    for (; t + kRows <= T; t += kRows) {
      const float* xr[kRows] = {x + t * sK, x + (t + 1) * sK, x + (t + 2) * sK, x + (t + 3) * sK};
      float* ot = out + t * sN;
      int n = b0;
      for (; n + kRows <= b1; n += kRows) {
        const float* wr[kRows] = {w + n * sW, w + (n + 1) * sW, w + (n + 2) * sW, w + (n + 3) * sW};
        float s[16];
        Dot4x4(d, xr, wr, K, s);
        for (int r = 0; r < kRows; r++)
          for (int j = 0; j < kRows; j++) ot[r * sN + n + j] = s[r * 4 + j] + b_at(n + j);
      }
      for (; n < b1; n++) {
        float s[kRows];
        Dot4x1(d, xr, w + n * sW, K, s);
        for (int r = 0; r < kRows; r++) ot[r * sN + n] = s[r] + b_at(n);
      }
    }
    for (; t < T; t++) {
      const float* xt = x + t * sK;
      float* ot = out + t * sN;
      int n = b0;
      for (; n + kRows <= b1; n += kRows) {
        const float* wr[kRows] = {w + n * sW, w + (n + 1) * sW, w + (n + 2) * sW, w + (n + 3) * sW};
        float s[kRows];
        Dot1x4(d, xt, wr, K, s);
        for (int j = 0; j < kRows; j++) ot[n + j] = s[j] + b_at(n + j);
      }
      for (; n < b1; n++) ot[n] = Dot1x1(d, xt, w + n * sW, K) + b_at(n);
    }
  }
}

// Lanes of v that are not ±0 (NaN counts as non-zero), compared as integers.
HWY_INLINE hn::Mask<DI> NonZero(VF v) {
  const DI di;
  return hn::Ne(hn::And(hn::BitCast(di, v), hn::Set(di, 0x7fffffff)), hn::Zero(di));
}

// Writes the indices i in [begin, end) that `select` picks to idx, in order; returns how many.
// select(i) gives the mask of one vector of indices starting at i, select.scalar(i) one index.
// idx needs room for (end − begin) + one vector.
template <class Select>
HWY_INLINE int ListIndices(int begin, int end, int* HWY_RESTRICT idx, const Select& select) {
  const DI di;
  const int lanes = static_cast<int>(hn::Lanes(di));
  int count = 0, i = begin;
  for (; i + lanes <= end; i += lanes) {
    const hn::Mask<DI> m = select(i);
    if (hn::AllFalse(di, m)) continue;
    count += static_cast<int>(hn::CompressStore(hn::Iota(di, i), m, di, idx + count));
  }
  for (; i < end; i++)
    if (select.scalar(i)) idx[count++] = i;
  return count;
}

// s[i] = x_i · w_i for 4 independent pairs (rows of x and w each), one accumulator each.
HWY_INLINE void Dot4Pairs(DF d, const float* const* x, const float* const* w, int K, float* s) {
  const int lanes = static_cast<int>(hn::Lanes(d));
  const int K_vec = K - K % lanes;
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  const float *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
  VF a0 = hn::Zero(d), a1 = a0, a2 = a0, a3 = a0;
  for (int k = 0; k < K_vec; k += lanes) {
    a0 = hn::MulAdd(hn::LoadU(d, x0 + k), hn::LoadU(d, w0 + k), a0);
    a1 = hn::MulAdd(hn::LoadU(d, x1 + k), hn::LoadU(d, w1 + k), a1);
    a2 = hn::MulAdd(hn::LoadU(d, x2 + k), hn::LoadU(d, w2 + k), a2);
    a3 = hn::MulAdd(hn::LoadU(d, x3 + k), hn::LoadU(d, w3 + k), a3);
  }
  s[0] = FinishDot(d, a0, x0, w0, K_vec, K);
  s[1] = FinishDot(d, a1, x1, w1, K_vec, K);
  s[2] = FinishDot(d, a2, x2, w2, K_vec, K);
  s[3] = FinishDot(d, a3, x3, w3, K_vec, K);
}

// linear_masked for the rows t in [t_begin, t_end). Per group of 4 rows: when at least a quarter
// of the outputs are unmasked, 4×4 tiles of rows × outputs (skipping tiles with nothing unmasked);
// otherwise the unmasked (row, output) pairs, 4 at a time (independent dot products, so that their
// multiply-adds overlap). Either way each output is the same one-accumulator dot product.
void LinearMaskedRows(float* HWY_RESTRICT out, const float* HWY_RESTRICT x,
                      const float* HWY_RESTRICT w, const float* HWY_RESTRICT bias,
                      const float* HWY_RESTRICT mask, int K, int N, int t_begin, int t_end) {
  const DF d;
  thread_local std::vector<int> live, pair_t, pair_n;
  thread_local std::vector<float> any;  // 1 where any of the 4 rows leaves the output unmasked
  live.resize(N + hn::Lanes(d));
  any.resize(N);
  pair_t.clear();
  pair_n.clear();
  const std::size_t sK = K, sN = N;
  auto b_at = [&](int n) { return bias ? bias[n] : 0.0f; };
  struct Positive {
    const float* m;
    hn::Mask<DI> operator()(int i) const {
      return hn::RebindMask(DI(), hn::Gt(hn::LoadU(DF(), m + i), hn::Zero(DF())));
    }
    bool scalar(int i) const { return m[i] > 0.0f; }
  };
  const int lanes = static_cast<int>(hn::Lanes(d));
  for (int t0 = t_begin; t0 < t_end; t0 += kRows) {
    const int rows = std::min(kRows, t_end - t0);
    const float* mr = mask + t0 * sN;
    float* ot = out + t0 * sN;
    std::fill(ot, ot + rows * sN, 0.0f);
    // How many outputs of these rows are unmasked, and which outputs any of them needs.
    std::size_t unmasked = 0;
    int n = 0;
    for (; n + lanes <= N; n += lanes) {
      auto m = hn::Gt(hn::LoadU(d, mr + n), hn::Zero(d));
      unmasked += hn::CountTrue(d, m);
      for (int r = 1; r < rows; r++) {
        const auto mr_r = hn::Gt(hn::LoadU(d, mr + r * sN + n), hn::Zero(d));
        unmasked += hn::CountTrue(d, mr_r);
        m = hn::Or(m, mr_r);
      }
      hn::StoreU(hn::IfThenElseZero(m, hn::Set(d, 1.0f)), d, any.data() + n);
    }
    for (; n < N; n++) {
      any[n] = 0.0f;
      for (int r = 0; r < rows; r++) {
        const bool on = mr[r * sN + n] > 0.0f;
        unmasked += on;
        if (on) any[n] = 1.0f;
      }
    }
    if (rows < kRows || 4 * unmasked < std::size_t(kRows) * sN) {
      for (int t = t0; t < t0 + rows; t++) {
        const int count = ListIndices(0, N, live.data(), Positive{mask + t * sN});
        for (int i = 0; i < count; i++) pair_t.push_back(t), pair_n.push_back(live[i]);
      }
      continue;
    }
    // Dense enough: 4×4 tiles over the outputs any of the 4 rows needs.
    const float* xr[kRows] = {x + t0 * sK, x + (t0 + 1) * sK, x + (t0 + 2) * sK, x + (t0 + 3) * sK};
    for (n = 0; n + kRows <= N; n += kRows) {
      if (any[n] + any[n + 1] + any[n + 2] + any[n + 3] == 0.0f) continue;
      const float* wr[kRows] = {w + n * sK, w + (n + 1) * sK, w + (n + 2) * sK, w + (n + 3) * sK};
      float s[16];
      Dot4x4(d, xr, wr, K, s);
      // Keep the unmasked outputs, without a branch per output (the mask is data).
      const hn::CappedTag<float, kRows> d4;
      for (int r = 0; r < kRows; r++)
        for (int j = 0; j < kRows; j += int(hn::Lanes(d4))) {
          const std::size_t o = r * sN + n + j;
          const auto v = hn::Add(hn::LoadU(d4, s + r * 4 + j),
                                 bias ? hn::LoadU(d4, bias + n + j) : hn::Zero(d4));
          hn::StoreU(hn::IfThenElseZero(hn::Gt(hn::LoadU(d4, mr + o), hn::Zero(d4)), v), d4,
                     ot + o);
        }
    }
    for (; n < N; n++) {
      if (any[n] == 0.0f) continue;
      float s[kRows];
      Dot4x1(d, xr, w + n * sK, K, s);
      for (int r = 0; r < kRows; r++)
        ot[r * sN + n] = mr[r * sN + n] > 0.0f ? s[r] + b_at(n) : 0.0f;
    }
  }
  const std::size_t pairs = pair_t.size();
  std::size_t i = 0;
  for (; i + 4 <= pairs; i += 4) {
    const float* xr[4];
    const float* wr[4];
    for (int j = 0; j < 4; j++) xr[j] = x + pair_t[i + j] * sK, wr[j] = w + pair_n[i + j] * sK;
    float s[4];
    Dot4Pairs(d, xr, wr, K, s);
    for (int j = 0; j < 4; j++)
      out[pair_t[i + j] * sN + pair_n[i + j]] = s[j] + b_at(pair_n[i + j]);
  }
  for (; i < pairs; i++) {
    const int n = pair_n[i];
    out[pair_t[i] * sN + n] = Dot1x1(d, x + pair_t[i] * sK, w + n * sK, K) + b_at(n);
  }
}

// ---------------------------------------------------------------------------------------------
// Axpy products: matmul, matmul_tn. A "list" holds, for one tile of up to kRows output rows, the
// summed indices (rows of b) and, kRows per index, the tile's coefficients: out_r = init +
// Σ_l vals[l][r] · b[idx[l]] in order of l.
struct TileList {
  const int* idx;
  const float* vals;  // [count][kRows]
  int count;
};

// R output rows × V vectors of columns starting at column c.
template <int R, int V>
HWY_INLINE void AxpyTile(DF d, const TileList& list, const float* HWY_RESTRICT b, std::size_t ldb,
                         const float* HWY_RESTRICT init, float* out, std::size_t ldo,
                         std::size_t c) {
  const std::size_t lanes = hn::Lanes(d);
  VF acc[R][V];
  for (int v = 0; v < V; v++) {
    const VF start = init ? hn::LoadU(d, init + c + v * lanes) : hn::Zero(d);
    for (int r = 0; r < R; r++) acc[r][v] = start;
  }
  for (int l = 0; l < list.count; l++) {
    const float* bl = b + list.idx[l] * ldb + c;
    VF bv[V];
    for (int v = 0; v < V; v++) bv[v] = hn::LoadU(d, bl + v * lanes);
    const float* al = list.vals + l * kRows;
    for (int r = 0; r < R; r++) {
      const VF av = hn::Set(d, al[r]);
      for (int v = 0; v < V; v++) acc[r][v] = hn::MulAdd(av, bv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; r++)
    for (int v = 0; v < V; v++) hn::StoreU(acc[r][v], d, out + r * ldo + c + v * lanes);
}

// Columns go in chunks of kVectors vectors; the last chunk also takes the columns past the last
// whole vector (with one more vector ending at column N, overlapping columns it recomputes
// identically). Below one vector of columns there is one chunk, done in scalar code.
std::size_t ColumnChunks(DF d, std::size_t N) {
  const std::size_t whole = N / hn::Lanes(d);
  return whole == 0 ? 1 : (whole + kVectors - 1) / kVectors;
}

template <int R>
void AxpyChunk(DF d, const TileList& list, const float* HWY_RESTRICT b, std::size_t ldb,
               const float* HWY_RESTRICT init, float* out, std::size_t ldo, std::size_t N,
               std::size_t chunk) {
  const std::size_t lanes = hn::Lanes(d);
  if (N < lanes) {
    for (int r = 0; r < R; r++)
      for (std::size_t n = 0; n < N; n++) {
        float s = init ? init[n] : 0.0f;
        for (int l = 0; l < list.count; l++)
          s += list.vals[l * kRows + r] * b[list.idx[l] * ldb + n];
        out[r * ldo + n] = s;
      }
    return;
  }
  const std::size_t begin = chunk * kVectors * lanes;
  const bool last = chunk + 1 == ColumnChunks(d, N);
  const std::size_t end = last ? N : begin + kVectors * lanes;
  std::size_t c = begin;
  if (c + 4 * lanes <= end) {
    AxpyTile<R, 4>(d, list, b, ldb, init, out, ldo, c);
    c += 4 * lanes;
  } else if (c + 3 * lanes <= end) {
    AxpyTile<R, 3>(d, list, b, ldb, init, out, ldo, c);
    c += 3 * lanes;
  } else if (c + 2 * lanes <= end) {
    AxpyTile<R, 2>(d, list, b, ldb, init, out, ldo, c);
    c += 2 * lanes;
  } else if (c + lanes <= end) {
    AxpyTile<R, 1>(d, list, b, ldb, init, out, ldo, c);
    c += lanes;
  }
  if (c < end) AxpyTile<R, 1>(d, list, b, ldb, init, out, ldo, N - lanes);
}

void AxpyChunkRows(DF d, int rows, const TileList& list, const float* HWY_RESTRICT b,
                   std::size_t ldb, const float* HWY_RESTRICT init, float* out, std::size_t ldo,
                   std::size_t N, std::size_t chunk) {
  switch (rows) {
    case 4:
      return AxpyChunk<4>(d, list, b, ldb, init, out, ldo, N, chunk);
    case 3:
      return AxpyChunk<3>(d, list, b, ldb, init, out, ldo, N, chunk);
    case 2:
      return AxpyChunk<2>(d, list, b, ldb, init, out, ldo, N, chunk);
    default:
      return AxpyChunk<1>(d, list, b, ldb, init, out, ldo, N, chunk);
  }
}

// matmul for the rows t in [t_begin, t_end), t_begin a multiple of kRows: per tile of kRows rows,
// the k where any of its rows of a is non-zero, then every column chunk.
void MatmulRows(float* HWY_RESTRICT out, const float* HWY_RESTRICT a, const float* HWY_RESTRICT b,
                const float* HWY_RESTRICT bias, int T, int K, int N, int t_begin, int t_end) {
  const DF d;
  thread_local std::vector<int> idx;
  thread_local std::vector<float> vals;
  idx.resize(K + hn::Lanes(d));
  vals.resize(std::size_t(K) * kRows);
  const std::size_t sK = K, sN = N, chunks = ColumnChunks(d, sN);
  for (int t = t_begin; t < t_end; t += kRows) {
    const int rows = std::min(kRows, T - t);
    const float* ar[kRows];
    for (int r = 0; r < kRows; r++) ar[r] = a + (t + std::min(r, rows - 1)) * sK;
    struct AnyRow {
      const float* const* ar;
      hn::Mask<DI> operator()(int k) const {
        const DF d;
        return hn::Or(hn::Or(NonZero(hn::LoadU(d, ar[0] + k)), NonZero(hn::LoadU(d, ar[1] + k))),
                      hn::Or(NonZero(hn::LoadU(d, ar[2] + k)), NonZero(hn::LoadU(d, ar[3] + k))));
      }
      bool scalar(int k) const {
        return ar[0][k] != 0.0f || ar[1][k] != 0.0f || ar[2][k] != 0.0f || ar[3][k] != 0.0f;
      }
    };
    const int count = ListIndices(0, K, idx.data(), AnyRow{ar});
    for (int l = 0; l < count; l++)
      for (int r = 0; r < kRows; r++)
        vals[std::size_t(l) * kRows + r] = r < rows ? ar[r][idx[l]] : 0.0f;
    const TileList list{idx.data(), vals.data(), count};
    for (std::size_t c = 0; c < chunks; c++)
      AxpyChunkRows(d, rows, list, b, sN, bias, out + t * sN, sN, sN, c);
  }
}

// matmul_tn, first step, for the output-row tiles [tile_begin, tile_end): for each, the rows t of
// a with a non-zero entry in the tile's columns (list of tile i at idx + i·T, counts[i]) and their
// kRows values (at vals + i·T·kRows). One pass over the rows of a: per vector of a row, the mask
// of non-zero lanes, then one test per tile (4 lanes; the lane count is a multiple of 4).
void MatmulTnLists(const float* HWY_RESTRICT a, int T, int K, int tile_begin, int tile_end,
                   int* HWY_RESTRICT idx, float* HWY_RESTRICT vals, int* HWY_RESTRICT counts) {
  const DF d;
  const DI di;
  const int lanes = static_cast<int>(hn::Lanes(d));
  const int k_begin = tile_begin * kRows, k_end = std::min(K, tile_end * kRows);
  const std::size_t sK = K, sT = T;
  for (int i = tile_begin; i < tile_end; i++) counts[i] = 0;
  auto append = [&](int tile, int t, const float* at) {
    const int at_list = counts[tile]++;
    idx[tile * sT + at_list] = t;
    float* v = vals + (tile * sT + at_list) * kRows;
    const int k0 = tile * kRows;
    for (int r = 0; r < kRows; r++) v[r] = k0 + r < K ? at[k0 + r] : 0.0f;
  };
  for (int t = 0; t < T; t++) {
    const float* at = a + t * sK;
    int k = k_begin;
    for (; lanes >= kRows && k + lanes <= k_end; k += lanes) {
      uint8_t bits[8] = {};
      hn::StoreMaskBits(di, NonZero(hn::LoadU(d, at + k)), bits);
      for (int g = 0; g < lanes / kRows; g++)
        if ((bits[g / 2] >> (4 * (g % 2))) & 0xF) append((k + g * kRows) / kRows, t, at);
    }
    for (; k < k_end; k += kRows) {
      bool nonzero = false;
      for (int r = 0; r < kRows && k + r < k_end; r++) nonzero |= at[k + r] != 0.0f;
      if (nonzero) append(k / kRows, t, at);
    }
  }
}

// matmul_tn, second step: one column chunk of one output-row tile.
void MatmulTnTile(float* HWY_RESTRICT out, const float* HWY_RESTRICT b, int K, int N, int tile,
                  std::size_t chunk, const int* idx, const float* vals, int count) {
  const DF d;
  const int k0 = tile * kRows, rows = std::min(kRows, K - k0);
  const TileList list{idx, vals, count};
  AxpyChunkRows(d, rows, list, b, N, nullptr, out + std::size_t(k0) * N, N, N, chunk);
}

std::size_t MatmulColumnChunks(int N) {
  return ColumnChunks(DF(), std::size_t(N));
}

// ---------------------------------------------------------------------------------------------
// Adam on elements [begin, end); begin is a multiple of the lane count.
void AdamRange(float* HWY_RESTRICT param, float* HWY_RESTRICT m, float* HWY_RESTRICT v,
               const float* HWY_RESTRICT grad, std::size_t begin, std::size_t end, float beta1,
               float beta2, float step_size, float inv_sqrt_correction2, float eps) {
  const DF d;
  const std::size_t lanes = hn::Lanes(d);
  const VF b1 = hn::Set(d, beta1), b2 = hn::Set(d, beta2), c1 = hn::Set(d, 1.0f - beta1),
           c2 = hn::Set(d, 1.0f - beta2), lr = hn::Set(d, step_size),
           ic2 = hn::Set(d, inv_sqrt_correction2), ve = hn::Set(d, eps);
  std::size_t i = begin;
  for (; i + lanes <= end; i += lanes) {
    const VF g = hn::LoadU(d, grad + i);
    const VF mi = hn::Add(hn::Mul(b1, hn::LoadU(d, m + i)), hn::Mul(c1, g));
    const VF vi = hn::Add(hn::Mul(b2, hn::LoadU(d, v + i)), hn::Mul(c2, hn::Mul(g, g)));
    const VF denom = hn::Add(hn::Mul(hn::Sqrt(vi), ic2), ve);
    hn::StoreU(mi, d, m + i);
    hn::StoreU(vi, d, v + i);
    hn::StoreU(hn::Sub(hn::LoadU(d, param + i), hn::Div(hn::Mul(lr, mi), denom)), d, param + i);
  }
  for (; i < end; i++) {
    const float g = grad[i];
    m[i] = beta1 * m[i] + (1.0f - beta1) * g;
    v[i] = beta2 * v[i] + (1.0f - beta2) * (g * g);
    param[i] = param[i] - (step_size * m[i]) / (std::sqrt(v[i]) * inv_sqrt_correction2 + eps);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace attnscope
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace attnscope {

#ifdef __EMSCRIPTEN__
// WASM has one SIMD target (SIMD128) and no run-time dispatch.
#define ATTNSCOPE_SIMD(kernel) HWY_STATIC_DISPATCH(kernel)
#else
HWY_EXPORT(LinearRows);
HWY_EXPORT(LinearMaskedRows);
HWY_EXPORT(MatmulRows);
HWY_EXPORT(MatmulTnLists);
HWY_EXPORT(MatmulTnTile);
HWY_EXPORT(MatmulColumnChunks);
HWY_EXPORT(AdamRange);
#define ATTNSCOPE_SIMD(kernel) HWY_DYNAMIC_DISPATCH(kernel)
#endif

namespace {

// Loops of less work than this (multiply-adds) stay on the calling thread.
constexpr std::size_t kMinParallelWork = 1 << 16;

// Rows per parallel grain for a loop over rows of `work_per_row` multiply-adds each: one tile,
// or all rows when the whole loop is too small to share.
std::size_t row_grain(std::size_t rows, std::size_t work_per_row, std::size_t tile) {
  return rows * work_per_row < kMinParallelWork ? std::max<std::size_t>(rows, 1) : tile;
}

// Whether a product runs on the AMX tiles: a weight split at load, matmul precision "high" now,
// and at least 16 tokens (a tile's 16 rows; fewer go to the dot products, as in the float32 path).
bool on_tiles(const WeightView& w, int T, int K) {
  return T >= 16 && w.split && matmul_precision() == MatmulPrecision::high &&
         amx::mode() != amx::Mode::off && amx::can_multiply(w, K);
}

// Delegates everything to the reference except the ops with a SIMD kernel.
class CpuSimdKernels final : public Kernels {
 public:
  std::string_view name() const override { return "cpu-simd"; }

  void linear(float* out, const float* x, const float* w, const float* bias, int T, int K,
              int N) override {
    linear_strided(out, N, x, K, WeightView::f32(w, K), bias, T, K, N);
  }
  void linear_strided(float* out, std::size_t ldo, const float* x, std::size_t ldx, WeightView w,
                      const float* bias, int T, int K, int N) override {
    if (on_tiles(w, T, K)) {
      const LinearOutput one{out, ldo, w, bias, N};
      return amx::gemm_nt_multi(x, ldx, T, K, std::span<const LinearOutput>(&one, 1));
    }
    if (2 * std::size_t(T) >= simd::gemm_panel_width())
      return simd::gemm_nt(out, ldo, x, ldx, w, bias, T, K, N);
    // A few tokens: dot products over the weight rows (a packed panel would be mostly padding);
    // 16-bit weights widened 64 rows at a time.
    parallel_for(N, row_grain(N, std::size_t(T) * K, 4), [&](std::size_t b, std::size_t e) {
      if (w.type == WeightType::f32) {
        ATTNSCOPE_SIMD(LinearRows)
        (out, ldo, x, ldx, static_cast<const float*>(w.data), w.ld, bias, T, K, int(b), int(e));
        return;
      }
      thread_local simd::AlignedFloats buffer;
      for (std::size_t n0 = b; n0 < e; n0 += 64) {
        const int rows = int(std::min<std::size_t>(64, e - n0));
        float* wf = buffer.reserve(std::size_t(rows) * K);
        simd::widen_rows(wf, K, w.at(n0, 0), rows, K);
        ATTNSCOPE_SIMD(LinearRows)
        (out + n0, ldo, x, ldx, wf, K, bias ? bias + n0 : nullptr, T, K, 0, rows);
      }
    });
  }
  void linear_multi(const float* x, std::size_t ldx, int T, int K,
                    std::span<const LinearOutput> outputs) override {
    // The outputs with a split weight go to the AMX tiles, the others (and all of them at
    // matmul precision "highest") to the float32 GEMM.
    std::vector<LinearOutput> tiles, floats;
    for (const LinearOutput& o : outputs) (on_tiles(o.w, T, K) ? tiles : floats).push_back(o);
    if (!tiles.empty()) {
      amx::gemm_nt_multi(x, ldx, T, K, tiles);
      if (floats.empty()) return;
      outputs = floats;
    }
    if (2 * std::size_t(T) >= simd::gemm_panel_width())
      return simd::gemm_nt_multi(x, ldx, T, K, outputs);
    for (const LinearOutput& o : outputs)
      linear_strided(o.out, o.ldo, x, ldx, o.w, o.bias, T, K, o.N);
  }
  std::shared_ptr<const amx::SplitWeight> prepare_weight(WeightView w, int N, int K) override {
    if (matmul_precision() != MatmulPrecision::high) return nullptr;
    return amx::split_weight(w, N, K);
  }
  void matmul(float* out, const float* a, const float* b, const float* bias, int T, int K,
              int N) override {
    parallel_for(T, row_grain(T, std::size_t(K) * N, 4), [&](std::size_t begin, std::size_t end) {
      ATTNSCOPE_SIMD(MatmulRows)(out, a, b, bias, T, K, N, int(begin), int(end));
    });
  }
  void matmul_tn(float* out, const float* a, const float* b, int T, int K, int N) override {
    // Output rows in tiles of 4, each with the list of rows t of a that touch it; then every
    // (column chunk, tile) pair, chunk-major so that a thread keeps one column slice of b in cache
    // across tiles.
    const std::size_t tiles = (std::size_t(K) + 3) / 4, sT = std::size_t(T);
    thread_local std::vector<int> idx;
    thread_local std::vector<float> vals;
    thread_local std::vector<int> counts;
    idx.resize(tiles * sT);
    vals.resize(tiles * sT * 4);
    counts.resize(tiles);
    int* idx_p = idx.data();
    float* vals_p = vals.data();
    int* counts_p = counts.data();
    parallel_for(tiles, row_grain(tiles, sT * 4, 4), [&](std::size_t begin, std::size_t end) {
      ATTNSCOPE_SIMD(MatmulTnLists)(a, T, K, int(begin), int(end), idx_p, vals_p, counts_p);
    });
    const std::size_t chunks = ATTNSCOPE_SIMD(MatmulColumnChunks)(N);
    const std::size_t items = chunks * tiles;
    parallel_for(items, row_grain(items, sT * 4 * N / chunks, 1),
                 [&](std::size_t begin, std::size_t end) {
                   for (std::size_t i = begin; i < end; i++) {
                     const std::size_t tile = i % tiles;
                     ATTNSCOPE_SIMD(MatmulTnTile)
                     (out, b, K, N, int(tile), i / tiles, idx_p + tile * sT, vals_p + tile * sT * 4,
                      counts_p[tile]);
                   }
                 });
  }
  void linear_masked(float* out, const float* x, const float* w, const float* bias,
                     const float* mask, int T, int K, int N) override {
    // Groups of 4 rows, as the kernel's tiles take them.
    parallel_for(T, row_grain(T, std::size_t(K) * N, 4), [&](std::size_t b, std::size_t e) {
      ATTNSCOPE_SIMD(LinearMaskedRows)(out, x, w, bias, mask, K, N, int(b), int(e));
    });
  }
  void adam_step(float* param, float* m, float* v, const float* grad, std::size_t n,
                 const AdamStep& s) override {
    const double correction1 = 1 - std::pow(s.beta1, s.step);
    const double correction2 = 1 - std::pow(s.beta2, s.step);
    const float step_size = float(s.learning_rate / correction1);
    const float inv_sqrt_c2 = float(1.0 / std::sqrt(correction2));
    // Blocks of 4096 elements: a multiple of every lane count, so each element takes the same
    // (vector or scalar) path for any number of threads.
    parallel_for(n, n < kMinParallelWork ? n : 4096, [&](std::size_t b, std::size_t e) {
      ATTNSCOPE_SIMD(AdamRange)
      (param, m, v, grad, b, e, float(s.beta1), float(s.beta2), step_size, inv_sqrt_c2,
       float(s.eps));
    });
  }
  void layernorm(float* out, const float* x, const float* w, const float* b, int T, int C,
                 float eps) override {
    simd::layernorm(out, x, w, b, T, C, eps);
  }
  void rmsnorm(float* out, const float* x, const float* w, int T, int C, float eps) override {
    simd::rmsnorm(out, x, w, T, C, eps);
  }
  void activate(float* x, std::size_t n, Activation act) override { simd::activate(x, n, act); }
  void multiply(float* a, const float* b, std::size_t n) override { simd::multiply(a, b, n); }
  void add(float* a, const float* b, std::size_t n) override { simd::add(a, b, n); }
  void rope(float* x, int T, int heads, int D, int R, float theta, int pos0) override {
    simd::rope(x, T, heads, D, R, theta, pos0);
  }
  void attention_scores(float* scores, const float* q, const float* k, int T, int H, int G, int D,
                        float scale) override {
    simd::attention_scores(scores, q, k, T, H, G, D, scale);
  }
  void softmax_rows(float* pattern, const float* scores, int H, int T) override {
    simd::softmax_rows(pattern, scores, H, T);
  }
  void attention_mix(float* z, const float* pattern, const float* v, int T, int H, int G,
                     int D) override {
    simd::attention_mix(z, pattern, v, T, H, G, D);
  }
  void attention(float* z, float* pattern, const float* q, const float* k, const float* v, int T,
                 int H, int G, int D, float scale, int past) override {
    simd::attention(z, pattern, q, k, v, T, H, G, D, scale, past);
  }
  void gather_rows(float* out, WeightView table, const int* ids, int n, int C) override {
    parallel_for(n, row_grain(n, C, 16), [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; i++)
        simd::widen_rows(out + i * C, C, table.at(ids[i], 0), 1, C);
    });
  }
  void sum_heads(float* out, const float* x, const float* bias, int T, int H, int C) override {
    const std::size_t sC = C;
    parallel_for(T, row_grain(T, std::size_t(H) * C, 1), [&](std::size_t b, std::size_t e) {
      for (std::size_t t = b; t < e; t++) {
        float* ot = out + t * sC;
        if (bias)
          std::copy_n(bias, C, ot);
        else
          std::fill(ot, ot + C, 0.0f);
        for (int h = 0; h < H; h++) simd::add(ot, x + (t * H + h) * sC, sC);
      }
    });
  }
};

}  // namespace

Kernels& cpu_simd_kernels() {
  static CpuSimdKernels backend;
  return backend;
}

}  // namespace attnscope
#endif  // HWY_ONCE
