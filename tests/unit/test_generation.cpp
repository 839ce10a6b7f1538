// test_generation.cpp — generation with the key/value cache equals generation without it, token
// for token and logits within 1e-4, on every family's fixture and the bundled models, on every
// backend under test; seeded sampling is reproducible; the cache's step equals the full pass
// (chunked prompts, hooks at the step's positions); the sampler on hand-made logits; errors.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "core/analysis/generation.h"
#include "core/io/memory_budget.h"
#include "core/seeded_draw.h"
#include "tests/unit/device_like_backend.h"
#include "tests/unit/fixtures.h"

using namespace attnscope;
using namespace attnscope::test;

namespace {

constexpr double kTolerance = 1e-4;  // relative to the step's max |logit|

const char* const kFixtures[] = {
    "gpt2",  "gpt2_f16",  "gpt2_bf16",  "gpt_neox",      "gpt_neox_sequential",
    "llama", "llama_f16", "llama_bf16", "llama_sharded", "qwen2"};

Model load_fixture(const std::string& name) {
  auto model = Model::load(fixture_source(name));
  REQUIRE_MESSAGE(model.ok(), name << ": " << (model.ok() ? "" : model.error().to_string()));
  return std::move(model).value();
}

Model load_bundled(const std::string& name) {
  const std::string dir = std::string(ATTNSCOPE_SOURCE_DIR) + "/models/" + name;
  MemorySource source(dir);
  for (const char* file : {"config.json", "model.safetensors", "tokenizer.json"})
    source.add(file, read_file_bytes(dir + "/" + file));
  auto model = Model::load(source);
  REQUIRE_MESSAGE(model.ok(), name << ": " << (model.ok() ? "" : model.error().to_string()));
  return std::move(model).value();
}

std::vector<int> fixture_prompt(const std::string& name) {
  return reference_ids(reference_outputs(name), "L7.input_ids");
}

Generator started(const Model& model, const std::vector<int>& prompt, GenerationOptions o) {
  auto g = Generator::start(model, prompt, o);
  REQUIRE_MESSAGE(g.ok(), (g.ok() ? "" : g.error().to_string()));
  return std::move(g).value();
}

// Runs a cached and an uncached generator side by side: the same token at every step, and each
// step's cached logits within the tolerance of the full pass's last position. Returns the worst
// relative difference.
double check_cache_equals_full(const Model& model, const std::vector<int>& prompt,
                               GenerationOptions o) {
  o.use_cache = true;
  Generator cached = started(model, prompt, o);
  o.use_cache = false;
  Generator full = started(model, prompt, o);
  REQUIRE(cached.kv_cache() != nullptr);
  REQUIRE(full.kv_cache() == nullptr);
  double worst = 0;
  int steps = 0;
  while (!full.done()) {
    CAPTURE(steps);
    REQUIRE(!cached.done());
    auto a = cached.step();
    auto b = full.step();
    REQUIRE_MESSAGE(a.ok(), (a.ok() ? "" : a.error().to_string()));
    REQUIRE_MESSAGE(b.ok(), (b.ok() ? "" : b.error().to_string()));
    CHECK(a->id == b->id);
    CHECK(std::fabs(a->probability - b->probability) <= 1e-4);
    const auto la = cached.last_logits(), lb = full.last_logits();
    REQUIRE(la.size() == lb.size());
    const double d = relative_max_diff(la.data(), lb.data(), la.size());
    CHECK(d <= kTolerance);
    worst = std::max(worst, d);
    steps++;
  }
  CHECK(cached.done());
  CHECK(cached.sequence() == full.sequence());
  CHECK(cached.stop_reason() == full.stop_reason());
  CHECK(cached.kv_cache()->length() == int(cached.sequence().size()) - 1);
  return worst;
}

}  // namespace

TEST_CASE("cached greedy generation equals uncached on every fixture and backend") {
  GenerationOptions o;
  o.max_new_tokens = 12;
  for (Backend* backend : backends_under_test()) {
    CAPTURE(backend->name());
    for (const std::string name : kFixtures) {
      CAPTURE(name);
      const Model model = load_fixture(name).bound_to(*backend);
      const double worst = check_cache_equals_full(model, fixture_prompt(name), o);
      MESSAGE(name << " on " << backend->name() << ": worst relative logit diff " << worst);
    }
  }
}

TEST_CASE("cached greedy generation equals uncached on the bundled models, every backend") {
  GenerationOptions o;
  o.max_new_tokens = 6;           // WebGPU on SwiftShader takes ~10 s a model at this length
  o.stop_at_end_of_text = false;  // every step compared, even after the model's end of text
  for (const std::string name : {"attnscope-kjv", "attnscope-tasks"}) {
    const Model loaded = load_bundled(name);
    auto prompt = loaded.tokenize("The cat sat on the mat. The cat");
    REQUIRE(prompt.ok());
    for (Backend* backend : backends_under_test()) {
      CAPTURE(name);
      CAPTURE(backend->name());
      check_cache_equals_full(loaded.bound_to(*backend), *prompt, o);
    }
  }
}

TEST_CASE("seeded sampling: reproducible, the same with and without the cache") {
  GenerationOptions o;
  o.max_new_tokens = 16;
  o.sampling = {1.5f, 40, 0.95f, 7};
  for (const std::string name : {"gpt2", "gpt_neox", "llama", "qwen2"}) {
    CAPTURE(name);
    const Model model = load_fixture(name);
    const std::vector<int> prompt = fixture_prompt(name);
    check_cache_equals_full(model, prompt, o);
    auto first = generate(model, prompt, o);
    auto again = generate(model, prompt, o);
    REQUIRE(first.ok());
    REQUIRE(again.ok());
    CHECK(first->sequence == again->sequence);
    // Another seed draws another continuation (16 draws at a high temperature from a random
    // model's flat distribution: all four equal would mean the seed is ignored).
    int differ = 0;
    for (std::uint64_t seed : {1, 2, 3, 4}) {
      GenerationOptions other = o;
      other.sampling.seed = seed;
      auto g = generate(model, prompt, other);
      REQUIRE(g.ok());
      differ += g->sequence != first->sequence;
    }
    CHECK(differ >= 3);
    // A sample is not simply the greedy continuation.
    GenerationOptions greedy = o;
    greedy.sampling = {};
    auto g = generate(model, prompt, greedy);
    REQUIRE(g.ok());
    CHECK(g->sequence != first->sequence);
  }
}

TEST_CASE("top-k 1, and a nucleus of one token, equal greedy") {
  GenerationOptions greedy;
  greedy.max_new_tokens = 10;
  for (const std::string name : {"gpt2", "llama"}) {
    CAPTURE(name);
    const Model model = load_fixture(name);
    const std::vector<int> prompt = fixture_prompt(name);
    auto expected = generate(model, prompt, greedy);
    REQUIRE(expected.ok());
    GenerationOptions top1 = greedy;
    top1.sampling = {2.0f, 1, 1.0f, 99};
    auto a = generate(model, prompt, top1);
    REQUIRE(a.ok());
    CHECK(a->sequence == expected->sequence);
    GenerationOptions nucleus = greedy;
    nucleus.sampling = {2.0f, 0, 1e-6f, 5};
    auto b = generate(model, prompt, nucleus);
    REQUIRE(b.ok());
    CHECK(b->sequence == expected->sequence);
    // Each generated token's probability is the model's at temperature 1.
    for (std::size_t i = 0; i < expected->tokens.size(); i++) {
      auto logits = model.forward(std::span(expected->sequence).first(prompt.size() + i));
      REQUIRE(logits.ok());
      const std::size_t V = logits->shape()[1];
      const float* last = logits->data() + (logits->shape()[0] - 1) * V;
      double z = 0;
      for (std::size_t v = 0; v < V; v++) z += std::exp(double(last[v]) - last[0]);
      const double p = std::exp(double(last[expected->tokens[i].id]) - last[0]) / z;
      CHECK(expected->tokens[i].probability == doctest::Approx(p).epsilon(1e-4));
    }
  }
}

TEST_CASE("forward_step: a prompt in chunks equals the full pass, hooks see the step") {
  for (const std::string name : {"gpt2", "gpt_neox", "llama", "qwen2"}) {
    CAPTURE(name);
    const Model model = load_fixture(name);
    const ModelConfig& c = model.config();
    const std::vector<int> ids =
        reference_ids(reference_outputs(name), "L32.input_ids");  // 32 tokens
    HookPlan plan;
    plan.capture("blocks.*.attn.hook_pattern");
    plan.capture("blocks.*.attn.hook_k");  // written into the cache's rows of the step
    plan.capture("blocks.*.hook_resid_post");
    Cache full_cache;
    auto full = model.forward(ids, plan, &full_cache);
    REQUIRE(full.ok());
    auto kv = KvCache::create(model, 32);
    REQUIRE(kv.ok());
    const std::size_t V = c.vocab_size, S = ids.size();
    std::size_t begin = 0;
    for (std::size_t chunk : {10, 1, 21}) {
      CAPTURE(begin);
      Cache step_cache;
      auto logits =
          model.forward_step(std::span(ids).subspan(begin, chunk), *kv, plan, &step_cache);
      REQUIRE(logits.ok());
      CHECK(kv->length() == int(begin + chunk));
      REQUIRE(logits->shape()[0] == chunk);
      CHECK(relative_max_diff(logits->data(), full->data() + begin * V, chunk * V) <= kTolerance);
      // hook_pattern [H, chunk, begin + chunk]: the full pattern's rows of these queries.
      const std::size_t keys = begin + chunk;
      for (int l = 0; l < c.n_layers; l++) {
        const std::string hook = "blocks." + std::to_string(l) + ".attn.hook_pattern";
        const Tensor* step = step_cache.find(hook);
        const Tensor* whole = full_cache.find(hook);
        REQUIRE(step != nullptr);
        REQUIRE(step->shape() == std::vector<std::size_t>{std::size_t(c.n_heads), chunk, keys});
        double worst = 0;
        for (int h = 0; h < c.n_heads; h++)
          for (std::size_t i = 0; i < chunk; i++)
            for (std::size_t j = 0; j < keys; j++)
              worst =
                  std::max(worst, double(std::fabs((*step)(h, i, j) - (*whole)(h, begin + i, j))));
        CHECK(worst <= kTolerance);
        // [T, ...] hooks hold the step's positions: the full pass's rows begin..begin+chunk.
        for (const std::string other : {".attn.hook_k", ".hook_resid_post"}) {
          const std::string name_l = "blocks." + std::to_string(l) + other;
          const Tensor* s = step_cache.find(name_l);
          const Tensor* f = full_cache.find(name_l);
          REQUIRE(s != nullptr);
          REQUIRE(s->shape()[0] == chunk);
          const std::size_t row = s->size() / chunk;
          CHECK(relative_max_diff(s->data(), f->data() + begin * row, s->size()) <= kTolerance);
        }
      }
      begin += chunk;
    }
    CHECK(begin == S);
    // Full: one more step is refused, naming the capacity.
    auto over = model.forward_step(std::span(ids).first(1), *kv);
    REQUIRE(!over.ok());
    CHECK(over.error().message ==
          "this step reaches position 33, past the key/value cache's 32 "
          "positions");
    // clear() starts a new sequence in the same memory.
    kv->clear();
    auto again = model.forward_step(ids, *kv, {}, nullptr, true);
    REQUIRE(again.ok());
    CHECK(relative_max_diff(again->data(), full->data() + (S - 1) * V, V) <= kTolerance);
  }
}

TEST_CASE("forward_step refuses score hooks after the first step, and a foreign cache") {
  const Model gpt2 = load_fixture("gpt2");
  const Model llama = load_fixture("llama");
  const std::vector<int> ids = {3, 14, 15, 92};
  auto kv = KvCache::create(gpt2, 8);
  REQUIRE(kv.ok());
  HookPlan scores;
  scores.capture("blocks.0.attn.hook_attn_scores");
  Cache cache;
  // The first step is a whole sequence: the separate attention ops run, the hook fires.
  REQUIRE(gpt2.forward_step(ids, *kv, scores, &cache).ok());
  CHECK(cache.find("blocks.0.attn.hook_attn_scores") != nullptr);
  auto refused = gpt2.forward_step(std::span(ids).first(1), *kv, scores, &cache);
  REQUIRE(!refused.ok());
  CHECK(refused.error().message.find("blocks.0.attn.hook_attn_scores") != std::string::npos);
  CHECK(kv->length() == 4);  // a refused step leaves the cache as it was
  HookPlan pattern_edit;
  pattern_edit.edit({HookPoint::attn_pattern, 2}, [](Tensor& p) { p *= 0.5f; });
  auto refused_edit = gpt2.forward_step(std::span(ids).first(1), *kv, pattern_edit);
  REQUIRE(!refused_edit.ok());
  CHECK(refused_edit.error().to_string() ==
        "a cached generation step cannot run blocks.2.attn.hook_pattern (hooks on the scores and "
        "pattern edits need the whole sequence) (run them on a full forward pass of the sequence)");
  // Capturing the pattern is fine: the fused op writes it ([H, 1, 5] here).
  HookPlan pattern_capture;
  pattern_capture.capture("blocks.2.attn.hook_pattern");
  Cache step_cache;
  REQUIRE(gpt2.forward_step(std::span(ids).first(1), *kv, pattern_capture, &step_cache).ok());
  CHECK(step_cache.find("blocks.2.attn.hook_pattern")->shape() ==
        std::vector<std::size_t>{4, 1, 5});
  auto foreign = llama.forward_step(ids, *kv);
  REQUIRE(!foreign.ok());
  CHECK(foreign.error().message == "this key/value cache was made for another model or backend");
  auto other_backend = gpt2.bound_to(device_like_backend()).forward_step(ids, *kv);
  CHECK(!other_backend.ok());
}

TEST_CASE("generation stops at the end-of-text token") {
  const Model model = load_fixture("gpt2");
  // config.json's eos 50256 is past the fixture's 512 tokens: the tokenizer's <|endoftext|>, 0.
  CHECK(end_of_text_id(model) == 0);
  CHECK(!end_of_text_id(load_fixture("qwen2")).has_value());  // eos null, no tokenizer
  const std::vector<int> prompt = fixture_prompt("gpt2");
  GenerationOptions o;
  o.max_new_tokens = 8;
  auto plain = generate(model, prompt, o);
  REQUIRE(plain.ok());
  CHECK(plain->stop == StopReason::token_count);
  CHECK(plain->tokens.size() == 8);
  // The same weights with the third greedy token declared end-of-text: three tokens, then stop.
  ModelConfig config = model.config();
  config.eos_token_id = plain->tokens[2].id;
  const Model eos_model = Model::from_parts(config, model.weights());
  REQUIRE(end_of_text_id(eos_model) == plain->tokens[2].id);
  auto stopped = generate(eos_model, prompt, o);
  REQUIRE(stopped.ok());
  CHECK(stopped->stop == StopReason::end_of_text);
  // (the first two tokens may be the same id: the first occurrence stops)
  std::size_t first = 0;
  while (plain->tokens[first].id != plain->tokens[2].id) first++;
  CHECK(stopped->tokens.size() == first + 1);
  o.stop_at_end_of_text = false;
  auto on = generate(eos_model, prompt, o);
  REQUIRE(on.ok());
  CHECK(on->sequence == plain->sequence);
  // A stopped generator refuses another step.
  Generator g = started(eos_model, prompt, GenerationOptions{8, {}, true, true});
  while (!g.done()) REQUIRE(g.step().ok());
  auto more = g.step();
  REQUIRE(!more.ok());
  CHECK(more.error().message == "the generation has stopped (end of text)");
}

TEST_CASE("sample_token on hand-made logits") {
  std::mt19937_64 rng(1);
  // Greedy: the largest, the lowest id on ties; no draw used.
  const std::vector<float> tie = {1.0f, 3.0f, 3.0f, -2.0f};
  std::mt19937_64 untouched(1);
  CHECK(sample_token(tie, {}, rng) == 1);
  CHECK(rng() == untouched());
  // Temperature 1: frequencies follow the softmax, within 4 standard errors of 20,000 draws.
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  auto frequencies = [&](const SamplingOptions& o) {
    std::vector<double> f(3);
    std::mt19937_64 r(o.seed);
    for (int i = 0; i < 20000; i++) f[std::size_t(sample_token(logits, o, r))] += 1.0 / 20000;
    return f;
  };
  const double se = 4 * std::sqrt(0.25 / 20000);
  const auto all = frequencies({1.0f, 0, 1.0f, 3});
  CHECK(std::fabs(all[0] - 0.5) < se);
  CHECK(std::fabs(all[1] - 0.3) < se);
  CHECK(std::fabs(all[2] - 0.2) < se);
  // Top-k 2: 0.5 and 0.3 renormalized; the third never drawn.
  const auto top2 = frequencies({1.0f, 2, 1.0f, 4});
  CHECK(top2[2] == 0.0);
  CHECK(std::fabs(top2[0] - 0.625) < se);
  // Top-p 0.6: the nucleus is {0.5, 0.3} (0.5 alone is short of 0.6).
  const auto nucleus = frequencies({1.0f, 0, 0.6f, 5});
  CHECK(nucleus[2] == 0.0);
  CHECK(std::fabs(nucleus[1] - 0.375) < se);
  // Temperature 0.25 sharpens: p ∝ p^4 (0.0625, 0.0081, 0.0016 → 0.86, 0.11, 0.02).
  const auto sharp = frequencies({0.25f, 0, 1.0f, 6});
  const double z = std::pow(0.5, 4) + std::pow(0.3, 4) + std::pow(0.2, 4);
  CHECK(std::fabs(sharp[0] - std::pow(0.5, 4) / z) < se);
  // seeded_uniform: in [0, 1).
  std::mt19937_64 u(9);
  for (int i = 0; i < 1000; i++) {
    const double x = seeded_uniform(u);
    CHECK((x >= 0.0 && x < 1.0));
  }
}

TEST_CASE("generation errors: options, context, memory") {
  const Model model = load_fixture("gpt2");  // context 256
  const std::vector<int> prompt = {3, 14, 15};
  auto message = [&](GenerationOptions o, std::vector<int> ids = {3, 14, 15}) {
    auto g = Generator::start(model, std::move(ids), o);
    REQUIRE(!g.ok());
    return g.error().to_string();
  };
  GenerationOptions o;
  o.max_new_tokens = -2;
  CHECK(message(o) == "cannot generate -2 tokens (ask for at least 1)");
  o.max_new_tokens = 254;
  CHECK(message(o) ==
        "the prompt's 3 tokens and 254 new ones exceed the model's context of 256 "
        "positions (generate at most 253 tokens)");
  o.max_new_tokens = 253;  // exactly the context: allowed
  CHECK(Generator::start(model, prompt, o).ok());
  o.max_new_tokens = 4;
  o.sampling.top_p = 0.0f;
  CHECK(message(o).starts_with("top-p 0.000000 is outside (0, 1]"));
  o.sampling.top_p = 1.5f;
  CHECK(message(o).starts_with("top-p 1.500000 is outside (0, 1]"));
  o.sampling = {-1.0f, 0, 1.0f, 0};
  CHECK(message(o).starts_with("temperature -1.000000 is not allowed"));
  o.sampling = {1.0f, -3, 1.0f, 0};
  CHECK(message(o).starts_with("top-k -3 is negative"));
  o.sampling = {};
  CHECK(message(o, {}).starts_with("the prompt is empty"));
  CHECK(message(o, {3, 600}).find("outside the vocabulary") != std::string::npos);
  // The cache itself: past the context, and past the memory budget.
  auto too_long = KvCache::create(model, 257);
  REQUIRE(!too_long.ok());
  CHECK(too_long.error().message ==
        "a key/value cache of 257 positions does not fit the model's context of 256 positions");
  CHECK(!KvCache::create(model, 0).ok());
  auto kv = KvCache::create(model, 256);
  REQUIRE(kv.ok());
  CHECK(kv->bytes() == 2 * 3 * 256 * 64 * sizeof(float));  // layers × positions × G·D, K and V
  const std::uint64_t saved = memory_budget();
  set_memory_budget(kv->bytes() - 1);
  auto over_budget = KvCache::create(model, 256);
  set_memory_budget(saved);
  REQUIRE(!over_budget.ok());
  CHECK(over_budget.error().message.starts_with(
      "a key/value cache of 256 positions needs 393216 bytes"));
}
