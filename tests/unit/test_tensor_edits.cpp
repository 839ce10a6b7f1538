// test_tensor_edits.cpp — declarative edits give what the same edit written as a callback gives,
// on every backend under test, and a region past the tensor is one clear error.
#include <doctest/doctest.h>

#include <cstring>

#include "core/model/model.h"
#include "tests/unit/device_like_backend.h"
#include "tests/unit/fixtures.h"

using namespace attnscope;
using namespace attnscope::test;

namespace {

Model fixture_model(const std::string& name, Backend& backend) {
  MemorySource files = fixture_source(name);
  auto model = Model::load(files, backend);
  REQUIRE(model.ok());
  return std::move(model).value();
}

// The same intervention twice: as a TensorEdit, and as a callback doing it by hand.
struct EditCase {
  const char* name;
  HookId id;
  TensorEdit edit;
  HookEdit by_hand;
};

std::vector<EditCase> edit_cases(const ModelConfig& c, int T) {
  const int H = c.n_heads, D = c.d_head, C = c.d_model;
  const std::size_t row = std::size_t(H) * D;
  auto source = std::make_shared<Tensor>(zeros({std::size_t(T), row}));
  for (std::size_t i = 0; i < source->size(); i++) source->data()[i] = 0.01f * float(i % 97) - 0.3f;
  std::vector<EditCase> cases;
  cases.push_back(
      {"zero head 1 of z", {HookPoint::attn_z, 1}, head_fill(T, H, D, 1, 0.0f), [=](Tensor& z) {
         for (int t = 0; t < T; t++) std::fill_n(z.data() + t * row + D, D, 0.0f);
       }});
  cases.push_back({"scale head 0 of v",
                   {HookPoint::attn_v, 0},
                   head_scale(T, c.n_kv_heads, D, 0, 2.5f),
                   [=](Tensor& v) {
                     const std::size_t kv_row = std::size_t(c.n_kv_heads) * D;
                     for (int t = 0; t < T; t++)
                       for (int d = 0; d < D; d++) v.data()[t * kv_row + d] *= 2.5f;
                   }});
  cases.push_back({"replace head 2 of z by a source, position by position",
                   {HookPoint::attn_z, 0},
                   head_copy(T, H, D, 2, source, 2 * std::size_t(D), row),
                   [=](Tensor& z) {
                     for (int t = 0; t < T; t++)
                       std::memcpy(z.data() + t * row + 2 * D, source->data() + t * row + 2 * D,
                                   D * sizeof(float));
                   }});
  cases.push_back({"mean-ablate head 0 of z (one row for every position)",
                   {HookPoint::attn_z, 1},
                   head_copy(T, H, D, 0, source, 5, 0),
                   [=](Tensor& z) {
                     for (int t = 0; t < T; t++)
                       std::memcpy(z.data() + t * row, source->data() + 5, D * sizeof(float));
                   }});
  cases.push_back(
      {"set position 3 of the residual stream",
       {HookPoint::resid_pre, 1},
       position_copy(C, 3, source, 7),
       [=](Tensor& r) { std::memcpy(r.data() + 3 * C, source->data() + 7, C * sizeof(float)); }});
  cases.push_back({"halve every head's attention to key 0",
                   {HookPoint::attn_pattern, 0},
                   key_scale(T, H, -1, 0, 0.5f),
                   [=](Tensor& p) {
                     for (int r = 0; r < H * T; r++) p.data()[std::size_t(r) * T] *= 0.5f;
                   }});
  cases.push_back({"no attention from head 1 to key 2",
                   {HookPoint::attn_pattern, 1},
                   key_scale(T, H, 1, 2, 0.0f),
                   [=](Tensor& p) {
                     for (int q = 0; q < T; q++) p.data()[(std::size_t(T) + q) * T + 2] = 0.0f;
                   }});
  return cases;
}

}  // namespace

TEST_CASE("declarative edits match their callbacks on every backend") {
  for (const char* family : {"gpt2", "llama"}) {
    const Model base = fixture_model(family, default_backend());
    const std::vector<int> ids = {5, 17, 3, 99, 42, 7, 11, 60};
    const int T = int(ids.size());
    for (const EditCase& e : edit_cases(base.config(), T)) {
      HookPlan by_hand;
      by_hand.edit(e.id, e.by_hand);
      const auto expected = base.forward(ids, by_hand);
      REQUIRE(expected.ok());
      const auto clean = base.forward(ids);
      REQUIRE(clean.ok());
      CHECK(!std::equal(clean->begin(), clean->end(), expected->begin()));  // the edit matters
      for (Backend* backend : backends_under_test()) {
        CAPTURE(family);
        CAPTURE(e.name);
        CAPTURE(backend->name());
        const Model model = base.bound_to(*backend);
        HookPlan plan;
        plan.edit(e.id, e.edit);
        plan.capture(hook_name(e.id));
        Cache cache;
        const auto got = model.forward(ids, plan, &cache);
        REQUIRE(got.ok());
        double worst = 0;
        for (std::size_t i = 0; i < got->size(); i++)
          worst = std::max(worst, double(std::fabs(got->data()[i] - expected->data()[i])));
        CHECK(worst <= 2e-5);
        REQUIRE(cache.find(e.id) != nullptr);  // the capture sees the edited tensor
      }
    }
  }
}

TEST_CASE("an edit whose region leaves the tensor is one clear error") {
  const Model model = fixture_model("gpt2", default_backend());
  const ModelConfig& c = model.config();
  HookPlan plan;
  // Planned for 20 tokens, run on 4.
  plan.edit({HookPoint::attn_z, 0}, head_fill(20, c.n_heads, c.d_head, 0, 0.0f));
  const auto r = model.forward(std::vector<int>{1, 2, 3, 4}, plan);
  REQUIRE(!r.ok());
  CHECK(r.error().message.find("the edit at blocks.0.attn.hook_z") != std::string::npos);
  CHECK(r.error().message.find("reaches past its [4, ") != std::string::npos);
  HookPlan short_source;
  auto tiny = std::make_shared<Tensor>(zeros({3}));
  short_source.edit({HookPoint::resid_pre, 0}, position_copy(c.d_model, 0, tiny, 0));
  const auto s = model.forward(std::vector<int>{1, 2}, short_source);
  REQUIRE(!s.ok());
  CHECK(s.error().message.find("reads past its source values") != std::string::npos);
}
