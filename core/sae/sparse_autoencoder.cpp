// sparse_autoencoder.cpp — SAE forward, hand-written backward, Adam. See the header for the model.
//
// Backward pass (per row n; g, q are the gradients flowing back, D, M, N as in the header):
//   e_n  = x̂_n − x_n                       reconstruction error               [D]
//   g_n  = ∂L/∂x̂_n = 2 e_n / (N·D)           from the MSE                       [D]
//   ∂L/∂h_n = W_decᵀ g_n + λ/N                 decoder, plus the L1 term (h ≥ 0, so |h| = h)
//   q_n  = ∂L/∂a_n = ∂L/∂h_n ⊙ [a_n > 0]       through the ReLU (a = pre-activation)   [M]
//   ∂L/∂W_dec = Σ_n g_n h_nᵀ                    [D, M]
//   ∂L/∂W_enc = Σ_n q_n (x_n − b_dec)ᵀ          [M, D]
//   ∂L/∂b_enc = Σ_n q_n                         [M]
//   ∂L/∂b_dec = Σ_n g_n − W_encᵀ Σ_n q_n        b_dec is added after decoding and subtracted
//                                               before encoding (x − b_dec), hence both terms
// At a = 0 exactly the ReLU has no derivative; we take 0 there, as PyTorch does.
//
// The fast path (sae_loss, sae_train) keeps W_dec transposed (W_decᵀ [M, D]: unit j's direction is
// row j) and uses only backend ops that need no transposed copies: linear_masked for the encoder,
// matmul for the decoder, linear_masked for q, matmul_tn for the weight gradients and the sums over
// rows.
// x − b_dec is never formed:
//   a = W_enc x + (b_enc − W_enc b_dec),   ∂L/∂W_enc = Σ_n q_n x_nᵀ − (Σ_n q_n) b_decᵀ.
// Once training has begun most of h is zero, and the work follows its non-zeros:
//   - matmul, matmul_tn and linear_masked skip the zeros of h and q;
//   - rows with no active unit reconstruct as b_dec exactly: their loss and their Σ g come from
//     sums of the data (loss_and_gradient);
//   - the encoder skips the pre-activations that a bound proves ≤ 0 (SilentUnits), which gives
//     the same h as computing them.
// Determinism: the loss sums each row in double, then the rows in order, on one thread; the
// backend's products split their outputs (never a sum) over threads. So a seed gives the same SAE
// for any number of threads (tests/unit/test_sae.cpp checks 1, 2 and 3, and skipping on and off).
#include "core/sae/sparse_autoencoder.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "core/ops/parallel.h"

namespace attnscope {

namespace {

// Uniform in [0, 1) from the raw 64-bit engine: std::uniform_real_distribution differs between
// libstdc++ (native) and libc++ (Emscripten), the engine does not.
double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

template <typename T>
std::vector<std::vector<T>*> blocks(SaeParameters<T>& p) {
  return {&p.w_enc, &p.b_enc, &p.w_dec, &p.b_dec};
}

}  // namespace

template <typename T>
SaeParameters<T> SaeParameters<T>::zeros(int d_in, int n_hidden) {
  SaeParameters<T> p;
  p.d_in = d_in;
  p.n_hidden = n_hidden;
  const std::size_t D = d_in, M = n_hidden;
  p.w_enc.assign(M * D, T(0));
  p.b_enc.assign(M, T(0));
  p.w_dec.assign(D * M, T(0));
  p.b_dec.assign(D, T(0));
  return p;
}
template struct SaeParameters<float>;
template struct SaeParameters<double>;

template <typename T>
void sae_normalize_decoder(SaeParameters<T>& sae) {
  const std::size_t D = sae.d_in, M = sae.n_hidden;
  for (std::size_t j = 0; j < M; j++) {
    double sq = 0;
    for (std::size_t i = 0; i < D; i++) sq += double(sae.w_dec[i * M + j]) * sae.w_dec[i * M + j];
    if (sq <= 0) continue;
    const double inv = 1.0 / std::sqrt(sq);
    for (std::size_t i = 0; i < D; i++) sae.w_dec[i * M + j] = T(sae.w_dec[i * M + j] * inv);
  }
}
template void sae_normalize_decoder(SaeParameters<float>&);
template void sae_normalize_decoder(SaeParameters<double>&);

namespace {

// A standard normal by Box–Muller (one of the pair), from the raw engine.
double normal01(std::mt19937_64& rng) {
  const double u1 = 1.0 - uniform01(rng), u2 = uniform01(rng);  // u1 in (0, 1]
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
}

// Each of `rows` rows of w [rows, cols] to unit norm, in double (rows of norm 0 stay).
template <typename T>
void normalize_each_row(T* w, std::size_t rows, std::size_t cols) {
  for (std::size_t r = 0; r < rows; r++) {
    double sq = 0;
    for (std::size_t i = 0; i < cols; i++) sq += double(w[r * cols + i]) * w[r * cols + i];
    if (sq <= 0) continue;
    const double inv = 1.0 / std::sqrt(sq);
    for (std::size_t i = 0; i < cols; i++) w[r * cols + i] = T(w[r * cols + i] * inv);
  }
}

}  // namespace

SparseAutoencoder sae_init(int d_in, int n_hidden, std::uint64_t seed, SaeConstraint constraint) {
  SparseAutoencoder p = SparseAutoencoder::zeros(d_in, n_hidden);
  std::mt19937_64 rng(seed);
  const std::size_t D = d_in, M = n_hidden;
  if (constraint == SaeConstraint::published) {
    for (float& w : p.w_enc) w = float(normal01(rng));
    normalize_each_row(p.w_enc.data(), M, D);  // torch's normalize(dim=-1) of [M, D]
    const double bound = 1.0 / std::sqrt(double(D));
    for (float& b : p.b_enc) b = float((2 * uniform01(rng) - 1) * bound);
    for (float& w : p.w_dec) w = float(normal01(rng));
    normalize_each_row(p.w_dec.data(), D, M);  // of [D, M]: per input dimension
    return p;
  }
  const double enc_bound = std::sqrt(6.0 / d_in), dec_bound = std::sqrt(6.0 / n_hidden);
  for (float& w : p.w_enc) w = float((2 * uniform01(rng) - 1) * enc_bound);
  for (float& w : p.w_dec) w = float((2 * uniform01(rng) - 1) * dec_bound);
  sae_normalize_decoder(p);
  return p;
}

template <typename T>
double sae_loss_reference(const SaeParameters<T>& sae, const T* x, int n_rows,
                          double l1_coefficient, SaeParameters<T>* grad) {
  const std::size_t D = sae.d_in, M = sae.n_hidden, N = n_rows;
  if (grad) *grad = SaeParameters<T>::zeros(sae.d_in, sae.n_hidden);
  std::vector<T> xc(D), a(M), h(M), g(D), q(M);
  double sq_err = 0, l1 = 0;
  const double mse_scale = 2.0 / (double(N) * double(D)), l1_scale = l1_coefficient / double(N);
  for (std::size_t n = 0; n < N; n++) {
    const T* xn = x + n * D;
    for (std::size_t i = 0; i < D; i++) xc[i] = xn[i] - sae.b_dec[i];
    for (std::size_t j = 0; j < M; j++) {
      double s = sae.b_enc[j];
      for (std::size_t i = 0; i < D; i++) s += double(sae.w_enc[j * D + i]) * xc[i];
      a[j] = T(s);
      h[j] = a[j] > 0 ? a[j] : T(0);
      l1 += h[j];
    }
    for (std::size_t i = 0; i < D; i++) {
      double s = sae.b_dec[i];
      for (std::size_t j = 0; j < M; j++) s += double(sae.w_dec[i * M + j]) * h[j];
      const double e = s - xn[i];
      sq_err += e * e;
      g[i] = T(mse_scale * e);
    }
    if (!grad) continue;
    for (std::size_t j = 0; j < M; j++) {
      double s = l1_scale;
      for (std::size_t i = 0; i < D; i++) s += double(sae.w_dec[i * M + j]) * g[i];
      q[j] = a[j] > 0 ? T(s) : T(0);
      grad->b_enc[j] += q[j];
      for (std::size_t i = 0; i < D; i++) grad->w_enc[j * D + i] += q[j] * xc[i];
    }
    for (std::size_t i = 0; i < D; i++) {
      grad->b_dec[i] += g[i];
      for (std::size_t j = 0; j < M; j++) grad->w_dec[i * M + j] += g[i] * h[j];
    }
  }
  if (grad)
    for (std::size_t i = 0; i < D; i++) {
      double s = 0;
      for (std::size_t j = 0; j < M; j++) s += double(sae.w_enc[j * D + i]) * grad->b_enc[j];
      grad->b_dec[i] = T(grad->b_dec[i] - s);
    }
  return sq_err / (double(N) * double(D)) + l1_scale * l1;
}
template double sae_loss_reference(const SaeParameters<float>&, const float*, int, double,
                                   SaeParameters<float>*);
template double sae_loss_reference(const SaeParameters<double>&, const double*, int, double,
                                   SaeParameters<double>*);

namespace {

// out[C, R] = in[R, C]ᵀ
void transpose(float* out, const float* in, std::size_t R, std::size_t C) {
  for (std::size_t r = 0; r < R; r++)
    for (std::size_t c = 0; c < C; c++) out[c * R + r] = in[r * C + c];
}

// Sums in double keep 8 independent partial sums (so that the compiler can vectorize them), added
// in a fixed order at the end.
constexpr std::size_t kParts = 8;
double sum_parts(const double* part) {
  double s = 0;
  for (std::size_t l = 0; l < kParts; l++) s += part[l];
  return s;
}

// ‖a − b‖² (b may be null: ‖a‖²), in double.
double squared_distance(const float* a, const float* b, std::size_t n) {
  double part[kParts] = {};
  std::size_t i = 0;
  for (; i + kParts <= n; i += kParts)
    for (std::size_t l = 0; l < kParts; l++) {
      const double e = double(a[i + l]) - (b ? double(b[i + l]) : 0.0);
      part[l] += e * e;
    }
  for (; i < n; i++) {
    const double e = double(a[i]) - (b ? double(b[i]) : 0.0);
    part[0] += e * e;
  }
  return sum_parts(part);
}

// g = scale · (x̂ − x) in place over one row (g holds x̂ on entry); returns Σ (x̂ − x)².
double error_row(float* g, const float* x, std::size_t D, double scale) {
  double part[kParts] = {};
  std::size_t i = 0;
  for (; i + kParts <= D; i += kParts)
    for (std::size_t l = 0; l < kParts; l++) {
      const double e = double(g[i + l]) - x[i + l];
      part[l] += e * e;
      g[i + l] = float(scale * e);
    }
  for (; i < D; i++) {
    const double e = double(g[i]) - x[i];
    part[0] += e * e;
    g[i] = float(scale * e);
  }
  return sum_parts(part);
}

// Rows per parallel grain for a pass over rows of `per_row` values: small passes stay on one
// thread.
std::size_t grain_rows(std::size_t rows, std::size_t per_row) {
  return rows * per_row < (1u << 16) ? std::max<std::size_t>(rows, 1) : 16;
}

// Rows per block of the passes that keep per-block results (fixed, for any number of threads).
constexpr std::size_t kBlockRows = 64;

// Buffers on 64-byte boundaries: with rows of a multiple of 16 floats (D = 768) no AVX-512 load
// then straddles two cache lines (which counts as two loads: it made the encoder 2× slower).
template <typename T>
struct Aligned64 {
  using value_type = T;
  Aligned64() = default;
  template <typename U>
  Aligned64(const Aligned64<U>&) {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64)));
  }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t(64)); }
  template <typename U>
  bool operator==(const Aligned64<U>&) const {
    return true;
  }
};
using Floats = std::vector<float, Aligned64<float>>;

// The SAE as training keeps it: W_dec transposed, so that every product of the backward pass and
// the decoder's normalisation read hidden unit j's direction as one contiguous row.
struct SaeRows {
  Floats w_enc;    // [M, D]
  Floats b_enc;    // [M]
  Floats w_dec_t;  // [M, D] = W_decᵀ; row j is unit j's direction
  Floats b_dec;    // [D]

  SaeRows() = default;
  SaeRows(std::size_t D, std::size_t M)
      : w_enc(M * D, 0.0f), b_enc(M, 0.0f), w_dec_t(M * D, 0.0f), b_dec(D, 0.0f) {}
  explicit SaeRows(const SparseAutoencoder& sae)
      : w_enc(sae.w_enc.begin(), sae.w_enc.end()),
        b_enc(sae.b_enc.begin(), sae.b_enc.end()),
        w_dec_t(sae.w_dec.size()),
        b_dec(sae.b_dec.begin(), sae.b_dec.end()) {
    transpose(w_dec_t.data(), sae.w_dec.data(), sae.d_in, sae.n_hidden);
  }
  void store(SparseAutoencoder& sae) const {
    sae.w_enc.assign(w_enc.begin(), w_enc.end());
    sae.b_enc.assign(b_enc.begin(), b_enc.end());
    sae.w_dec.resize(w_dec_t.size());
    transpose(sae.w_dec.data(), w_dec_t.data(), sae.n_hidden, sae.d_in);
    sae.b_dec.assign(b_dec.begin(), b_dec.end());
  }
  std::vector<Floats*> blocks() { return {&w_enc, &b_enc, &w_dec_t, &b_dec}; }
};

// What the loss needs of the data every epoch, computed once.
struct DataStats {
  std::vector<double> row_sq;  // [N] ‖x_n‖²
  std::vector<double> sum;     // [D] Σ_n x_n
  double sq = 0;               // Σ_n ‖x_n‖²

  DataStats(const float* x, std::size_t N, std::size_t D) : row_sq(N), sum(D, 0.0) {
    parallel_for(N, grain_rows(N, D), [&](std::size_t b, std::size_t e) {
      for (std::size_t n = b; n < e; n++) row_sq[n] = squared_distance(x + n * D, nullptr, D);
    });
    parallel_for(D, grain_rows(D, N), [&](std::size_t b, std::size_t e) {
      for (std::size_t n = 0; n < N; n++)
        for (std::size_t i = b; i < e; i++) sum[i] += x[n * D + i];
    });
    for (std::size_t n = 0; n < N; n++) sq += row_sq[n];
  }
};

// Silent units (training only). Once training has begun most pre-activations a_nj are well below
// 0: h_nj = 0 and no gradient passes the ReLU there. The encoder skips them when a bound proves
// that they are still ≤ 0. For unit j, w_ref is its W_enc row when it was last computed on every
// row and d_ref[n] = w_ref · x_n as computed then (in float); for every row n
//   w · x_n ≤ d_ref[n] + ‖w − w_ref‖·‖x_n‖ + (the float rounding of both dot products, each at
//             most (D + 1)·2⁻²⁴·‖w‖·‖x_n‖ for a D-term sum; we allow twice that),
// so when that bound plus the current bias b_enc − W_enc b_dec (computed exactly every epoch) is
// < 0, the computed a_nj would be ≤ 0 too and h_nj = 0: skipping changes no result, only the work.
// (The rounding bound holds with or without fused multiply-adds, for any SIMD width.) The bound
// is checked per block of rows (with the block's largest d_ref and ‖x_n‖), then per row in the
// blocks it does not clear. A unit is then skipped (every row proven), computed on the unproven
// rows only (linear_masked), or, when those are more than N / kRenewShare rows or it has no
// reference yet, computed on every row (linear), which renews its reference: its drift restarts
// from 0, so fewer rows stay unproven in the next epochs.
struct SilentUnits {
  // 64 was the fastest on the GPT-2-small-shaped benchmark (8: 1.9×, 256: 1.2× the time).
  static constexpr std::size_t kRenewShare = 64;

  std::size_t N, D, M, blocks;
  Floats w_ref;                    // [M, D]
  Floats d_ref;                    // [M, N]
  std::vector<double> d_ref_max;   // [M, blocks] largest d_ref per block of rows
  std::vector<double> ref_norm;    // [M] ‖w_ref‖
  std::vector<char> valid;         // [M] a reference exists
  std::vector<double> x_norm;      // [N] ‖x_n‖
  std::vector<double> x_norm_max;  // [blocks]
  // This epoch: per unit what to do, and the unproven rows of the partly computed units.
  enum Kind : char { kSkip, kPartial, kFull };
  std::vector<Kind> kind;                      // [M]
  std::vector<std::vector<int>> partial_rows;  // [M]

  SilentUnits(const DataStats& stats, std::size_t D_, std::size_t M_)
      : N(stats.row_sq.size()),
        D(D_),
        M(M_),
        blocks((N + kBlockRows - 1) / kBlockRows),
        w_ref(M * D),
        d_ref(M * N),
        d_ref_max(M * blocks),
        ref_norm(M),
        valid(M, 0),
        x_norm(N),
        x_norm_max(blocks, 0.0),
        kind(M),
        partial_rows(M) {
    for (std::size_t n = 0; n < N; n++) {
      x_norm[n] = std::sqrt(stats.row_sq[n]);
      x_norm_max[n / kBlockRows] = std::max(x_norm_max[n / kBlockRows], x_norm[n]);
    }
  }

  // Decides every unit's kind from W_enc and the bias of this epoch.
  void classify(const float* w_enc, const float* bias) {
    const double rounding = 2.0 * double(D + 2) * 0x1.0p-24;
    parallel_for(M, grain_rows(M, D), [&](std::size_t b, std::size_t e) {
      for (std::size_t j = b; j < e; j++) {
        std::vector<int>& rows = partial_rows[j];
        rows.clear();
        if (!valid[j]) {
          kind[j] = kFull;
          continue;
        }
        const double drift = std::sqrt(squared_distance(w_enc + j * D, &w_ref[j * D], D));
        const double slope = drift + rounding * (2 * ref_norm[j] + drift), c = bias[j];
        const float* dr = &d_ref[j * N];
        for (std::size_t blk = 0; blk < blocks && rows.size() <= N / kRenewShare; blk++) {
          if (d_ref_max[j * blocks + blk] + c + slope * x_norm_max[blk] < 0) continue;
          for (std::size_t n = blk * kBlockRows; n < std::min(N, (blk + 1) * kBlockRows); n++)
            if (!(double(dr[n]) + c + slope * x_norm[n] < 0)) rows.push_back(int(n));
        }
        kind[j] = rows.size() > N / kRenewShare ? kFull : rows.empty() ? kSkip : kPartial;
        if (kind[j] == kFull) rows.clear();
      }
    });
  }

  // A fully computed unit's new reference: its W_enc row and d [N] (w · x_n, as computed).
  void renew(std::size_t j, const float* w_row) {
    std::copy_n(w_row, D, &w_ref[j * D]);
    ref_norm[j] = std::sqrt(squared_distance(w_row, nullptr, D));
    const float* dr = &d_ref[j * N];
    for (std::size_t blk = 0; blk < blocks; blk++) {
      double m = -HUGE_VAL;
      for (std::size_t n = blk * kBlockRows; n < std::min(N, (blk + 1) * kBlockRows); n++)
        m = std::max(m, double(dr[n]));
      d_ref_max[j * blocks + blk] = m;
    }
    valid[j] = 1;
  }
};

// Buffers of one loss evaluation, kept across epochs. F units computed on every row, R rows with
// units computed on some rows (P such (row, unit) pairs), A active rows (with some h > 0).
struct LossBuffers {
  Floats enc_bias;                   // [M] b_enc − W_enc b_dec
  std::vector<int> full_units;       // [F] the units computed on every row
  Floats w_full;                     // [F, D] their W_enc rows (when F < M)
  Floats dots;                       // [N, F] their W_enc x, without bias
  Floats full_mask;                  // [N, F] all ones: dots through linear_masked
  std::vector<int> partial_row;      // [N] a row's index among the R rows, or −1
  std::vector<int> partial_rows;     // [R]
  std::vector<int> pair_begin;       // [R + 1] the row's pairs: pair_unit[pair_begin[r] ...]
  std::vector<int> pair_unit;        // [P] their units, increasing within a row
  Floats x_partial;                  // [R, D]
  Floats mask;                       // [R, M] 1 at the pairs
  Floats d_partial;                  // [R, M] W_enc x at the pairs (linear_masked)
  std::vector<char> row_active;      // [N]
  std::vector<int> active;           // [A] the active rows
  Floats h_act;                      // [A, M] their h
  std::vector<double> row_l1;        // [A] Σ_j h_nj
  Floats x_act;                      // [A, D] their x (when A < N)
  Floats g;                          // [A, D] x̂, then g = ∂L/∂x̂ in place
  std::vector<double> row_sq;        // [A] ‖x̂_n − x_n‖²
  Floats q;                          // [A, M] ∂L/∂a
  Floats l1_bias;                    // [M] λ/N
  Floats ones;                       // [A]
  Floats sum_q, sum_g, w_enc_sum_q;  // [M], [D], [D]
  std::vector<double> inactive_sum;  // [D] Σ x_n over the inactive rows
};

// The encoder: h = relu(W_enc x + (b_enc − W_enc b_dec)) = relu(W_enc (x − b_dec) + b_enc), so
// that x − b_dec is never formed. Fills enc_bias, active (the rows with some h > 0), h_act and
// row_l1 (their h and Σ h); every other row has h = 0. `silent` (training) skips what it proves
// silent and renews the references of the units computed on every row.
void encode(const SaeRows& p, std::size_t D, std::size_t M, const float* x, std::size_t N,
            Kernels& be, LossBuffers& w, SilentUnits* silent) {
  w.enc_bias.resize(M);
  be.linear(w.enc_bias.data(), p.b_dec.data(), p.w_enc.data(), nullptr, 1, int(D), int(M));
  for (std::size_t j = 0; j < M; j++) w.enc_bias[j] = p.b_enc[j] - w.enc_bias[j];
  if (silent) silent->classify(p.w_enc.data(), w.enc_bias.data());
  const float* bias = w.enc_bias.data();

  // Units computed on every row: one product over their W_enc rows.
  w.full_units.clear();
  for (std::size_t j = 0; j < M; j++)
    if (!silent || silent->kind[j] == SilentUnits::kFull) w.full_units.push_back(int(j));
  const std::size_t F = w.full_units.size();
  const float* w_rows = p.w_enc.data();
  if (F < M) {
    w.w_full.resize(F * D);
    for (std::size_t f = 0; f < F; f++)
      std::copy_n(p.w_enc.data() + std::size_t(w.full_units[f]) * D, D, w.w_full.data() + f * D);
    w_rows = w.w_full.data();
  }
  // Through linear_masked with every output unmasked, so that a unit's W_enc x has the same bits
  // whether it is computed on every row or on some (skipping changes no result): a backend's
  // linear may sum in another order (cpu-simd's packed GEMM does).
  w.dots.resize(N * F);
  w.full_mask.assign(N * F, 1.0f);
  if (F > 0)
    be.linear_masked(w.dots.data(), x, w_rows, nullptr, w.full_mask.data(), int(N), int(D), int(F));

  // Units computed on some rows: the (row, unit) pairs by row, then one linear_masked over those
  // rows.
  std::size_t R = 0;
  w.partial_row.assign(N, -1);
  w.partial_rows.clear();
  w.pair_begin.assign(1, 0);
  w.pair_unit.clear();
  if (silent) {
    std::vector<int> count(N, 0);
    for (std::size_t j = 0; j < M; j++)
      for (int n : silent->partial_rows[j]) count[n]++;
    for (std::size_t n = 0; n < N; n++)
      if (count[n] > 0) {
        w.partial_row[n] = int(R++);
        w.partial_rows.push_back(int(n));
        w.pair_begin.push_back(w.pair_begin.back() + count[n]);
      }
    w.pair_unit.resize(w.pair_begin.back());
    std::vector<int> fill(w.pair_begin.begin(), w.pair_begin.end() - 1);
    for (std::size_t j = 0; j < M; j++)
      for (int n : silent->partial_rows[j]) w.pair_unit[fill[w.partial_row[n]]++] = int(j);
  }
  if (R > 0) {
    w.x_partial.resize(R * D);
    w.mask.assign(R * M, 0.0f);
    for (std::size_t r = 0; r < R; r++) {
      std::copy_n(x + std::size_t(w.partial_rows[r]) * D, D, w.x_partial.data() + r * D);
      for (int k = w.pair_begin[r]; k < w.pair_begin[r + 1]; k++)
        w.mask[r * M + w.pair_unit[k]] = 1.0f;
    }
    w.d_partial.resize(R * M);
    be.linear_masked(w.d_partial.data(), w.x_partial.data(), p.w_enc.data(), nullptr, w.mask.data(),
                     int(R), int(D), int(M));
  }

  // A row is active when any computed a = W_enc x + bias is > 0; the fully computed units' W_enc x
  // become their new references.
  w.row_active.resize(N);
  parallel_for(N, grain_rows(N, F + 1), [&](std::size_t b, std::size_t e) {
    for (std::size_t n = b; n < e; n++) {
      const float* dots = w.dots.data() + n * F;
      bool any = false;
      for (std::size_t f = 0; f < F; f++) {
        const std::size_t j = w.full_units[f];
        if (silent) silent->d_ref[j * N + n] = dots[f];
        any |= dots[f] + bias[j] > 0;
      }
      if (const int r = w.partial_row[n]; r >= 0)
        for (int k = w.pair_begin[r]; k < w.pair_begin[r + 1]; k++) {
          const int j = w.pair_unit[k];
          any |= w.d_partial[std::size_t(r) * M + j] + bias[j] > 0;
        }
      w.row_active[n] = any;
    }
  });
  if (silent)
    parallel_for(F, grain_rows(F, N), [&](std::size_t b, std::size_t e) {
      for (std::size_t f = b; f < e; f++)
        silent->renew(w.full_units[f], p.w_enc.data() + std::size_t(w.full_units[f]) * D);
    });
  w.active.clear();
  for (std::size_t n = 0; n < N; n++)
    if (w.row_active[n]) w.active.push_back(int(n));

  // h and Σ h of the active rows.
  const std::size_t A = w.active.size();
  w.h_act.resize(A * M);
  w.row_l1.resize(A);
  parallel_for(A, grain_rows(A, M), [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; i++) {
      const std::size_t n = w.active[i];
      float* h = w.h_act.data() + i * M;
      if (F < M) std::fill(h, h + M, 0.0f);
      const float* dots = w.dots.data() + n * F;
      for (std::size_t f = 0; f < F; f++) {
        const std::size_t j = w.full_units[f];
        const float a = dots[f] + bias[j];
        h[j] = a > 0 ? a : 0.0f;
      }
      if (const int r = w.partial_row[n]; r >= 0)
        for (int k = w.pair_begin[r]; k < w.pair_begin[r + 1]; k++) {
          const int j = w.pair_unit[k];
          const float a = w.d_partial[std::size_t(r) * M + j] + bias[j];
          h[j] = a > 0 ? a : 0.0f;
        }
      double part[kParts] = {};
      for (std::size_t j = 0; j < M; j++) part[j % kParts] += h[j];
      w.row_l1[i] = sum_parts(part);
    }
  });
}

// The x of the active rows [A, D]: x itself when every row is active, else gathered.
const float* gather_active_x(std::size_t D, const float* x, std::size_t N, LossBuffers& w) {
  const std::size_t A = w.active.size();
  if (A == N) return x;
  w.x_act.resize(A * D);
  for (std::size_t r = 0; r < A; r++)
    std::copy_n(x + std::size_t(w.active[r]) * D, D, w.x_act.data() + r * D);
  return w.x_act.data();
}

// The loss and, when grad is given, its gradient (SaeRows layout); see the file comment for the
// formulas. Rows with no active unit reconstruct as exactly b_dec and pass no gradient to the
// weights: their squared error and their Σ g come from the data's sums (in double),
//   Σ_I ‖x_n − b_dec‖² = Σ_I ‖x_n‖² − 2 b_dec · Σ_I x_n + |I| ‖b_dec‖²,
//   Σ_I g_n = 2/(N·D) (|I| b_dec − Σ_I x_n),
// so their cost does not grow with the rows once most are inactive. Every product goes through
// the backend; sums over rows are per row, then over the rows in order, so the result does not
// depend on the number of threads.
double loss_and_gradient(const SaeRows& p, std::size_t D, std::size_t M, const float* x,
                         std::size_t N, const DataStats& stats, double l1_coefficient,
                         SaeRows* grad, Kernels& be, LossBuffers& w, SilentUnits* silent) {
  encode(p, D, M, x, N, be, w, silent);
  const std::size_t A = w.active.size(), I = N - A;
  const int Ai = int(A), Di = int(D), Mi = int(M);
  const float* h_act = w.h_act.data();
  const float* x_act = gather_active_x(D, x, N, w);
  const double mse_scale = 2.0 / (double(N) * double(D)), l1_scale = l1_coefficient / double(N);

  // Active rows: x̂ = W_dec h + b_dec, then g and the squared error per row.
  w.g.resize(A * D);
  w.row_sq.resize(A);
  if (A > 0) be.matmul(w.g.data(), h_act, p.w_dec_t.data(), p.b_dec.data(), Ai, Mi, Di);
  float* g = w.g.data();
  double* row_sq = w.row_sq.data();
  parallel_for(A, grain_rows(A, D), [&](std::size_t b, std::size_t e) {
    for (std::size_t r = b; r < e; r++)
      row_sq[r] = error_row(g + r * D, x_act + r * D, D, mse_scale);
  });
  // Inactive rows: Σ_I x_n and Σ_I ‖x_n‖², over I directly or as all rows minus the active ones.
  double sq_err = 0, l1 = 0;
  for (std::size_t r = 0; r < A; r++) sq_err += w.row_sq[r];
  for (std::size_t r = 0; r < A; r++) l1 += w.row_l1[r];
  if (I > 0) {
    const bool direct = I <= A;
    w.inactive_sum.assign(D, 0.0);
    double* isum = w.inactive_sum.data();
    const char* row_active = w.row_active.data();
    parallel_for(D, grain_rows(D, std::min(A, I)), [&](std::size_t b, std::size_t e) {
      for (std::size_t n = 0; n < N; n++) {
        if (bool(row_active[n]) == direct) continue;
        const float* xn = x + n * D;
        for (std::size_t i = b; i < e; i++) isum[i] += xn[i];
      }
      if (!direct)
        for (std::size_t i = b; i < e; i++) isum[i] = stats.sum[i] - isum[i];
    });
    double isq = direct ? 0.0 : stats.sq;
    for (std::size_t n = 0; n < N; n++)
      if (bool(w.row_active[n]) != direct) isq += direct ? stats.row_sq[n] : -stats.row_sq[n];
    double b_dot_sum = 0, b_sq = 0;
    for (std::size_t i = 0; i < D; i++)
      b_dot_sum += double(p.b_dec[i]) * isum[i], b_sq += double(p.b_dec[i]) * p.b_dec[i];
    sq_err += std::max(0.0, isq - 2 * b_dot_sum + double(I) * b_sq);
  }
  const double loss = sq_err / (double(N) * double(D)) + l1_scale * l1;
  if (!grad) return loss;

  w.sum_g.resize(D);
  w.sum_q.assign(M, 0.0f);
  if (A > 0) {
    // q = (W_decᵀ g + λ/N) where a > 0 (h > 0 exactly there).
    w.l1_bias.assign(M, float(l1_scale));
    w.q.resize(A * M);
    be.linear_masked(w.q.data(), g, p.w_dec_t.data(), w.l1_bias.data(), h_act, Ai, Di, Mi);
    // ∂W_decᵀ [M, D] = hᵀ g;  ∂W_enc [M, D] = qᵀ (x − b_dec) = qᵀ x − (Σ_n q_n) b_decᵀ.
    be.matmul_tn(grad->w_dec_t.data(), h_act, g, Ai, Mi, Di);
    be.matmul_tn(grad->w_enc.data(), w.q.data(), x_act, Ai, Mi, Di);
    w.ones.assign(A, 1.0f);
    be.matmul_tn(w.sum_q.data(), w.ones.data(), w.q.data(), Ai, 1, Mi);  // Σ_n q_n
    be.matmul_tn(w.sum_g.data(), w.ones.data(), g, Ai, 1, Di);           // Σ_n g_n (active)
    float* dw_enc = grad->w_enc.data();
    const float* sum_q = w.sum_q.data();
    const float* b_dec = p.b_dec.data();
    parallel_for(M, grain_rows(M, D), [&](std::size_t b, std::size_t e) {
      for (std::size_t j = b; j < e; j++)
        if (sum_q[j] != 0.0f)
          for (std::size_t i = 0; i < D; i++) dw_enc[j * D + i] -= sum_q[j] * b_dec[i];
    });
  } else {
    std::fill(grad->w_dec_t.begin(), grad->w_dec_t.end(), 0.0f);
    std::fill(grad->w_enc.begin(), grad->w_enc.end(), 0.0f);
    std::fill(w.sum_g.begin(), w.sum_g.end(), 0.0f);
  }
  if (I > 0)
    for (std::size_t i = 0; i < D; i++)
      w.sum_g[i] =
          float(double(w.sum_g[i]) + mse_scale * (double(I) * p.b_dec[i] - w.inactive_sum[i]));
  // ∂b_enc = Σ_n q_n;  ∂b_dec = Σ_n g_n − W_encᵀ Σ_n q_n.
  grad->b_enc.assign(w.sum_q.begin(), w.sum_q.end());
  w.w_enc_sum_q.resize(D);
  be.matmul(w.w_enc_sum_q.data(), w.sum_q.data(), p.w_enc.data(), nullptr, 1, Mi, Di);
  for (std::size_t i = 0; i < D; i++) grad->b_dec[i] = w.sum_g[i] - w.w_enc_sum_q[i];
  return loss;
}

// Removes from g the part along w, row by row (g_r −= (g_r · w_r) w_r / ‖w_r‖): a step along
// what is left keeps ‖w_r‖ to first order. w and g are [rows, cols]; rows are independent, so the
// result is the same for any number of threads.
void remove_radial_rows(float* g, const float* w, std::size_t rows, std::size_t cols) {
  parallel_for(rows, grain_rows(rows, cols), [&](std::size_t b, std::size_t e) {
    for (std::size_t r = b; r < e; r++) {
      float* gr = g + r * cols;
      const float* wr = w + r * cols;
      double dot = 0, sq = 0;
      for (std::size_t i = 0; i < cols; i++)
        dot += double(gr[i]) * wr[i], sq += double(wr[i]) * wr[i];
      if (sq <= 0) continue;
      const double k = dot / sq;
      for (std::size_t i = 0; i < cols; i++) gr[i] = float(gr[i] - k * wr[i]);
    }
  });
}

// The same for the columns of [rows, cols] matrices: W_dec's rows are W_decᵀ's columns.
void remove_radial_columns(float* g, const float* w, std::size_t rows, std::size_t cols) {
  parallel_for(cols, grain_rows(cols, rows), [&](std::size_t b, std::size_t e) {
    for (std::size_t c = b; c < e; c++) {
      double dot = 0, sq = 0;
      for (std::size_t r = 0; r < rows; r++)
        dot += double(g[r * cols + c]) * w[r * cols + c],
            sq += double(w[r * cols + c]) * w[r * cols + c];
      if (sq <= 0) continue;
      const double k = dot / sq;
      for (std::size_t r = 0; r < rows; r++)
        g[r * cols + c] = float(g[r * cols + c] - k * w[r * cols + c]);
    }
  });
}

void normalize_columns(float* w, std::size_t rows, std::size_t cols) {
  parallel_for(cols, grain_rows(cols, rows), [&](std::size_t b, std::size_t e) {
    for (std::size_t c = b; c < e; c++) {
      double sq = 0;
      for (std::size_t r = 0; r < rows; r++) sq += double(w[r * cols + c]) * w[r * cols + c];
      if (sq <= 0) continue;
      const double inv = 1.0 / std::sqrt(sq);
      for (std::size_t r = 0; r < rows; r++) w[r * cols + c] = float(w[r * cols + c] * inv);
    }
  });
}

// Rescales every row of w [rows, cols] to unit norm (rows of norm 0 stay as they are).
void normalize_rows(float* w, std::size_t rows, std::size_t cols) {
  parallel_for(rows, grain_rows(rows, cols), [&](std::size_t b, std::size_t e) {
    for (std::size_t r = b; r < e; r++) {
      float* row = w + r * cols;
      const double sq = squared_distance(row, nullptr, cols);
      if (sq <= 0) continue;
      const double inv = 1.0 / std::sqrt(sq);
      for (std::size_t i = 0; i < cols; i++) row[i] = float(row[i] * inv);
    }
  });
}

}  // namespace

std::vector<float> sae_encode(const SparseAutoencoder& sae, const float* x, int n_rows,
                              Kernels* kernels) {
  Kernels& be = kernels ? *kernels : default_kernels();
  if (n_rows <= 0) return {};
  SaeRows p;
  p.w_enc.assign(sae.w_enc.begin(), sae.w_enc.end());
  p.b_enc.assign(sae.b_enc.begin(), sae.b_enc.end());
  p.b_dec.assign(sae.b_dec.begin(), sae.b_dec.end());
  LossBuffers w;
  const std::size_t M = sae.n_hidden;
  const Floats xa(x, x + std::size_t(n_rows) * sae.d_in);
  encode(p, sae.d_in, M, xa.data(), n_rows, be, w, nullptr);
  std::vector<float> h(std::size_t(n_rows) * M, 0.0f);
  for (std::size_t r = 0; r < w.active.size(); r++)
    std::copy_n(w.h_act.data() + r * M, M, h.data() + std::size_t(w.active[r]) * M);
  return h;
}

double sae_loss(const SparseAutoencoder& sae, const float* x, int n_rows, double l1_coefficient,
                SparseAutoencoder* grad, Kernels* kernels) {
  Kernels& be = kernels ? *kernels : default_kernels();
  const std::size_t D = sae.d_in, M = sae.n_hidden, N = n_rows;
  const SaeRows p(sae);
  const Floats xa(x, x + N * D);
  const DataStats stats(xa.data(), N, D);
  LossBuffers w;
  if (!grad)
    return loss_and_gradient(p, D, M, xa.data(), N, stats, l1_coefficient, nullptr, be, w, nullptr);
  SaeRows g(D, M);
  const double loss =
      loss_and_gradient(p, D, M, xa.data(), N, stats, l1_coefficient, &g, be, w, nullptr);
  *grad = SparseAutoencoder::zeros(sae.d_in, sae.n_hidden);
  g.store(*grad);
  return loss;
}

Result<SaeTraining> sae_train(std::span<const float> x, int n_rows, int d_in,
                              const SaeOptions& options) {
  if (n_rows <= 0 || d_in <= 0)
    return make_error("SAE training needs at least one row of at least one value");
  if (x.size() != std::size_t(n_rows) * std::size_t(d_in))
    return make_error("SAE training data has " + std::to_string(x.size()) + " values, expected " +
                      std::to_string(n_rows) + " × " + std::to_string(d_in));
  if (options.n_hidden <= 0 || options.epochs < 0 || options.learning_rate <= 0 ||
      options.l1_coefficient < 0 || options.beta1 < 0 || options.beta1 >= 1 || options.beta2 < 0 ||
      options.beta2 >= 1 || options.adam_eps <= 0)
    return make_error("bad SAE options",
                      "n_hidden > 0, epochs ≥ 0, learning rate > 0, λ ≥ 0, β in [0, 1), eps > 0");
  for (float v : x)
    if (!std::isfinite(v)) return make_error("SAE training data holds a non-finite value");

  Kernels& be = options.kernels ? *options.kernels : default_kernels();
  const std::size_t D = d_in, M = options.n_hidden, N = n_rows;
  SaeTraining out;
  out.sae = sae_init(d_in, options.n_hidden, options.seed, options.constraint);
  const bool published = options.constraint == SaeConstraint::published;
  SaeRows p(out.sae), grad(D, M), m(D, M), v(D, M);  // parameters, gradient, Adam moments
  const Floats xa(x.begin(), x.end());               // aligned (see Aligned64)
  const DataStats stats(xa.data(), N, D);
  SilentUnits silent(stats, D, M);
  LossBuffers buffers;
  auto params = p.blocks(), grads = grad.blocks(), ms = m.blocks(), vs = v.blocks();
  AdamStep step{options.learning_rate, options.beta1, options.beta2, options.adam_eps, 0};
  for (int epoch = 0; epoch < options.epochs; epoch++) {
    const double loss =
        loss_and_gradient(p, D, M, xa.data(), N, stats, options.l1_coefficient, &grad, be, buffers,
                          options.skip_silent_units ? &silent : nullptr);
    out.losses.push_back(loss);
    if (!std::isfinite(loss))
      return make_error("SAE training diverged at epoch " + std::to_string(epoch),
                        "lower the learning rate");
    if (published) {  // the authors' backward hooks: no gradient along the unit-norm rows
      remove_radial_rows(grad.w_enc.data(), p.w_enc.data(), M, D);
      remove_radial_columns(grad.w_dec_t.data(), p.w_dec_t.data(), M, D);
    }
    // Adam, as torch.optim.Adam: bias-corrected moments, eps added to the root.
    step.step = epoch + 1;
    for (std::size_t b = 0; b < params.size(); b++)
      be.adam_step(params[b]->data(), ms[b]->data(), vs[b]->data(), grads[b]->data(),
                   params[b]->size(), step);
    if (published) {  // back onto the unit sphere: W_enc rows, W_dec rows (= W_decᵀ columns)
      normalize_rows(p.w_enc.data(), M, D);
      normalize_columns(p.w_dec_t.data(), M, D);
    } else {
      normalize_rows(p.w_dec_t.data(), M, D);  // project back onto unit-norm decoder columns
    }
    if (options.progress && !options.progress(epoch, loss))
      return make_error("SAE training cancelled at epoch " + std::to_string(epoch));
  }
  p.store(out.sae);
  return out;
}

}  // namespace attnscope
