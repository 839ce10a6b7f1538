// test_model_parity.cpp — attnscope's forward pass against transformers (eager attention), for
// every family and sequence length of the committed fixtures: logits, attention patterns, hidden
// states, and last-position logits with each head zero-ablated through hook_z.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include "core/model/model.h"
#include "core/ops/amx_gemm.h"
#include "core/ops/matmul_precision.h"
#include "tests/unit/device_like_backend.h"
#include "tests/unit/fixtures.h"

using namespace attnscope;
using namespace attnscope::test;

namespace {

constexpr double kTolerance = 1e-4;  // the bar: max abs diff / max |reference|
const int kLengths[] = {1, 7, 32, 128};

Model load_fixture_model(const std::string& name) {
  MemorySource files = fixture_source(name);
  auto model = Model::load(files);
  REQUIRE_MESSAGE(model.ok(), name << ": " << (model.ok() ? "" : model.error().to_string()));
  return std::move(model).value();
}

struct Worst {
  double logits = 0, pattern = 0, hidden = 0, ablated = 0;
};

// One family on one backend. Ablation runs both ways: even heads through a callback edit (the
// tensor visits the host), odd heads through a declarative edit (a backend op where z lives).
void check_family(const std::string& name, Backend& backend = default_backend()) {
  CAPTURE(backend.name());
  const Model model = load_fixture_model(name).bound_to(backend);
  const SafetensorsFile ref = reference_outputs(name);
  const ModelConfig& c = model.config();
  Worst worst;
  for (int n : kLengths) {
    CAPTURE(name);
    CAPTURE(n);
    std::string p = "L";  // built by appends: GCC 12 warns falsely (-Wrestrict) on "L" + string
    p += std::to_string(n);
    p += '.';
    const std::vector<int> ids = reference_ids(ref, p + "input_ids");
    HookPlan plan;
    plan.capture("blocks.*.attn.hook_pattern");
    plan.capture("blocks.*.hook_resid_pre");
    plan.capture("ln_final.hook_normalized");
    Cache cache;
    auto logits = model.forward(ids, plan, &cache);
    REQUIRE(logits.ok());
    const auto ref_logits = reference_tensor(ref, p + "logits");
    REQUIRE(logits->size() == ref_logits.size());
    const double dl = relative_max_diff(logits->data(), ref_logits.data(), ref_logits.size());
    CHECK(dl <= kTolerance);
    worst.logits = std::max(worst.logits, dl);
    for (int l = 0; l < c.n_layers; l++) {
      const std::string block = "blocks." + std::to_string(l) + ".";
      const Tensor* pattern = cache.find(block + "attn.hook_pattern");
      REQUIRE(pattern != nullptr);
      const auto ref_pattern = reference_tensor(ref, p + block + "attn.hook_pattern");
      REQUIRE(pattern->size() == ref_pattern.size());
      const double dp = max_abs_diff(pattern->data(), ref_pattern.data(), ref_pattern.size());
      CHECK(dp <= kTolerance);
      worst.pattern = std::max(worst.pattern, dp);
      const Tensor* resid = cache.find(block + "hook_resid_pre");
      const auto ref_resid = reference_tensor(ref, p + block + "hook_resid_pre");
      const double dh = relative_max_diff(resid->data(), ref_resid.data(), ref_resid.size());
      CHECK(dh <= kTolerance);
      worst.hidden = std::max(worst.hidden, dh);
    }
    const auto ref_final = reference_tensor(ref, p + "ln_final.hook_normalized");
    const double df = relative_max_diff(cache.find("ln_final.hook_normalized")->data(),
                                        ref_final.data(), ref_final.size());
    CHECK(df <= kTolerance);
    worst.hidden = std::max(worst.hidden, df);

    if (!ref.find(p + "ablated_last_logits")) continue;
    const auto ref_ablated = reference_tensor(ref, p + "ablated_last_logits");
    const std::size_t V = c.vocab_size;
    for (int l = 0; l < c.n_layers; l++) {
      for (int h = 0; h < c.n_heads; h++) {
        HookPlan ablate;
        if (h % 2 == 0)
          ablate.edit({HookPoint::attn_z, l}, [h, &c](Tensor& z) {
            for (std::size_t t = 0; t < z.shape()[0]; t++)
              std::fill_n(z.data() + (t * c.n_heads + h) * c.d_head, c.d_head, 0.0f);
          });
        else
          ablate.edit({HookPoint::attn_z, l}, head_fill(n, c.n_heads, c.d_head, h, 0.0f));
        auto ablated = model.forward(ids, ablate);
        REQUIRE(ablated.ok());
        const float* last = ablated->data() + (ids.size() - 1) * V;
        const float* expected =
            ref_ablated.data() + (static_cast<std::size_t>(l) * c.n_heads + h) * V;
        const double da = relative_max_diff(last, expected, V);
        CHECK(da <= kTolerance);
        worst.ablated = std::max(worst.ablated, da);
      }
    }
  }
  MESSAGE(name << " on " << backend.name() << ": worst relative diff — logits " << worst.logits
               << ", patterns (abs) " << worst.pattern << ", hidden " << worst.hidden
               << ", ablated logits " << worst.ablated);
}

}  // namespace

TEST_CASE("parity with transformers: gpt2") {
  check_family("gpt2");
}
TEST_CASE("parity with transformers: gpt_neox (Pythia, parallel residual)") {
  check_family("gpt_neox");
}
TEST_CASE("parity with transformers: gpt_neox with sequential residual") {
  check_family("gpt_neox_sequential");
}
TEST_CASE("parity with transformers: llama (GQA, untied)") {
  check_family("llama");
}
TEST_CASE("parity with transformers: qwen2 (GQA, qkv bias, tied)") {
  check_family("qwen2");
}
TEST_CASE("parity with transformers: llama from a sharded checkpoint") {
  check_family("llama_sharded");
}
TEST_CASE("parity with transformers: F16 and BF16 checkpoints") {
  for (const char* name : {"gpt2_f16", "gpt2_bf16", "llama_f16", "llama_bf16"}) check_family(name);
}

// Matmul precision "high" on the AMX tiles (bf16x3, core/ops/amx_gemm.h), what a CPU with AMX
// runs with ATTNSCOPE_MATMUL_PRECISION=high: the emulated tile unit where the CPU has none, so that
// every machine checks the bound the split products are held to. The weights are split when the
// model is bound.
TEST_CASE("parity with transformers: F32 fixtures on the AMX tiles (bf16x3)") {
  struct Tiles {
    bool emulate = amx::mode() != amx::Mode::hardware;
    MatmulPrecision saved = matmul_precision();
    Tiles() {
      amx::force_emulation_for_tests(emulate);
      set_matmul_precision(MatmulPrecision::high);
    }
    ~Tiles() {
      amx::force_emulation_for_tests(false);
      set_matmul_precision(saved);
    }
  } tiles;
  MESSAGE("AMX tiles: " << std::string(tiles.emulate ? "emulated" : "the CPU's"));
  for (const char* name : {"gpt2", "gpt_neox", "llama", "qwen2"}) check_family(name);
}

// Every backend under test (the device-like ones: weights uploaded to memory the host cannot
// address, captures read back asynchronously, some ops declined to the CPU; WebGPU) on every
// engine fixture.
TEST_CASE("parity with transformers on every backend") {
  for (Backend* backend : test::backends_under_test()) {
    if (backend == &default_backend()) continue;  // the cases above
    for (const char* name : {"gpt2", "gpt2_f16", "gpt2_bf16", "gpt_neox", "gpt_neox_sequential",
                             "llama", "llama_f16", "llama_bf16", "llama_sharded", "qwen2"})
      check_family(name, *backend);
  }
  CHECK(test::device_like_declining_backend().declined() > 0);
  CHECK(test::device_like_backend().declined() == 0);
  // The device-like backends hold their own copy of the weights.
  CHECK(test::device_like_backend().allocated() >=
        parameter_bytes(load_fixture_model("gpt2").weights()));
}

TEST_CASE("F16 and BF16 weights agree with F32 within their precision") {
  struct Case {
    const char* f32;
    const char* low;
    double tolerance;  // relative to max |logit|: ~10x the format's unit roundoff
  };
  for (const Case& k : {Case{"gpt2", "gpt2_f16", 5e-3}, Case{"gpt2", "gpt2_bf16", 4e-2},
                        Case{"llama", "llama_f16", 5e-3}, Case{"llama", "llama_bf16", 4e-2}}) {
    CAPTURE(k.low);
    const Model full = load_fixture_model(k.f32);
    const Model low = load_fixture_model(k.low);
    const std::vector<int> ids = reference_ids(reference_outputs(k.f32), "L32.input_ids");
    auto a = full.forward(ids);
    auto b = low.forward(ids);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    const double d = relative_max_diff(b->data(), a->data(), a->size());
    MESSAGE(std::string(k.low) << " vs " << std::string(k.f32) << ": relative logit diff " << d);
    CHECK(d <= k.tolerance);
    CHECK(d > 0.0);  // the low-precision copy really is different
  }
}

TEST_CASE("F16 and BF16 checkpoints keep their matrices 16-bit (half the memory of F32)") {
  const Model full = load_fixture_model("gpt2");
  const std::size_t full_bytes = parameter_bytes(full.weights());
  CHECK(full.weights().layers[0].wq.type() == WeightType::f32);
  for (const char* name : {"gpt2_f16", "gpt2_bf16", "llama_f16", "llama_bf16"}) {
    CAPTURE(name);
    const Model low = load_fixture_model(name);
    const WeightType expected =
        std::string(name).ends_with("bf16") ? WeightType::bf16 : WeightType::f16;
    const LayerWeights& L = low.weights().layers[0];
    for (const Matrix* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_up, &L.w_down})
      CHECK(m->type() == expected);
    CHECK(low.weights().token_embed.type() == expected);
    if (std::string(name).starts_with("gpt2")) {
      // Norms and biases stay float32: a little over half.
      const double share = double(parameter_bytes(low.weights())) / double(full_bytes);
      CHECK(share > 0.5);
      CHECK(share < 0.55);
    }
  }
}
