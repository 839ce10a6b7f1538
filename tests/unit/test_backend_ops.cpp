// test_backend_ops.cpp — the reference kernels against values worked out by hand, then every
// backend against the reference on random inputs (one table of op cases, as ggml's
// test-backend-ops does).
#include <doctest/doctest.h>

#include <hwy/targets.h>
#include <array>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/io/dtype.h"
#include "core/ops/kernels.h"
#include "core/ops/parallel.h"
#include "tests/unit/backend_kernels.h"
#include "tests/unit/device_like_backend.h"

using namespace attnscope;

namespace {

Kernels& ref() {
  return cpu_reference_kernels();
}

std::vector<float> random_vector(std::size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  float m = 0.0f;
  for (std::size_t i = 0; i < a.size(); i++) {
    if (std::isinf(a[i]) && a[i] == b[i]) continue;
    m = std::max(m, std::fabs(a[i] - b[i]));
  }
  return m;
}

}  // namespace

TEST_CASE("reference linear: x·wᵀ + b") {
  // x [2,3], w [2,3] (two outputs), b [2]
  const std::vector<float> x = {1, 2, 3, -1, 0, 1};
  const std::vector<float> w = {1, 0, -1, 0.5f, 0.5f, 0.5f};
  const std::vector<float> b = {10, 20};
  std::vector<float> out(4);
  ref().linear(out.data(), x.data(), w.data(), b.data(), 2, 3, 2);
  CHECK(out == std::vector<float>{1 - 3 + 10, 3 + 20, -1 - 1 + 10, 0 + 20});
  ref().linear(out.data(), x.data(), w.data(), nullptr, 2, 3, 2);
  CHECK(out == std::vector<float>{-2, 3, -2, 0});
}

TEST_CASE("reference layernorm and rmsnorm") {
  const std::vector<float> x = {1, 2, 3, 4};
  const std::vector<float> w = {1, 1, 2, 2};
  const std::vector<float> b = {0, 0, 1, 1};
  std::vector<float> out(4);
  ref().layernorm(out.data(), x.data(), w.data(), b.data(), 1, 4, 0.0f);
  // mean 2.5, variance 1.25
  const float s = 1.0f / std::sqrt(1.25f);
  CHECK(out[0] == doctest::Approx(-1.5f * s));
  CHECK(out[1] == doctest::Approx(-0.5f * s));
  CHECK(out[2] == doctest::Approx(2 * 0.5f * s + 1));
  CHECK(out[3] == doctest::Approx(2 * 1.5f * s + 1));
  ref().rmsnorm(out.data(), x.data(), w.data(), 1, 4, 0.0f);
  const float r = 1.0f / std::sqrt((1 + 4 + 9 + 16) / 4.0f);
  CHECK(out[0] == doctest::Approx(1 * r));
  CHECK(out[3] == doctest::Approx(2 * 4 * r));
}

TEST_CASE("reference activations") {
  std::vector<float> x = {1.0f, -1.0f, 0.0f};
  std::vector<float> y = x;
  ref().activate(y.data(), y.size(), Activation::gelu_erf);
  CHECK(y[0] == doctest::Approx(0.8413447f));
  CHECK(y[1] == doctest::Approx(-0.1586553f));
  CHECK(y[2] == 0.0f);
  y = x;
  ref().activate(y.data(), y.size(), Activation::gelu_tanh);
  CHECK(y[0] == doctest::Approx(0.8411920f));
  y = x;
  ref().activate(y.data(), y.size(), Activation::silu);
  CHECK(y[0] == doctest::Approx(0.7310586f));
  CHECK(y[1] == doctest::Approx(-0.2689414f));
  y = x;
  ref().activate(y.data(), y.size(), Activation::relu);
  CHECK(y == std::vector<float>{1, 0, 0});
}

TEST_CASE("reference rope: identity at position 0, rotation by pos·inv_freq after") {
  // one token, one head, D = 4, R = 4: pairs (0,2) and (1,3)
  std::vector<float> x = {1, 2, 3, 4};
  ref().rope(x.data(), 1, 1, 4, 4, 10000.0f, 0);
  CHECK(x == std::vector<float>{1, 2, 3, 4});
  ref().rope(x.data(), 1, 1, 4, 4, 10000.0f, 5);
  // pair 0 rotates by 5 rad, pair 1 by 5 / 100 rad (theta^(-2/4) = 0.01)
  CHECK(x[0] == doctest::Approx(1 * std::cos(5.0f) - 3 * std::sin(5.0f)));
  CHECK(x[2] == doctest::Approx(3 * std::cos(5.0f) + 1 * std::sin(5.0f)));
  CHECK(x[1] == doctest::Approx(2 * std::cos(0.05f) - 4 * std::sin(0.05f)));
  CHECK(x[3] == doctest::Approx(4 * std::cos(0.05f) + 2 * std::sin(0.05f)));
  // partial rotary (R = 2 of D = 4): dims 2 and 3 pass through
  std::vector<float> p = {1, 2, 3, 4};
  ref().rope(p.data(), 1, 1, 4, 2, 10000.0f, 1);
  CHECK(p[2] == 3.0f);
  CHECK(p[3] == 4.0f);
  CHECK(p[0] == doctest::Approx(std::cos(1.0f) - 2 * std::sin(1.0f)));
}

TEST_CASE("reference attention: causal scores, softmax, mix with grouped-query heads") {
  // T = 2, H = 2 query heads sharing G = 1 key/value head, D = 2
  const std::vector<float> q = {1, 0, 0, 1, /*t1*/ 1, 1, 2, 0};
  const std::vector<float> k = {1, 0, /*t1*/ 0, 1};
  const std::vector<float> v = {1, 2, /*t1*/ 3, 4};
  std::vector<float> scores(2 * 2 * 2), pattern(8), z(2 * 2 * 2);
  ref().attention_scores(scores.data(), q.data(), k.data(), 2, 2, 1, 2, 0.5f);
  const float inf = std::numeric_limits<float>::infinity();
  // head 0: row0 [q0·k0, -inf], row1 [q1·k0, q1·k1] using head-0 queries (1,0) and (1,1)
  CHECK(scores[0] == 0.5f);
  CHECK(scores[1] == -inf);
  CHECK(scores[2] == 0.5f);
  CHECK(scores[3] == 0.5f);
  // head 1: queries (0,1) and (2,0)
  CHECK(scores[4] == 0.0f);
  CHECK(scores[6] == 1.0f);
  CHECK(scores[7] == 0.0f);
  ref().softmax_rows(pattern.data(), scores.data(), 2, 2);
  CHECK(pattern[0] == 1.0f);
  CHECK(pattern[1] == 0.0f);
  CHECK(pattern[2] == doctest::Approx(0.5f));
  const float e = std::exp(1.0f);
  CHECK(pattern[6] == doctest::Approx(e / (e + 1)));
  ref().attention_mix(z.data(), pattern.data(), v.data(), 2, 2, 1, 2);
  // z[t=1, h=0] = 0.5·v0 + 0.5·v1 = (2, 3)
  CHECK(z[4] == doctest::Approx(2.0f));
  CHECK(z[5] == doctest::Approx(3.0f));
  // z[t=1, h=1] = p·v0 + (1-p)·v1
  const float p = e / (e + 1);
  CHECK(z[6] == doctest::Approx(p * 1 + (1 - p) * 3));
}

TEST_CASE("reference fused attention, gather_rows, sum_heads, linear_strided") {
  // The fused op equals scores → softmax → mix on the example above, with and without a pattern.
  const std::vector<float> q = {1, 0, 0, 1, /*t1*/ 1, 1, 2, 0};
  const std::vector<float> k = {1, 0, /*t1*/ 0, 1};
  const std::vector<float> v = {1, 2, /*t1*/ 3, 4};
  std::vector<float> z(8), pattern(8);
  ref().attention(z.data(), pattern.data(), q.data(), k.data(), v.data(), 2, 2, 1, 2, 0.5f, 0);
  CHECK(pattern[2] == doctest::Approx(0.5f));
  CHECK(z[4] == doctest::Approx(2.0f));
  std::vector<float> z2(8);
  ref().attention(z2.data(), nullptr, q.data(), k.data(), v.data(), 2, 2, 1, 2, 0.5f, 0);
  CHECK(z2 == z);
  // The second query alone with a past of 1 (a cached generation step): the last rows of the
  // whole sequence, pattern [H = 2, T = 1, S = 2], exactly.
  std::vector<float> z_step(4), pattern_step(4, 5.0f);
  ref().attention(z_step.data(), pattern_step.data(), q.data() + 4, k.data(), v.data(), 1, 2, 1, 2,
                  0.5f, 1);
  CHECK(z_step == std::vector<float>(z.begin() + 4, z.end()));
  CHECK(pattern_step == std::vector<float>{pattern[2], pattern[3], pattern[6], pattern[7]});
  // Rows 2 and 0 of a [3, 2] table.
  const std::vector<float> table = {1, 2, 3, 4, 5, 6};
  const std::vector<int> ids = {2, 0};
  std::vector<float> rows(4);
  ref().gather_rows(rows.data(), WeightView::f32(table.data(), 2), ids.data(), 2, 2);
  CHECK(rows == std::vector<float>{5, 6, 1, 2});
  // x [T=1, H=3, C=2] summed over heads plus a bias.
  const std::vector<float> heads = {1, 2, 10, 20, 100, 200};
  const std::vector<float> bias = {0.5f, -0.5f};
  std::vector<float> sum(2);
  ref().sum_heads(sum.data(), heads.data(), bias.data(), 1, 3, 2);
  CHECK(sum == std::vector<float>{111.5f, 221.5f});
  // Columns 1..2 of x [2, 3] against columns 1..2 of w [2, 3], into columns 0 and 2 of out [2, 3].
  const std::vector<float> x = {9, 1, 2, 9, 3, 4};
  const std::vector<float> w = {9, 1, 0, 9, 0, 1};
  std::vector<float> out(6, -1.0f);
  ref().linear_strided(out.data(), 2, x.data() + 1, 3, WeightView::f32(w.data() + 1, 3), nullptr, 2,
                       2, 2);
  CHECK(out == std::vector<float>{1, 2, 3, 4, -1, -1});
}

TEST_CASE("reference training ops: matmul, matmul_tn, linear_masked, adam_step") {
  // a [2,3] with zeros, b [3,2]
  const std::vector<float> a = {1, 0, 2, 0, -1, 0};
  const std::vector<float> b = {1, 2, 3, 4, 5, 6};
  const std::vector<float> bias = {10, 20};
  std::vector<float> out(4);
  ref().matmul(out.data(), a.data(), b.data(), bias.data(), 2, 3, 2);
  CHECK(out == std::vector<float>{1 + 10 + 10, 2 + 12 + 20, -3 + 10, -4 + 20});
  // aᵀ [3,2] · c [2,2]
  const std::vector<float> c = {1, 2, 3, 4};
  std::vector<float> tn(6);
  ref().matmul_tn(tn.data(), a.data(), c.data(), 2, 3, 2);
  CHECK(tn == std::vector<float>{1, 2, -3, -4, 2, 4});
  // x [2,2] · w [2,2]ᵀ + bias where mask > 0
  const std::vector<float> x = {1, 2, 3, 4};
  const std::vector<float> w = {1, 0, 0, 1};
  const std::vector<float> mask = {1, 0, -1, 0.5f};
  std::vector<float> lm(4, 99.0f);
  ref().linear_masked(lm.data(), x.data(), w.data(), bias.data(), mask.data(), 2, 2, 2);
  CHECK(lm == std::vector<float>{11, 0, 0, 24});
  // Adam's first step moves every parameter by the learning rate against its gradient's sign.
  std::vector<float> p = {1, 1}, m(2, 0.0f), v(2, 0.0f);
  const std::vector<float> g = {0.5f, -2};
  AdamStep s;
  s.learning_rate = 0.1;
  ref().adam_step(p.data(), m.data(), v.data(), g.data(), 2, s);
  CHECK(p[0] == doctest::Approx(0.9f));
  CHECK(p[1] == doctest::Approx(1.1f));
  CHECK(m[0] == doctest::Approx(0.05f));
  CHECK(v[1] == doctest::Approx(0.004f));
}

TEST_CASE("reference softmax: a fully masked row is all zeros, not NaN") {
  const float inf = std::numeric_limits<float>::infinity();
  // H = 1, T = 2: two rows of two scores, the first fully masked.
  const std::vector<float> scores = {-inf, -inf, 1.0f, -inf};
  std::vector<float> pattern(4, 1.0f);
  for (Kernels* backend : available_kernels()) {
    CAPTURE(backend->name());
    backend->softmax_rows(pattern.data(), scores.data(), 1, 2);
    CHECK(pattern == std::vector<float>{0, 0, 1, 0});
  }
}

// Every backend against the reference, on random inputs of awkward sizes.
namespace {

struct OpCase {
  std::string name;
  // Runs the op on `backend` and returns its output.
  std::function<std::vector<float>(Kernels&)> run;
  float tolerance;
  bool backend_op = true;  // false for the SAE's training kernels, which no Backend runs
};

std::vector<OpCase> op_cases() {
  std::vector<OpCase> cases;
  for (int T : {1, 7, 33}) {
    const int K = 37, N = 29, C = 48, H = 4, G = 2, D = 12;
    const auto x = random_vector(static_cast<std::size_t>(T) * K, 1);
    const auto w = random_vector(static_cast<std::size_t>(N) * K, 2);
    const auto b = random_vector(N, 3);
    cases.push_back({"linear T=" + std::to_string(T),
                     [=](Kernels& be) {
                       std::vector<float> out(static_cast<std::size_t>(T) * N);
                       be.linear(out.data(), x.data(), w.data(), b.data(), T, K, N);
                       return out;
                     },
                     1e-4f});
    // A long k: the WebGPU backend splits it over workgroups (four splits of 160 at K = 600,
    // the last one short) and adds the partial sums. The tolerance allows for that order.
    {
      const int Kl = 600;
      const auto xl = random_vector(static_cast<std::size_t>(T) * Kl, 4);
      const auto wl = random_vector(static_cast<std::size_t>(N) * Kl, 5);
      cases.push_back({"linear T=" + std::to_string(T) + " K=600",
                       [=](Kernels& be) {
                         std::vector<float> out(static_cast<std::size_t>(T) * N);
                         be.linear(out.data(), xl.data(), wl.data(), b.data(), T, Kl, N);
                         return out;
                       },
                       1e-3f});
    }
    // The training ops: a with about half its entries zero (as after a ReLU, and so that the
    // sparse kernels skip some rows and columns), b dense; N = 29 is not a whole number of SIMD
    // vectors (a tail), 70 spans several column chunks.
    for (int Nb : {N, 70}) {
      auto a = random_vector(static_cast<std::size_t>(T) * K, 10);
      for (std::size_t i = 0; i < a.size(); i++)
        if (a[i] < 0.0f || i % 7 == 3) a[i] = 0.0f;
      const auto bm = random_vector(static_cast<std::size_t>(K) * Nb, 11);
      const auto bt = random_vector(static_cast<std::size_t>(T) * Nb, 12);
      const auto bias = random_vector(Nb, 13);
      const std::string shape = " T=" + std::to_string(T) + " N=" + std::to_string(Nb);
      cases.push_back({"matmul" + shape,
                       [=](Kernels& be) {
                         std::vector<float> out(static_cast<std::size_t>(T) * Nb);
                         be.matmul(out.data(), a.data(), bm.data(), bias.data(), T, K, Nb);
                         std::vector<float> all = out;
                         be.matmul(out.data(), a.data(), bm.data(), nullptr, T, K, Nb);
                         all.insert(all.end(), out.begin(), out.end());
                         return all;
                       },
                       1e-4f, false});
      cases.push_back({"matmul_tn" + shape,
                       [=](Kernels& be) {
                         std::vector<float> out(static_cast<std::size_t>(K) * Nb, 99.0f);
                         be.matmul_tn(out.data(), a.data(), bt.data(), T, K, Nb);
                         return out;
                       },
                       1e-4f, false});
      const auto xm = random_vector(static_cast<std::size_t>(T) * K, 14);
      const auto wm = random_vector(static_cast<std::size_t>(Nb) * K, 15);
      const auto mask = random_vector(static_cast<std::size_t>(T) * Nb, 16);
      cases.push_back(
          {"linear_masked" + shape,
           [=](Kernels& be) {
             std::vector<float> out(static_cast<std::size_t>(T) * Nb, 99.0f);
             be.linear_masked(out.data(), xm.data(), wm.data(), bias.data(), mask.data(), T, K, Nb);
             std::vector<float> all = out;
             be.linear_masked(out.data(), xm.data(), wm.data(), nullptr, mask.data(), T, K, Nb);
             all.insert(all.end(), out.begin(), out.end());
             return all;
           },
           1e-4f, false});
    }
    // Adam: three steps on T·K + 5 parameters (a tail after the SIMD vectors).
    const std::size_t n_adam = static_cast<std::size_t>(T) * K + 5;
    const auto p0 = random_vector(n_adam, 17), g0 = random_vector(n_adam, 18, 0.01f);
    cases.push_back({"adam_step T=" + std::to_string(T),
                     [=](Kernels& be) {
                       auto p = p0;
                       std::vector<float> m(n_adam, 0.0f), v(n_adam, 0.0f);
                       AdamStep s;
                       s.learning_rate = 0.01;
                       for (s.step = 1; s.step <= 3; s.step++) {
                         std::vector<float> g = g0;
                         for (std::size_t i = 0; i < n_adam; i++) g[i] *= float(s.step) - p[i];
                         be.adam_step(p.data(), m.data(), v.data(), g.data(), n_adam, s);
                       }
                       p.insert(p.end(), m.begin(), m.end());
                       p.insert(p.end(), v.begin(), v.end());
                       return p;
                     },
                     1e-5f, false});
    const auto xc = random_vector(static_cast<std::size_t>(T) * C, 4, 3.0f);
    const auto wc = random_vector(C, 5);
    const auto bc = random_vector(C, 6);
    cases.push_back({"layernorm T=" + std::to_string(T),
                     [=](Kernels& be) {
                       std::vector<float> out(xc.size());
                       be.layernorm(out.data(), xc.data(), wc.data(), bc.data(), T, C, 1e-5f);
                       return out;
                     },
                     1e-5f});
    cases.push_back({"rmsnorm T=" + std::to_string(T),
                     [=](Kernels& be) {
                       std::vector<float> out(xc.size());
                       be.rmsnorm(out.data(), xc.data(), wc.data(), T, C, 1e-6f);
                       return out;
                     },
                     1e-5f});
    const auto q = random_vector(static_cast<std::size_t>(T) * H * D, 7);
    const auto k = random_vector(static_cast<std::size_t>(T) * G * D, 8);
    const auto v = random_vector(static_cast<std::size_t>(T) * G * D, 9);
    cases.push_back({"attention T=" + std::to_string(T),
                     [=](Kernels& be) {
                       const std::size_t TT = static_cast<std::size_t>(T) * T;
                       std::vector<float> scores(H * TT), pattern(H * TT), z(q.size());
                       auto qr = q, kr = k;
                       be.rope(qr.data(), T, H, D, 8, 10000.0f, 3);
                       be.rope(kr.data(), T, G, D, 8, 10000.0f, 3);
                       be.attention_scores(scores.data(), qr.data(), kr.data(), T, H, G, D,
                                           1.0f / std::sqrt(static_cast<float>(D)));
                       be.softmax_rows(pattern.data(), scores.data(), H, T);
                       be.attention_mix(z.data(), pattern.data(), v.data(), T, H, G, D);
                       std::vector<float> all = scores;
                       all.insert(all.end(), pattern.begin(), pattern.end());
                       all.insert(all.end(), z.begin(), z.end());
                       return all;
                     },
                     1e-5f});
    for (Activation act :
         {Activation::gelu_erf, Activation::gelu_tanh, Activation::silu, Activation::relu}) {
      cases.push_back(
          {"activation " + std::to_string(static_cast<int>(act)) + " T=" + std::to_string(T),
           [=](Kernels& be) {
             auto y = xc;
             be.activate(y.data(), y.size(), act);
             be.multiply(y.data(), xc.data(), y.size());
             be.add(y.data(), xc.data(), y.size());
             return y;
           },
           1e-5f});
    }
  }
  // A few tokens (a generation step's one, a short prompt): the WebGPU backend runs a workgroup
  // per output column (linear_few, with or without subgroups). K not a multiple of its 64 lanes;
  // N past the 65535 workgroups of one grid dimension, so the grid is 2-D with a ragged end.
  for (int T : {2, 4}) {
    const int K = 200, N = 70001;
    const auto x = random_vector(static_cast<std::size_t>(T) * K, 26);
    const auto w = random_vector(static_cast<std::size_t>(N) * K, 27);
    const auto b = random_vector(N, 28);
    cases.push_back({"linear (few tokens) T=" + std::to_string(T),
                     [=](Kernels& be) {
                       std::vector<float> out(static_cast<std::size_t>(T) * N);
                       be.linear(out.data(), x.data(), w.data(), b.data(), T, K, N);
                       return out;
                     },
                     2e-4f});
  }
  // Products wide enough that the WebGPU backend takes its 64 × 64 tiles rather than the 32 × 32
  // ones every other case here gets (K not a multiple of their k-slices).
  for (const auto& shape : {std::array{200, 40, 5700}, std::array{300, 20, 11300}}) {
    const int T = shape[0], K = shape[1], N = shape[2];  // named: lambdas cannot capture bindings
    const auto x = random_vector(static_cast<std::size_t>(T) * K, 23);
    const auto w = random_vector(static_cast<std::size_t>(N) * K, 24);
    const auto b = random_vector(N, 25);
    cases.push_back({"linear (GEMM) T=" + std::to_string(T) + " N=" + std::to_string(N),
                     [=](Kernels& be) {
                       std::vector<float> out(static_cast<std::size_t>(T) * N);
                       be.linear(out.data(), x.data(), w.data(), b.data(), T, K, N);
                       return out;
                     },
                     2e-4f});
  }
  // The packed GEMM of cpu-simd: token counts around its panel widths (8, 16, 32 tokens), K past
  // its 256-feature blocks, N not a multiple of its 6 or 8 weight rows; strided views as
  // hook_result uses them (head slices of z and of W_O's columns).
  for (int T : {9, 40, 70, 130}) {
    const int K = 300, N = 53;
    const auto x = random_vector(static_cast<std::size_t>(T) * K, 20);
    const auto w = random_vector(static_cast<std::size_t>(N) * K, 21);
    const auto b = random_vector(N, 22);
    cases.push_back({"linear (GEMM) T=" + std::to_string(T),
                     [=](Kernels& be) {
                       std::vector<float> out(static_cast<std::size_t>(T) * N);
                       be.linear(out.data(), x.data(), w.data(), b.data(), T, K, N);
                       std::vector<float> all = out;
                       be.linear(out.data(), x.data(), w.data(), nullptr, T, K, N);
                       all.insert(all.end(), out.begin(), out.end());
                       return all;
                     },
                     2e-4f});
    const int H = 3, D = 20;
    cases.push_back({"linear_strided T=" + std::to_string(T),
                     [=](Kernels& be) {
                       // x as z [T, H, D] (K = 300 ≥ H·D), w as W_O [N, H·D]; head 1's slices
                       // into out [T, H, N] at head 2.
                       std::vector<float> out(static_cast<std::size_t>(T) * H * N, 7.0f);
                       be.linear_strided(out.data() + 2 * N, std::size_t(H) * N, x.data() + D,
                                         std::size_t(H) * D,
                                         WeightView::f32(w.data(), std::size_t(H) * D).at(0, D),
                                         nullptr, T, D, N);
                       return out;
                     },
                     1e-4f});
    cases.push_back({"linear_multi T=" + std::to_string(T),
                     [=](Kernels& be) {
                       // Three outputs of one x: w's rows 0..19, 20..52 (with bias) and 0..52
                       // into a strided output.
                       const WeightView wv = WeightView::f32(w.data(), K);
                       std::vector<float> a(std::size_t(T) * 20), c(std::size_t(T) * 33),
                           d(std::size_t(T) * 60, 3.0f);
                       const LinearOutput outs[] = {{a.data(), 20, wv, nullptr, 20},
                                                    {c.data(), 33, wv.at(20, 0), b.data(), 33},
                                                    {d.data(), 60, wv, b.data(), N}};
                       be.linear_multi(x.data(), K, T, K, outs);
                       a.insert(a.end(), c.begin(), c.end());
                       a.insert(a.end(), d.begin(), d.end());
                       return a;
                     },
                     2e-4f});
    // The same weights kept as F16 and BF16 bits, widened inside the kernels (GEMM and few-token
    // paths), strided as hook_result reads them, and gathered as embeddings.
    for (WeightType type : {WeightType::f16, WeightType::bf16}) {
      std::vector<std::uint16_t> bits(w.size());
      for (std::size_t i = 0; i < w.size(); i++)
        bits[i] = type == WeightType::f16 ? f32_to_f16(w[i]) : f32_to_bf16(w[i]);
      const std::string name = type == WeightType::f16 ? "f16" : "bf16";
      cases.push_back({"linear " + name + " weights T=" + std::to_string(T),
                       [=](Kernels& be) {
                         const WeightView wv{bits.data(), type, std::size_t(K)};
                         std::vector<float> out(static_cast<std::size_t>(T) * N);
                         be.linear_strided(out.data(), N, x.data(), K, wv, b.data(), T, K, N);
                         std::vector<float> all = out;
                         // Few tokens (the dot-product path), columns from 20 on.
                         std::vector<float> few(3 * std::size_t(N));
                         be.linear_strided(few.data(), N, x.data(), K, wv.at(0, 20), nullptr, 3,
                                           K - 20, N);
                         all.insert(all.end(), few.begin(), few.end());
                         std::vector<int> ids = {5, 0, 52, 5};
                         std::vector<float> rows(4 * std::size_t(K));
                         be.gather_rows(rows.data(), wv, ids.data(), 4, K);
                         all.insert(all.end(), rows.begin(), rows.end());
                         return all;
                       },
                       2e-4f});
    }
    cases.push_back({"gather_rows and sum_heads T=" + std::to_string(T),
                     [=](Kernels& be) {
                       std::vector<int> ids(T);
                       for (int t = 0; t < T; t++) ids[t] = (t * 37) % N;
                       std::vector<float> rows(static_cast<std::size_t>(T) * K);
                       be.gather_rows(rows.data(), WeightView::f32(w.data(), K), ids.data(), T, K);
                       // rows as [T, H = 4, C = 75]
                       std::vector<float> sum(static_cast<std::size_t>(T) * 75);
                       be.sum_heads(sum.data(), rows.data(), w.data() + 7, T, 4, 75);
                       rows.insert(rows.end(), sum.begin(), sum.end());
                       return rows;
                     },
                     1e-5f});
  }
  // Attention: the separate ops and the fused op (with and without its pattern), for several key
  // tiles, grouped-query heads, head dimensions that are and are not whole vectors (80 and 256:
  // more than one 64-wide chunk of V in the WebGPU kernel).
  for (int T : {1, 5, 33, 100, 150}) {
    for (int D : {12, 64, 80, 256}) {
      const int H = 6, G = 2;
      const auto q = random_vector(static_cast<std::size_t>(T) * H * D, 30);
      const auto k = random_vector(static_cast<std::size_t>(T) * G * D, 31);
      const auto v = random_vector(static_cast<std::size_t>(T) * G * D, 32);
      const float scale = 1.0f / std::sqrt(static_cast<float>(D));
      const std::string shape = " T=" + std::to_string(T) + " D=" + std::to_string(D);
      cases.push_back({"attention ops" + shape,
                       [=](Kernels& be) {
                         const std::size_t n = static_cast<std::size_t>(H) * T * T;
                         std::vector<float> scores(n), pattern(n), z(q.size());
                         be.attention_scores(scores.data(), q.data(), k.data(), T, H, G, D, scale);
                         be.softmax_rows(pattern.data(), scores.data(), H, T);
                         be.attention_mix(z.data(), pattern.data(), v.data(), T, H, G, D);
                         std::vector<float> all = scores;
                         all.insert(all.end(), pattern.begin(), pattern.end());
                         all.insert(all.end(), z.begin(), z.end());
                         return all;
                       },
                       1e-5f});
      cases.push_back({"fused attention" + shape,
                       [=](Kernels& be) {
                         const std::size_t n = static_cast<std::size_t>(H) * T * T;
                         std::vector<float> pattern(n, 5.0f), z(q.size()), z2(q.size());
                         be.attention(z.data(), pattern.data(), q.data(), k.data(), v.data(), T, H,
                                      G, D, scale, 0);
                         be.attention(z2.data(), nullptr, q.data(), k.data(), v.data(), T, H, G, D,
                                      scale, 0);
                         std::vector<float> all = pattern;
                         all.insert(all.end(), z.begin(), z.end());
                         all.insert(all.end(), z2.begin(), z2.end());
                         return all;
                       },
                       1e-5f});
    }
  }
  // The fused op with a past length (a generation step with a key/value cache): T queries at
  // positions past.. against S = past + T keys, one query (decoding) and several (a prompt run
  // after earlier text), across key tiles; pattern [H, T, S] fully written (it starts at 5).
  // (Plain ints, not a structured binding: clang 14, the WASM build's, cannot capture those.)
  for (const std::pair<int, int>& shape :
       std::vector<std::pair<int, int>>{{1, 1}, {1, 7}, {1, 64}, {1, 149}, {3, 33}, {40, 100}}) {
    for (int D : {12, 80}) {
      const int T = shape.first, past = shape.second, H = 6, G = 2, S = past + T;
      const auto q = random_vector(static_cast<std::size_t>(T) * H * D, 33);
      const auto k = random_vector(static_cast<std::size_t>(S) * G * D, 34);
      const auto v = random_vector(static_cast<std::size_t>(S) * G * D, 35);
      const float scale = 1.0f / std::sqrt(static_cast<float>(D));
      cases.push_back({"fused attention with a past T=" + std::to_string(T) +
                           " past=" + std::to_string(past) + " D=" + std::to_string(D),
                       [=](Kernels& be) {
                         std::vector<float> pattern(std::size_t(H) * T * S, 5.0f), z(q.size()),
                             z2(q.size());
                         be.attention(z.data(), pattern.data(), q.data(), k.data(), v.data(), T, H,
                                      G, D, scale, past);
                         be.attention(z2.data(), nullptr, q.data(), k.data(), v.data(), T, H, G, D,
                                      scale, past);
                         std::vector<float> all = pattern;
                         all.insert(all.end(), z.begin(), z.end());
                         all.insert(all.end(), z2.begin(), z2.end());
                         return all;
                       },
                       1e-5f});
    }
  }
  // Row-wise ops on rows of 768 channels (whole vectors) and element-wise ops past the threaded
  // block size (so that several blocks and a tail run).
  {
    const int T = 40, C = 768;
    const auto x = random_vector(static_cast<std::size_t>(T) * C, 40, 2.0f);
    const auto w = random_vector(C, 41);
    const auto b = random_vector(C, 42);
    cases.push_back({"norms T=40 C=768",
                     [=](Kernels& be) {
                       std::vector<float> out(x.size()), out2(x.size());
                       be.layernorm(out.data(), x.data(), w.data(), b.data(), T, C, 1e-5f);
                       be.rmsnorm(out2.data(), x.data(), w.data(), T, C, 1e-6f);
                       out.insert(out.end(), out2.begin(), out2.end());
                       return out;
                     },
                     2e-5f});
    const std::size_t n = 70001;
    const auto e = random_vector(n, 43, 4.0f);
    for (Activation act :
         {Activation::gelu_erf, Activation::gelu_tanh, Activation::silu, Activation::relu})
      cases.push_back({"activation " + std::to_string(static_cast<int>(act)) + " n=70001",
                       [=](Kernels& be) {
                         auto y = e;
                         be.activate(y.data(), n, act);
                         be.multiply(y.data(), e.data(), n);
                         be.add(y.data(), e.data(), n);
                         return y;
                       },
                       1e-4f});
    const auto r = random_vector(static_cast<std::size_t>(T) * 9 * 64, 44);
    cases.push_back({"rope T=40 D=64 full and partial",
                     [=](Kernels& be) {
                       auto full = r, partial = r;
                       be.rope(full.data(), T, 9, 64, 64, 10000.0f, 0);
                       be.rope(partial.data(), T, 9, 64, 16, 500000.0f, 7);
                       full.insert(full.end(), partial.begin(), partial.end());
                       return full;
                     },
                     1e-5f});
  }
  // The edit ops on a head's slice of z [T=9, H=3, D=20]: fill, scale, and copy from a dense
  // source and from one repeated row.
  {
    const int T = 9, H = 3, D = 20;
    const auto z = random_vector(std::size_t(T) * H * D, 50);
    const auto src = random_vector(std::size_t(T) * D, 51);
    cases.push_back({"fill, scale, copy of a head's slice",
                     [=](Kernels& be) {
                       auto a = z, b = z, c = z, d = z;
                       const std::size_t ld = std::size_t(H) * D;
                       be.fill(a.data() + D, ld, T, D, 0.5f);
                       be.scale(b.data() + 2 * D, ld, T, D, -3.0f);
                       be.copy(c.data(), ld, src.data(), D, T, D);
                       be.copy(d.data() + D, ld, src.data() + 4, 0, T, D);
                       a.insert(a.end(), b.begin(), b.end());
                       a.insert(a.end(), c.begin(), c.end());
                       a.insert(a.end(), d.begin(), d.end());
                       return a;
                     },
                     0.0f});
  }
  return cases;
}

}  // namespace

TEST_CASE("every backend matches the reference on every op case") {
  const auto cases = op_cases();
  for (Kernels* backend : available_kernels()) {
    for (const OpCase& op : cases) {
      CAPTURE(backend->name());
      CAPTURE(op.name);
      const auto expected = op.run(ref());
      const auto got = op.run(*backend);
      CHECK(max_abs_diff(expected, got) <= op.tolerance);
    }
  }
}

// The same table through buffers: every backend compiled in and the device-like test backends
// (memory the host cannot address; some ops declined, so the Scheduler's CPU fallback runs).
TEST_CASE("every backend matches the reference on every op case, through its buffers") {
  const auto cases = op_cases();
  for (Backend* backend : test::backends_under_test()) {
    test::BackendKernels adapted(*backend);
    for (const OpCase& op : cases) {
      if (!op.backend_op) continue;
      CAPTURE(backend->name());
      CAPTURE(op.name);
      CHECK(max_abs_diff(op.run(ref()), op.run(adapted)) <= op.tolerance);
    }
  }
  CHECK(test::device_like_declining_backend().declined() > 0);
}

#ifndef __EMSCRIPTEN__
// Natively cpu-simd dispatches to the machine's best target; every other target compiled in (AVX2,
// SSE4, ...: other lane counts, so other tile sizes) must match the reference too.
TEST_CASE("cpu-simd matches the reference on every SIMD target this machine runs") {
  const auto cases = op_cases();
  for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    CAPTURE(hwy::TargetName(target));
    for (const OpCase& op : cases) {
      CAPTURE(op.name);
      CHECK(max_abs_diff(op.run(ref()), op.run(cpu_simd_kernels())) <= op.tolerance);
    }
  }
  hwy::SetSupportedTargetsForTest(0);  // back to the machine's own
}
#endif

TEST_CASE("cpu-simd gives the same bits for any number of threads") {
  const int saved = cpu_threads();
  const auto cases = op_cases();
  set_cpu_threads(1);
  std::vector<std::vector<float>> one;
  for (const OpCase& op : cases) one.push_back(op.run(cpu_simd_kernels()));
  for (int threads : {3, 8}) {
    set_cpu_threads(threads);
    for (std::size_t c = 0; c < cases.size(); c++) {
      CAPTURE(threads);
      CAPTURE(cases[c].name);
      const auto out = cases[c].run(cpu_simd_kernels());
      REQUIRE(out.size() == one[c].size());
      CHECK(std::memcmp(out.data(), one[c].data(), out.size() * sizeof(float)) == 0);
    }
  }
  set_cpu_threads(saved);
}
