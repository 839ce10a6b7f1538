// test_analysis.cpp — core/analysis: attention statistics, sinks, ACT calibration, head roles.
// Hand-made patterns with known answers first, then the fixture models through the forward pass.
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>

#include "core/analysis/attention_stats.h"
#include "core/analysis/calibration.h"
#include "core/analysis/head_roles.h"
#include "core/analysis/next_token.h"
#include "core/analysis/sinks.h"
#include "tests/unit/fixtures.h"

using namespace attnscope;
using namespace attnscope::test;

namespace {

using Rows = std::vector<std::vector<float>>;  // row q holds the q + 1 visible keys

// A pattern [head, query, key] from each head's lower-triangular rows.
Tensor make_pattern(const std::vector<Rows>& heads) {
  const std::size_t H = heads.size(), T = heads[0].size();
  Tensor p = zeros({H, T, T});
  for (std::size_t h = 0; h < H; h++)
    for (std::size_t q = 0; q < T; q++) {
      REQUIRE(heads[h][q].size() == q + 1);
      for (std::size_t k = 0; k <= q; k++) p(h, q, k) = heads[h][q][k];
    }
  return p;
}

Rows uniform_rows(std::size_t T) {
  Rows rows(T);
  for (std::size_t q = 0; q < T; q++) rows[q].assign(q + 1, 1.0f / static_cast<float>(q + 1));
  return rows;
}

// Every query attends to key offset(q) (clamped to 0).
Rows one_hot_rows(std::size_t T, int back) {
  Rows rows(T);
  for (std::size_t q = 0; q < T; q++) {
    rows[q].assign(q + 1, 0.0f);
    rows[q][q >= static_cast<std::size_t>(back) ? q - back : 0] = 1.0f;
  }
  return rows;
}

// One head over 6 tokens: the first token and a hidden sink at position 3.
//   scores: k0 3.8/6, k1 0.35/5, k2 0.2/4, k3 1.5/3, k4 0.07/2, k5 0.08/1
const Rows kSinkHead = {
    {1.0f},
    {0.9f, 0.1f},
    {0.8f, 0.1f, 0.1f},
    {0.4f, 0.05f, 0.05f, 0.5f},
    {0.4f, 0.05f, 0.0f, 0.5f, 0.05f},
    {0.3f, 0.05f, 0.05f, 0.5f, 0.02f, 0.08f},
};

float row_sum(const Tensor& p, std::size_t h, std::size_t q) {
  double sum = 0;
  for (std::size_t k = 0; k < p.shape()[2]; k++) sum += p(h, q, k);
  return static_cast<float>(sum);
}

Cache patterns_of(const Model& model, std::span<const int> ids) {
  HookPlan plan;
  plan.capture("blocks.*.attn.hook_pattern");
  Cache cache;
  REQUIRE(model.forward(ids, plan, &cache).ok());
  return cache;
}

}  // namespace

TEST_CASE("attention stats: uniform, identity and previous-token patterns") {
  const std::size_t T = 4;
  const Tensor p = make_pattern({uniform_rows(T), one_hot_rows(T, 0), one_hot_rows(T, 1)});
  const std::vector<HeadStats> s = head_stats(p).value();
  REQUIRE(s.size() == 3);
  // Uniform: row q has entropy log(q + 1), normalised 1, mean distance q / 2.
  CHECK(s[0].entropy == doctest::Approx((std::log(2.0) + std::log(3.0) + std::log(4.0)) / 4));
  CHECK(s[0].normalized_entropy == doctest::Approx(1.0));
  CHECK(s[0].mean_distance == doctest::Approx((0 + 0.5 + 1.0 + 1.5) / 4));
  CHECK(s[0].first_token_mass == doctest::Approx((1 + 1.0 / 2 + 1.0 / 3 + 1.0 / 4) / 4));
  // Identity: no spread, no distance; only query 0 attends to the first token.
  CHECK(s[1].entropy == 0.0f);
  CHECK(s[1].normalized_entropy == 0.0f);
  CHECK(s[1].mean_distance == 0.0f);
  CHECK(s[1].first_token_mass == doctest::Approx(0.25));
  // Previous token: one step back from every query but the first.
  CHECK(s[2].entropy == 0.0f);
  CHECK(s[2].mean_distance == doctest::Approx(0.75));
  CHECK(s[2].first_token_mass == doctest::Approx(0.5));  // queries 0 and 1

  const Tensor mean = mean_over_heads(p).value();
  const Tensor max = max_over_heads(p).value();
  CHECK(shape_of(mean) == Shape{T, T});
  CHECK(mean(3, 2) == doctest::Approx((0.25 + 0 + 1) / 3));
  CHECK(max(3, 2) == 1.0f);
  CHECK(max(3, 0) == 0.25f);
  CHECK(mean(0, 3) == 0.0f);  // above the diagonal

  CHECK_FALSE(head_stats(zeros({2, 3, 4})).ok());
  CHECK_FALSE(mean_over_heads(zeros({3, 3})).ok());
}

TEST_CASE("sink scores: the first token and a hidden sink at position 3") {
  const Tensor p = make_pattern({kSinkHead, uniform_rows(6)});
  const Tensor scores = sink_scores(p).value();
  CHECK(shape_of(scores) == Shape{2, 6});
  const double expected[6] = {3.8 / 6, 0.35 / 5, 0.2 / 4, 1.5 / 3, 0.07 / 2, 0.08};
  for (int k = 0; k < 6; k++) CHECK(scores(0, k) == doctest::Approx(expected[k]));

  // (a) score > tau = 0.1, the authors' rule.
  const std::vector<HeadSinks> heads = find_sinks(p, {}, 2).value();
  const HeadSinks& h0 = heads[0];
  CHECK(h0.head == HeadRef{2, 0});
  REQUIRE(h0.sinks.size() == 2);
  CHECK(h0.sinks[0].position == 0);
  CHECK_FALSE(h0.sinks[0].hidden());
  CHECK(h0.sinks[0].score == doctest::Approx(3.8 / 6));
  CHECK(h0.sinks[0].mass == doctest::Approx(3.8 / 6));
  CHECK(h0.sinks[1].position == 3);
  CHECK(h0.sinks[1].hidden());
  CHECK(h0.sinks[1].score == doctest::Approx(0.5));
  CHECK(h0.sinks[1].mass == doctest::Approx(1.5 / 6));
  CHECK(h0.mass == doctest::Approx((3.8 + 1.5) / 6));
  CHECK(h0.hidden_mass == doctest::Approx(1.5 / 6));
  CHECK(h0.first_token_sink());
  CHECK(h0.has_hidden_sink());
  // Uniform causal attention over 6 tokens gives every key a score above 0.1 (the last key's is
  // 1/6): on short prompts the fixed threshold flags everything.
  CHECK(heads[1].sinks.size() == 6);

  // (b) score > alpha / T.
  SinkOptions relative;
  relative.criterion = SinkCriterion::relative;
  CHECK(sink_cutoff(relative, 6) == doctest::Approx(5.0 / 6));
  CHECK(sink_positions(p, 0, relative).empty());  // 5/6 is above every score
  CHECK(sink_positions(p, 1, relative).empty());
  relative.alpha = 2;  // cutoff 1/3
  CHECK(sink_positions(p, 0, relative) == std::vector<int>{0, 3});
  CHECK(sink_positions(p, 1, relative) == std::vector<int>{0});  // 2.45/6 = 0.408

  // min_queries: position 3 is seen by 3 queries only.
  SinkOptions seen_by_4;
  seen_by_4.min_queries = 4;
  CHECK(sink_positions(p, 0, seen_by_4) == std::vector<int>{0});
  CHECK(sink_positions(p, 1, seen_by_4) == std::vector<int>{0, 1, 2});
  SinkOptions high;
  high.tau = 0.55f;
  CHECK(sink_positions(p, 0, high) == std::vector<int>{0});

  SinkOptions bad;
  bad.min_queries = 0;
  CHECK_FALSE(find_sinks(p, bad).ok());
  bad = {};
  bad.tau = NAN;
  CHECK_FALSE(find_sinks(p, bad).ok());
}

TEST_CASE("calibration: beta scaling, proportional redistribution, rows sum to 1") {
  Tensor p = make_pattern({kSinkHead});
  const Tensor before = p;
  // Default: tau 0.1 finds {0, 3}; the first detected sink (the first token) is kept.
  CHECK(sinks_to_calibrate({0, 3}, KeepSink::first_detected) == std::vector<int>{3});
  CHECK(sinks_to_calibrate({2, 3}, KeepSink::first_detected) == std::vector<int>{3});
  CHECK(sinks_to_calibrate({2, 3}, KeepSink::first_token) == std::vector<int>{2, 3});
  CHECK(sinks_to_calibrate({0, 3}, KeepSink::first_token) == std::vector<int>{3});
  CHECK(sinks_to_calibrate({0, 3}, KeepSink::none) == std::vector<int>{0, 3});

  const std::vector<int> done = calibrate_head(p, 0, CalibrationOptions{});
  CHECK(done == std::vector<int>{3});
  // Rows 0..2 cannot see position 3: unchanged.
  for (std::size_t q = 0; q < 3; q++)
    for (std::size_t k = 0; k <= q; k++) CHECK(p(0, q, k) == before(0, q, k));
  // Rows 3..5 hold 0.5 on the sink: it becomes 0.2, and the freed 0.3 goes to the other keys in
  // proportion to their attention (a factor 1 + 0.3 / 0.5 = 1.6), the kept first token included.
  const Rows expected = {
      {0.64f, 0.08f, 0.08f, 0.2f},
      {0.64f, 0.08f, 0.0f, 0.2f, 0.08f},
      {0.48f, 0.08f, 0.08f, 0.2f, 0.032f, 0.128f},
  };
  for (std::size_t q = 3; q < 6; q++) {
    CHECK(p(0, q, 3) == before(0, q, 3) * 0.4f);  // beta scaling, exact
    for (std::size_t k = 0; k <= q; k++) CHECK(p(0, q, k) == doctest::Approx(expected[q - 3][k]));
    CHECK(row_sum(p, 0, q) == doctest::Approx(1.0).epsilon(1e-6));
  }

  // A row whose whole visible mass is on calibrated sinks has nowhere to send it: unchanged, and
  // so is the sink's own row when it only attends to itself and the other sink.
  Tensor all_sink = make_pattern({{
      {1.0f},
      {0.5f, 0.5f},
      {0.0f, 0.0f, 1.0f},
      {0.7f, 0.0f, 0.3f, 0.0f},
      {0.2f, 0.2f, 0.2f, 0.2f, 0.2f},
  }});
  const Tensor all_before = all_sink;
  const int sinks[] = {0, 2};
  calibrate_head(all_sink, 0, sinks, 0.4f);
  for (std::size_t k = 0; k < 5; k++) {
    CHECK(all_sink(0, 0, k) == all_before(0, 0, k));  // row 0: all on sink 0
    CHECK(all_sink(0, 2, k) == all_before(0, 2, k));  // row 2: the sink itself, all on itself
    CHECK(all_sink(0, 3, k) == all_before(0, 3, k));  // row 3: all on sinks 0 and 2
  }
  // Row 1: 0.5 on sink 0 → 0.2, key 1 gets the freed 0.3. Row 4: 0.4 on sinks → 0.16, ×1.4 rest.
  CHECK(all_sink(0, 1, 0) == doctest::Approx(0.2));
  CHECK(all_sink(0, 1, 1) == doctest::Approx(0.8));
  CHECK(all_sink(0, 4, 0) == doctest::Approx(0.08));
  CHECK(all_sink(0, 4, 1) == doctest::Approx(0.28));
  CHECK(all_sink(0, 4, 2) == doctest::Approx(0.08));
  CHECK(all_sink(0, 4, 4) == doctest::Approx(0.28));
  for (std::size_t q = 0; q < 5; q++) CHECK(row_sum(all_sink, 0, q) == doctest::Approx(1.0));

  // beta = 1 changes nothing, bit for bit.
  Tensor same = make_pattern({kSinkHead});
  CalibrationOptions keep_all;
  keep_all.beta = 1.0f;
  CHECK(calibrate_head(same, 0, keep_all) == std::vector<int>{3});
  CHECK(same == before);

  CalibrationOptions bad;
  bad.beta = 1.5f;
  CHECK_FALSE(check_calibration_options(bad).ok());
}

TEST_CASE("head roles: hand-made heads score 1 on their pattern") {
  // Tokens a b c d a b c d: the second half repeats the first.
  const std::vector<int> ids = {7, 3, 9, 5, 7, 3, 9, 5};
  const std::size_t T = ids.size();
  Rows induction(T), duplicate(T);
  for (std::size_t q = 0; q < T; q++) {
    induction[q].assign(q + 1, 0.0f);
    duplicate[q].assign(q + 1, 0.0f);
    induction[q][q >= 4 ? q - 3 : 0] = 1.0f;  // the token after the earlier occurrence
    duplicate[q][q >= 4 ? q - 4 : q] = 1.0f;  // the earlier occurrence itself
  }
  const Tensor p = make_pattern({one_hot_rows(T, 1), induction, duplicate, one_hot_rows(T, 1000)});
  const std::vector<HeadRoleScores> s = head_role_scores(p, ids).value();
  REQUIRE(s.size() == 4);
  CHECK(s[0].previous_token == 1.0f);
  CHECK(s[0].role == HeadRole::previous_token);
  CHECK(s[1].induction == 1.0f);
  CHECK(s[1].duplicate_token == 0.0f);
  CHECK(s[1].role == HeadRole::induction);
  CHECK(s[2].duplicate_token == 1.0f);
  CHECK(s[2].induction == 0.0f);
  CHECK(s[2].role == HeadRole::duplicate_token);
  // Everything on the first token: a sink, by detected mass and by first-token mass.
  CHECK(s[3].sink == doctest::Approx(1.0));
  CHECK(s[3].previous_token == doctest::Approx(1.0 / 7));  // only query 1's previous is token 0
  CHECK(s[3].role == HeadRole::sink);
  HeadRoleOptions first;
  first.sink_role = SinkRole::first_token;
  CHECK(head_role_scores(p, ids, first).value()[3].sink == doctest::Approx(1.0));
  CHECK(head_role_scores(p, ids, first).value()[0].sink == doctest::Approx(2.0 / 8));
  CHECK(role_name(HeadRole::induction) == "induction");

  // Without a repeated token there is nothing to duplicate or induct: scores 0, no such role.
  const std::vector<int> distinct = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<HeadRoleScores> none = head_role_scores(p, distinct).value();
  CHECK(none[1].induction == 0.0f);
  CHECK(none[2].duplicate_token == 0.0f);
  HeadRoleScores high{0, 0.9f, 0.9f, 0};
  CHECK(assign_role(high, {}, false, false) == HeadRole::none);
  CHECK(assign_role(high, {}, true, true) == HeadRole::induction);  // ties: induction first

  // A token right after its twin: the "successor" of the earlier one is the query itself, which
  // is not an induction target, so a head attending to itself scores 0 (query 3's target is 1).
  const std::vector<int> twins = {4, 9, 4, 4};
  const Tensor self = make_pattern({one_hot_rows(4, 0)});
  CHECK(head_role_scores(self, twins).value()[0].induction == 0.0f);
  CHECK(head_role_scores(self, twins).value()[0].duplicate_token == 0.0f);

  CHECK_FALSE(head_role_scores(p, std::vector<int>{1, 2, 3}).ok());
}

TEST_CASE("repeated random tokens: seeded, repeated, specials excluded") {
  RepeatedTokensOptions o;
  o.segment_length = 10;
  o.seed = 42;
  o.bos = 0;
  o.exclude = {1, 2, 700};  // ids outside the vocabulary are ignored
  const std::vector<int> ids = repeated_random_tokens(50, o).value();
  REQUIRE(ids.size() == 21);
  CHECK(ids[0] == 0);
  for (std::size_t i = 1; i <= 10; i++) {
    CHECK(ids[i] == ids[i + 10]);
    CHECK(ids[i] >= 3);
    CHECK(ids[i] < 50);
    for (std::size_t j = 1; j < i; j++) CHECK(ids[j] != ids[i]);  // distinct within the segment
  }
  CHECK(repeated_random_tokens(50, o).value() == ids);  // same seed, same tokens
  o.seed = 43;
  CHECK(repeated_random_tokens(50, o).value() != ids);
  // The stream is splitmix64's, the same natively and under node (values from an independent
  // Python splitmix64 with the same rejection rule).
  RepeatedTokensOptions plain;
  plain.segment_length = 6;
  plain.distinct = false;
  CHECK(repeated_random_tokens(1000, plain).value() ==
        std::vector<int>({535, 700, 679, 444, 747, 90, 535, 700, 679, 444, 747, 90}));

  o.segment_length = 48;  // 50 − 3 excluded = 47 tokens left
  CHECK_FALSE(repeated_random_tokens(50, o).ok());
  o.distinct = false;
  CHECK(repeated_random_tokens(50, o).ok());
  o.bos = 50;
  CHECK_FALSE(repeated_random_tokens(50, o).ok());
}

TEST_CASE("next-token effect: top-k and KL divergence") {
  Tensor before = zeros({2, 2}), after = zeros({2, 2});
  after(1, 0) = std::log(3.0f);  // last row: (0.5, 0.5) → (0.75, 0.25)
  const NextTokenEffect e = next_token_effect(before, after, 5).value();
  CHECK(e.kl == doctest::Approx(0.5 * std::log(4.0 / 3.0)));
  CHECK(e.max_abs_change == doctest::Approx(0.25));
  REQUIRE(e.top_before.size() == 2);  // k clamped to the vocabulary
  CHECK(e.top_before[0].id == 0);     // tie: lower id first
  CHECK(e.top_after[0].id == 0);
  CHECK(e.top_after[0].before == doctest::Approx(0.5));
  CHECK(e.top_after[0].after == doctest::Approx(0.75));
  CHECK(next_token_effect(before, before).value().kl == 0.0);
  CHECK_FALSE(next_token_effect(before, zeros({2, 3})).ok());

  Tensor logits = zeros({1, 3});
  logits(0, 2) = std::log(2.0f);
  CHECK(target_log_prob(logits, {{1}, 2, ""}) == doctest::Approx(std::log(0.5)));
  CHECK(target_top1(logits, {{1}, 2, ""}) == 1.0);
  CHECK(target_top1(logits, {{1}, 0, ""}) == 0.0);
  CHECK(std::isinf(target_log_prob(logits, {{1}, -1, ""})));
}

TEST_CASE("cache conveniences: every layer's pattern, clear errors otherwise") {
  Cache empty;
  CHECK_FALSE(layer_patterns(empty).ok());
  Cache gap;
  gap.put({HookPoint::attn_pattern, 1}, make_pattern({uniform_rows(3)}));
  CHECK_FALSE(attention_stats(gap).ok());
  gap.put({HookPoint::attn_pattern, 0}, make_pattern({uniform_rows(4)}));
  CHECK_FALSE(find_sinks(gap, {}).ok());  // shapes differ

  const Model model = Model::load(fixture_source("gpt2")).value();
  const SafetensorsFile ref = reference_outputs("gpt2");
  const std::vector<int> ids = reference_ids(ref, "L32.input_ids");
  const Cache cache = patterns_of(model, ids);
  const AttentionStatsTable stats = attention_stats(cache).value();
  CHECK(stats.n_layers == 3);
  CHECK(stats.n_heads == 4);
  CHECK(stats.n_tokens == 32);
  const std::vector<HeadStats> layer1 =
      head_stats(*cache.find("blocks.1.attn.hook_pattern")).value();
  for (int h = 0; h < 4; h++) {
    CHECK(stats.entropy(1, h) == layer1[h].entropy);
    CHECK(stats.normalized_entropy(1, h) > 0.0f);
    CHECK(stats.normalized_entropy(1, h) <= 1.0f);
  }
}

TEST_CASE("fixture models: sinks by the paper's rule, calibration through the forward pass") {
  const SinkOptions paper;
  for (const char* name : {"gpt2", "gpt_neox", "llama", "qwen2"}) {
    CAPTURE(name);
    const Model model = Model::load(fixture_source(name)).value();
    const std::vector<int> ids = reference_ids(reference_outputs(name), "L32.input_ids");
    const SinkSummary sinks = find_sinks(patterns_of(model, ids), paper).value();
    CHECK(sinks.n_layers * sinks.n_heads == static_cast<int>(sinks.heads.size()));
    // The random fixtures have no trained sinks, but on 32 tokens the first token's score is
    // above 0.1 in several heads (uniform causal attention alone gives it H_32 / 32 ≈ 0.127).
    CHECK(sinks.heads_with_first_token_sink >= 1);
    CHECK(sinks.heads_per_position[0] == sinks.heads_with_first_token_sink);
    for (std::size_t i = 0; i < sinks.heads.size(); i++) {
      CHECK(sinks.mass.data()[i] >= 0.0f);
      CHECK(sinks.mass.data()[i] <= 1.0f + 1e-6f);
    }
  }

  const Model model = Model::load(fixture_source("gpt2")).value();
  const ModelConfig& c = model.config();
  const std::vector<int> ids = reference_ids(reference_outputs("gpt2"), "L32.input_ids");
  const Cache clean = patterns_of(model, ids);
  const SinkSummary sinks = find_sinks(clean, {}).value();
  // A head of layer >= 1 with a hidden sink to calibrate (its pattern is then the same in the
  // clean and the calibrated run, since only its own layer's edit touches it).
  std::optional<HeadRef> target;
  for (const HeadSinks& h : sinks.heads) {
    const Tensor& pattern = *clean.find({HookPoint::attn_pattern, h.head.layer});
    const std::vector<int> detected = sink_positions(pattern, h.head.head, {});
    if (h.head.layer >= 1 && !sinks_to_calibrate(detected, KeepSink::first_detected).empty()) {
      target = h.head;
      break;
    }
  }
  REQUIRE(target.has_value());

  HookPlan plan;
  plan.capture("blocks.*.attn.hook_pattern");
  auto log = std::make_shared<CalibrationLog>();
  REQUIRE(add_calibration(plan, c, {*target, *target}, {}, log).ok());
  Cache calibrated;
  const Tensor logits_cal = model.forward(ids, plan, &calibrated).value();
  const Tensor logits = model.forward(ids).value();

  // The clean pattern as the calibrated run computes it before its edit: an edited pattern needs
  // the separate scores/softmax ops in that layer (capturing the scores there does the same),
  // while the fused op serves the other layers in both runs; so the two agree bit for bit.
  HookPlan same_path;
  same_path.capture("blocks.*.attn.hook_pattern");
  same_path.capture(hook_name({HookPoint::attn_scores, target->layer}));
  Cache clean_same_path;
  REQUIRE(model.forward(ids, same_path, &clean_same_path).ok());
  Tensor expected = *clean_same_path.find({HookPoint::attn_pattern, target->layer});
  const std::vector<int> done = calibrate_head(expected, target->head, CalibrationOptions{});
  REQUIRE(log->size() == 1);  // the duplicate head is calibrated once
  CHECK((*log)[0].head == *target);
  CHECK((*log)[0].positions == done);
  const Tensor& got = *calibrated.find({HookPoint::attn_pattern, target->layer});
  CHECK(got == expected);
  for (std::size_t q = 0; q < ids.size(); q++)
    CHECK(row_sum(got, target->head, q) == doctest::Approx(1.0).epsilon(1e-5));
  CHECK(max_abs_diff(logits.data(), logits_cal.data(), logits.size()) > 1e-6);

  // beta = 1 leaves every logit as it was: exactly, against a pass that runs attention the same
  // way (an edited pattern needs the separate scores/softmax/mix ops, as capturing the scores
  // does), and to rounding against the plain pass (one fused attention op).
  CalibrationOptions identity;
  identity.beta = 1.0f;
  HookPlan same;
  REQUIRE(add_calibration(same, c, all_heads(c.n_layers, c.n_heads), identity).ok());
  const Tensor logits_same = model.forward(ids, same).value();
  HookPlan unfused;
  unfused.capture("blocks.*.attn.hook_attn_scores");
  const Tensor logits_unfused = model.forward(ids, unfused).value();
  CHECK(max_abs_diff(logits_unfused.data(), logits_same.data(), logits.size()) == 0.0);
  CHECK(max_abs_diff(logits.data(), logits_same.data(), logits.size()) < 1e-4);

  const NextTokenEffect effect = calibration_effect(model, ids, {*target}, {}, 5).value();
  CHECK(effect.kl > 0.0);
  CHECK(effect.top_before.size() == 5);

  HookPlan unused;
  CHECK_FALSE(add_calibration(unused, c, {{3, 0}}, {}).ok());
  CHECK_FALSE(add_calibration(unused, c, {{0, 4}}, {}).ok());
}

TEST_CASE("head search: one head at a time, kept heads together") {
  const Model model = Model::load(fixture_source("llama")).value();
  const ModelConfig& c = model.config();
  const SafetensorsFile ref = reference_outputs("llama");
  std::vector<Prompt> prompts;
  for (const char* key : {"L7.input_ids", "L32.input_ids"}) {
    std::vector<int> ids = reference_ids(ref, key);
    const int target = ids.back();
    ids.pop_back();
    prompts.push_back({ids, target, key});
  }
  HeadSearchOptions options;
  int calls = 0;
  options.progress = [&](int done, int total) {
    calls++;
    CHECK(done == calls);
    CHECK(total == c.n_layers * c.n_heads);
    return true;
  };
  const HeadSearchResult r =
      search_calibration_heads(model, prompts, target_log_prob, options).value();
  CHECK(calls == 12);
  REQUIRE(r.heads.size() == 12);
  double baseline = 0;
  for (const Prompt& p : prompts) baseline += target_log_prob(model.forward(p.ids).value(), p);
  CHECK(r.baseline == doctest::Approx(baseline / 2));
  std::vector<HeadRef> kept;
  for (const HeadGain& g : r.heads) {
    CHECK(g.gain == doctest::Approx(g.metric - r.baseline));
    CHECK(g.kept == (g.gain > 0));
    if (g.kept) kept.push_back(g.head);
  }
  CHECK(r.kept == kept);
  // The combined metric is the kept heads calibrated together.
  HookPlan plan;
  REQUIRE(add_calibration(plan, c, kept, {}).ok());
  double combined = 0;
  for (const Prompt& p : prompts)
    combined += target_log_prob(model.forward(p.ids, plan).value(), p);
  CHECK(r.combined == doctest::Approx(kept.empty() ? r.baseline : combined / 2));
  CHECK(r.combined_gain == doctest::Approx(r.combined - r.baseline));

  options.candidates = {{0, 1}, {2, 3}};
  options.progress = [](int, int) { return false; };
  CHECK_FALSE(search_calibration_heads(model, prompts, target_log_prob, options).ok());
  options.progress = nullptr;
  CHECK_FALSE(search_calibration_heads(model, {}, target_log_prob, options).ok());
  const std::vector<Prompt> no_target = {{{1, 2, 3}, -1, ""}};
  CHECK_FALSE(search_calibration_heads(model, no_target, target_log_prob, options).ok());
}

TEST_CASE("fixture models on repeated random tokens: every score in [0, 1]") {
  for (const char* name : {"gpt2", "llama"}) {
    CAPTURE(name);
    const Model model = Model::load(fixture_source(name)).value();
    const ModelConfig& c = model.config();
    RepeatedTokensOptions o;
    o.segment_length = 20;
    o.seed = 7;
    o.exclude = special_token_ids(c);
    const std::vector<int> ids = repeated_random_tokens(c.vocab_size, o).value();
    const HeadRoleTable roles = head_roles(model, ids).value();
    CHECK(roles.n_layers == c.n_layers);
    CHECK(roles.n_heads == c.n_heads);
    CHECK(roles.n_duplicate_queries == 20);
    CHECK(roles.n_induction_queries == 20);
    CHECK(roles.roles.size() == static_cast<std::size_t>(c.n_layers * c.n_heads));
    for (const Tensor* t :
         {&roles.previous_token, &roles.duplicate_token, &roles.induction, &roles.sink})
      for (float x : *t) {
        CHECK(x >= 0.0f);
        CHECK(x <= 1.0f + 1e-6f);
      }
    const Cache cache = patterns_of(model, ids);
    const AttentionStatsTable stats = attention_stats(cache).value();
    for (float x : stats.normalized_entropy) {
      CHECK(x >= 0.0f);
      CHECK(x <= 1.0f + 1e-6f);
    }
    for (float x : stats.first_token_mass) {
      CHECK(x >= 0.0f);
      CHECK(x <= 1.0f + 1e-6f);
    }
  }
  CHECK(special_token_ids(Model::load(fixture_source("gpt2")).value().config()).empty());
  CHECK(special_token_ids(Model::load(fixture_source("llama")).value().config()) ==
        std::vector<int>{1, 2});
}
