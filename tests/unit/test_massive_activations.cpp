// test_massive_activations.cpp — massive-activation statistics on hand-made residual streams
// (exact flags, position, channel, median and ratio) and on every family's fixture.
#include <doctest/doctest.h>

#include <cmath>

#include "core/analysis/massive_activations.h"
#include "core/analysis/residual_stream.h"
#include "tests/unit/fixtures.h"

using namespace attnscope;
using namespace attnscope::test;

namespace {

// An 8 × 16 stream of ±`base` (alternating signs: magnitudes all equal), then the planted values.
Tensor stream(float base) {
  Tensor t = zeros({8, 16});
  for (std::size_t i = 0; i < t.size(); i++) t.data()[i] = (i % 2 ? -base : base);
  return t;
}

}  // namespace

TEST_CASE("massive activations: a planted 5000 among values of magnitude 1") {
  Tensor resid = stream(1.0f);
  resid(0, 3) = -5000.0f;  // the first token, one channel, as Sun et al. find them
  resid(5, 7) = 20.0f;
  const MassiveLayer m = massive_activations(resid, 3).value();
  REQUIRE(m.top.size() == 3);
  CHECK(m.top[0].position == 0);
  CHECK(m.top[0].channel == 3);
  CHECK(m.top[0].value == -5000.0f);  // signed, as in the stream
  CHECK(m.top[1].position == 5);
  CHECK(m.top[1].channel == 7);
  CHECK(m.top[1].value == 20.0f);
  // The third: the first of the 126 values of magnitude 1 (ties: lower position, then channel).
  CHECK(m.top[2].position == 0);
  CHECK(m.top[2].channel == 0);
  CHECK(m.median_abs == 1.0);
  CHECK(m.ratio == 5000.0);
  CHECK(m.over_100);
  CHECK(m.over_1000);
  CHECK(m.massive);
}

TEST_CASE("massive activations: each flag on its own side of its threshold") {
  Tensor resid = stream(1.0f);
  resid(2, 9) = 150.0f;  // over 100 × the median, not over 1000 ×
  MassiveLayer m = massive_activations(resid).value();
  CHECK(m.ratio == 150.0);
  CHECK(m.over_100);
  CHECK_FALSE(m.over_1000);
  CHECK_FALSE(m.massive);

  resid = stream(0.01f);
  resid(4, 1) = 50.0f;  // 5000 × the median, but not larger than 100: not massive by the rule
  m = massive_activations(resid).value();
  CHECK(m.ratio == doctest::Approx(5000.0));
  CHECK(m.over_1000);
  CHECK_FALSE(m.massive);

  // An even count's median is the mean of the middle two: 64 values of 1 and 64 of 3.
  resid = stream(1.0f);
  for (std::size_t i = 64; i < 128; i++) resid.data()[i] = 3.0f;
  m = massive_activations(resid, 1).value();
  CHECK(m.median_abs == 2.0);
  CHECK(m.ratio == 1.5);
  CHECK(m.top[0].position == 4);  // the first 3: flat index 64 = position 4, channel 0
  CHECK(m.top[0].channel == 0);

  m = massive_activations(zeros({2, 4})).value();  // all zero: no ratio to speak of
  CHECK(m.ratio == 0.0);
  CHECK_FALSE(m.over_100);
  resid = zeros({2, 4});
  resid(1, 2) = 1.0f;  // a zero median under a non-zero value
  CHECK(std::isinf(massive_activations(resid).value().ratio));

  CHECK_FALSE(massive_activations(zeros({8}), 1).ok());
  CHECK_FALSE(massive_activations(zeros({0, 4}), 1).ok());
  CHECK(massive_activations(stream(1.0f), 0).error().message.find("at least 1") !=
        std::string::npos);
}

TEST_CASE("massive activations on every family's fixture") {
  for (const char* name : {"gpt2", "gpt_neox", "gpt_neox_sequential", "llama", "qwen2"}) {
    CAPTURE(std::string(name));
    const Model model = Model::load(fixture_source(name)).value();
    const std::vector<int> ids = {3, 14, 15, 92, 65, 35, 89, 79};
    const std::vector<MassiveLayer> layers = massive_activations(model, ids, 4).value();
    const ResidualStreams streams = residual_streams(model, ids).value();
    REQUIRE(layers.size() == std::size_t(model.config().n_layers) + 1);
    for (std::size_t r = 0; r < layers.size(); r++) {
      CAPTURE(r);
      const MassiveLayer& m = layers[r];
      REQUIRE(m.top.size() == 4);
      const Tensor& resid = streams.rows[r];
      // Each reported value is where it says it is, largest first, and the largest of all.
      float largest = 0;
      for (float x : resid) largest = std::max(largest, std::fabs(x));
      CHECK(std::fabs(m.top[0].value) == largest);
      for (std::size_t i = 0; i < m.top.size(); i++) {
        const MassiveValue& v = m.top[i];
        CHECK(resid(std::size_t(v.position), std::size_t(v.channel)) == v.value);
        if (i) CHECK(std::fabs(v.value) <= std::fabs(m.top[i - 1].value));
      }
      CHECK(m.median_abs > 0);
      CHECK(m.ratio == doctest::Approx(largest / m.median_abs));
      CHECK(m.over_100 == (m.ratio > 100));
    }
  }
  const Model model = Model::load(fixture_source("gpt2")).value();
  CHECK_FALSE(massive_activations(model, std::vector<int>{1, 600}).ok());
  CHECK_FALSE(massive_activations(model, std::vector<int>{1, 2}, 0).ok());
}
