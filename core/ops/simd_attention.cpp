// simd_attention.cpp — cpu-simd's causal attention in Highway: the fused op (q, k, v → z, online
// softmax over key tiles, the pattern written only when asked for) and the separate scores /
// mix ops the forward pass uses when a hook captures or edits the scores or edits the pattern.
//
// Shape legend: T tokens, H query heads, G key/value heads (query head h reads h / (H/G)), D head
// dimension; BQ query rows per work item, BK keys per tile (4 vectors), Tp = T rounded up to BK.
// The fused op also takes a past length: its T queries are the positions past.. of S = past + T
// keys (a generation step with a key/value cache), so it packs S keys and Tp rounds S up.
//
// Layout. Keys are packed once per call transposed and tiled, kt[G][Tp/BK][D][BK], so that the
// scores of 4 query rows against BK keys are a register tile (4 rows × 4 vectors of keys) that
// broadcasts q[d] against kt[tile][d]: no horizontal sums. A tile's D × BK keys are contiguous
// (16 KB for D = 64 with AVX-512), so they stay in L1 while every row group of a query block
// reads them. (Transposed whole, kt[G][D][Tp], the D rows of a tile lay Tp floats apart: for
// T = 1024 that is 4 KB, the same L1 set for every d, and each row group read the tile from L2.)
// Values are packed [G][T][Dv] with Dv = D rounded up to a vector, so that p · v is broadcast p
// against whole vectors of v. The fused op keeps, per query row of its item, the running max m,
// the running sum l and the output O[Dv]; a new key tile with a larger max rescales l and O by
// exp(m_old − m_new) (online softmax, as FlashAttention does). Work items are (head, block of BQ
// query rows), threaded.
//
// Pattern: when asked for, the fused op writes exp(s − m_tile) into the pattern row for each tile
// and, at the end of the row, multiplies each tile's stretch by exp(m_tile − m) / l; keys after
// the query are exactly 0.
//
// Determinism: an item's results depend only on the item, never on the thread that runs it.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/ops/simd_attention.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <hwy/contrib/math/math-inl.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "core/ops/parallel.h"
#include "core/ops/simd_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace attnscope {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using DI = hn::RebindToSigned<DF>;
using VF = hn::Vec<DF>;

constexpr int kRowsPerTile = 4;  // query rows per register tile
constexpr int kKeyVectors = 4;   // vectors of keys per tile
constexpr int kQueryBlock = 32;  // BQ

std::size_t KeyTile() {
  return kKeyVectors * hn::Lanes(DF());
}
std::size_t ValueWidth(int D) {
  const std::size_t lanes = hn::Lanes(DF());
  return (std::size_t(D) + lanes - 1) / lanes * lanes;
}

// kt[g][t / BK][d][t % BK] = k[t][g][d] (zeros past T) for the key heads [g_begin, g_end).
void PackKeys(const float* HWY_RESTRICT k, int T, int G, int D, int g_begin, int g_end,
              float* HWY_RESTRICT kt) {
  const std::size_t BK = KeyTile(), Tp = (std::size_t(T) + BK - 1) / BK * BK;
  for (int g = g_begin; g < g_end; g++) {
    float* kg = kt + std::size_t(g) * D * Tp;
    const std::size_t last_tile = std::size_t(T) / BK * BK;
    if (last_tile < Tp) std::fill(kg + last_tile * D, kg + Tp * D, 0.0f);
    for (int t = 0; t < T; t++) {
      const float* kr = k + (std::size_t(t) * G + g) * D;
      float* kd = kg + std::size_t(t) / BK * BK * D + std::size_t(t) % BK;
      for (int d = 0; d < D; d++) kd[d * BK] = kr[d];
    }
  }
}

// vp[g][T][Dv] = v[t][g][d] (zeros past D) for the value heads [g_begin, g_end).
void PackValues(const float* HWY_RESTRICT v, int T, int G, int D, int g_begin, int g_end,
                float* HWY_RESTRICT vp) {
  const std::size_t Dv = ValueWidth(D);
  for (int g = g_begin; g < g_end; g++)
    for (int t = 0; t < T; t++) {
      float* row = vp + (std::size_t(g) * T + t) * Dv;
      std::copy_n(v + (std::size_t(t) * G + g) * D, D, row);
      std::fill(row + D, row + Dv, 0.0f);
    }
}

// s[r][0..BK) = scale · q_r · keys [j0, j0 + BK) of one head's packed keys kg, for 4 query rows
// (pointers may repeat). j0 is a multiple of BK.
HWY_INLINE void ScoreTile(const float* const* q, const float* HWY_RESTRICT kg, int D, int j0,
                          float scale, float* HWY_RESTRICT s) {
  const DF d;
  const std::size_t lanes = hn::Lanes(d), BK = kKeyVectors * lanes;
  VF acc[kRowsPerTile][kKeyVectors];
  for (int r = 0; r < kRowsPerTile; r++)
    for (int v = 0; v < kKeyVectors; v++) acc[r][v] = hn::Zero(d);
  const float* kj = kg + std::size_t(j0) * D;  // the tile: D rows of BK keys
  for (int dd = 0; dd < D; dd++) {
    const float* kd = kj + dd * BK;
    VF kv[kKeyVectors];
    for (int v = 0; v < kKeyVectors; v++) kv[v] = hn::LoadU(d, kd + v * lanes);
    for (int r = 0; r < kRowsPerTile; r++) {
      const VF qv = hn::Set(d, q[r][dd]);
      for (int v = 0; v < kKeyVectors; v++) acc[r][v] = hn::MulAdd(qv, kv[v], acc[r][v]);
    }
  }
  const VF vs = hn::Set(d, scale);
  for (int r = 0; r < kRowsPerTile; r++)
    for (int v = 0; v < kKeyVectors; v++)
      hn::StoreU(hn::Mul(acc[r][v], vs), d, s + r * BK + v * lanes);
}

// o[r][0..Dv) += Σ_{j < n} p[r][j] · vp[j][0..Dv) for 4 rows (o rows at stride Dv, p rows at
// stride ldp), in chunks of up to 4 vectors of the value dimension.
HWY_INLINE void MixTile(const float* const* p, int n, const float* HWY_RESTRICT vp, std::size_t Dv,
                        float* const* o) {
  const DF d;
  const std::size_t lanes = hn::Lanes(d);
  for (std::size_t c = 0; c < Dv; c += 4 * lanes) {
    const int nv = static_cast<int>(std::min<std::size_t>(4, (Dv - c) / lanes));
    VF acc[kRowsPerTile][4];
    for (int r = 0; r < kRowsPerTile; r++)
      for (int v = 0; v < 4; v++)
        acc[r][v] = v < nv ? hn::LoadU(d, o[r] + c + v * lanes) : hn::Zero(d);
    if (nv == 4) {
      for (int j = 0; j < n; j++) {
        const float* vj = vp + j * Dv + c;
        const VF v0 = hn::LoadU(d, vj), v1 = hn::LoadU(d, vj + lanes),
                 v2 = hn::LoadU(d, vj + 2 * lanes), v3 = hn::LoadU(d, vj + 3 * lanes);
        for (int r = 0; r < kRowsPerTile; r++) {
          const VF pr = hn::Set(d, p[r][j]);
          acc[r][0] = hn::MulAdd(pr, v0, acc[r][0]);
          acc[r][1] = hn::MulAdd(pr, v1, acc[r][1]);
          acc[r][2] = hn::MulAdd(pr, v2, acc[r][2]);
          acc[r][3] = hn::MulAdd(pr, v3, acc[r][3]);
        }
      }
    } else {
      for (int j = 0; j < n; j++) {
        const float* vj = vp + j * Dv + c;
        for (int v = 0; v < nv; v++) {
          const VF vv = hn::LoadU(d, vj + v * lanes);
          for (int r = 0; r < kRowsPerTile; r++)
            acc[r][v] = hn::MulAdd(hn::Set(d, p[r][j]), vv, acc[r][v]);
        }
      }
    }
    for (int r = 0; r < kRowsPerTile; r++)
      for (int v = 0; v < nv; v++) hn::StoreU(acc[r][v], d, o[r] + c + v * lanes);
  }
}

// scores rows [i_begin, i_end) of head h, full rows of T (−inf after the query).
void ScoresRows(float* HWY_RESTRICT scores, const float* HWY_RESTRICT q,
                const float* HWY_RESTRICT kt, int T, int H, int G, int D, float scale, int h,
                int i_begin, int i_end) {
  const std::size_t BK = KeyTile(), Tp = (std::size_t(T) + BK - 1) / BK * BK;
  const float* kg = kt + std::size_t(h / (H / G)) * D * Tp;
  const float neg_inf = -std::numeric_limits<float>::infinity();
  HWY_ALIGN float s[kRowsPerTile * 4 * hn::MaxLanes(DF())];
  for (int i0 = i_begin; i0 < i_end; i0 += kRowsPerTile) {
    const int rows = std::min(kRowsPerTile, i_end - i0);
    const float* qr[kRowsPerTile];
    for (int r = 0; r < kRowsPerTile; r++)
      qr[r] = q + (std::size_t(i0 + std::min(r, rows - 1)) * H + h) * D;
    const int last = i0 + rows - 1;
    for (int j0 = 0; j0 <= last; j0 += int(BK)) {
      ScoreTile(qr, kg, D, j0, scale, s);
      for (int r = 0; r < rows; r++) {
        const int i = i0 + r;
        float* row = scores + (std::size_t(h) * T + i) * T;
        const int n = std::min<int>(int(BK), T - j0);
        for (int j = 0; j < n; j++) row[j0 + j] = j0 + j <= i ? s[r * BK + j] : neg_inf;
      }
    }
    for (int r = 0; r < rows; r++) {
      const int i = i0 + r;
      float* row = scores + (std::size_t(h) * T + i) * T;
      const int from = std::min<int>(T, (last / int(BK) + 1) * int(BK));
      std::fill(row + from, row + T, neg_inf);
    }
  }
}

// z rows [i_begin, i_end) of head h from the pattern, over every key (an edited pattern may put
// weight after the query).
void MixRows(float* HWY_RESTRICT z, const float* HWY_RESTRICT pattern, const float* HWY_RESTRICT vp,
             int T, int H, int G, int D, int h, int i_begin, int i_end) {
  const std::size_t Dv = ValueWidth(D);
  const float* vg = vp + std::size_t(h / (H / G)) * T * Dv;
  thread_local simd::AlignedFloats o_buffer;
  float* o = o_buffer.reserve(kRowsPerTile * Dv);
  for (int i0 = i_begin; i0 < i_end; i0 += kRowsPerTile) {
    const int rows = std::min(kRowsPerTile, i_end - i0);
    const float* pr[kRowsPerTile];
    float* orow[kRowsPerTile];
    for (int r = 0; r < kRowsPerTile; r++) {
      pr[r] = pattern + (std::size_t(h) * T + i0 + std::min(r, rows - 1)) * T;
      orow[r] = o + r * Dv;
    }
    std::fill(o, o + kRowsPerTile * Dv, 0.0f);
    // Keys up to the last query, and past it only as far as a row has weight there (an edited
    // pattern may put some after the query; softmax_rows leaves exact zeros).
    int n = i0 + rows;
    for (int r = 0; r < rows; r++) {
      int last = T;
      while (last > n && pr[r][last - 1] == 0.0f) last--;
      n = std::max(n, last);
    }
    MixTile(pr, n, vg, Dv, orow);
    for (int r = 0; r < rows; r++) std::copy_n(orow[r], D, z + (std::size_t(i0 + r) * H + h) * D);
  }
}

// The fused op for head h, query rows [i0, i1) at positions past + i; kt and vp hold S = past + T
// keys and values, the pattern rows are S long.
void FusedBlock(float* HWY_RESTRICT z, float* HWY_RESTRICT pattern, const float* HWY_RESTRICT q,
                const float* HWY_RESTRICT kt, const float* HWY_RESTRICT vp, int T, int H, int G,
                int D, float scale, int h, int i0, int i1, int past) {
  const DF d;
  const DI di;
  const int S = past + T;
  const std::size_t lanes = hn::Lanes(d), BK = KeyTile(), Tp = (std::size_t(S) + BK - 1) / BK * BK,
                    Dv = ValueWidth(D);
  const int g = h / (H / G);
  const float* kg = kt + std::size_t(g) * D * Tp;
  const float* vg = vp + std::size_t(g) * S * Dv;
  const int rows = i1 - i0;
  const int tiles = int((past + i1 - 1) / int(BK)) + 1;
  thread_local simd::AlignedFloats o_buffer;
  thread_local std::vector<float> tile_max;
  // O of the block's rows, then scratch rows for the repeated rows of a partial group.
  const std::size_t o_size = std::size_t(kQueryBlock + kRowsPerTile) * Dv;
  float* o = o_buffer.reserve(o_size);
  std::fill(o, o + o_size, 0.0f);
  tile_max.resize(std::size_t(kQueryBlock) * tiles);
  float m[kQueryBlock], l[kQueryBlock];
  const float neg_inf = -std::numeric_limits<float>::infinity();
  std::fill(m, m + kQueryBlock, neg_inf);
  std::fill(l, l + kQueryBlock, 0.0f);
  HWY_ALIGN float s[kRowsPerTile * 4 * hn::MaxLanes(DF())];
  const VF vninf = hn::Set(d, neg_inf);
  for (int tile = 0; tile < tiles; tile++) {
    const int j0 = tile * int(BK);
    for (int r0 = 0; r0 < rows; r0 += kRowsPerTile) {
      const int nr = std::min(kRowsPerTile, rows - r0);
      if (j0 > past + i0 + r0 + nr - 1) continue;  // every row of this group is before the tile
      const float* qr[kRowsPerTile];
      float* orow[kRowsPerTile];
      const float* prow[kRowsPerTile];
      for (int r = 0; r < kRowsPerTile; r++) {
        const int rr = r0 + std::min(r, nr - 1);
        qr[r] = q + (std::size_t(i0 + rr) * H + h) * D;
        orow[r] = o + std::size_t(r < nr ? rr : kQueryBlock + r) * Dv;
        prow[r] = s + r * BK;
      }
      ScoreTile(qr, kg, D, j0, scale, s);
      for (int r = 0; r < kRowsPerTile; r++) {
        float* sr = s + r * BK;
        if (r >= nr) {  // a repeated row: computed into scratch, contributes nothing
          std::fill(sr, sr + BK, 0.0f);
          continue;
        }
        const int row = r0 + r, i = i0 + row;
        // Mask keys after the query (at position past + i), find the tile's max.
        VF vmax = vninf;
        for (int v = 0; v < kKeyVectors; v++) {
          const auto key = hn::Iota(di, j0 + v * int(lanes));
          const auto keep = hn::RebindMask(d, hn::Lt(key, hn::Set(di, past + i + 1)));
          const VF sv = hn::IfThenElse(keep, hn::LoadU(d, sr + v * lanes), vninf);
          hn::StoreU(sv, d, sr + v * lanes);
          vmax = hn::Max(vmax, sv);
        }
        const float tmax = hn::GetLane(hn::MaxOfLanes(d, vmax));
        if (tmax == neg_inf) {  // the query is before the tile: nothing to add
          std::fill(sr, sr + BK, 0.0f);
          continue;
        }
        const float m_new = std::max(m[row], tmax);
        const float correction = m[row] == neg_inf ? 0.0f : std::exp(m[row] - m_new);
        const VF vm = hn::Set(d, m_new);
        VF vsum = hn::Zero(d);
        for (int v = 0; v < kKeyVectors; v++) {
          const VF sv = hn::LoadU(d, sr + v * lanes);
          const VF e = hn::IfThenElseZero(hn::Ne(sv, vninf), hn::Exp(d, hn::Sub(sv, vm)));
          hn::StoreU(e, d, sr + v * lanes);
          vsum = hn::Add(vsum, e);
        }
        l[row] = l[row] * correction + hn::GetLane(hn::SumOfLanes(d, vsum));
        m[row] = m_new;
        tile_max[std::size_t(row) * tiles + tile] = m_new;
        if (correction != 1.0f) {
          const VF vc = hn::Set(d, correction);
          for (std::size_t c = 0; c < Dv; c += lanes)
            hn::StoreU(hn::Mul(hn::LoadU(d, orow[r] + c), vc), d, orow[r] + c);
        }
        if (pattern) {
          float* prow_out = pattern + (std::size_t(h) * T + i) * S + j0;
          std::copy_n(sr, std::min<int>(int(BK), S - j0), prow_out);
        }
      }
      MixTile(prow, std::min<int>(int(BK), S - j0), vg + std::size_t(j0) * Dv, Dv, orow);
    }
  }
  for (int row = 0; row < rows; row++) {
    const int i = i0 + row;
    const float inv = 1.0f / l[row];
    float* zr = z + (std::size_t(i) * H + h) * D;
    const float* orow = o + std::size_t(row) * Dv;
    for (int dd = 0; dd < D; dd++) zr[dd] = orow[dd] * inv;
    if (!pattern) continue;
    float* pr = pattern + (std::size_t(h) * T + i) * S;
    const int row_tiles = (past + i) / int(BK) + 1;
    for (int tile = 0; tile < row_tiles; tile++) {
      const float f = std::exp(tile_max[std::size_t(row) * tiles + tile] - m[row]) * inv;
      const int j0 = tile * int(BK), n = std::min<int>(int(BK), S - j0);
      const VF vf = hn::Set(d, f);
      int j = 0;
      for (; j + int(lanes) <= n; j += int(lanes))
        hn::StoreU(hn::Mul(hn::LoadU(d, pr + j0 + j), vf), d, pr + j0 + j);
      for (; j < n; j++) pr[j0 + j] *= f;
    }
    // Keys past the row's last tile (the tiles wrote zeros after the query themselves).
    std::fill(pr + std::min<int>(S, row_tiles * int(BK)), pr + S, 0.0f);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace attnscope
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace attnscope {

#ifdef __EMSCRIPTEN__
#define ATTNSCOPE_ATTN(kernel) HWY_STATIC_DISPATCH(kernel)
#else
HWY_EXPORT(KeyTile);
HWY_EXPORT(ValueWidth);
HWY_EXPORT(PackKeys);
HWY_EXPORT(PackValues);
HWY_EXPORT(ScoresRows);
HWY_EXPORT(MixRows);
HWY_EXPORT(FusedBlock);
#define ATTNSCOPE_ATTN(kernel) HWY_DYNAMIC_DISPATCH(kernel)
#endif

namespace simd {
namespace {

constexpr int kQueryBlock = 32;

// Items (head, block of query rows), ordered so that contiguous ranges mix early (cheap) and late
// (expensive, causal) blocks: block b of item i is i's rank folded from both ends.
struct Items {
  int H, blocks;
  std::size_t count() const { return std::size_t(H) * blocks; }
  void at(std::size_t i, int& h, int& block) const {
    h = int(i % H);
    const int k = int(i / H);
    block = k % 2 == 0 ? k / 2 : blocks - 1 - k / 2;
  }
};

std::size_t grain(std::size_t items, std::size_t work) {
  return work < (1 << 16) ? std::max<std::size_t>(items, 1) : 1;
}

float* packed_keys(const float* k, int T, int G, int D, AlignedFloats& buf) {
  const std::size_t BK = ATTNSCOPE_ATTN(KeyTile)(), Tp = (std::size_t(T) + BK - 1) / BK * BK;
  float* kt = buf.reserve(std::size_t(G) * D * Tp);
  parallel_for(G, grain(G, std::size_t(G) * T * D), [&](std::size_t b, std::size_t e) {
    ATTNSCOPE_ATTN(PackKeys)(k, T, G, D, int(b), int(e), kt);
  });
  return kt;
}

float* packed_values(const float* v, int T, int G, int D, AlignedFloats& buf) {
  float* vp = buf.reserve(std::size_t(G) * T * ATTNSCOPE_ATTN(ValueWidth)(D));
  parallel_for(G, grain(G, std::size_t(G) * T * D), [&](std::size_t b, std::size_t e) {
    ATTNSCOPE_ATTN(PackValues)(v, T, G, D, int(b), int(e), vp);
  });
  return vp;
}

}  // namespace

void attention_scores(float* scores, const float* q, const float* k, int T, int H, int G, int D,
                      float scale) {
  thread_local AlignedFloats kbuf;
  const float* kt = packed_keys(k, T, G, D, kbuf);
  const Items items{H, (T + kQueryBlock - 1) / kQueryBlock};
  parallel_for(items.count(), grain(items.count(), std::size_t(H) * T * T * D / 2),
               [&](std::size_t b, std::size_t e) {
                 for (std::size_t i = b; i < e; i++) {
                   int h, block;
                   items.at(i, h, block);
                   const int i0 = block * kQueryBlock, i1 = std::min(T, i0 + kQueryBlock);
                   ATTNSCOPE_ATTN(ScoresRows)(scores, q, kt, T, H, G, D, scale, h, i0, i1);
                 }
               });
}

void attention_mix(float* z, const float* pattern, const float* v, int T, int H, int G, int D) {
  thread_local AlignedFloats vbuf;
  const float* vp = packed_values(v, T, G, D, vbuf);
  const Items items{H, (T + kQueryBlock - 1) / kQueryBlock};
  parallel_for(items.count(), grain(items.count(), std::size_t(H) * T * T * D / 2),
               [&](std::size_t b, std::size_t e) {
                 for (std::size_t i = b; i < e; i++) {
                   int h, block;
                   items.at(i, h, block);
                   const int i0 = block * kQueryBlock, i1 = std::min(T, i0 + kQueryBlock);
                   ATTNSCOPE_ATTN(MixRows)(z, pattern, vp, T, H, G, D, h, i0, i1);
                 }
               });
}

// Keys and values are packed for all S = past + T positions; the work items are the T queries'.
void attention(float* z, float* pattern, const float* q, const float* k, const float* v, int T,
               int H, int G, int D, float scale, int past) {
  thread_local AlignedFloats kbuf, vbuf;
  const int S = past + T;
  const float* kt = packed_keys(k, S, G, D, kbuf);
  const float* vp = packed_values(v, S, G, D, vbuf);
  const Items items{H, (T + kQueryBlock - 1) / kQueryBlock};
  parallel_for(items.count(), grain(items.count(), std::size_t(H) * T * S * D),
               [&](std::size_t b, std::size_t e) {
                 for (std::size_t i = b; i < e; i++) {
                   int h, block;
                   items.at(i, h, block);
                   const int i0 = block * kQueryBlock, i1 = std::min(T, i0 + kQueryBlock);
                   ATTNSCOPE_ATTN(FusedBlock)
                   (z, pattern, q, kt, vp, T, H, G, D, scale, h, i0, i1, past);
                 }
               });
}

}  // namespace simd
}  // namespace attnscope
#endif  // HWY_ONCE
