// test_hooks.cpp — hook names, globs, capture and interventions.
#include <doctest/doctest.h>

#include "core/model/model.h"
#include "tests/unit/device_like_backend.h"
#include "tests/unit/fixtures.h"

using namespace attnscope;
using namespace attnscope::test;

TEST_CASE("hook names are TransformerLens's and round-trip") {
  CHECK(hook_name({HookPoint::attn_pattern, 3}) == "blocks.3.attn.hook_pattern");
  CHECK(hook_name({HookPoint::attn_z, 0}) == "blocks.0.attn.hook_z");
  CHECK(hook_name({HookPoint::resid_post, 11}) == "blocks.11.hook_resid_post");
  CHECK(hook_name({HookPoint::ln_final}) == "ln_final.hook_normalized");
  CHECK(hook_name({HookPoint::embed}) == "hook_embed");
  for (const HookId& id : all_hooks(4)) {
    const auto parsed = parse_hook_name(hook_name(id));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == id);
  }
  CHECK_FALSE(parse_hook_name("blocks.x.attn.hook_z").has_value());
  CHECK_FALSE(parse_hook_name("blocks.1.hook_embed").has_value());
  CHECK_FALSE(parse_hook_name("hook_resid_pre").has_value());
}

TEST_CASE("glob matching") {
  CHECK(glob_match("blocks.*.attn.hook_pattern", "blocks.10.attn.hook_pattern"));
  CHECK_FALSE(glob_match("blocks.*.attn.hook_pattern", "blocks.1.attn.hook_z"));
  CHECK(glob_match("*", "logits"));
  CHECK(glob_match("blocks.?.hook_resid_*", "blocks.2.hook_resid_post"));
  CHECK_FALSE(glob_match("blocks.?.hook_resid_*", "blocks.12.hook_resid_post"));
  CHECK(glob_match("*hook_z", "blocks.0.attn.hook_z"));
}

TEST_CASE("a plan resolves to the same answers as its globs and edits, one bit per hook") {
  HookPlan plan;
  plan.capture_list("blocks.1.attn.hook_*, logits");
  plan.edit({HookPoint::attn_z, 2}, [](Tensor&) {});
  const HookSet set = plan.resolve(3);
  CHECK_FALSE(set.empty());
  for (const HookId& id : all_hooks(3)) {
    CAPTURE(hook_name(id));
    CHECK(set.captures(id) == plan.captures(id));
    CHECK(set.edits(id) == plan.edits(id));
  }
  CHECK(set.captures({HookPoint::attn_pattern, 1}));
  CHECK_FALSE(set.captures({HookPoint::attn_pattern, 2}));
  CHECK(set.edits({HookPoint::attn_z, 2}));
  CHECK_FALSE(set.wants({HookPoint::attn_z, 7}));  // past the model: never
  CHECK(HookPlan().resolve(3).empty());
}

TEST_CASE("fused attention (no score hooks) and the separate ops give the same forward pass") {
  for (const char* family : {"gpt2", "llama"}) {
    CAPTURE(family);
    const Model model = Model::load(fixture_source(family)).value();
    std::vector<int> ids;  // 70 tokens: more than one key tile of the fused kernel
    for (int i = 0; i < 70; i++) ids.push_back((i * 37 + 5) % model.config().vocab_size);
    HookPlan fused, separate, result;
    fused.capture("blocks.*.attn.hook_pattern");
    separate.capture("blocks.*.attn.hook_pattern");
    separate.capture("blocks.*.attn.hook_attn_scores");
    Cache a, b;
    const Tensor la = model.forward(ids, fused, &a).value();
    const Tensor lb = model.forward(ids, separate, &b).value();
    const Tensor plain = model.forward(ids).value();
    CHECK(xt::amax(xt::abs(la - lb))() < 1e-4f);
    CHECK(xt::amax(xt::abs(la - plain))() == 0.0f);  // the pattern output does not change z
    // hook_result: per-head products over W_O's columns, summed, give the same pass to rounding.
    result.capture("blocks.*.attn.hook_result");
    Cache r;
    const Tensor lr = model.forward(ids, result, &r).value();
    CHECK(xt::amax(xt::abs(lr - plain))() < 1e-4f);
    for (int l = 0; l < model.config().n_layers; l++)
      CHECK(xt::amax(xt::abs(*a.find({HookPoint::attn_pattern, l}) -
                             *b.find({HookPoint::attn_pattern, l})))() < 1e-5f);
  }
}

TEST_CASE("capture: nothing by default, exactly what the globs name otherwise") {
  const Model model = Model::load(fixture_source("gpt2")).value();
  const std::vector<int> ids = {5, 17, 42, 99};
  Cache cache;
  REQUIRE(model.forward(ids, {}, &cache).ok());
  CHECK(cache.entries().empty());
  HookPlan all;
  all.capture("*");
  REQUIRE(model.forward(ids, all, &cache).ok());
  // GPT-2 has no rotary and no resid_mid hooks in parallel form; count what the forward visits.
  CHECK(cache.find("blocks.2.attn.hook_result") != nullptr);
  CHECK(cache.find("blocks.0.attn.hook_rot_q") == nullptr);
  CHECK(shape_of(*cache.find("blocks.1.attn.hook_pattern")) == Shape{4, 4, 4});
  CHECK(shape_of(*cache.find("blocks.1.attn.hook_z")) == Shape{4, 4, 16});
  CHECK(shape_of(*cache.find("blocks.1.attn.hook_result")) == Shape{4, 4, 64});
  CHECK(shape_of(*cache.find("logits")) == Shape{4, 512});
}

TEST_CASE(
    "hook_result: heads sum to hook_attn_out, and ablating a head's result equals ablating its z") {
  const Model model = Model::load(fixture_source("llama")).value();
  const ModelConfig& c = model.config();
  const std::vector<int> ids = {3, 1, 4, 1, 5, 9, 2, 6};
  HookPlan plan;
  plan.capture("blocks.1.attn.hook_result");
  plan.capture("blocks.1.hook_attn_out");
  Cache cache;
  REQUIRE(model.forward(ids, plan, &cache).ok());
  const Tensor& result = *cache.find("blocks.1.attn.hook_result");
  const Tensor& out = *cache.find("blocks.1.hook_attn_out");
  for (std::size_t t = 0; t < ids.size(); t++)
    for (int d = 0; d < c.d_model; d++) {
      float sum = 0;
      for (int h = 0; h < c.n_heads; h++) sum += result(t, h, d);
      CHECK(out(t, d) == doctest::Approx(sum).epsilon(1e-5));
    }
  HookPlan zero_z, zero_result;
  zero_z.edit({HookPoint::attn_z, 1}, [&](Tensor& z) {
    for (std::size_t t = 0; t < ids.size(); t++) std::fill_n(&z(t, 2, 0), c.d_head, 0.0f);
  });
  zero_result.edit({HookPoint::attn_result, 1}, [&](Tensor& r) {
    for (std::size_t t = 0; t < ids.size(); t++) std::fill_n(&r(t, 2, 0), c.d_model, 0.0f);
  });
  auto a = model.forward(ids, zero_z);
  auto b = model.forward(ids, zero_result);
  auto base = model.forward(ids);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(max_abs_diff(a->data(), b->data(), a->size()) < 1e-4);
  CHECK(max_abs_diff(a->data(), base->data(), a->size()) > 1e-3);  // the head mattered
}

TEST_CASE("captures stay in a device backend's memory until asked for; forward_into keeps logits") {
  const Model reference = Model::load(fixture_source("gpt2")).value();
  const std::vector<int> ids = {5, 17, 42, 99, 3, 250, 7};
  HookPlan plan;
  plan.capture("blocks.*.attn.hook_pattern");
  plan.capture("blocks.1.hook_resid_post");
  Cache expected;
  const Tensor logits = reference.forward(ids, plan, &expected).value();
  for (Backend* backend : test::backends_under_test()) {
    CAPTURE(backend->name());
    const Model model = reference.bound_to(*backend);
    Cache cache;
    REQUIRE(model.forward_into(ids, plan, cache).ok());
    REQUIRE(cache.entries().size() == expected.entries().size() + 1);
    const Cache::Entry& last = cache.entries().back();
    CHECK(last.name == "logits");
    CHECK(last.shape() == shape_of(logits));
    // Where the backend computes in its own memory, nothing has come back yet.
    const bool device = !backend->host_memory();
    for (const Cache::Entry& e : cache.entries()) CHECK(e.resident() == device);
    CHECK(cache.resident_bytes() == (device ? cache.bytes() : 0));
    // Asking for one entry brings back that one only, with the values the CPU computed.
    const Tensor& pattern = *cache.find("blocks.1.attn.hook_pattern");
    CHECK(xt::amax(xt::abs(pattern - *expected.find("blocks.1.attn.hook_pattern")))() < 1e-5f);
    CHECK_FALSE(cache.entries()[1].resident());
    CHECK(cache.entries()[0].resident() == device);
    CHECK(xt::amax(xt::abs(last.tensor() - logits))() < 1e-4f);
    for (const Cache::Entry& e : expected.entries())
      CHECK(xt::amax(xt::abs(*cache.find(e.id) - e.tensor()))() < 1e-4f);
    CHECK(cache.resident_bytes() == 0);
    // A copy of the cache shares what was read back.
    const Cache copy = cache;
    CHECK(&copy.entries()[0].tensor() == &cache.entries()[0].tensor());
    // to_host brings every entry back in one batch, with the same values.
    Cache batch;
    REQUIRE(model.forward_into(ids, plan, batch).ok());
    batch.to_host();
    CHECK(batch.resident_bytes() == 0);
    for (std::size_t i = 0; i < batch.entries().size(); i++)
      CHECK(xt::amax(xt::abs(batch.entries()[i].tensor() - cache.entries()[i].tensor()))() == 0.0f);
  }
}
