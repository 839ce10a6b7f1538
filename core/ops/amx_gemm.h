// amx_gemm.h — linear's product on Intel AMX tiles at about float32 accuracy ("bf16x3"), the
// kernel behind matmul precision "high" (matmul_precision.h) on CPUs with AMX-BF16.
//
// An AMX tile product (TDPBF16PS) multiplies BF16 numbers, which keep 8 bits of mantissa. Each
// float32 operand is split into two BF16 parts, a = a_hi + a_lo (a_hi the rounding of a, a_lo the
// rounding of what is left), and a product is the sum of three part products,
//   x·w ≈ x_hi·w_lo + x_hi·w_hi + x_lo·w_hi,
// dropping x_lo·w_lo (about 2^-16 of it) — "bf16x3" (Henry, Tang and Heinecke, ARITH 2019).
// Measured through whole transformers models against float64
// (tests/bench/results/bf16x3_parity.txt), logits come out within 1.2–1.5e-5 relative (float32
// products: 1.0–1.1e-6), inside the 1e-4 parity bound.
//
// Layout. The weight w[N][K] is split and packed once, at load, into AMX's pair-interleaved
// ("VNNI") B layout: [part][N/16][K/32] tiles of 16 feature pairs × 16 outputs × 2, 1 KB each,
// N and K padded to 32 with zeros. It costs as many bytes as the float32 weight itself, so it is
// made for F32 weights only (F16/BF16 models keep their half-size memory). x is split per call
// into [part][T/32·32][K/32·32]. An output block of 32 tokens × 32 outputs lives in four C tiles
// while its K features stream through the A tiles (x's parts) and B tiles (w's parts).
//
// Where it departs from float32: TDPBF16PS flushes BF16 denormals to zero and rounds its float32
// sums to nearest even in its own order, so results differ from cpu-simd's float32 products
// (and between machines with and without AMX) at the 1e-5 level. Results do not depend on the
// number of threads: every output is the same sequence of tile products whoever computes it.
//
// Tests: a CPU without AMX runs the same driver with an emulated tile unit (scalar code with
// TDPBF16PS's arithmetic), so the packing, splitting and blocking are tested everywhere; the
// tile instructions themselves only where the CPU has them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/ops/kernels.h"

namespace attnscope::amx {

// A float32 weight [N][K] split into two BF16 parts, packed as above.
struct SplitWeight {
  int N = 0, K = 0;    // the weight's shape
  int Np = 0, Kp = 0;  // padded to multiples of 32
  std::unique_ptr<std::uint16_t[], void (*)(std::uint16_t*)> data{nullptr, nullptr};
  std::size_t bytes() const { return std::size_t(2) * Np * Kp * sizeof(std::uint16_t); }
  // The 16 × 32 tile of `part` (0 high, 1 low) for outputs [16·nb, 16·nb + 16) and features
  // [32·kb, 32·kb + 32).
  const std::uint16_t* tile(int part, int nb, int kb) const {
    return data.get() + ((std::size_t(part) * (Np / 16) + nb) * (Kp / 32) + kb) * 512;
  }
};

// How products reach the tiles: the CPU's, an emulation of them, or not at all.
enum class Mode { off, hardware, emulated };
// hardware where CPUID reports AMX-TILE, AMX-BF16 and AVX-512BW, the OS enables the tile state
// (XCR0), the kernel grants it (arch_prctl) and a trial of the tile instructions runs, else off —
// unless a test forced emulation. It turns off for good if a thread's first tile product faults.
Mode mode();
// Why mode() is off (for `attnscope bench` and messages); empty when it is not.
std::string unavailable_reason();
// Whether cpu-simd multiplies F32 weights on the CPU's AMX tiles now: matmul precision "high" and
// mode() hardware (for labels: `bench`, the explorer's backend line).
bool products_on_tiles();
// Tests: run the driver on the emulated tile unit (on = true) on any CPU, or go back to what the
// CPU has (false).
void force_emulation_for_tests(bool on);
// Runs the tile instructions once on the calling thread, guarded against the SIGILL of a CPU, a
// virtual machine or a sandbox that has no usable tiles; true when they ran. Always false where
// the build has no AMX path. (For the tests: the driver calls it once per thread.)
bool tile_trial_runs();

// w [N][K] (F32) split and packed; null when mode() is off or w is not F32.
std::shared_ptr<const SplitWeight> split_weight(WeightView w, int N, int K);

// Whether linear can take `w` (a view into a split weight) for K input features: the view must
// start at an output row that is a multiple of 32 and a feature that is a multiple of 32, and
// cover whole 32-feature blocks or end at the weight's last feature.
bool can_multiply(const WeightView& w, int K);

// linear_multi on the tiles: out = x · wᵀ + bias for each output, every w one can_multiply
// accepts. Threads share blocks of 32·r outputs × 128 tokens.
void gemm_nt_multi(const float* x, std::size_t ldx, int T, int K,
                   std::span<const LinearOutput> outputs);

// x's two BF16 parts as the kernel makes them (round to nearest even): hi[i] + lo[i] ≈ x[i]. For
// the tests, which check the vector split against this one.
void split_scalar(const float* x, std::size_t n, std::uint16_t* hi, std::uint16_t* lo);
// The same with AVX-512 (only where mode() is hardware, or the CPU has AVX-512BW).
bool split_avx512_available();
void split_avx512(const float* x, std::size_t n, std::uint16_t* hi, std::uint16_t* lo);

}  // namespace attnscope::amx
