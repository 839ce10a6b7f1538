// test_ablation.cpp — head ablation against transformers (zero) and against the bundled task
// model's ground truth (mean ablation, computed by PyTorch when the model was trained).
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>

#include "core/analysis/ablation.h"
#include "core/analysis/task_prompts.h"
#include "tests/unit/fixtures.h"

using namespace attnscope;
using namespace attnscope::test;

TEST_CASE("zero ablation through forward_from matches transformers' per-head ablated logits") {
  for (const char* family : {"gpt2", "gpt_neox", "llama", "qwen2"}) {
    CAPTURE(std::string(family));
    const Model model = Model::load(fixture_source(family)).value();
    const SafetensorsFile ref = reference_outputs(family);
    const std::vector<int> ids = reference_ids(ref, "L32.input_ids");
    const auto expected = reference_tensor(ref, "L32.ablated_last_logits");
    HookPlan capture;
    capture.capture("blocks.*.hook_resid_pre");
    Cache cache;
    REQUIRE(model.forward(ids, capture, &cache).ok());
    const ModelConfig& c = model.config();
    const std::size_t V = c.vocab_size;
    double worst = 0;
    for (int l = 0; l < c.n_layers; l++)
      for (int h = 0; h < c.n_heads; h++) {
        HookPlan plan;
        REQUIRE(add_ablation(plan, c, {AblationMode::zero, {{l, h}}, nullptr}, ids.size()).ok());
        const Tensor& resid = *cache.find(HookId{HookPoint::resid_pre, l});
        const Tensor logits = model.forward_from(l, resid, plan).value();
        const double d =
            relative_max_diff(logits.data() + (ids.size() - 1) * V,
                              expected.data() + (std::size_t(l) * c.n_heads + h) * V, V);
        worst = std::max(worst, d);
      }
    CHECK(worst <= 1e-4);
  }
}

TEST_CASE("ablation inputs are checked") {
  const Model model = Model::load(fixture_source("gpt2")).value();
  const ModelConfig& c = model.config();
  HookPlan plan;
  CHECK(add_ablation(plan, c, {AblationMode::zero, {{3, 0}}, nullptr}, 5)
            .error()
            .message.find("outside the model") != std::string::npos);
  CHECK_FALSE(add_ablation(plan, c, {AblationMode::mean, {{0, 0}}, nullptr}, 5).ok());
  auto source = std::make_shared<const Tensor>(head_z(model, std::vector<int>{1, 2, 3}).value());
  const Status wrong_length = add_ablation(plan, c, {AblationMode::resample, {{0, 0}}, source}, 5);
  REQUIRE_FALSE(wrong_length.ok());
  CHECK(wrong_length.error().message.find("same length") != std::string::npos);
  CHECK(parse_heads("0.1, L2H3", c).value() == std::vector<HeadRef>{{0, 1}, {2, 3}});
  CHECK_FALSE(parse_heads("0.9", c).ok());
  CHECK_FALSE(parse_heads("x", c).ok());
  CHECK(model.forward_from(4, zeros({2, 64})).error().message.find("outside") != std::string::npos);
  CHECK(model.forward_from(3, zeros({2, 64})).ok());  // no block: the final norm and unembedding
  CHECK_FALSE(model.forward_from(0, zeros({2, 32})).ok());
}

TEST_CASE("resample ablation with the prompt itself changes nothing; zero and mean do") {
  const Model model = Model::load(fixture_source("llama")).value();
  const std::vector<int> ids = {5, 9, 17, 33, 2, 8, 100};
  const Tensor clean = model.forward(ids).value();
  auto self = std::make_shared<const Tensor>(head_z(model, ids).value());
  HookPlan plan;
  REQUIRE(add_ablation(plan, model.config(), {AblationMode::resample, {{1, 2}, {2, 0}}, self},
                       ids.size())
              .ok());
  const Tensor same = model.forward(ids, plan).value();
  CHECK(max_abs_diff(same.data(), clean.data(), clean.size()) == 0.0);
  const std::vector<std::vector<int>> reference = {{1, 2, 3, 4}, {7, 7, 7}};
  auto mean = std::make_shared<const Tensor>(mean_head_z(model, reference).value());
  HookPlan mean_plan;
  REQUIRE(add_ablation(mean_plan, model.config(), {AblationMode::mean, {{1, 2}}, mean}, ids.size())
              .ok());
  CHECK(max_abs_diff(model.forward(ids, mean_plan)->data(), clean.data(), clean.size()) > 1e-4);
}

namespace {
std::string bundled(const std::string& path) {
  return std::string(ATTNSCOPE_SOURCE_DIR) + "/models/" + path;
}
Model load_task_model() {
  MemorySource files("attnscope-tasks");
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"})
    files.add(f, read_file_bytes(bundled("attnscope-tasks/") + f));
  return Model::load(files).value();
}
}  // namespace

TEST_CASE("attnscope's mean ablation reproduces the task model's ground-truth effects") {
  const Model model = load_task_model();
  const Bytes truth_json = read_file_bytes(bundled("tasks/ground_truth.json"));
  for (const char* task : {"induction", "ioi", "greater_than", "docstring"}) {
    CAPTURE(std::string(task));
    const std::string t(task);
    const auto positives =
        parse_task_prompts(read_file_bytes(bundled("tasks/" + t + "_positive.jsonl")).text(), model)
            .value();
    const auto negatives =
        parse_task_prompts(read_file_bytes(bundled("tasks/" + t + "_negative.jsonl")).text(), model)
            .value();
    std::vector<std::vector<int>> reference;
    for (const Prompt& p : negatives) reference.push_back(p.ids);
    SweepOptions options;
    options.mode = AblationMode::mean;
    options.mean_z = std::make_shared<const Tensor>(mean_head_z(model, reference).value());
    const auto start = std::chrono::steady_clock::now();
    const SweepResult sweep = ablation_sweep(model, positives, options).value();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const GroundTruth truth = parse_ground_truth(truth_json.text(), t).value();
    const std::vector<HeadRef> found = heads_above(sweep, truth.threshold);
    std::string found_text;
    for (const HeadRef& h : found) found_text += head_label(h) + " ";
    MESSAGE(t << ": clean metric " << sweep.clean << ", heads above " << truth.threshold << ": "
              << found_text << "(" << positives.size() << " prompts, " << seconds << " s)");
    CHECK(found == truth.heads_above_threshold);
    // The file's effects (4 decimals) are the sweep's relative effects; its circuit (the 80%
    // rule, core/analysis/ground_truth.h) is made of heads the sweep says matter.
    REQUIRE(truth.effects.size() == std::size_t(model.config().n_layers));
    for (int l = 0; l < model.config().n_layers; l++)
      for (int h = 0; h < model.config().n_heads; h++)
        CHECK(std::fabs(truth.effects[l][h] - sweep.relative(l, h)) < 2e-4);
    CHECK_FALSE(truth.heads.empty());
  }
}

TEST_CASE("the sweep a step at a time: progress per head, the same maps as ablation_sweep") {
  const Model model = load_task_model();
  auto prompts =
      parse_task_prompts(read_file_bytes(bundled("tasks/ioi_positive.jsonl")).text(), model)
          .value();
  prompts.resize(2);
  SweepOptions options;  // zero ablation, logit difference
  const SweepResult whole = ablation_sweep(model, prompts, options).value();
  AblationSweep sweep = AblationSweep::start(model, prompts, options).value();
  const int total = 2 * model.config().n_layers * model.config().n_heads;
  CHECK(sweep.total() == total);
  int steps = 0;
  while (!sweep.step().value()) {
    steps++;
    CHECK(sweep.done() == steps);
  }
  CHECK(steps + 1 == total);
  CHECK(sweep.step().value());  // past the end: still complete, nothing more runs
  const SweepResult stepped = sweep.result();
  CHECK(stepped.clean == whole.clean);
  CHECK(stepped.effect == whole.effect);
  CHECK(stepped.relative == whole.relative);
  SweepOptions resample = options;
  resample.mode = AblationMode::resample;
  CHECK(!AblationSweep::start(model, prompts, resample).ok());  // no corrupted prompts
}

#include "core/analysis/attribution.h"

TEST_CASE("direct logit attribution: the components sum to the logit difference") {
  for (const char* family : {"gpt2", "gpt_neox_sequential", "llama", "qwen2"}) {
    CAPTURE(std::string(family));
    const Model model = Model::load(fixture_source(family)).value();
    const std::vector<int> ids = {3, 14, 15, 92, 65, 35, 89, 79};
    const LogitAttribution a = direct_logit_attribution(model, ids, 17, 42).value();
    double sum = a.embeddings + a.norm_bias;
    for (float x : a.heads) sum += x;
    for (float x : a.mlps) sum += x;
    for (float x : a.attn_biases) sum += x;
    CHECK(sum == doctest::Approx(a.total).epsilon(1e-4));
    CHECK(a.heads.shape()[0] == static_cast<std::size_t>(model.config().n_layers));
  }
}
