// test_circuits.cpp — the circuit graph (core/circuits) against the engine's forward pass and
// mean ablation, its gradients against finite differences of explicit patching, and edge
// attribution and ACDC on a planted circuit.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "core/analysis/ablation.h"
#include "core/analysis/ground_truth.h"
#include "core/circuits/acdc.h"
#include "core/circuits/discovery.h"
#include "core/circuits/edge_attribution.h"
#include "core/model/random_model.h"
#include "core/ops/parallel.h"
#include "core/seeded_draw.h"
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
  // Every edge is decided (the progress counts them); those into nodes nothing reads any more
  // are removed untested.
  CHECK(calls == int(graph.edges().size()));
  CHECK(found.edge_tests < int(graph.edges().size()));
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

  // The trials run prompts in parallel; the result is the same for any number of threads (the
  // metric is summed in prompt order).
  AcdcOptions loose;
  loose.threshold = 0.05;
  const int threads = cpu_threads();
  set_cpu_threads(1);
  const AcdcResult one = acdc(graph, prompts, loose).value();
  set_cpu_threads(3);
  const AcdcResult three = acdc(graph, prompts, loose).value();
  set_cpu_threads(threads);
  CHECK(one.kept == three.kept);
  CHECK(one.metric == three.metric);
  CHECK(one.edge_tests == three.edge_tests);
}

TEST_CASE("a run that recomputes only what one receiver's patch changes equals the full run") {
  const Model model = Model::load(fixture_source("gpt2")).value();
  CircuitGraph graph = CircuitGraph::build(model).value();
  const int V = model.config().vocab_size;
  REQUIRE(graph.set_corruption(random_prompts(4, 9, V, 51), CorruptionMode::pooled_mean).ok());
  const Prompt prompt = random_prompts(1, 9, V, 52)[0];
  std::mt19937 rng(53);
  std::vector<float> alpha(graph.edges().size());
  for (float& a : alpha) a = rng() % 3 == 0 ? 1.0f : 0.0f;  // a third of the edges removed
  CircuitGraph::Run base;
  REQUIRE(graph.run(prompt.ids, alpha, base).ok());
  int checked = 0;
  for (int r = 0; r < int(graph.receivers().size()); r++) {
    const std::span<const int> into = graph.edges_into(r);
    const int e = into[std::size_t(rng() % into.size())];
    std::vector<float> trial = alpha;
    trial[e] = 1.0f - trial[e];
    const CircuitNode& node = graph.receivers()[r];
    const int start = node.kind == CircuitNode::Kind::logits ? graph.layers() : node.layer;
    CircuitGraph::Run full, fast;
    REQUIRE(graph.run(prompt.ids, trial, full).ok());
    REQUIRE(graph.run(prompt.ids, trial, fast, &base, start, {}, r).ok());
    CAPTURE(node.name());
    float scale = 0, diff = 0;
    for (std::size_t i = 0; i < full.logits.size(); i++) {
      scale = std::max(scale, std::abs(full.logits[i]));
      diff = std::max(diff, std::abs(full.logits[i] - fast.logits[i]));
    }
    CHECK(diff <= 1e-5f * scale);
    for (std::size_t i = 0; i < full.out.size(); i++)
      diff = std::max(diff, std::abs(full.out[i] - fast.out[i]));
    CHECK(diff <= 1e-4f);
    checked++;
  }
  CHECK(checked == int(graph.receivers().size()));
  CircuitGraph::Run bad;
  CHECK_FALSE(graph.run(prompt.ids, alpha, bad, nullptr, 0, {}, 0).ok());
}

TEST_CASE("paired corruption: each prompt patched toward its own twin") {
  const std::vector<HeadRef> planted = {{0, 1}, {1, 2}, {1, 3}};
  const Model model = planted_model(planted);
  CircuitGraph graph = CircuitGraph::build(model).value();
  const int V = model.config().vocab_size;
  const std::vector<Prompt> prompts = random_prompts(3, 10, V, 31);
  const std::vector<Prompt> twins = random_prompts(3, 10, V, 32);
  // Twins that are the prompts themselves: nothing to patch toward, every score 0.
  REQUIRE(graph.set_corruption(prompts, CorruptionMode::paired).ok());
  const EdgeAttribution same = edge_attribution(graph, prompts).value();
  for (double e : same.edges) CHECK(e == 0.0);
  // One prompt and one twin: paired is the per-position mean over that one twin.
  REQUIRE(graph.set_corruption(std::span(twins.data(), 1), CorruptionMode::paired).ok());
  const EdgeAttribution paired = edge_attribution(graph, std::span(prompts.data(), 1)).value();
  REQUIRE(graph.set_corruption(std::span(twins.data(), 1), CorruptionMode::positional_mean).ok());
  const EdgeAttribution positional = edge_attribution(graph, std::span(prompts.data(), 1)).value();
  for (std::size_t e = 0; e < paired.edges.size(); e++)
    CHECK(paired.edges[e] == doctest::Approx(positional.edges[e]).epsilon(1e-9));
  // ACDC with paired twins keeps the planted heads and nothing else.
  REQUIRE(graph.set_corruption(twins, CorruptionMode::paired).ok());
  AcdcOptions options;
  options.threshold = 1e-7;
  const AcdcResult found = acdc(graph, prompts, options).value();
  for (int l = 0; l < 2; l++)
    for (int h = 0; h < 4; h++) {
      const bool in = std::find(planted.begin(), planted.end(), HeadRef{l, h}) != planted.end();
      if (!in) CHECK(found.heads(l, h) == 0.0f);
    }
  CHECK(xt::sum(found.heads)() > 0.0f);
  // A prompt without a twin, or of another length: one clear error.
  const auto missing = edge_attribution(graph, random_prompts(4, 10, V, 33));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("has no reference") != std::string::npos);
  const auto other_length = edge_attribution(graph, random_prompts(1, 7, V, 34));
  REQUIRE_FALSE(other_length.ok());
  CHECK(other_length.error().message.find("tokens, its reference") != std::string::npos);
}

TEST_CASE("ACDC's per-threshold ROC: one point per run, dominated points dropped, steps") {
  // Four heads, two in the circuit. Runs: {h0} (0, 0.5), {h0, h2} (0.5, 0.5): dominated by
  // (0, 0.5), {h0, h1, h2} (0.5, 1).
  AcdcSweep sweep;
  sweep.thresholds = {0.1, 0.01, 0.001};
  for (const std::vector<float>& heads :
       {std::vector<float>{1, 0, 0, 0}, {1, 0, 1, 0}, {1, 1, 1, 0}}) {
    AcdcResult run;
    run.heads = zeros({2, 2});
    std::copy(heads.begin(), heads.end(), run.heads.data());
    sweep.runs.push_back(run);
  }
  const std::vector<bool> labels = {true, true, false, false};
  const RocCurve roc = acdc_threshold_roc(sweep, labels).value();
  // Points (0,0) (0,0.5) (0.5,1) (1,1): steps 0.5·0.5 + 0.5·1.
  REQUIRE(roc.points.size() == 4);
  CHECK(roc.auc == doctest::Approx(0.75));
  CHECK_FALSE(acdc_threshold_roc(sweep, {true, true, true, true}).ok());
}

TEST_CASE("circuit discovery: prompts drawn by seed, stepped like the whole call, one error each") {
  const std::vector<HeadRef> planted = {{0, 1}, {1, 2}, {1, 3}};
  const Model model = planted_model(planted);
  CircuitGraph graph = CircuitGraph::build(model).value();
  const int V = model.config().vocab_size;
  const std::vector<Prompt> positives = random_prompts(8, 10, V, 41);
  const std::vector<Prompt> negatives = random_prompts(8, 10, V, 42);
  for (const DiscoveryMethod method : {DiscoveryMethod::eap, DiscoveryMethod::acdc}) {
    CAPTURE(std::string(discovery_method_name(method)));
    DiscoveryOptions o;
    o.method = method;
    o.corruption = CorruptionMode::paired;
    o.prompts = 3;
    o.seed = 5;
    o.thresholds = {1e-6, 1e-2};
    int calls = 0;
    o.progress = [&](int, int) { return ++calls > 0; };
    const DiscoveryResult whole = discover_circuit(graph, positives, negatives, o).value();
    CHECK(whole.prompts.size() == 3);
    CHECK(whole.references == 3);
    CHECK(calls > 0);
    CHECK(whole.prompts != std::vector<std::size_t>{0, 1, 2});  // drawn, not the first three
    CircuitDiscovery stepped = CircuitDiscovery::start(graph, positives, negatives, o).value();
    int steps = 0;
    while (!stepped.step().value()) steps++;
    CHECK(steps > 0);
    CHECK(stepped.done() == stepped.total());
    const DiscoveryResult r = stepped.result();
    CHECK(r.prompts == whole.prompts);
    CHECK(r.head_scores == whole.head_scores);
    CHECK(r.edge_scores == whole.edge_scores);
    CHECK(r.head_scores.size() == 8);
    CHECK(!r.description.empty());
    for (int l = 0; l < 2; l++)
      for (int h = 0; h < 4; h++)
        if (std::find(planted.begin(), planted.end(), HeadRef{l, h}) == planted.end())
          CHECK(r.head_scores[std::size_t(l) * 4 + h] == 0.0);
  }
  DiscoveryOptions o;
  o.corruption = CorruptionMode::paired;
  const auto unpaired = discover_circuit(graph, positives, std::span(negatives.data(), 5), o);
  REQUIRE_FALSE(unpaired.ok());
  CHECK(unpaired.error().message.find("one negative per positive") != std::string::npos);
  o.method = DiscoveryMethod::acdc;
  o.corruption = CorruptionMode::pooled_mean;
  o.thresholds = {-1.0};
  CHECK_FALSE(discover_circuit(graph, positives, negatives, o).ok());
}

TEST_CASE("the ground truth: pooled and positional mean ablation, and the 80% rule") {
  const std::vector<HeadRef> planted = {{0, 1}, {1, 2}, {1, 3}};
  const Model model = planted_model(planted);
  const int V = model.config().vocab_size;
  const std::vector<Prompt> positives = random_prompts(6, 10, V, 21);
  const std::vector<Prompt> negatives = random_prompts(6, 10, V, 22);
  std::vector<std::vector<int>> reference;
  for (const Prompt& p : negatives) reference.push_back(p.ids);

  // One reference: its positional mean is its own z, position by position.
  const Tensor one = positional_mean_head_z(model, std::span(reference.data(), 1)).value();
  CHECK(xt::amax(xt::abs(one - head_z(model, reference[0]).value()))() == 0.0f);
  // The mean over positions of the positional mean (all prompts of one length) is the pooled one.
  const Tensor positional = positional_mean_head_z(model, reference).value();
  const Tensor pooled = mean_head_z(model, reference).value();
  CHECK(xt::amax(xt::abs(xt::mean(positional, {1}) - pooled))() < 1e-6f);

  GroundTruthOptions options;
  int calls = 0;
  options.progress = [&](int, int) { return ++calls > 0; };
  const auto truths = task_ground_truth(model, positives, negatives, options).value();
  REQUIRE(truths.size() == 2);
  CHECK(calls == 2 * (1 + 8 + 8 + 1));
  for (const AblationGroundTruth& g : truths) {
    CAPTURE(std::string(mean_ablation_name(g.ablation)));
    for (int l = 0; l < 2; l++)
      for (int h = 0; h < 4; h++) {
        const bool in = std::find(planted.begin(), planted.end(), HeadRef{l, h}) != planted.end();
        CAPTURE(l);
        CAPTURE(h);
        if (!in) CHECK(g.effect(l, h) == 0.0f);  // W_O = 0: ablating it changes nothing
        // The effect is the single-head ablation's relative change of the metric.
        const HeadRef head{l, h};
        const Tensor& mean = g.ablation == MeanAblation::pooled ? pooled : positional;
        const double m =
            ablated_metric(model, positives, std::span(&head, 1), g.ablation, mean).value();
        CHECK(g.effect(l, h) == doctest::Approx((g.clean - m) / std::fabs(g.clean)));
      }
    REQUIRE(g.faithfulness.size() == 9);
    CHECK(g.faithfulness.front() == doctest::Approx(0.0));  // every head ablated
    CHECK(g.faithfulness.back() == doctest::Approx(1.0));   // none ablated: the clean run
    // The rule: the shortest prefix of the order that keeps 80%.
    const std::size_t k = g.circuit.size();
    CHECK(g.faithfulness[k] >= 0.8);
    for (std::size_t i = 0; i < k; i++) CHECK(g.faithfulness[i] < 0.8);
    for (const HeadRef& h : g.circuit)
      CHECK(std::find(planted.begin(), planted.end(), h) != planted.end());
    for (std::size_t i = 1; i < g.order.size(); i++)
      CHECK(g.effect(g.order[i - 1].layer, g.order[i - 1].head) >=
            g.effect(g.order[i].layer, g.order[i].head));
  }

  // Bad inputs: one clear error each.
  CHECK_FALSE(task_ground_truth(model, {}, negatives, options).ok());
  GroundTruthOptions bad = options;
  bad.keep = 1.5;
  CHECK_FALSE(task_ground_truth(model, positives, negatives, bad).ok());
  const auto short_refs = task_ground_truth(model, positives, random_prompts(3, 4, V, 23), options);
  REQUIRE_FALSE(short_refs.ok());
  CHECK(short_refs.error().message.find("longer than every negative") != std::string::npos);
  bad = options;
  bad.progress = [](int, int) { return false; };
  const auto cancelled = task_ground_truth(model, positives, negatives, bad);
  REQUIRE_FALSE(cancelled.ok());
  CHECK(cancelled.error().message.find("cancelled") != std::string::npos);
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

// The prompt draws of EAP/ACDC (and the SAE's) come from seeded_draw: pinned values, which the
// WASM build of this test (libc++, under node) must give too, so a seed picks the same prompts in
// the browser as natively — std::shuffle did not.
TEST_CASE("seeded draws are pinned: the same prompts for a seed on every platform") {
  std::mt19937_64 a(7);
  CHECK(seeded_draw(20, 6, a) == std::vector<int>{15, 11, 8, 1, 17, 2});
  std::mt19937_64 b(0);
  CHECK(seeded_draw(5, 5, b) == std::vector<int>{4, 0, 3, 2, 1});
  std::mt19937_64 c(1);
  CHECK(seeded_draw(3, 9, c).size() == 3);  // k past n: all of them, once each
  CHECK(seeded_draw(0, 2, c).empty());
}
