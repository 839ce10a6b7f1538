// simd_gemm.cpp — the packed, cache-blocked, register-tiled product behind cpu-simd's linear:
// out[T,N] = x[T,K] · w[N,K]ᵀ + bias[N], every operand with its own row stride.
//
// Shape legend: T tokens (rows of x and out), K input features, N output features (rows of w).
//
// Layout. The product is computed transposed, outᵀ[N,T] = w · xᵀ: w's rows are read where they
// lie (a weight is never copied or transposed), and x — the small operand, T·K — is packed once
// per call into panels of NR tokens, [T/NR][K][NR], so that the micro-kernel loads NR tokens of
// one feature with NR/lanes vector loads. The micro-kernel keeps an MR × NR tile of outᵀ in
// registers (MR weight rows × 2 vectors of tokens: 8 × 32 with AVX-512, 6 × 16 with AVX2, 6 × 8
// with SSE4 and WASM SIMD128) and per feature k broadcasts MR weights against the two token
// vectors: MR·2 multiply-adds per MR + 2 loads.
//
// Blocking. Work items are (block of weight rows) × (block of up to kTokenBlock tokens); an item
// accumulates its outᵀ block in a per-thread buffer over K: blocks of kKb features, within them
// MR weight rows at a time, within those steps of kc features, so that the packed x of a feature
// block (kTokenBlock × kKb floats) stays in L2, an MR × kc slice of w in L1 while every token
// panel reads it, and each weight row is read along kKb features at a stretch. At the end the
// block is transposed into out with the bias added.
//
// Determinism: every output is bias + (Σ_k in order of k, one fused multiply-add per k), the same
// sequence whatever block, item or thread computes it, so results do not depend on the number of
// threads.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/ops/simd_gemm.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <hwy/cache_control.h>  // Prefetch

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/io/dtype.h"
#include "core/ops/parallel.h"
#include "core/ops/simd_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace attnscope {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

constexpr int kKc = 256;   // features per micro-kernel call
constexpr int kKb = 1024;  // features per block of weight rows (GemmItem)

#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
constexpr int kMR = 8;  // 32 vector registers: 16 accumulators, 2 token vectors, broadcasts
#elif HWY_TARGET == HWY_WASM
// WASM has no FMA (a multiply and an add, each with its own register) and V8 maps vectors onto
// 16 registers: 6 rows spilled, at 4 the GPT-2 small T = 128 pass in Chromium went from 1232 to
// 662 ms (3 and 5 rows: 690 and 677 ms; tests/bench/results/ort_browser.txt).
constexpr int kMR = 4;
#else
constexpr int kMR = 6;  // 16 vector registers: 12 accumulators, 2 token vectors, 1 broadcast
#endif
std::size_t PanelWidth() {
  return 2 * hn::Lanes(DF());
}

// Packs features [k0, k1) of tokens [panel·NR, panel·NR + NR) of x into xp[k][NR] (xp is the
// panel's start; zeros past T).
void PackPanel(const float* HWY_RESTRICT x, std::size_t ldx, int T, int panel, int k0, int k1,
               float* HWY_RESTRICT xp) {
  const int NR = static_cast<int>(PanelWidth());
  const int t0 = panel * NR, rows = std::min(NR, T - t0);
  if (rows < NR) std::fill(xp + std::size_t(k0) * NR, xp + std::size_t(k1) * NR, 0.0f);
  for (int r = 0; r < rows; r++) {
    const float* xr = x + std::size_t(t0 + r) * ldx;
    for (int k = k0; k < k1; k++) xp[std::size_t(k) * NR + r] = xr[k];
  }
}

// acc (R weight rows × 2 token vectors) += w[R rows][kc] · xp[kc][NR], loading acc from c (row
// stride ldc) unless `first`.
template <int R>
HWY_INLINE void MicroKernel(const float* HWY_RESTRICT w, std::size_t ldw,
                            const float* HWY_RESTRICT xp, int kc, float* HWY_RESTRICT c,
                            std::size_t ldc, bool first) {
  const DF d;
  const std::size_t lanes = hn::Lanes(d), NR = 2 * lanes;
  VF acc0[R], acc1[R];
  const float* wr[R];
  HWY_UNROLL(8)
  for (int r = 0; r < R; r++) {
    wr[r] = w + r * ldw;
    acc0[r] = first ? hn::Zero(d) : hn::LoadU(d, c + r * ldc);
    acc1[r] = first ? hn::Zero(d) : hn::LoadU(d, c + r * ldc + lanes);
  }
  for (int k = 0; k < kc; k++) {
    const VF b0 = hn::LoadU(d, xp + k * NR), b1 = hn::LoadU(d, xp + k * NR + lanes);
    HWY_UNROLL(8)
    for (int r = 0; r < R; r++) {
      const VF a = hn::Set(d, wr[r][k]);
      acc0[r] = hn::MulAdd(a, b0, acc0[r]);
      acc1[r] = hn::MulAdd(a, b1, acc1[r]);
    }
  }
  HWY_UNROLL(8)
  for (int r = 0; r < R; r++) {
    hn::StoreU(acc0[r], d, c + r * ldc);
    hn::StoreU(acc1[r], d, c + r * ldc + lanes);
  }
}

void MicroKernelRows(int rows, const float* w, std::size_t ldw, const float* xp, int kc, float* c,
                     std::size_t ldc, bool first) {
  switch (rows) {
    case 8:
      return MicroKernel<8>(w, ldw, xp, kc, c, ldc, first);
    case 7:
      return MicroKernel<7>(w, ldw, xp, kc, c, ldc, first);
    case 6:
      return MicroKernel<6>(w, ldw, xp, kc, c, ldc, first);
    case 5:
      return MicroKernel<5>(w, ldw, xp, kc, c, ldc, first);
    case 4:
      return MicroKernel<4>(w, ldw, xp, kc, c, ldc, first);
    case 3:
      return MicroKernel<3>(w, ldw, xp, kc, c, ldc, first);
    case 2:
      return MicroKernel<2>(w, ldw, xp, kc, c, ldc, first);
    default:
      return MicroKernel<1>(w, ldw, xp, kc, c, ldc, first);
  }
}

// dst[r·ldd + c] = w[r, c] as float32 for r < rows, c < cols.
void WidenRows(float* HWY_RESTRICT dst, std::size_t ldd, WeightView w, int rows, int cols) {
  const DF d;
  const int lanes = static_cast<int>(hn::Lanes(d));
  for (int r = 0; r < rows; r++) {
    float* out = dst + r * ldd;
    if (w.type == WeightType::f32) {
      std::copy_n(static_cast<const float*>(w.at(r, 0).data), cols, out);
      continue;
    }
    const auto* bits = static_cast<const std::uint16_t*>(w.at(r, 0).data);
    int c = 0;
    if (w.type == WeightType::f16) {
      const hn::Rebind<hwy::float16_t, DF> dh;
      const auto* h = reinterpret_cast<const hwy::float16_t*>(bits);
      for (; c + lanes <= cols; c += lanes)
        hn::StoreU(hn::PromoteTo(d, hn::LoadU(dh, h + c)), d, out + c);
      for (; c < cols; c++) out[c] = f16_to_f32(bits[c]);
    } else {
      const hn::Rebind<hwy::bfloat16_t, DF> db;
      const auto* b = reinterpret_cast<const hwy::bfloat16_t*>(bits);
      for (; c + lanes <= cols; c += lanes)
        hn::StoreU(hn::PromoteTo(d, hn::LoadU(db, b + c)), d, out + c);
      for (; c < cols; c++) out[c] = bf16_to_f32(bits[c]);
    }
  }
}

// One work item: weight rows [n0, n1) × token panels [p0, p1) of the packed x (panel p at
// xp + p·K·NR). `acc` holds (n1 − n0) × (p1 − p0)·NR floats. 16-bit weights are widened an
// MR × kc slice at a time into an L1-sized buffer, which every token panel then reads.
void GemmItem(float* HWY_RESTRICT out, std::size_t ldo, const float* HWY_RESTRICT xp, WeightView wv,
              const float* HWY_RESTRICT bias, int T, int K, int n0, int n1, int p0, int p1,
              float* HWY_RESTRICT acc) {
  const int NR = static_cast<int>(PanelWidth());
  const bool wide = wv.type == WeightType::f32;
  HWY_ALIGN float slice[kMR * kKc];
  const std::size_t ldc = std::size_t(p1 - p0) * NR;
  constexpr int kc = kKc;
  // Blocks of kKb features outside the weight rows, kc-feature steps inside them: an MR-row
  // strip of w is read along up to kKb features before the next strip (long runs for the
  // hardware's stream prefetchers; weights are read once per pass, from memory), while the
  // token block's packed x for those features (128 tokens × kKb, 512 KB) stays in L2.
  for (int kb = 0; kb < K; kb += kKb) {
    const int ke = std::min(K, kb + kKb);
    for (int n = n0; n < n1; n += kMR) {
      const int rows = std::min(kMR, n1 - n);
      for (int k0 = kb; k0 < ke; k0 += kc) {
        const int kn = std::min(kc, K - k0);
        const float* wn;
        std::size_t ldw;
        if (wide) {
          wn = static_cast<const float*>(wv.at(n, k0).data);
          ldw = wv.ld;
        } else {
          WidenRows(slice, kc, wv.at(n, k0), rows, kn);
          wn = slice;
          ldw = kc;
        }
        float* cn = acc + std::size_t(n - n0) * ldc;
        // The next slice of w (the next kc features of these rows, or the next rows' first)
        // comes from memory: its lines are asked for a share before each token panel, not all
        // at once. A burst of a whole slice's prefetches filled the line fill buffers on the GPU
        // machine's Xeon and starved the panel loads; spread out, with the blocks above, the
        // block's products with weights from memory went from 54% to 78% of the FMA peak
        // there (one thread, T = 128; tests/bench/results/device_gemm_variants.txt).
        int next_n = n, next_k = k0 + kc;
        if (next_k >= ke) next_n = n + kMR, next_k = kb;
        const int next_rows = std::min(kMR, n1 - next_n);
        const std::size_t lines =
            (std::size_t(std::min(kc, K - next_k)) * wv.element_size() + 63) / 64;
        const int parts = p1 - p0;
        for (int p = p0; p < p1; p++) {
          const std::size_t l0 = lines * (p - p0) / parts, l1 = lines * (p - p0 + 1) / parts;
          for (int r = 0; r < next_rows; r++) {
            const char* next = static_cast<const char*>(wv.at(next_n + r, next_k).data);
            for (std::size_t b = l0; b < l1; b++) hwy::Prefetch(next + b * 64);
          }
          MicroKernelRows(rows, wn, ldw, xp + (std::size_t(p) * K + k0) * NR, kn,
                          cn + std::size_t(p - p0) * NR, ldc, k0 == 0);
        }
      }
    }
  }
  // outᵀ → out, 16 weight rows × one vector of tokens at a time: each 4 rows × L tokens are
  // transposed by StoreInterleaved4 into [token][4] in L1, then each token's row of out gets its
  // 16 outputs (+ bias) together, so a line of out is written whole. (A column of out at a time
  // would touch one line per token, lines ldo floats apart, which for ldo a multiple of 1024 all
  // fall in one cache set.) Reading a vector of tokens past T stays inside acc's padded panels;
  // rows past a multiple of 4 take the scalar loop.
  const DF d;
  const hn::CappedTag<float, 4> d4;
  const int L = static_cast<int>(hn::Lanes(d)), L4 = static_cast<int>(hn::Lanes(d4));
  const int t0 = p0 * NR, t1 = std::min(T, p1 * NR);
  HWY_ALIGN float tile[4 * 4 * hn::MaxLanes(DF())];  // [group of 4 rows][token][4]
  HWY_ALIGN float block_bias[16];
  const int n4 = n0 + (n1 - n0) / 4 * 4;
  for (int nb = n0; nb < n4; nb += 16) {
    const int groups = std::min(16, n4 - nb) / 4;
    for (int j = 0; j < 4 * groups; j++) block_bias[j] = bias ? bias[nb + j] : 0.0f;
    for (int t = t0; t < t1; t += L) {
      for (int g = 0; g < groups; g++) {
        const float* c = acc + std::size_t(nb + 4 * g - n0) * ldc + (t - t0);
        hn::StoreInterleaved4(hn::LoadU(d, c), hn::LoadU(d, c + ldc), hn::LoadU(d, c + 2 * ldc),
                              hn::LoadU(d, c + 3 * ldc), d, tile + std::size_t(g) * 4 * L);
      }
      const int tokens = std::min(L, t1 - t);
      for (int i = 0; i < tokens; i++) {
        float* ot = out + std::size_t(t + i) * ldo + nb;
        for (int g = 0; g < groups; g++)
          for (int j = 0; j < 4; j += L4)
            hn::StoreU(hn::Add(hn::Load(d4, tile + (std::size_t(g) * L + i) * 4 + j),
                               hn::Load(d4, block_bias + 4 * g + j)),
                       d4, ot + 4 * g + j);
      }
    }
  }
  for (int n = n4; n < n1; n++)
    for (int t = t0; t < t1; t++)
      out[std::size_t(t) * ldo + n] =
          acc[std::size_t(n - n0) * ldc + (t - t0)] + (bias ? bias[n] : 0.0f);
}

// A sustained stream of independent multiply-adds on one thread: returns GFLOP/s.
double FmaPeak(double seconds) {
  const DF d;
  constexpr int kChains = 16;  // enough independent chains to cover the FMA latency
  VF acc[kChains];
  for (int i = 0; i < kChains; i++) acc[i] = hn::Set(d, 1.0f + 1e-7f * i);
  const VF a = hn::Set(d, 0.999999f), b = hn::Set(d, 1e-7f);
  long long iterations = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0.0;
  do {
    for (int rep = 0; rep < 4096; rep++) {
      HWY_UNROLL(16)
      for (int i = 0; i < kChains; i++) acc[i] = hn::MulAdd(acc[i], a, b);
    }
    iterations += 4096;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  VF sum = acc[0];
  for (int i = 1; i < kChains; i++) sum = hn::Add(sum, acc[i]);
  // Keep the chains alive: the sum is finite, so this never prints but cannot be optimised out.
  volatile float sink = hn::GetLane(sum);
  (void)sink;
  return 2.0 * double(hn::Lanes(d)) * kChains * double(iterations) / elapsed * 1e-9;
}

const char* TargetName() {
  return hwy::TargetName(HWY_TARGET);
}

}  // namespace HWY_NAMESPACE
}  // namespace attnscope
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace attnscope {

#ifdef __EMSCRIPTEN__
#define ATTNSCOPE_GEMM(kernel) HWY_STATIC_DISPATCH(kernel)
#else
HWY_EXPORT(PanelWidth);
HWY_EXPORT(PackPanel);
HWY_EXPORT(GemmItem);
HWY_EXPORT(WidenRows);
HWY_EXPORT(FmaPeak);
HWY_EXPORT(TargetName);
#define ATTNSCOPE_GEMM(kernel) HWY_DYNAMIC_DISPATCH(kernel)
#endif

namespace simd {

constexpr int kTokenBlock = 128;
constexpr int kPackFeatures = 256;  // features per packing piece

std::size_t gemm_panel_width() {
  return ATTNSCOPE_GEMM(PanelWidth)();
}

void widen_rows(float* dst, std::size_t ldd, WeightView w, int rows, int cols) {
  ATTNSCOPE_GEMM(WidenRows)(dst, ldd, w, rows, cols);
}

void gemm_nt(float* out, std::size_t ldo, const float* x, std::size_t ldx, WeightView w,
             const float* bias, int T, int K, int N) {
  const LinearOutput one{out, ldo, w, bias, N};
  gemm_nt_multi(x, ldx, T, K, std::span<const LinearOutput>(&one, 1));
}

void gemm_nt_multi(const float* x, std::size_t ldx, int T, int K,
                   std::span<const LinearOutput> outputs) {
  int total_N = 0;
  for (const LinearOutput& o : outputs) total_N += o.N;
  if (T <= 0 || total_N <= 0) return;
  const int NR = static_cast<int>(gemm_panel_width());
  const int panels = (T + NR - 1) / NR;
  thread_local AlignedFloats packed;
  float* xp = packed.reserve(std::size_t(panels) * K * NR);
  // Packing is shared as (panel, kPackFeatures features) pieces: by panels alone, T = 128 gives 4,
  // and the other threads would wait for them.
  const std::size_t panel_work = std::size_t(NR) * K;
  const int k_pieces = (K + kPackFeatures - 1) / kPackFeatures;
  const std::size_t pieces = std::size_t(panels) * k_pieces;
  parallel_for(pieces, panel_work * panels < (1 << 16) ? pieces : 1,
               [&](std::size_t b, std::size_t e) {
                 for (std::size_t i = b; i < e; i++) {
                   const int p = int(i / k_pieces), k0 = int(i % k_pieces) * kPackFeatures;
                   ATTNSCOPE_GEMM(PackPanel)
                   (x, ldx, T, p, k0, std::min(K, k0 + kPackFeatures), xp + p * panel_work);
                 }
               });
  // Items: blocks of weight rows (of one output) × blocks of token panels, enough of them to
  // share among the threads, but no smaller than 16 weight rows. Every item reads its token
  // block's packed x (128 × K floats) whole, so items are made as large as the sharing allows:
  // about one per thread for a single token block, two per thread otherwise.
  const int panels_per_block = std::max(1, std::min(panels, kTokenBlock / NR));
  const int token_blocks = (panels + panels_per_block - 1) / panels_per_block;
  const int threads = cpu_threads();
  const std::size_t work = std::size_t(T) * K * total_N;
  int rows_per_item = total_N;
  if (threads > 1 && work >= (1 << 18)) {
    const int wanted_items = token_blocks == 1 ? threads : 2 * threads;
    const int row_blocks = std::max(1, (wanted_items + token_blocks - 1) / token_blocks);
    rows_per_item = std::max(16, (total_N + row_blocks - 1) / row_blocks);
  }
  rows_per_item = std::min(rows_per_item, 256);
  rows_per_item = (rows_per_item + 7) / 8 * 8;
  // first_item[j]: the first item of output j; its items are row blocks × token blocks.
  std::vector<std::size_t> first_item(outputs.size() + 1, 0);
  for (std::size_t j = 0; j < outputs.size(); j++)
    first_item[j + 1] =
        first_item[j] +
        std::size_t((outputs[j].N + rows_per_item - 1) / rows_per_item) * token_blocks;
  parallel_for(first_item.back(), 1, [&](std::size_t b, std::size_t e) {
    thread_local AlignedFloats acc_buffer;
    float* acc = acc_buffer.reserve(std::size_t(rows_per_item) * panels_per_block * NR);
    std::size_t j = 0;
    for (std::size_t i = b; i < e; i++) {
      while (i >= first_item[j + 1]) j++;
      const LinearOutput& o = outputs[j];
      const std::size_t local = i - first_item[j];
      const int rb = int(local / token_blocks), tb = int(local % token_blocks);
      const int n0 = rb * rows_per_item, n1 = std::min(o.N, n0 + rows_per_item);
      const int p0 = tb * panels_per_block, p1 = std::min(panels, p0 + panels_per_block);
      ATTNSCOPE_GEMM(GemmItem)
      (o.out, o.ldo, xp, o.w, o.bias, T, K, n0, n1, p0, p1, acc);
    }
  });
}

double fma_peak_gflops(double seconds) {
  return ATTNSCOPE_GEMM(FmaPeak)(seconds);
}

const char* simd_target_name() {
  return ATTNSCOPE_GEMM(TargetName)();
}

std::vector<std::string> simd_targets() {
#ifdef __EMSCRIPTEN__
  return {simd_target_name()};
#else
  std::vector<std::string> out;
  for (const std::int64_t t : hwy::SupportedAndGeneratedTargets())
    out.push_back(hwy::TargetName(t));
  return out;
#endif
}

Status force_simd_target(std::string_view name) {
  std::string choices;
  for (const std::string& t : simd_targets()) choices += (choices.empty() ? "" : ", ") + t;
#ifndef __EMSCRIPTEN__
  for (const std::int64_t t : hwy::SupportedAndGeneratedTargets())
    if (name == hwy::TargetName(t)) {
      // Highway's hook for running every target in tests: every kernel dispatches to `t` now.
      hwy::SetSupportedTargetsForTest(t);
      return {};
    }
#endif
  if (simd_targets().size() == 1 && name == simd_targets()[0]) return {};
  return make_error("SIMD target '" + std::string(name) + "' is not one this build runs here",
                    "choices: " + choices);
}

}  // namespace simd
}  // namespace attnscope
#endif  // HWY_ONCE
