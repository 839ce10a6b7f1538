// test_amx_gemm.cpp — the bf16x3 AMX product (core/ops/amx_gemm.h): the split of x, the packed
// weights, the driver's blocks and tails, views into a split weight, the backend's wrap_weight
// and the matmul precision setting. On a CPU without AMX every case runs on the emulated tile
// unit; on one with AMX the hardware tiles are checked against the emulation too.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/io/dtype.h"
#include "core/ops/amx_gemm.h"
#include "core/ops/backend.h"
#include "core/ops/kernels.h"
#include "core/ops/matmul_precision.h"
#include "core/ops/parallel.h"
#include "tests/unit/fixtures.h"

using namespace attnscope;

namespace {

std::vector<float> normal_vector(std::size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// max |a − b| / max |b| (fixtures.h), for whole vectors.
double relative_max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  return test::relative_max_diff(a.data(), b.data(), a.size());
}

// Runs the tiles in the emulation for the scope of a test (and back to the CPU's own after).
struct Emulation {
  explicit Emulation(bool on = true) { amx::force_emulation_for_tests(on); }
  ~Emulation() { amx::force_emulation_for_tests(false); }
};

// The product on the tiles of x [T][K] (rows ldx apart) with rows [r0, r0 + N) and features
// [c0, c0 + K) of `split`, into out [T][ldo].
std::vector<float> tiles_product(const std::vector<float>& x, std::size_t ldx, int T, int K,
                                 const amx::SplitWeight& split, const std::vector<float>& w, int r0,
                                 int c0, int N, const float* bias, std::size_t ldo) {
  WeightView v = WeightView::f32(w.data(), std::size_t(split.K));
  v.split = &split;
  v = v.at(std::size_t(r0), std::size_t(c0));
  REQUIRE(amx::can_multiply(v, K));
  std::vector<float> out(std::size_t(T) * ldo, 7.0f);
  const LinearOutput one{out.data(), ldo, v, bias, N};
  amx::gemm_nt_multi(x.data(), ldx, T, K, std::span<const LinearOutput>(&one, 1));
  return out;
}

// The same through the float32 reference, leaving the columns past N of each row at 7.
std::vector<float> reference_product(const std::vector<float>& x, std::size_t ldx, int T, int K,
                                     const std::vector<float>& w, std::size_t ldw, int r0, int c0,
                                     int N, const float* bias, std::size_t ldo) {
  std::vector<float> out(std::size_t(T) * ldo, 7.0f);
  cpu_reference_kernels().linear_strided(out.data(), ldo, x.data(), ldx,
                                         WeightView::f32(w.data(), ldw).at(r0, c0), bias, T, K, N);
  return out;
}

}  // namespace

TEST_CASE("amx: the split of x into two BF16 parts, scalar and AVX-512 alike") {
  std::vector<float> x = normal_vector(1000, 1, 3.0f);
  // Values that round up, ties, denormals, the largest float, infinities and NaN.
  const float specials[] = {0.0f,
                            -0.0f,
                            1.0f + 1.0f / 256,
                            1.0f + 3.0f / 512,
                            1e-40f,
                            -3e-39f,
                            std::numeric_limits<float>::max(),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN()};
  for (std::size_t i = 0; i < std::size(specials); i++) x[3 * i + 1] = specials[i];
  std::vector<std::uint16_t> hi(x.size()), lo(x.size());
  amx::split_scalar(x.data(), x.size(), hi.data(), lo.data());
  for (std::size_t i = 0; i < x.size(); i++) {
    CHECK(hi[i] == f32_to_bf16(x[i]));
    // Denormals keep fewer bits (and the tiles read them as zero); the largest floats round to
    // infinity.
    if (!std::isfinite(x[i]) || std::fabs(x[i]) > 1e38f ||
        std::fabs(x[i]) < std::numeric_limits<float>::min())
      continue;
    CAPTURE(x[i]);
    // Two parts keep 16 bits of the mantissa: within 2^-17 of x, relative.
    const double sum = double(bf16_to_f32(hi[i])) + bf16_to_f32(lo[i]);
    CHECK(std::fabs(sum - x[i]) <= std::fabs(x[i]) * std::ldexp(1.0, -16) + 1e-44);
  }
  if (!amx::split_avx512_available()) {
    MESSAGE("no AVX-512BW in this build or on this CPU: the vector split is not checked here");
    return;
  }
  // Every length from 0 to 40: the 16-lane loop and its tail.
  for (std::size_t n = 0; n <= 40; n++) {
    std::vector<std::uint16_t> vhi(n + 1, 0xABCD), vlo(n + 1, 0xABCD);
    amx::split_avx512(x.data() + 3, n, vhi.data(), vlo.data());
    CHECK(std::memcmp(vhi.data(), hi.data() + 3, n * 2) == 0);
    CHECK(std::memcmp(vlo.data(), lo.data() + 3, n * 2) == 0);
    CHECK(vhi[n] == 0xABCD);  // nothing written past n
  }
  std::vector<std::uint16_t> vhi(x.size()), vlo(x.size());
  amx::split_avx512(x.data(), x.size(), vhi.data(), vlo.data());
  CHECK(vhi == hi);
  CHECK(vlo == lo);
}

TEST_CASE("amx: bf16x3 products match float32 to about 1e-5, whole weights and views into them") {
  const Emulation emulation;
  // Shapes around the tiles' 16 and 32 tokens, 32 features and 32 outputs, with tails of each.
  struct Shape {
    int T, K, N;
  };
  for (const Shape s : {Shape{16, 32, 32}, Shape{17, 37, 29}, Shape{40, 300, 53},
                        Shape{130, 96, 100}, Shape{33, 768, 64}}) {
    CAPTURE(s.T);
    CAPTURE(s.K);
    CAPTURE(s.N);
    const auto x = normal_vector(std::size_t(s.T) * s.K, 2);
    const auto w = normal_vector(std::size_t(s.N) * s.K, 3, 0.05f);
    const auto bias = normal_vector(std::size_t(s.N), 4);
    const auto split = amx::split_weight(WeightView::f32(w.data(), s.K), s.N, s.K);
    REQUIRE(split);
    CHECK(split->Np % 32 == 0);
    CHECK(split->Kp % 32 == 0);
    // Whole weight, with and without bias, into a wider output (ldo > N: the columns past N
    // stay untouched).
    for (const float* b : {bias.data(), static_cast<const float*>(nullptr)}) {
      const std::size_t ldo = std::size_t(s.N) + 3;
      const auto got = tiles_product(x, s.K, s.T, s.K, *split, w, 0, 0, s.N, b, ldo);
      const auto want = reference_product(x, s.K, s.T, s.K, w, s.K, 0, 0, s.N, b, ldo);
      const double d = relative_max_diff(got, want);
      CHECK(d <= 2e-5);
      CHECK(d > 0.0);  // not the float32 kernel: bf16x3 rounds differently
    }
    // Rows from 32 on (a block of a weight) and features from 32 on to the end (a head's
    // columns of W_O, here the last ones, which end inside the padding).
    if (s.N > 32) {
      const auto got = tiles_product(x, s.K, s.T, s.K, *split, w, 32, 0, s.N - 32, nullptr, s.N);
      const auto want = reference_product(x, s.K, s.T, s.K, w, s.K, 32, 0, s.N - 32, nullptr, s.N);
      CHECK(relative_max_diff(got, want) <= 2e-5);
    }
    if (s.K > 32) {
      const int Kc = s.K - 32;
      const auto got = tiles_product(x, s.K, s.T, Kc, *split, w, 0, 32, s.N, nullptr, s.N);
      const auto want = reference_product(x, s.K, s.T, Kc, w, s.K, 0, 32, s.N, nullptr, s.N);
      CHECK(relative_max_diff(got, want) <= 2e-5);
    }
  }
}

TEST_CASE("amx: views the tiles cannot take are refused, and cpu-simd takes them in float32") {
  const Emulation emulation;
  const int N = 64, K = 96;
  const auto w = normal_vector(std::size_t(N) * K, 5);
  const auto split = amx::split_weight(WeightView::f32(w.data(), K), N, K);
  REQUIRE(split);
  WeightView v = WeightView::f32(w.data(), K);
  v.split = split.get();
  CHECK(amx::can_multiply(v, K));
  CHECK(amx::can_multiply(v.at(32, 64), 32));
  CHECK_FALSE(amx::can_multiply(v.at(16, 0), K));   // rows not on a 32-output block
  CHECK_FALSE(amx::can_multiply(v.at(0, 20), 40));  // features not on a 32-feature block
  CHECK_FALSE(amx::can_multiply(v.at(0, 32), 40));  // a part-block that does not end the weight
  CHECK_FALSE(amx::can_multiply(v, K + 1));
  WeightView plain = WeightView::f32(w.data(), K);
  CHECK_FALSE(amx::can_multiply(plain, K));
  // F16 weights are never split (their half-size memory stays half size).
  std::vector<std::uint16_t> bits(w.size());
  for (std::size_t i = 0; i < w.size(); i++) bits[i] = f32_to_f16(w[i]);
  CHECK(amx::split_weight(WeightView{bits.data(), WeightType::f16, std::size_t(K)}, N, K) ==
        nullptr);
  // A refused view through cpu-simd: the float32 kernel, which matches the reference closely.
  const int T = 40;
  const auto x = normal_vector(std::size_t(T) * K, 6);
  std::vector<float> got(std::size_t(T) * 48), want(std::size_t(T) * 48);
  cpu_simd_kernels().linear_strided(got.data(), 48, x.data(), K, v.at(16, 0), nullptr, T, K, 48);
  cpu_reference_kernels().linear_strided(want.data(), 48, x.data(), K, plain.at(16, 0), nullptr, T,
                                         K, 48);
  CHECK(relative_max_diff(got, want) <= 1e-6);
}

TEST_CASE("amx: the same bits for any number of threads") {
  const Emulation emulation;
  const int saved = cpu_threads();
  const int T = 100, K = 64, N = 300;
  const auto x = normal_vector(std::size_t(T) * K, 7);
  const auto w = normal_vector(std::size_t(N) * K, 8, 0.1f);
  const auto split = amx::split_weight(WeightView::f32(w.data(), K), N, K);
  REQUIRE(split);
  set_cpu_threads(1);
  const auto one = tiles_product(x, K, T, K, *split, w, 0, 0, N, nullptr, N);
  for (int threads : {3, 8}) {
    set_cpu_threads(threads);
    CAPTURE(threads);
    const auto many = tiles_product(x, K, T, K, *split, w, 0, 0, N, nullptr, N);
    CHECK(std::memcmp(many.data(), one.data(), one.size() * sizeof(float)) == 0);
  }
  set_cpu_threads(saved);
}

TEST_CASE("amx: cpu-simd splits a weight at wrap_weight for precision high, not for highest") {
  const Emulation emulation;
  const MatmulPrecision saved = matmul_precision();
  const int T = 48, K = 64, N = 96;
  auto w = normal_vector(std::size_t(N) * K, 9);
  const auto x = normal_vector(std::size_t(T) * K, 10);
  Backend& be = cpu_simd_backend();
  auto run = [&](Buffer& weight) {
    std::vector<float> out(std::size_t(T) * N), xs = x;
    auto out_buffer = be.wrap_host(out.data(), out.size() * sizeof(float));
    auto x_buffer = be.wrap_host(xs.data(), xs.size() * sizeof(float));
    be.linear({out_buffer.get(), 0, DType::f32, 0}, {x_buffer.get(), 0, DType::f32, 0},
              {&weight, 0, DType::f32, std::size_t(K)}, {}, T, K, N);
    return out;
  };
  std::vector<float> want(std::size_t(T) * N);
  cpu_reference_kernels().linear(want.data(), x.data(), w.data(), nullptr, T, K, N);

  set_matmul_precision(MatmulPrecision::high);
  auto split = be.wrap_weight(w.data(), w.size() * sizeof(float), DType::f32, N, K);
  const auto on_tiles = run(*split);
  CHECK(relative_max_diff(on_tiles, want) <= 2e-5);
  // Switched to highest after load: the same buffer now multiplies in float32.
  set_matmul_precision(MatmulPrecision::highest);
  const auto in_float32 = run(*split);
  CHECK(relative_max_diff(in_float32, want) <= 1e-6);
  CHECK(in_float32 != on_tiles);
  // Loaded at highest: nothing is split (no second copy of the weight's bytes).
  auto plain = be.wrap_weight(w.data(), w.size() * sizeof(float), DType::f32, N, K);
  set_matmul_precision(MatmulPrecision::high);
  CHECK(run(*plain) == in_float32);
  // The reference backend never splits.
  auto reference =
      cpu_reference_backend().wrap_weight(w.data(), w.size() * sizeof(float), DType::f32, N, K);
  CHECK(reference != nullptr);
  set_matmul_precision(saved);
}

TEST_CASE("amx: matmul precision names") {
  CHECK(parse_matmul_precision("high") == MatmulPrecision::high);
  CHECK(parse_matmul_precision("highest") == MatmulPrecision::highest);
  CHECK_FALSE(parse_matmul_precision("medium").has_value());
  CHECK(std::string(matmul_precision_name(MatmulPrecision::highest)) == "highest");
}

TEST_CASE("amx: a CPU whose tiles fault is caught, not crashed on") {
  // On a CPU without AMX (this project's CI) the trial's first tile instruction raises SIGILL:
  // the guard must catch it and say no; where the tiles work it must say yes.
  const bool usable = amx::mode() == amx::Mode::hardware;
  CHECK(amx::tile_trial_runs() == usable);
  CHECK(amx::tile_trial_runs() == usable);  // twice: the guard is put back each time
  if (!usable) CHECK_FALSE(amx::unavailable_reason().empty());
}

TEST_CASE("amx: the CPU's tiles agree with the emulation") {
  if (amx::mode() != amx::Mode::hardware) {
    MESSAGE("no AMX here (" << amx::unavailable_reason()
                            << "): the hardware tiles are checked on a CPU with AMX only");
    return;
  }
  const int T = 130, K = 300, N = 100;
  const auto x = normal_vector(std::size_t(T) * K, 11);
  const auto w = normal_vector(std::size_t(N) * K, 12, 0.05f);
  const auto split = amx::split_weight(WeightView::f32(w.data(), K), N, K);
  REQUIRE(split);
  const auto hardware = tiles_product(x, K, T, K, *split, w, 0, 0, N, nullptr, N);
  std::vector<float> emulated;
  {
    const Emulation emulation;
    emulated = tiles_product(x, K, T, K, *split, w, 0, 0, N, nullptr, N);
  }
  // Not bit for bit: the hardware may round its sums differently from the SDM's sequence.
  CHECK(relative_max_diff(hardware, emulated) <= 1e-5);
  const auto want = reference_product(x, K, T, K, w, K, 0, 0, N, nullptr, N);
  CHECK(relative_max_diff(hardware, want) <= 2e-5);
}
