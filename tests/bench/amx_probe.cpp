// amx_probe.cpp — can a CPU's AMX unit (Intel AMX-BF16) run the products of a GPT-2 small forward
// pass faster than cpu-simd's FP32 GEMM, at FP32's accuracy? A probe for issue 12, not a kernel
// of the engine: it measures before anything is built into a backend.
//
// Why: the one-thread T = 128 cell of issue 12 needs the whole pass at about 86% of the FP32 FMA
// peak (tests/bench/results/device_bounds.txt). The GPU machine's Xeon has AMX (amx_bf16), whose
// BF16 tile product does 16 × 16 × 32 multiply-adds per instruction. BF16 has an 8-bit mantissa,
// so FP32 is emulated by splitting each operand into BF16 parts, a = a0 + a1 (+ a2), and adding
// the part products that matter (as oneDNN's and XLA's "bf16x3" do):
//   bf16x3: x0·w0 + x0·w1 + x1·w0                      (2 parts each; drops x1·w1, ~2^-16)
//   bf16x4: bf16x3 + x1·w1                             (2 parts each)
//   bf16x6: x0·w0 + x0·w1 + x1·w0 + x0·w2 + x1·w1 + x2·w0   (3 parts each; drops ~2^-24 terms)
// The probe prints, for each, the relative error against a float64 reference beside cpu-simd's
// own FP32 error, and the time of all the products of one GPT-2 small pass at T = 128 on one
// thread (12 layers × qkv, attention out, MLP up, MLP down, then the lm head; every weight
// distinct, so each is read from memory as in a real pass).
//
// Layout: out[T][N] = x[T][K] · w[N][K]ᵀ as AMX's C += A · B with A = x (16 tokens × 32 features
// a tile, row-major as it lies) and B = wᵀ in AMX's pair-interleaved ("VNNI") form, packed once:
// [part][N/16][K/32][16 feature pairs][16 outputs][2]. A B tile is 1 KB, contiguous, so the weights
// stream in order. C tiles are 2 × 2 (32 tokens × 32 outputs); N is padded to 32 with zeros.
//
//   build/amx_probe            (on a CPU without AMX it checks the layouts by emulation and says
//   so) build/amx_probe --check    (the emulation check only, on any CPU)
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cpuid.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/ops/amx_tile_config.h"
#include "core/ops/kernels.h"
#include "core/ops/parallel.h"
#include "core/ops/simd_kernels.h"

namespace {

using Bf16 = std::uint16_t;
using Products = std::vector<std::pair<int, int>>;  // (x part, w part), x-part-major

struct Variant {
  const char* name;
  int parts;
  Products products;
};

const std::vector<Variant> kVariants = {
    {"bf16x3", 2, {{0, 0}, {0, 1}, {1, 0}}},
    {"bf16x4", 2, {{0, 0}, {0, 1}, {1, 0}, {1, 1}}},
    {"bf16x6", 3, {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {2, 0}}},
};

// Round to nearest even (finite inputs: the probe's are).
Bf16 to_bf16(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7FFF + ((u >> 16) & 1);
  return Bf16(u >> 16);
}
float from_bf16(Bf16 b) {
  const std::uint32_t u = std::uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
// part p of f's split into `parts` BF16 numbers (each the rounding of what the others left).
void split(float f, int parts, Bf16* out) {
  for (int p = 0; p < parts; p++) {
    out[p] = to_bf16(f);
    f -= from_bf16(out[p]);
  }
}

bool amx_available(std::string& why) {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 24)) || !(d & (1u << 22))) {
    why = "this CPU has no AMX-TILE/AMX-BF16 (CPUID 7.0:EDX bits 24, 22)";
    return false;
  }
  // Linux hands out the 8 KB tile state only on request (arch_prctl ARCH_REQ_XCOMP_PERM, 0x1023,
  // for XFEATURE_XTILEDATA, 18).
  if (syscall(SYS_arch_prctl, 0x1023, 18) != 0) {
    why = "the kernel refused the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM)";
    return false;
  }
  return true;
}

struct PackedWeights {
  int N = 0, Np = 0, K = 0, parts = 0;
  std::vector<Bf16> data;  // [part][Np/16][K/32][16][32]
  const Bf16* tile(int part, int nb, int kb) const {
    return data.data() + ((std::size_t(part) * (Np / 16) + nb) * (K / 32) + kb) * 512;
  }
};

PackedWeights pack_weights(const float* w, int N, int K, int parts) {
  PackedWeights p{N, (N + 31) / 32 * 32, K, parts, {}};
  p.data.assign(std::size_t(parts) * p.Np * K, 0);
  Bf16 s[3];
  for (int n = 0; n < N; n++)
    for (int k = 0; k < K; k++) {
      split(w[std::size_t(n) * K + k], parts, s);
      for (int q = 0; q < parts; q++) {
        Bf16* t = const_cast<Bf16*>(p.tile(q, n / 16, k / 32));
        t[(k % 32 / 2) * 32 + (n % 16) * 2 + k % 2] = s[q];
      }
    }
  return p;
}

// xs[part][T][K]: the split of x, per call (timed with the product).
void split_x(const float* x, int T, int K, int parts, Bf16* xs) {
  const std::size_t size = std::size_t(T) * K;
  Bf16 s[3];
  for (std::size_t i = 0; i < size; i++) {
    split(x[i], parts, s);
    for (int q = 0; q < parts; q++) xs[q * size + i] = s[q];
  }
}

// out[T][Np] (row stride Np) from the split x and packed w, by AMX tiles. T a multiple of 32.
void amx_gemm(const Bf16* xs, int T, const PackedWeights& w, const Products& products, float* out) {
  const int K = w.K, ldo = w.Np;
  const std::size_t part_size = std::size_t(T) * K;
  for (int nb = 0; nb < w.Np / 16; nb += 2)
    for (int t = 0; t < T; t += 32) {
      _tile_zero(0);
      _tile_zero(1);
      _tile_zero(2);
      _tile_zero(3);
      for (int kb = 0; kb < K / 32; kb++) {
        int xi = -1, wj = -1;
        for (const auto& [i, j] : products) {
          if (i != xi) {
            const Bf16* a = xs + i * part_size + std::size_t(t) * K + kb * 32;
            _tile_loadd(4, a, K * 2);
            _tile_loadd(5, a + std::size_t(16) * K, K * 2);
            xi = i;
          }
          if (j != wj) {
            _tile_loadd(6, w.tile(j, nb, kb), 64);
            _tile_loadd(7, w.tile(j, nb + 1, kb), 64);
            wj = j;
          }
          _tile_dpbf16ps(0, 4, 6);
          _tile_dpbf16ps(1, 4, 7);
          _tile_dpbf16ps(2, 5, 6);
          _tile_dpbf16ps(3, 5, 7);
        }
      }
      float* c = out + std::size_t(t) * ldo + nb * 16;
      _tile_stored(0, c, ldo * 4);
      _tile_stored(1, c + 16, ldo * 4);
      _tile_stored(2, c + std::size_t(16) * ldo, ldo * 4);
      _tile_stored(3, c + std::size_t(16) * ldo + 16, ldo * 4);
    }
}

// The same sums as amx_gemm, one output at a time in scalar code from the same packed layouts:
// what checks the layouts on a CPU without AMX.
void emulated_gemm(const Bf16* xs, int T, const PackedWeights& w, const Products& products,
                   float* out) {
  const int K = w.K;
  const std::size_t part_size = std::size_t(T) * K;
  for (int t = 0; t < T; t++)
    for (int n = 0; n < w.Np; n++) {
      float acc = 0.0f;
      for (int kb = 0; kb < K / 32; kb++)
        for (const auto& [i, j] : products) {
          const Bf16* a = xs + i * part_size + std::size_t(t) * K + kb * 32;
          const Bf16* b = w.tile(j, n / 16, kb);
          for (int pair = 0; pair < 16; pair++)
            acc += from_bf16(a[2 * pair]) * from_bf16(b[pair * 32 + (n % 16) * 2]) +
                   from_bf16(a[2 * pair + 1]) * from_bf16(b[pair * 32 + (n % 16) * 2 + 1]);
        }
      out[std::size_t(t) * w.Np + n] = acc;
    }
}

std::vector<float> random_floats(std::size_t n, float scale, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (float& f : v) f = normal(rng);
  return v;
}

// ‖y − ref‖ / ‖ref‖ over out[T][ldy]'s first N columns, ref in float64.
double relative_error(const float* y, int ldy, const std::vector<double>& ref, int T, int N) {
  double e = 0, r = 0;
  for (int t = 0; t < T; t++)
    for (int n = 0; n < N; n++) {
      const double d = y[std::size_t(t) * ldy + n] - ref[std::size_t(t) * N + n];
      e += d * d;
      r += ref[std::size_t(t) * N + n] * ref[std::size_t(t) * N + n];
    }
  return std::sqrt(e / r);
}

std::vector<double> reference(const float* x, const float* w, int T, int K, int N) {
  std::vector<double> ref(std::size_t(T) * N);
  for (int t = 0; t < T; t++)
    for (int n = 0; n < N; n++) {
      double s = 0;
      for (int k = 0; k < K; k++)
        s += double(x[std::size_t(t) * K + k]) * w[std::size_t(n) * K + k];
      ref[std::size_t(t) * N + n] = s;
    }
  return ref;
}

// Every variant's error on one shape against float64, beside cpu-simd's FP32 kernel; with AMX,
// the tiles against the emulation too. Returns false when the emulation or the tiles are off.
bool check_shape(int T, int K, int N, bool amx) {
  const auto x = random_floats(std::size_t(T) * K, 1.0f, 1),
             w = random_floats(std::size_t(N) * K, 0.02f, 2);
  const auto ref = reference(x.data(), w.data(), T, K, N);
  std::vector<float> fp32(std::size_t(T) * N);
  attnscope::simd::gemm_nt(fp32.data(), N, x.data(), K, attnscope::WeightView::f32(w.data(), K),
                           nullptr, T, K, N);
  std::printf("  T=%d K=%d N=%d: cpu-simd FP32 %.2e", T, K, N,
              relative_error(fp32.data(), N, ref, T, N));
  bool ok = true;
  for (const Variant& v : kVariants) {
    const PackedWeights pw = pack_weights(w.data(), N, K, v.parts);
    std::vector<Bf16> xs(std::size_t(v.parts) * T * K);
    split_x(x.data(), T, K, v.parts, xs.data());
    std::vector<float> emulated(std::size_t(T) * pw.Np);
    emulated_gemm(xs.data(), T, pw, v.products, emulated.data());
    const double e = relative_error(emulated.data(), pw.Np, ref, T, N);
    std::printf(", %s %.2e", v.name, e);
    if (amx) {
      std::vector<float> tiles(std::size_t(T) * pw.Np);
      amx_gemm(xs.data(), T, pw, v.products, tiles.data());
      const double gap = relative_error(tiles.data(), pw.Np, ref, T, N);
      std::printf(" (tiles %.2e)", gap);
      // The tiles may be more accurate than the emulation, which rounds after every pair of
      // products (TDPBF16PS need not: on the H200 host's Xeon bf16x6 came out 3.5x closer), but
      // never much less accurate: a layout mistake gives errors of order 1.
      if (!(gap < 1.5 * e + 1e-7)) ok = false;
    }
    if (!(e < 1e-3)) ok = false;  // a layout mistake gives errors of order 1
  }
  std::printf("\n");
  return ok;
}

struct Shape {
  const char* name;
  int K, N, count;
};
const std::vector<Shape> kPass = {{"qkv", 768, 2304, 12},
                                  {"attn_out", 768, 768, 12},
                                  {"mlp_up", 768, 3072, 12},
                                  {"mlp_down", 3072, 768, 12},
                                  {"lm_head", 768, 50257, 1}};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The products of one GPT-2 small pass, one thread, `repeat` times: median ms for cpu-simd FP32
// and for each AMX variant.
void time_pass(int T, int repeat) {
  double gflop = 0;
  for (const Shape& s : kPass) gflop += 2.0 * T * s.K * s.N * s.count * 1e-9;
  std::printf("products of one GPT-2 small pass, T = %d, one thread: %.1f GFLOP\n", T, gflop);
  std::vector<std::vector<float>> weights, xs;
  for (const Shape& s : kPass) {
    xs.push_back(random_floats(std::size_t(T) * s.K, 1.0f, 7));
    for (int l = 0; l < s.count; l++)
      weights.push_back(
          random_floats(std::size_t(s.N) * s.K, 0.02f, 100 + unsigned(weights.size())));
  }
  std::vector<float> out(std::size_t(T) * (50257 + 31) / 32 * 32 + 64);
  std::vector<double> times;
  for (int r = 0; r <= repeat; r++) {
    const auto start = std::chrono::steady_clock::now();
    std::size_t wi = 0;
    for (std::size_t s = 0; s < kPass.size(); s++)
      for (int l = 0; l < kPass[s].count; l++, wi++)
        attnscope::simd::gemm_nt(out.data(), kPass[s].N, xs[s].data(), kPass[s].K,
                                 attnscope::WeightView::f32(weights[wi].data(), kPass[s].K),
                                 nullptr, T, kPass[s].K, kPass[s].N);
    if (r > 0) times.push_back(seconds_since(start));  // the first pass warms up
  }
  const double fp32_ms = median(times) * 1e3;
  std::printf("  cpu-simd FP32 (%s): %.1f ms, %.1f GFLOP/s\n", attnscope::simd::simd_target_name(),
              fp32_ms, gflop / fp32_ms * 1e3);
  for (const Variant& v : kVariants) {
    std::vector<PackedWeights> packed;
    std::size_t wi = 0;
    for (const Shape& s : kPass)
      for (int l = 0; l < s.count; l++, wi++)
        packed.push_back(pack_weights(weights[wi].data(), s.N, s.K, v.parts));
    std::vector<Bf16> split(std::size_t(v.parts) * T * 3072);
    times.clear();
    for (int r = 0; r <= repeat; r++) {
      const auto start = std::chrono::steady_clock::now();
      std::size_t pi = 0;
      for (std::size_t s = 0; s < kPass.size(); s++) {
        for (int l = 0; l < kPass[s].count; l++, pi++) {
          split_x(xs[s].data(), T, kPass[s].K, v.parts, split.data());
          amx_gemm(split.data(), T, packed[pi], v.products, out.data());
        }
      }
      if (r > 0) times.push_back(seconds_since(start));
    }
    const double ms = median(times) * 1e3;
    // The split of x alone (scalar code here; a kernel would vectorise it), to tell it apart.
    const auto split_start = std::chrono::steady_clock::now();
    for (std::size_t s = 0; s < kPass.size(); s++)
      for (int l = 0; l < kPass[s].count; l++)
        split_x(xs[s].data(), T, kPass[s].K, v.parts, split.data());
    const double split_ms = seconds_since(split_start) * 1e3;
    std::printf(
        "  AMX %s: %.1f ms (%.1f of them splitting x), %.1f GFLOP/s (FP32-equivalent), %.2f× "
        "cpu-simd's time\n",
        v.name, ms, split_ms, gflop / ms * 1e3, ms / fp32_ms);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool check_only = argc > 1 && std::string(argv[1]) == "--check";
  attnscope::set_cpu_threads(1);
  std::string why;
  const bool amx = !check_only && amx_available(why);
  if (amx) attnscope::amx::load_tile_config_16x64();
  std::printf("AMX: %s\n",
              amx ? "yes (tiles configured)" : (check_only ? "not asked for" : why.c_str()));
  std::printf("relative error against float64 (‖y − ref‖ / ‖ref‖; x ~ N(0, 1), w ~ N(0, 0.02)):\n");
  bool ok = true;
  for (const auto& [T, K, N] :
       std::vector<std::tuple<int, int, int>>{{32, 64, 40}, {128, 768, 768}, {128, 3072, 256}})
    ok = check_shape(T, K, N, amx) && ok;
  if (!ok) {
    std::printf("FAIL: a split product is off (layout or tile mistake)\n");
    return 1;
  }
  if (amx) {
    std::printf("FP32 FMA peak, one thread: %.1f GFLOP/s\n", attnscope::simd::fma_peak_gflops(1.0));
    time_pass(128, 5);
  }
  return 0;
}
