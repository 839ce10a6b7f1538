// test_logit_lens.cpp — the logit lens on every fixture: its last row is the model's own output,
// and each head's direct logit attribution equals the explicit computation from its hook_result;
// one error per bad input.
#include <doctest/doctest.h>

#include <cmath>

#include "core/analysis/attribution.h"
#include "core/analysis/logit_lens.h"
#include "core/analysis/prompt.h"
#include "core/analysis/residual_stream.h"
#include "tests/unit/fixtures.h"

using namespace attnscope;
using namespace attnscope::test;

namespace {

// Every fixture folder: each family, and the 16-bit and sharded checkpoints of some.
constexpr const char* kFixtures[] = {
    "gpt2",  "gpt2_bf16",  "gpt2_f16",  "gpt_neox",      "gpt_neox_sequential",
    "llama", "llama_bf16", "llama_f16", "llama_sharded", "qwen2"};

std::vector<int> prompt_for(const Model& model) {
  const int V = model.config().vocab_size;
  std::vector<int> ids;
  for (int id : {3, 14, 15, 92, 65, 35, 89, 79}) ids.push_back(id % V);
  return ids;
}

}  // namespace

TEST_CASE("logit lens at the last layer equals the model's own logits, on every fixture") {
  for (const char* name : kFixtures) {
    CAPTURE(std::string(name));
    const Model model = Model::load(fixture_source(name)).value();
    const ModelConfig& c = model.config();
    const std::vector<int> ids = prompt_for(model);
    const std::size_t T = ids.size(), V = std::size_t(c.vocab_size);
    const ResidualStreams streams = residual_streams(model, ids).value();
    REQUIRE(streams.rows.size() == std::size_t(c.n_layers) + 1);
    // The final norm and unembedding alone, on the final residual stream.
    const Tensor lensed = model.forward_from(c.n_layers, streams.rows.back()).value();
    const Tensor own = model.forward(ids).value();
    REQUIRE(shape_of(lensed) == shape_of(own));
    CHECK(relative_max_diff(lensed.data(), own.data(), own.size()) <= 1e-4);

    // The lens's last row: the top tokens and the target's probability and rank are the model's.
    const int target = 17 % c.vocab_size;
    const LogitLens lens = logit_lens(model, ids, {.top_k = 5, .target = target}).value();
    REQUIRE(lens.rows == c.n_layers + 1);
    REQUIRE(lens.positions == int(T));
    const int last_row = lens.rows - 1;
    for (std::size_t t = 0; t < T; t++) {
      CAPTURE(t);
      const float* row = own.data() + t * V;
      const std::vector<double> log_p = log_softmax(row, V);
      int above = 0;
      for (std::size_t v = 0; v < V; v++) above += log_p[v] > log_p[std::size_t(target)];
      CHECK(lens.target_rank(last_row, t) == doctest::Approx(above + 1));
      CHECK(lens.target_prob(last_row, t) ==
            doctest::Approx(std::exp(log_p[std::size_t(target)])).epsilon(1e-4));
      double previous = 2.0;
      for (int i = 0; i < lens.top_k; i++) {
        const LensToken& k = lens.top_at(last_row, int(t), i);
        CHECK(k.prob == doctest::Approx(std::exp(log_p[std::size_t(k.id)])).epsilon(1e-4));
        CHECK(k.prob <= previous);
        previous = k.prob;
      }
      // The most likely token ranks first.
      std::size_t best = 0;
      for (std::size_t v = 1; v < V; v++)
        if (row[v] > row[best]) best = v;
      CHECK(lens.top_at(last_row, int(t), 0).id == int(best));
    }
    // Every row is a distribution: probabilities in (0, 1], ranks in [1, vocab].
    for (float p : lens.target_prob) CHECK((p > 0.0f && p <= 1.0f));
    for (float r : lens.target_rank) CHECK((r >= 1.0f && r <= float(V)));
    CHECK(lens.position == int(T) - 1);
    CHECK(lens.head_dla.shape(0) == std::size_t(c.n_layers));
    CHECK(lens.head_dla.shape(1) == std::size_t(c.n_heads));
  }
}

TEST_CASE(
    "logit lens: a head's direct logit attribution is its hook_result through the frozen norm") {
  for (const char* name : {"gpt2", "gpt_neox", "llama", "qwen2"}) {  // LayerNorm and RMSNorm
    CAPTURE(std::string(name));
    const Model model = Model::load(fixture_source(name)).value();
    const ModelConfig& c = model.config();
    const ModelWeights& w = model.weights();
    const std::vector<int> ids = prompt_for(model);
    const int target = 17 % c.vocab_size, position = 3;
    const LogitLens lens =
        logit_lens(model, ids, {.top_k = 1, .target = target, .position = position}).value();
    CHECK(lens.position == position);

    HookPlan plan;
    plan.capture("blocks.*.attn.hook_result");
    plan.capture("blocks.*.hook_resid_post");
    Cache cache;
    const Tensor logits = model.forward(ids, plan, &cache).value();
    const std::size_t C = c.d_model, H = c.n_heads, p = position;
    // The final norm's scale on the final residual stream at that position.
    const float* final_resid =
        cache.find(HookId{HookPoint::resid_post, c.n_layers - 1})->data() + p * C;
    const bool layernorm = c.norm == NormKind::layernorm;
    double mean = 0, var = 0;
    if (layernorm) {
      for (std::size_t i = 0; i < C; i++) mean += final_resid[i];
      mean /= double(C);
    }
    for (std::size_t i = 0; i < C; i++) var += (final_resid[i] - mean) * (final_resid[i] - mean);
    const double scale = std::sqrt(var / double(C) + c.norm_eps);
    const Matrix& unembed = w.unembed.empty() ? w.token_embed : w.unembed;
    double largest = 0;
    for (int l = 0; l < c.n_layers; l++) {
      const Tensor& result = *cache.find(HookId{HookPoint::attn_result, l});
      for (std::size_t h = 0; h < H; h++) {
        const float* r = result.data() + (p * H + h) * C;
        double r_mean = 0;
        if (layernorm) {
          for (std::size_t i = 0; i < C; i++) r_mean += r[i];
          r_mean /= double(C);
        }
        double expected = 0;
        for (std::size_t i = 0; i < C; i++)
          expected +=
              (r[i] - r_mean) / scale * w.lnf_w[i] * unembed.at(std::size_t(target) * C + i);
        CAPTURE(l);
        CAPTURE(h);
        CHECK(lens.head_dla(l, h) == doctest::Approx(expected).epsilon(1e-4).scale(1e-3));
        largest = std::max(largest, std::fabs(expected));
      }
    }
    CHECK(largest > 1e-3);  // the check compares something

    // Every component's direct contribution at that position adds up to the target's logit there.
    const LogitAttribution a = direct_logit_attribution(model, ids, target, -1, position).value();
    double sum = a.embeddings + a.norm_bias;
    for (float x : a.heads) sum += x;
    for (float x : a.mlps) sum += x;
    for (float x : a.attn_biases) sum += x;
    CHECK(sum == doctest::Approx(logits(p, std::size_t(target))).epsilon(1e-4));
    CHECK(a.total == doctest::Approx(logits(p, std::size_t(target))));
  }
}

TEST_CASE("logit lens: without a target, only the top tokens; bad inputs are one error each") {
  const Model model = Model::load(fixture_source("gpt2")).value();
  const std::vector<int> ids = prompt_for(model);
  const LogitLens plain = logit_lens(model, ids, {.top_k = 3}).value();
  CHECK(plain.target_prob.size() == 0);
  CHECK(plain.head_dla.size() == 0);
  CHECK(plain.top.size() == std::size_t(plain.rows) * ids.size() * 3);
  // top-k past the vocabulary keeps the whole vocabulary.
  CHECK(logit_lens(model, {ids.data(), 2}, {.top_k = 100000}).value().top_k ==
        model.config().vocab_size);

  auto message = [&](const LogitLensOptions& o, std::vector<int> prompt) {
    const auto r = logit_lens(model, prompt, o);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  CHECK(message({.top_k = 0}, ids).find("at least 1") != std::string::npos);
  CHECK(message({.target = 512}, ids).find("outside the vocabulary") != std::string::npos);
  CHECK(message({.target = 1, .position = 8}, ids).find("outside the prompt (0..7)") !=
        std::string::npos);
  CHECK(message({.position = -2}, ids).find("outside the prompt") != std::string::npos);
  CHECK_FALSE(logit_lens(model, std::vector<int>{}).ok());
  CHECK_FALSE(logit_lens(model, std::vector<int>{1, 600}).ok());
}
