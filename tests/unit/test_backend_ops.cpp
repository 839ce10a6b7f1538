// test_backend_ops.cpp — the reference kernels against values worked out by hand, then every
// backend against the reference on random inputs (one table of op cases, as ggml's
// test-backend-ops does).
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/ops/backend.h"

using namespace attnscope;

namespace {

Backend& ref() {
  return cpu_reference_backend();
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
  // H = 1, T = 2: the op reads and writes H·T·T = 4 values (two rows of two).
  const std::vector<float> scores = {-inf, -inf, -inf, -inf};
  std::vector<float> pattern(4, 1.0f);
  ref().softmax_rows(pattern.data(), scores.data(), 1, 2);
  CHECK(pattern == std::vector<float>{0, 0, 0, 0});
}

// Every backend against the reference, on random inputs of awkward sizes.
namespace {

struct OpCase {
  std::string name;
  // Runs the op on `backend` and returns its output.
  std::function<std::vector<float>(Backend&)> run;
  float tolerance;
};

std::vector<OpCase> op_cases() {
  std::vector<OpCase> cases;
  for (int T : {1, 7, 33}) {
    const int K = 37, N = 29, C = 48, H = 4, G = 2, D = 12;
    const auto x = random_vector(static_cast<std::size_t>(T) * K, 1);
    const auto w = random_vector(static_cast<std::size_t>(N) * K, 2);
    const auto b = random_vector(N, 3);
    cases.push_back({"linear T=" + std::to_string(T),
                     [=](Backend& be) {
                       std::vector<float> out(static_cast<std::size_t>(T) * N);
                       be.linear(out.data(), x.data(), w.data(), b.data(), T, K, N);
                       return out;
                     },
                     1e-4f});
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
                       [=](Backend& be) {
                         std::vector<float> out(static_cast<std::size_t>(T) * Nb);
                         be.matmul(out.data(), a.data(), bm.data(), bias.data(), T, K, Nb);
                         std::vector<float> all = out;
                         be.matmul(out.data(), a.data(), bm.data(), nullptr, T, K, Nb);
                         all.insert(all.end(), out.begin(), out.end());
                         return all;
                       },
                       1e-4f});
      cases.push_back({"matmul_tn" + shape,
                       [=](Backend& be) {
                         std::vector<float> out(static_cast<std::size_t>(K) * Nb, 99.0f);
                         be.matmul_tn(out.data(), a.data(), bt.data(), T, K, Nb);
                         return out;
                       },
                       1e-4f});
      const auto xm = random_vector(static_cast<std::size_t>(T) * K, 14);
      const auto wm = random_vector(static_cast<std::size_t>(Nb) * K, 15);
      const auto mask = random_vector(static_cast<std::size_t>(T) * Nb, 16);
      cases.push_back(
          {"linear_masked" + shape,
           [=](Backend& be) {
             std::vector<float> out(static_cast<std::size_t>(T) * Nb, 99.0f);
             be.linear_masked(out.data(), xm.data(), wm.data(), bias.data(), mask.data(), T, K, Nb);
             std::vector<float> all = out;
             be.linear_masked(out.data(), xm.data(), wm.data(), nullptr, mask.data(), T, K, Nb);
             all.insert(all.end(), out.begin(), out.end());
             return all;
           },
           1e-4f});
    }
    // Adam: three steps on T·K + 5 parameters (a tail after the SIMD vectors).
    const std::size_t n_adam = static_cast<std::size_t>(T) * K + 5;
    const auto p0 = random_vector(n_adam, 17), g0 = random_vector(n_adam, 18, 0.01f);
    cases.push_back({"adam_step T=" + std::to_string(T),
                     [=](Backend& be) {
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
                     1e-5f});
    const auto xc = random_vector(static_cast<std::size_t>(T) * C, 4, 3.0f);
    const auto wc = random_vector(C, 5);
    const auto bc = random_vector(C, 6);
    cases.push_back({"layernorm T=" + std::to_string(T),
                     [=](Backend& be) {
                       std::vector<float> out(xc.size());
                       be.layernorm(out.data(), xc.data(), wc.data(), bc.data(), T, C, 1e-5f);
                       return out;
                     },
                     1e-5f});
    cases.push_back({"rmsnorm T=" + std::to_string(T),
                     [=](Backend& be) {
                       std::vector<float> out(xc.size());
                       be.rmsnorm(out.data(), xc.data(), wc.data(), T, C, 1e-6f);
                       return out;
                     },
                     1e-5f});
    const auto q = random_vector(static_cast<std::size_t>(T) * H * D, 7);
    const auto k = random_vector(static_cast<std::size_t>(T) * G * D, 8);
    const auto v = random_vector(static_cast<std::size_t>(T) * G * D, 9);
    cases.push_back({"attention T=" + std::to_string(T),
                     [=](Backend& be) {
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
           [=](Backend& be) {
             auto y = xc;
             be.activate(y.data(), y.size(), act);
             be.multiply(y.data(), xc.data(), y.size());
             be.add(y.data(), xc.data(), y.size());
             return y;
           },
           1e-5f});
    }
  }
  return cases;
}

}  // namespace

TEST_CASE("every backend matches the reference on every op case") {
  const auto cases = op_cases();
  for (Backend* backend : available_backends()) {
    for (const OpCase& op : cases) {
      CAPTURE(backend->name());
      CAPTURE(op.name);
      const auto expected = op.run(ref());
      const auto got = op.run(*backend);
      CHECK(max_abs_diff(expected, got) <= op.tolerance);
    }
  }
}
