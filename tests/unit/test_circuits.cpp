// test_circuits.cpp — the circuit graph (core/circuits) against the engine's forward pass and
// mean ablation, its gradients against finite differences of explicit patching, and edge
// attribution and ACDC on a planted circuit.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "core/analysis/ablation.h"
#include "core/circuits/acdc.h"
#include "core/circuits/edge_attribution.h"
#include "core/model/random_model.h"
#include "tests/unit/fixtures.h"

using namespace attnscope;
using namespace attnscope::test;

namespace {

std::vector<Prompt> random_prompts(int n, int T, int vocab, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<Prompt> prompts(n);
  for (Prompt& p : prompts) {
    p.ids.resize(T);
    for (int& id : p.ids) id = int(rng() % vocab);
    p.answers = {int(rng() % vocab)};
    p.distractors = {int(rng() % vocab)};
  }
  return prompts;
}

double metric_of(const CircuitGraph& g, const Prompt& p, const std::vector<float>& alpha) {
  CircuitGraph::Run run;
  REQUIRE(g.run(p.ids, alpha, run).ok());
  return CircuitGraph::metric(GraphMetric::logit_diff, run, p, {});
}

// A GPT-2 with 2 layers of 4 heads whose every head's W_O is zero except the planted ones,
// which are scaled up so that their effects are far above float noise.
Model planted_model(const std::vector<HeadRef>& planted) {
  ModelConfig c;
  c.model_type = "gpt2";
  c.n_layers = 2;
  c.n_heads = 4;
  c.n_kv_heads = 4;
  c.d_model = 32;
  c.d_head = 8;
  c.d_mlp = 64;
  c.vocab_size = 64;
  c.n_ctx = 32;
  c.qkv_bias = c.attn_out_bias = c.mlp_bias = true;
  const Model random = random_model(c, 7);
  ModelWeights w = random.weights();
  for (int l = 0; l < c.n_layers; l++) {
    std::vector<float> wo(std::size_t(c.d_model) * c.n_heads * c.d_head);
    for (std::size_t i = 0; i < wo.size(); i++) wo[i] = w.layers[l].wo.at(i);
    for (int h = 0; h < c.n_heads; h++) {
      const bool keep = std::find(planted.begin(), planted.end(), HeadRef{l, h}) != planted.end();
      for (int row = 0; row < c.d_model; row++)
        for (int j = 0; j < c.d_head; j++)
          wo[std::size_t(row) * c.n_heads * c.d_head + h * c.d_head + j] *= keep ? 40.0f : 0.0f;
    }
    w.layers[l].wo = Matrix(std::move(wo));
  }
  return Model::from_parts(c, std::move(w));
}

}  // namespace

TEST_CASE(
    "the circuit graph reproduces the forward pass, and patching a head's edges its mean "
    "ablation") {
  const Model model = Model::load(fixture_source("gpt2")).value();
  const ModelConfig& c = model.config();
  CircuitGraph graph = CircuitGraph::build(model).value();
  CHECK(graph.senders().size() == std::size_t(1 + c.n_layers * (c.n_heads + 1)));
  CHECK(graph.receivers().size() == std::size_t(c.n_layers * (c.n_heads + 1) + 1));
  const std::vector<Prompt> prompts = random_prompts(3, 12, c.vocab_size, 1);
  const std::vector<Prompt> references = random_prompts(5, 9, c.vocab_size, 2);
  const std::size_t V = c.vocab_size;
  for (const Prompt& p : prompts) {
    const Tensor logits = model.forward(p.ids).value();
    CircuitGraph::Run run;
    REQUIRE(graph.run(p.ids, {}, run).ok());
    CHECK(relative_max_diff(run.logits.data(), logits.data() + (p.ids.size() - 1) * V, V) <= 1e-4);
  }

  REQUIRE(graph.set_corruption(references, CorruptionMode::pooled_mean).ok());
  std::vector<std::vector<int>> reference_ids;
  for (const Prompt& p : references) reference_ids.push_back(p.ids);
  const auto mean_z = std::make_shared<const Tensor>(mean_head_z(model, reference_ids).value());
  for (const HeadRef head : {HeadRef{0, 1}, HeadRef{2, 3}}) {
    CAPTURE(head.layer);
    CAPTURE(head.head);
    std::vector<float> alpha(graph.edges().size(), 0.0f);
    for (std::size_t e = 0; e < alpha.size(); e++)
      if (graph.edges()[e].sender == graph.head_sender(head.layer, head.head)) alpha[e] = 1.0f;
    HookPlan plan;
    REQUIRE(
        add_ablation(plan, c, {AblationMode::mean, {head}, mean_z}, prompts[0].ids.size()).ok());
    const Tensor expected = model.forward(prompts[0].ids, plan).value();
    CircuitGraph::Run run;
    REQUIRE(graph.run(prompts[0].ids, alpha, run).ok());
    CHECK(relative_max_diff(run.logits.data(), expected.data() + (prompts[0].ids.size() - 1) * V,
                            V) <= 1e-4);
  }
}

TEST_CASE(
    "edge attribution: every edge's score is the derivative of explicit patching (finite "
    "differences through the backward pass)") {
  const Model model = Model::load(fixture_source("gpt2")).value();
  CircuitGraph graph = CircuitGraph::build(model).value();
  const int V = model.config().vocab_size;
  for (const CorruptionMode mode : {CorruptionMode::pooled_mean, CorruptionMode::positional_mean}) {
    CAPTURE(int(mode));
    REQUIRE(graph.set_corruption(random_prompts(6, 10, V, 4), mode).ok());
    const std::vector<Prompt> prompts = random_prompts(2, 10, V, 3);
    const EdgeAttribution eap = edge_attribution(graph, prompts).value();
    // Patch each edge by ±h: (M(h) − M(−h)) / 2h is the derivative up to O(h²).
    const float h = 0.01f;
    double worst = 0, largest = 0;
    std::vector<double> fd(graph.edges().size());
    for (std::size_t e = 0; e < graph.edges().size(); e++) {
      std::vector<float> plus(graph.edges().size(), 0.0f), minus = plus;
      plus[e] = h;
      minus[e] = -h;
      double d = 0;
      for (const Prompt& p : prompts) d += metric_of(graph, p, plus) - metric_of(graph, p, minus);
      fd[e] = d / (2 * h) / double(prompts.size());
      largest = std::max(largest, std::abs(fd[e]));
    }
    for (std::size_t e = 0; e < fd.size(); e++)
      worst = std::max(worst, std::abs(eap.edges[e] - fd[e]) / largest);
    MESSAGE("worst |EAP − finite difference| / largest score: " << worst << " (largest " << largest
                                                                << ")");
    CHECK(largest > 1e-3);
    CHECK(worst <= 1e-3);
    // A sender's score is the sum of its edges, and the first-order change of patching them all.
    const int s = graph.head_sender(1, 2);
    std::vector<float> plus(graph.edges().size(), 0.0f), minus = plus;
    for (std::size_t e = 0; e < graph.edges().size(); e++)
      if (graph.edges()[e].sender == s) plus[e] = h, minus[e] = -h;
    double d = 0;
    for (const Prompt& p : prompts) d += metric_of(graph, p, plus) - metric_of(graph, p, minus);
    CHECK(std::abs(d / (2 * h) / double(prompts.size()) - eap.senders[s]) <= 1e-3 * largest);
    CHECK(eap.heads(1, 2) == doctest::Approx(-eap.senders[s]));
  }
}

TEST_CASE("edge attribution and ACDC find a planted circuit") {
  const std::vector<HeadRef> planted = {{0, 1}, {1, 2}, {1, 3}};
  const Model model = planted_model(planted);
  CircuitGraph graph = CircuitGraph::build(model).value();
  const int V = model.config().vocab_size;
  REQUIRE(graph.set_corruption(random_prompts(8, 10, V, 11), CorruptionMode::pooled_mean).ok());
  const std::vector<Prompt> prompts = random_prompts(6, 10, V, 12);

  const EdgeAttribution eap = edge_attribution(graph, prompts).value();
  for (int l = 0; l < 2; l++)
    for (int h = 0; h < 4; h++) {
      const bool in = std::find(planted.begin(), planted.end(), HeadRef{l, h}) != planted.end();
      CAPTURE(l);
      CAPTURE(h);
      if (in)
        CHECK(eap.heads(l, h) != 0.0f);
      else
        CHECK(eap.heads(l, h) == 0.0f);  // W_O = 0: nothing of it reaches the metric
    }

  AcdcOptions options;
  options.threshold = 1e-7;
  int calls = 0;
  options.progress = [&](int, int) { return ++calls > 0; };
  const AcdcResult found = acdc(graph, prompts, options).value();
  CHECK(found.edge_tests == int(graph.edges().size()));
  CHECK(calls == found.edge_tests);
  for (int l = 0; l < 2; l++)
    for (int h = 0; h < 4; h++) {
      const bool in = std::find(planted.begin(), planted.end(), HeadRef{l, h}) != planted.end();
      CAPTURE(l);
      CAPTURE(h);
      CHECK(found.heads(l, h) == (in ? 1.0f : 0.0f));
    }
  CHECK(found.kept_edges < int(graph.edges().size()));
  // A threshold no edge reaches removes every edge; the sweep scores heads by where they drop out.
  const AcdcSweep sweep = acdc_sweep(graph, prompts, {1e9, 1e-7}, options).value();
  CHECK(sweep.runs.back().kept_edges == 0);
  CHECK(sweep.head_scores(0, 1) == doctest::Approx(1e-7));
  CHECK(sweep.head_scores(0, 0) == 0.0f);
}

TEST_CASE("circuit graphs: one clear error for what they cannot do") {
  const Model llama = Model::load(fixture_source("llama")).value();
  const auto refused = CircuitGraph::build(llama);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("rotary") != std::string::npos);

  const Model model = Model::load(fixture_source("gpt2")).value();
  CircuitGraph graph = CircuitGraph::build(model).value();
  const std::vector<Prompt> prompts = random_prompts(1, 8, model.config().vocab_size, 5);
  CircuitGraph::Run run;
  std::vector<float> alpha(graph.edges().size(), 0.0f);
  alpha[0] = 1.0f;
  const Status no_corruption = graph.run(prompts[0].ids, alpha, run);
  REQUIRE_FALSE(no_corruption.ok());
  CHECK(no_corruption.error().message.find("corrupted outputs") != std::string::npos);
  CHECK_FALSE(graph.run(prompts[0].ids, std::vector<float>(3, 0.0f), run).ok());
  CHECK_FALSE(edge_attribution(graph, prompts).ok());
  REQUIRE(graph
              .set_corruption(random_prompts(2, 4, model.config().vocab_size, 6),
                              CorruptionMode::positional_mean)
              .ok());
  const Status too_long = graph.run(prompts[0].ids, alpha, run);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().message.find("per-position means reach only 4") != std::string::npos);
  AcdcOptions bad;
  bad.threshold = -1;
  CHECK_FALSE(acdc(graph, prompts, bad).ok());
  CHECK_FALSE(graph.run(std::vector<int>{model.config().vocab_size}, {}, run).ok());
}
