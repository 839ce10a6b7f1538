// amx_gemm.cpp — the bf16x3 product on AMX tiles (amx_gemm.h), and its emulation.
//
// The driver (multiply_block, run_item) is written once against a tile unit with five
// operations — zero the four C tiles, load the two A tiles, load the two B tiles, multiply, store
// C — and instantiated twice: on the CPU's tiles (HardwareTiles, compiled for AMX and AVX-512 by
// function attributes only, so nothing else in the program uses those instructions) and on
// scalar code with the same arithmetic (EmulatedTiles), which the tests run on every CPU.
//
// Tile registers: C0..C3 (tmm0-3) hold 32 tokens × 32 outputs as 2 × 2 tiles of 16 × 16 floats;
// A (tmm4, tmm5) two 16-token halves of 32 features of one part of x; B (tmm6, tmm7) two 16-output
// halves of the same 32 features of one part of w. Per 32 features the three products are
// x_hi·w_lo, x_hi·w_hi, x_lo·w_hi: the small term first, and each A or B load used for two
// products where it can (8 tile loads per 12 tile products).
//
// Written by hand: oneDNN is not a dependency of this project (and the WASM build has no AMX).
#include "core/ops/amx_gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include "core/io/dtype.h"
#include "core/ops/matmul_precision.h"
#include "core/ops/parallel.h"
#include "core/ops/simd_kernels.h"

#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__))
#define ATTNSCOPE_HAS_AMX 1
#include <cpuid.h>
#include <immintrin.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/ops/amx_tile_config.h"

#define ATTNSCOPE_AVX512 __attribute__((target("avx512f,avx512bw")))
#define ATTNSCOPE_AMX __attribute__((target("avx512f,avx512bw,amx-tile,amx-bf16")))
#else
#define ATTNSCOPE_HAS_AMX 0
#endif

namespace attnscope::amx {
namespace {

using Bf16 = std::uint16_t;

// ---------------------------------------------------------------------------------------------
// What the CPU and the kernel allow.
#if ATTNSCOPE_HAS_AMX
std::uint64_t xcr0() {
  std::uint32_t lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (std::uint64_t(hi) << 32) | lo;
}

// AVX-512F and BW, with the OS saving their registers (XCR0 bits 1, 2, 5, 6, 7).
bool cpu_has_avx512bw() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return false;  // OSXSAVE
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  if (!(b & (1u << 16)) || !(b & (1u << 30))) return false;
  return (xcr0() & 0xE6) == 0xE6;
}
#else
bool cpu_has_avx512bw() {
  return false;
}
#endif

std::atomic<bool> g_emulate{false};

// ---------------------------------------------------------------------------------------------
// The tile units.
constexpr std::size_t kBlockFloats = 32 * 32;  // C: 32 tokens × 32 outputs, rows 32 floats apart

#if ATTNSCOPE_HAS_AMX
// How the weights of the next 32 outputs are asked for ahead: 0 not at all, 1 into L1 (T0), 2
// into L2 (T1, the default); ATTNSCOPE_AMX_PREFETCH chooses, for measuring.
int amx_prefetch_hint() {
  static const int hint = [] {
    const char* env = std::getenv("ATTNSCOPE_AMX_PREFETCH");
    return env && *env >= '0' && *env <= '2' ? *env - '0' : 2;
  }();
  return hint;
}

struct HardwareTiles {
  // Every tile 16 rows × 64 bytes (amx_tile_config.h). Tile configuration is per thread.
  static void configure() { load_tile_config_16x64(); }
  ATTNSCOPE_AMX static void release() { _tile_release(); }
  // Prefetch hint for the weights of the next outputs (ATTNSCOPE_AMX_PREFETCH, see below).
  ATTNSCOPE_AMX void prefetch(const char* p) {
    if (prefetch_hint == 1) _mm_prefetch(p, _MM_HINT_T0);
    if (prefetch_hint == 2) _mm_prefetch(p, _MM_HINT_T1);
  }
  int prefetch_hint = amx_prefetch_hint();
  ATTNSCOPE_AMX void zero_c() {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
  }
  // a: 32 tokens' 32 features, rows `stride` bytes apart.
  ATTNSCOPE_AMX void load_a(const Bf16* a, std::size_t stride) {
    _tile_loadd(4, a, stride);
    _tile_loadd(5, reinterpret_cast<const char*>(a) + 16 * stride, stride);
  }
  ATTNSCOPE_AMX void load_b(const Bf16* b0, const Bf16* b1) {
    _tile_loadd(6, b0, 64);
    _tile_loadd(7, b1, 64);
  }
  ATTNSCOPE_AMX void multiply() {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  ATTNSCOPE_AMX void store_c(float* c) {
    _tile_stored(0, c, 128);
    _tile_stored(1, c + 16, 128);
    _tile_stored(2, c + 16 * 32, 128);
    _tile_stored(3, c + 16 * 32 + 16, 128);
  }
};
#endif

// ---------------------------------------------------------------------------------------------
// Whether the tiles can be used: asked of CPUID, XCR0 and the kernel, then tried.
constexpr char kTrialFaulted[] =
    "a tile instruction faulted (SIGILL) although CPUID and the kernel report AMX (a virtual "
    "machine or sandbox that does not pass the tiles through)";

#if ATTNSCOPE_HAS_AMX
// The trial: every kind of tile instruction the driver uses, once. A CPU, virtual machine or
// sandbox can report AMX in CPUID and grant the state through arch_prctl and still fault on a
// tile instruction (attnscope's products died of SIGILL so on the GPU machine's VM, 2026-12-07),
// so the trial runs under a SIGILL guard before any product does.
ATTNSCOPE_AMX void tile_trial() {
  alignas(64) static thread_local Bf16 a[16 * 32], b[16 * 32];
  alignas(64) static thread_local float c[16 * 16];
  HardwareTiles::configure();
  _tile_zero(0);
  _tile_loadd(4, a, 64);
  _tile_loadd(6, b, 64);
  _tile_dpbf16ps(0, 4, 6);
  _tile_stored(0, c, 64);
  HardwareTiles::release();
}

thread_local sigjmp_buf t_trial_jump;
thread_local volatile sig_atomic_t t_in_trial = 0;

// Jumps back into the trial that faulted; a SIGILL anywhere else gets the default action (the
// guard is installed only while a trial runs, but another thread may fault meanwhile).
void on_trial_fault(int sig) {
  if (t_in_trial) siglongjmp(t_trial_jump, 1);
  signal(sig, SIG_DFL);
  raise(sig);
}

bool run_guarded_trial() {
  static std::mutex mutex;  // one trial at a time: the SIGILL disposition is the process's
  const std::lock_guard lock(mutex);
  struct sigaction guard = {};
  struct sigaction previous = {};
  guard.sa_handler = on_trial_fault;
  sigemptyset(&guard.sa_mask);
  if (sigaction(SIGILL, &guard, &previous) != 0) return false;
  volatile bool ran = false;  // volatile: read after a siglongjmp
  if (sigsetjmp(t_trial_jump, 1) == 0) {
    t_in_trial = 1;
    tile_trial();
    ran = true;
  }
  t_in_trial = 0;
  sigaction(SIGILL, &previous, nullptr);
  return ran;
}

std::string probe_hardware() {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 24)) || !(d & (1u << 22)))
    return "this CPU has no AMX-TILE and AMX-BF16 (CPUID 7.0:EDX bits 24, 22)";
  if (!cpu_has_avx512bw()) return "this CPU or its OS does not run AVX-512BW";
  // The OS must enable the tile configuration and data states (XCR0 bits 17 and 18).
  if ((xcr0() & 0x60000) != 0x60000) return "the OS does not enable the AMX tile state (XCR0)";
  // Linux hands out the 8 KB tile state only on request: arch_prctl(ARCH_REQ_XCOMP_PERM = 0x1023,
  // XFEATURE_XTILEDATA = 18), once per process; ARCH_GET_XCOMP_PERM (0x1022) confirms it.
  std::uint64_t permitted = 0;
  if (syscall(SYS_arch_prctl, 0x1023, 18) != 0 ||
      syscall(SYS_arch_prctl, 0x1022, &permitted) != 0 || !(permitted & (1u << 18)))
    return "the kernel refused the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM)";
  if (!run_guarded_trial()) return kTrialFaulted;
  return {};
}
#else
std::string probe_hardware() {
  return "AMX is an x86-64 feature and this build is not for x86-64 Linux";
}
#endif

// Empty when the hardware tiles can be used.
const std::string& hardware_problem() {
  static const std::string problem = probe_hardware();
  return problem;
}

// Set when a thread's own trial faulted after the probe's passed: the tiles are off from then on.
std::atomic<bool> g_tiles_faulted{false};

// Whether this thread may use the tiles: its first call runs the guarded trial (the probe's ran
// on one thread only).
#if ATTNSCOPE_HAS_AMX
bool tiles_usable_on_this_thread() {
  thread_local const bool usable = run_guarded_trial();
  if (!usable) g_tiles_faulted.store(true, std::memory_order_relaxed);
  return usable;
}
#endif

// TDPBF16PS in scalar code: for each output, per feature pair, c += a₀·b₀ then c += a₁·b₁ (each
// product of two BF16 numbers is exact in float32), BF16 denormals read as zero and float32
// denormal results flushed to zero (Intel SDM, TDPBF16PS).
struct EmulatedTiles {
  float c[4][16][16];
  const Bf16* a[2] = {};
  std::size_t a_stride = 0;  // elements
  const Bf16* b[2] = {};

  void zero_c() { std::memset(c, 0, sizeof c); }
  void load_a(const Bf16* rows, std::size_t stride) {
    a_stride = stride / sizeof(Bf16);
    a[0] = rows;
    a[1] = rows + 16 * a_stride;
  }
  void load_b(const Bf16* b0, const Bf16* b1) { b[0] = b0, b[1] = b1; }
  void prefetch(const char*) {}
  static float value(Bf16 x) { return (x & 0x7F80) == 0 ? 0.0f : bf16_to_f32(x); }
  static float flush(float v) { return std::fabs(v) < 1.17549435e-38f ? 0.0f : v; }
  void multiply() {
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++)
        for (int m = 0; m < 16; m++)
          for (int n = 0; n < 16; n++) {
            float acc = c[2 * i + j][m][n];
            for (int p = 0; p < 16; p++) {
              const Bf16* ar = a[i] + m * a_stride + 2 * p;
              const Bf16* bp = b[j] + p * 32 + 2 * n;
              acc = flush(acc + value(ar[0]) * value(bp[0]));
              acc = flush(acc + value(ar[1]) * value(bp[1]));
            }
            c[2 * i + j][m][n] = acc;
          }
  }
  void store_c(float* out) {
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++)
        for (int m = 0; m < 16; m++)
          std::copy_n(c[2 * i + j][m], 16, out + (16 * i + m) * 32 + 16 * j);
  }
};

// ---------------------------------------------------------------------------------------------
// The driver.

// x's parts, [Tp][ld] each (Tp and ld multiples of 32, zero padded).
struct SplitX {
  const Bf16* hi;
  const Bf16* lo;
  std::size_t ld;
};

// The weight tiles of the next 32 outputs, asked for from memory a share at a time while the
// current ones are multiplied: 4 regions (2 parts × 2 halves) of kbs contiguous 1 KB tiles, the
// lines spread evenly over the token blocks that multiply the current outputs.
struct NextWeights {
  const char* region[4] = {};
  std::size_t lines = 0;     // per region
  std::size_t next = 0;      // lines asked for so far, over all regions
  std::size_t per_step = 0;  // lines per feature block

  NextWeights(const SplitWeight& w, int nb, int kb0, int kbs, int token_blocks) {
    if (nb + 2 >= w.Np / 16) return;  // the weight's last outputs: nothing follows
    for (int part = 0; part < 2; part++)
      for (int half = 0; half < 2; half++)
        region[2 * part + half] = reinterpret_cast<const char*>(w.tile(part, nb + 2 + half, kb0));
    lines = std::size_t(kbs) * 16;
    per_step = (4 * lines + std::size_t(token_blocks * kbs) - 1) / std::size_t(token_blocks * kbs);
  }
  template <class Tiles>
  void step(Tiles& tiles) {
    for (std::size_t i = 0; i < per_step && next < 4 * lines; i++, next++)
      tiles.prefetch(region[next / lines] + (next % lines) * 64);
  }
};

// c[32][32] = the bf16x3 product of tokens [t, t + 32) of x with outputs [16·nb, 16·nb + 32) of
// w over its feature blocks [kb0, kb0 + kbs).
template <class Tiles>
inline void multiply_block(Tiles& tiles, const SplitX& xs, const SplitWeight& w, int nb, int kb0,
                           int kbs, int t, float* c, NextWeights& next) {
  const std::size_t stride = xs.ld * sizeof(Bf16);
  tiles.zero_c();
  for (int kb = 0; kb < kbs; kb++) {
    const std::size_t at = std::size_t(t) * xs.ld + std::size_t(kb) * 32;
    next.step(tiles);
    tiles.load_a(xs.hi + at, stride);
    tiles.load_b(w.tile(1, nb, kb0 + kb), w.tile(1, nb + 1, kb0 + kb));
    tiles.multiply();  // x_hi · w_lo
    tiles.load_b(w.tile(0, nb, kb0 + kb), w.tile(0, nb + 1, kb0 + kb));
    tiles.multiply();  // x_hi · w_hi
    tiles.load_a(xs.lo + at, stride);
    tiles.multiply();  // x_lo · w_hi
  }
  tiles.store_c(c);
}

// Outputs [n0, n1) × tokens [t0, t1) of one output (n0, t0 multiples of 32): every 32 × 32 block
// computed in the tiles, then written to out with the bias.
template <class Tiles>
inline void run_item(Tiles& tiles, const SplitX& xs, const LinearOutput& o, int T, int K, int n0,
                     int n1, int t0, int t1) {
  const SplitWeight& w = *o.w.split;
  const int row0 = int(o.w.split_row), kb0 = int(o.w.split_col / 32), kbs = (K + 31) / 32;
  const int token_blocks = (t1 - t0 + 31) / 32;
  alignas(64) float c[kBlockFloats];
  for (int n = n0; n < n1; n += 32) {
    const int nb = (row0 + n) / 16, cols = std::min(32, n1 - n);
    NextWeights next(w, nb, kb0, kbs, token_blocks);
    for (int t = t0; t < t1; t += 32) {
      multiply_block(tiles, xs, w, nb, kb0, kbs, t, c, next);
      const int rows = std::min(32, T - t);
      for (int r = 0; r < rows; r++) {
        float* dst = o.out + std::size_t(t + r) * o.ldo + n;
        const float* src = c + r * 32;
        if (o.bias)
          for (int j = 0; j < cols; j++) dst[j] = src[j] + o.bias[n + j];
        else
          std::copy_n(src, cols, dst);
      }
    }
  }
}

struct Item {
  const LinearOutput* output;
  int n0, n1, t0, t1;
};

// One item on the CPU's tiles, and on the emulated ones. flatten: the driver and the tile
// operations inline into the one AMX function.
#if ATTNSCOPE_HAS_AMX
ATTNSCOPE_AMX __attribute__((flatten)) void run_item_on_hardware(const SplitX& xs, const Item& it,
                                                                 int T, int K) {
  HardwareTiles tiles;
  run_item(tiles, xs, *it.output, T, K, it.n0, it.n1, it.t0, it.t1);
}
#endif
void run_item_emulated(const SplitX& xs, const Item& it, int T, int K) {
  EmulatedTiles tiles;
  run_item(tiles, xs, *it.output, T, K, it.n0, it.n1, it.t0, it.t1);
}

// Splits rows [b, e) of x (K features, rows ldx apart) into the parts' rows (ld apart), features
// past K and rows past T zero.
void split_rows(const float* x, std::size_t ldx, int T, int K, std::size_t b, std::size_t e,
                Bf16* hi, Bf16* lo, std::size_t ld) {
  const bool vector = split_avx512_available();
  for (std::size_t t = b; t < e; t++) {
    Bf16* h = hi + t * ld;
    Bf16* l = lo + t * ld;
    std::size_t done = 0;
    if (t < std::size_t(T)) {
      if (vector)
        split_avx512(x + t * ldx, std::size_t(K), h, l);
      else
        split_scalar(x + t * ldx, std::size_t(K), h, l);
      done = std::size_t(K);
    }
    std::fill(h + done, h + ld, Bf16(0));
    std::fill(l + done, l + ld, Bf16(0));
  }
}

int round_up(int n, int m) {
  return (n + m - 1) / m * m;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Mode mode() {
  if (g_emulate.load(std::memory_order_relaxed)) return Mode::emulated;
  if (g_tiles_faulted.load(std::memory_order_relaxed)) return Mode::off;
  return hardware_problem().empty() ? Mode::hardware : Mode::off;
}

std::string unavailable_reason() {
  if (mode() != Mode::off) return {};
  return hardware_problem().empty() ? std::string(kTrialFaulted) + " on a worker thread"
                                    : hardware_problem();
}

bool tile_trial_runs() {
#if ATTNSCOPE_HAS_AMX
  return run_guarded_trial();
#else
  return false;
#endif
}

bool products_on_tiles() {
  return matmul_precision() == MatmulPrecision::high && mode() == Mode::hardware;
}

void force_emulation_for_tests(bool on) {
  g_emulate.store(on, std::memory_order_relaxed);
}

void split_scalar(const float* x, std::size_t n, std::uint16_t* hi, std::uint16_t* lo) {
  for (std::size_t i = 0; i < n; i++) {
    hi[i] = f32_to_bf16(x[i]);
    lo[i] = f32_to_bf16(x[i] - bf16_to_f32(hi[i]));
  }
}

bool split_avx512_available() {
  static const bool available = cpu_has_avx512bw();
  return available;
}

#if ATTNSCOPE_HAS_AMX
namespace {
// f32_to_bf16 on 16 lanes: round to nearest even, NaN made quiet. (The maskz forms: GCC 12's
// unmasked shifts read an undefined register, which -Wuninitialized reports.)
ATTNSCOPE_AVX512 inline __m512i to_bf16_lanes(__m512i u) {
  const __m512i rounding = _mm512_add_epi32(
      _mm512_set1_epi32(0x7FFF),
      _mm512_and_si512(_mm512_maskz_srli_epi32(0xFFFF, u, 16), _mm512_set1_epi32(1)));
  const __m512i rounded = _mm512_maskz_srli_epi32(0xFFFF, _mm512_add_epi32(u, rounding), 16);
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF)),
                                                _mm512_set1_epi32(0x7F800000));
  const __m512i quiet =
      _mm512_or_si512(_mm512_maskz_srli_epi32(0xFFFF, u, 16), _mm512_set1_epi32(0x0040));
  return _mm512_mask_blend_epi32(nan, rounded, quiet);
}
}  // namespace

ATTNSCOPE_AVX512 void split_avx512(const float* x, std::size_t n, std::uint16_t* hi,
                                   std::uint16_t* lo) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    const __m512i h = to_bf16_lanes(_mm512_castps_si512(v));
    const __m512 h_value = _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xFFFF, h, 16));
    const __m512i l = to_bf16_lanes(_mm512_castps_si512(_mm512_sub_ps(v, h_value)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(hi + i), _mm512_maskz_cvtepi32_epi16(0xFFFF, h));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(lo + i), _mm512_maskz_cvtepi32_epi16(0xFFFF, l));
  }
  split_scalar(x + i, n - i, hi + i, lo + i);
}
#else
void split_avx512(const float* x, std::size_t n, std::uint16_t* hi, std::uint16_t* lo) {
  split_scalar(x, n, hi, lo);
}
#endif

std::shared_ptr<const SplitWeight> split_weight(WeightView w, int N, int K) {
  if (mode() == Mode::off || w.type != WeightType::f32 || N <= 0 || K <= 0) return nullptr;
  auto s = std::make_shared<SplitWeight>();
  s->N = N, s->K = K, s->Np = round_up(N, 32), s->Kp = round_up(K, 32);
  void* memory = std::aligned_alloc(64, s->bytes());
  if (!memory) throw std::bad_alloc();
  s->data = {static_cast<Bf16*>(memory), [](Bf16* p) { std::free(p); }};
  const auto* wf = static_cast<const float*>(w.data);
  // One 16-output tile row at a time, in parallel: each writes its own tiles, padding included.
  const int tile_rows = s->Np / 16, kbs = s->Kp / 32;
  parallel_for(std::size_t(tile_rows), 1, [&](std::size_t b, std::size_t e) {
    std::vector<Bf16> hi(std::size_t(s->Kp)), lo(std::size_t(s->Kp));
    for (std::size_t nb = b; nb < e; nb++) {
      for (int part = 0; part < 2; part++)
        for (int kb = 0; kb < kbs; kb++)
          std::memset(const_cast<Bf16*>(s->tile(part, int(nb), kb)), 0, 1024);
      for (int r = 0; r < 16; r++) {
        const int n = int(nb) * 16 + r;
        if (n >= N) break;
        split_scalar(wf + std::size_t(n) * w.ld, std::size_t(K), hi.data(), lo.data());
        for (int k = 0; k < K; k++) {
          // Pair-interleaved B layout: row k/2 of the tile, output r, element k % 2.
          const std::size_t at = std::size_t(k % 32 / 2) * 32 + r * 2 + k % 2;
          const_cast<Bf16*>(s->tile(0, int(nb), k / 32))[at] = hi[k];
          const_cast<Bf16*>(s->tile(1, int(nb), k / 32))[at] = lo[k];
        }
      }
    }
  });
  return s;
}

bool can_multiply(const WeightView& w, int K) {
  if (!w.split || w.type != WeightType::f32 || K <= 0) return false;
  const SplitWeight& s = *w.split;
  if (w.split_row % 32 != 0 || w.split_col % 32 != 0) return false;
  if (w.split_row >= std::size_t(s.N) || w.split_col + K > std::size_t(s.K)) return false;
  return K % 32 == 0 || w.split_col + K == std::size_t(s.K);
}

void gemm_nt_multi(const float* x, std::size_t ldx, int T, int K,
                   std::span<const LinearOutput> outputs) {
  int total_N = 0;
  for (const LinearOutput& o : outputs) total_N += o.N;
  if (T <= 0 || total_N <= 0) return;
  [[maybe_unused]] const Mode m = mode();  // read once: the hardware tiles or the emulation
  const int Tp = round_up(T, 32), Kxp = round_up(K, 32);
  // Both parts of x in one buffer of Tp · Kxp floats' bytes.
  thread_local simd::AlignedFloats buffer;
  Bf16* hi = reinterpret_cast<Bf16*>(buffer.reserve(std::size_t(Tp) * Kxp));
  Bf16* lo = hi + std::size_t(Tp) * Kxp;
  const std::size_t work_per_row = std::size_t(K);
  parallel_for(std::size_t(Tp), work_per_row * Tp < (1 << 16) ? std::size_t(Tp) : 8,
               [&](std::size_t b, std::size_t e) {
                 split_rows(x, ldx, T, K, b, e, hi, lo, std::size_t(Kxp));
               });
  const SplitX xs{hi, lo, std::size_t(Kxp)};
  // Items: blocks of 32·r outputs × blocks of up to 128 tokens, about one per thread for a
  // single token block and two per thread otherwise (as simd_gemm.cpp shares its items), never
  // more than 256 outputs.
  constexpr int kTokenBlock = 128;
  const int token_blocks = (Tp + kTokenBlock - 1) / kTokenBlock;
  const int threads = cpu_threads();
  int rows_per_item = total_N;
  if (threads > 1 && std::size_t(T) * K * total_N >= (1 << 18)) {
    const int wanted_items = token_blocks == 1 ? threads : 2 * threads;
    const int row_blocks = std::max(1, (wanted_items + token_blocks - 1) / token_blocks);
    rows_per_item = (total_N + row_blocks - 1) / row_blocks;
  }
  rows_per_item = round_up(std::clamp(rows_per_item, 32, 256), 32);
  std::vector<Item> items;
  for (const LinearOutput& o : outputs)
    for (int n0 = 0; n0 < o.N; n0 += rows_per_item)
      for (int t0 = 0; t0 < Tp; t0 += kTokenBlock)
        items.push_back(
            {&o, n0, std::min(o.N, n0 + rows_per_item), t0, std::min(Tp, t0 + kTokenBlock)});
  parallel_for(items.size(), 1, [&](std::size_t b, std::size_t e) {
#if ATTNSCOPE_HAS_AMX
    // A thread whose own trial faults runs its share on the emulation (the same numbers), and
    // the tiles are off for every later product (mode() off: cpu-simd's float32 GEMM).
    if (m == Mode::hardware && tiles_usable_on_this_thread()) {
      // Tile configuration is per thread. Each share of the items configures the tiles and
      // releases them after (TILERELEASE: a thread with tile state in use saves and restores
      // 8 KB more at every context switch, and its core stays out of the deeper C-states).
      HardwareTiles::configure();
      for (std::size_t i = b; i < e; i++) run_item_on_hardware(xs, items[i], T, K);
      HardwareTiles::release();
      return;
    }
#endif
    for (std::size_t i = b; i < e; i++) run_item_emulated(xs, items[i], T, K);
  });
}

}  // namespace attnscope::amx
