// test_patching.cpp — activation patching on the fixtures of every family: the cells that must be
// exactly 0 or 1, each restart (forward_from) against a full forward with the same edit, and one
// error per bad setup.
#include <doctest/doctest.h>

#include <cmath>

#include "core/analysis/activation_patching.h"
#include "core/model/tensor_edit.h"
#include "tests/unit/fixtures.h"

using namespace attnscope;
using namespace attnscope::test;

namespace {

// A clean prompt and its one-token swap at `pos`, scored by two tokens of the vocabulary.
struct Pair {
  Prompt clean;
  std::vector<int> corrupted;
  int pos;
};

Pair one_token_swap(const Model& model) {
  const int V = model.config().vocab_size;
  Pair p;
  p.clean.ids = {3 % V, 17 % V, 5 % V, 29 % V, 11 % V, 7 % V};
  p.clean.answers = {2 % V};
  p.clean.distractors = {13 % V};
  p.pos = 2;
  p.corrupted = p.clean.ids;
  p.corrupted[std::size_t(p.pos)] = 23 % V;
  return p;
}

double metric_with(const Model& model, const Pair& p, const HookPlan& plan) {
  const Tensor logits = model.forward(p.corrupted, plan).value();
  return evaluate(MetricKind::logit_diff, logits, p.clean);
}

}  // namespace

TEST_CASE("activation patching: exact cells, restarts equal full runs, on every family") {
  for (const char* family : {"gpt2", "gpt_neox", "llama", "qwen2"}) {
    CAPTURE(std::string(family));
    const Model model = Model::load(fixture_source(family)).value();
    const ModelConfig& c = model.config();
    const Pair p = one_token_swap(model);
    const int T = int(p.clean.ids.size()), L = c.n_layers, H = c.n_heads, D = c.d_head;

    PatchingOptions o;
    o.target = PatchTarget::resid_pre;
    const PatchingResult resid = activation_patching(model, p.clean, p.corrupted, o).value();
    REQUIRE(resid.patched.shape(0) == std::size_t(L));
    REQUIRE(resid.patched.shape(1) == std::size_t(T));
    // Layer 0's residual stream is the embedding: restoring the swapped position restores the
    // clean run, any other position changes nothing.
    for (int t = 0; t < T; t++) {
      CAPTURE(t);
      CHECK(resid.normalised(0, t) == doctest::Approx(t == p.pos ? 1.0 : 0.0).epsilon(1e-4));
    }
    // Positions before the swap cannot see it: their residual stream is the same in both runs.
    for (int l = 0; l < L; l++)
      for (int t = 0; t < p.pos; t++) CHECK(std::fabs(resid.normalised(l, t)) < 1e-4);

    // Each target's cell equals a full forward of the corrupted prompt with the same edit.
    Cache clean_cache;
    HookPlan all;
    all.capture("*");
    REQUIRE(model.forward(p.clean.ids, all, &clean_cache).ok());
    const auto clean_of = [&](HookPoint point, int l) {
      return std::make_shared<const Tensor>(*clean_cache.find(HookId{point, l}));
    };
    const int l = L - 1, h = H - 1;
    for (PatchTarget target : {PatchTarget::attn_out, PatchTarget::mlp_out, PatchTarget::head_z,
                               PatchTarget::head_z_position}) {
      CAPTURE(std::string(patch_target_name(target)));
      o.target = target;
      o.head = {l, h};
      const PatchingResult r = activation_patching(model, p.clean, p.corrupted, o).value();
      CHECK(r.corrupted == doctest::Approx(metric_with(model, p, {})));
      HookPlan plan;
      double cell = 0;
      if (target == PatchTarget::attn_out || target == PatchTarget::mlp_out) {
        const HookPoint point =
            target == PatchTarget::attn_out ? HookPoint::attn_out : HookPoint::mlp_out;
        plan.edit({point, l}, position_copy(c.d_model, p.pos, clean_of(point, l),
                                            std::size_t(p.pos) * c.d_model));
        cell = r.patched(std::size_t(l), std::size_t(p.pos));
      } else if (target == PatchTarget::head_z) {
        plan.edit({HookPoint::attn_z, l}, head_copy(T, H, D, h, clean_of(HookPoint::attn_z, l),
                                                    std::size_t(h) * D, std::size_t(H) * D));
        cell = r.patched(std::size_t(l), std::size_t(h));
      } else {
        REQUIRE(r.patched.shape(0) == 1);
        TensorEdit e;
        e.kind = TensorEdit::Kind::copy;
        e.first = e.source_first = (std::size_t(T - 1) * H + h) * D;
        e.ld = e.source_ld = std::size_t(H) * D;
        e.rows = 1;
        e.cols = D;
        e.source = clean_of(HookPoint::attn_z, l);
        plan.edit({HookPoint::attn_z, l}, e);
        cell = r.patched(0, std::size_t(T - 1));
      }
      CHECK(cell == doctest::Approx(metric_with(model, p, plan)).epsilon(1e-4));
      // normalised is the patched metric on the 0 = corrupted, 1 = clean scale
      CHECK(r.normalised(0, 0) ==
            doctest::Approx((r.patched(0, 0) - r.corrupted) / (r.clean - r.corrupted)));
    }
  }
}

TEST_CASE("activation patching: a stepped sweep equals the whole call, and one error each") {
  const Model model = Model::load(fixture_source("gpt2")).value();
  const Pair p = one_token_swap(model);
  PatchingOptions o;
  o.target = PatchTarget::head_z;
  const PatchingResult whole = activation_patching(model, p.clean, p.corrupted, o).value();
  PatchingSweep sweep = PatchingSweep::start(model, p.clean, p.corrupted, o).value();
  int steps = 0;
  while (!sweep.step().value()) steps++;
  CHECK(steps + 1 == sweep.total());
  CHECK(sweep.result().patched == whole.patched);

  const auto error_of = [&](const Prompt& clean, std::vector<int> corrupted, PatchingOptions opt) {
    auto r = activation_patching(model, clean, corrupted, opt);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  std::vector<int> shorter = p.corrupted;
  shorter.pop_back();
  CHECK(error_of(p.clean, shorter, o).find("same number of tokens") != std::string::npos);
  CHECK(error_of(p.clean, p.clean.ids, o).find("score the same") != std::string::npos);
  Prompt no_distractor = p.clean;
  no_distractor.distractors.clear();
  CHECK(error_of(no_distractor, p.corrupted, o).find("distractor") != std::string::npos);
  PatchingOptions prob = o;
  prob.metric = MetricKind::probability;  // the probability needs no distractor
  CHECK(activation_patching(model, no_distractor, p.corrupted, prob).ok());
  PatchingOptions loss = o;
  loss.metric = MetricKind::loss;
  CHECK(error_of(p.clean, p.corrupted, loss).find("not the loss") != std::string::npos);
  PatchingOptions bad_head = o;
  bad_head.target = PatchTarget::head_z_position;
  bad_head.head = {0, 99};
  CHECK(error_of(p.clean, p.corrupted, bad_head).find("outside the model") != std::string::npos);
  CHECK(parse_patch_target("mlp_out") == PatchTarget::mlp_out);
  CHECK_FALSE(parse_patch_target("mlp").has_value());
}

namespace {

std::size_t argmax(const std::vector<float>& row, std::size_t skip = SIZE_MAX) {
  std::size_t best = skip == 0 ? 1 : 0;
  for (std::size_t v = 0; v < row.size(); v++)
    if (v != skip && row[v] > row[best]) best = v;
  return best;
}

// The metric attnscope computes, on one row of transformers' last-position logits.
double metric_of_row(MetricKind kind, const float* row, std::size_t V, const Prompt& prompt) {
  Tensor logits = zeros({1, V});
  std::copy_n(row, V, logits.data());
  return evaluate(kind, logits, prompt);
}

}  // namespace

// models/fixtures/<family>/patching.safetensors (make_patching_fixtures.py): transformers with
// the same clean activations put into the corrupted run by PyTorch hooks on its own modules.
TEST_CASE("activation patching equals transformers' with the same tensors replaced") {
  for (const char* family : {"gpt2", "gpt_neox", "gpt_neox_sequential", "llama", "qwen2"}) {
    CAPTURE(std::string(family));
    const Model model = Model::load(fixture_source(family)).value();
    const SafetensorsFile ref = reference_outputs(family, "patching.safetensors");
    const std::size_t V = std::size_t(model.config().vocab_size);
    const std::vector<float> clean_row = reference_tensor(ref, "clean_last_logits");
    const std::vector<float> corrupted_row = reference_tensor(ref, "corrupted_last_logits");
    Prompt clean;
    clean.ids = reference_ids(ref, "clean_ids");
    const std::vector<int> corrupted = reference_ids(ref, "corrupted_ids");
    // Answer: the clean run's top token; distractor: the corrupted run's (or the clean run's
    // second when they agree), so the logit difference moves between the runs.
    const std::size_t answer = argmax(clean_row);
    std::size_t distractor = argmax(corrupted_row);
    if (distractor == answer) distractor = argmax(clean_row, answer);
    clean.answers = {int(answer)};
    clean.distractors = {int(distractor)};
    const auto T = clean.ids.size();

    struct Grid {
      PatchTarget target;
      const char* tensor;
    };
    for (const Grid g : {Grid{PatchTarget::resid_pre, "resid_pre_last_logits"},
                         Grid{PatchTarget::attn_out, "attn_out_last_logits"},
                         Grid{PatchTarget::mlp_out, "mlp_out_last_logits"},
                         Grid{PatchTarget::head_z, "head_z_last_logits"},
                         Grid{PatchTarget::head_z_position, "head_z_position_last_logits"}}) {
      const std::vector<float> rows = reference_tensor(ref, g.tensor);
      for (const MetricKind kind : {MetricKind::logit_diff, MetricKind::probability}) {
        CAPTURE(std::string(patch_target_name(g.target)));
        CAPTURE(std::string(metric_name(kind)));
        PatchingOptions o;
        o.target = g.target;
        o.metric = kind;
        o.head = {1, 2};  // the fixture's head_z_position head
        const PatchingResult r = activation_patching(model, clean, corrupted, o).value();
        const double clean_ref = metric_of_row(kind, clean_row.data(), V, clean);
        const double corrupted_ref = metric_of_row(kind, corrupted_row.data(), V, clean);
        CHECK(r.clean == doctest::Approx(clean_ref).epsilon(1e-4));
        CHECK(r.corrupted == doctest::Approx(corrupted_ref).epsilon(1e-4));
        REQUIRE(r.patched.size() * V == rows.size());
        if (g.target == PatchTarget::head_z_position) REQUIRE(r.patched.shape(1) == T);
        for (std::size_t cell = 0; cell < r.patched.size(); cell++) {
          CAPTURE(cell);
          const double want = metric_of_row(kind, rows.data() + cell * V, V, clean);
          CHECK(r.patched.data()[cell] == doctest::Approx(want).epsilon(1e-4));
          CHECK(
              r.normalised.data()[cell] ==
              doctest::Approx((want - corrupted_ref) / (clean_ref - corrupted_ref)).epsilon(1e-4));
        }
      }
    }
  }
}
