// bench_sae_wasm.cpp — the whole SAE circuit pipeline of O'Neill & Bui 2024 (core/sae: head
// activations of 10 prompts, one SAE trained for 500 full-batch epochs, codes and scores), timed
// in WASM (under node and in headless Chromium) and natively, from this one source:
//
//   gpt2   the GPT-2-small-shaped random model of gpt2_small_shaped.h (124M parameters, 500 MB of
//          float weights: it fits the 4 GB of wasm32), the prompts of bench_sae.cpp: 10 × 32
//          tokens, 1440 rows of 768, SAE 768 → 200.
//   tasks  the bundled models/attnscope-tasks with its IOI prompts (models/tasks/ioi_positive.jsonl
//          and ioi_negative.jsonl, 5 + 5 drawn by sae_circuit with seed 0): 320 rows of 192.
//
// Both run SaeProtocol::attnscope_v1 (train and score on the 10 drawn prompts), the pipeline these
// timings have measured since attnscope 0.1; the published protocol adds the activations and codes
// of the whole pool (tests/bench/circuit_table.sh times it).
//
// It prints one JSON line per model ("model", "build_s": making or loading the model, then
// "activations_s", "training_s", "scoring_s" and "pipeline_s", their sum, as sae_circuit measures
// them, "final_loss", "threads"), then "done". The WASM build embeds the task files (at /models
// of its file system) and has no threads.
//
//   native:   cmake --build build-sae --target bench_sae_wasm
//             build-sae/bench_sae_wasm [gpt2|tasks|all]      (ATTNSCOPE_THREADS=N: N threads)
//   WASM:     NODE_PATH=/usr/share/nodejs emcmake cmake -S . -B build-wasm-sae -G Ninja
//               -DCMAKE_BUILD_TYPE=Release     (one line)
//             cmake --build build-wasm-sae -j2 --target bench_sae_wasm
//   node:     node --no-experimental-fetch build-wasm-sae/bench_sae_wasm.js [gpt2|tasks|all]
//   Chromium: node tests/bench/bench_sae_browser.mjs [gpt2|tasks|all]   (see that file)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "core/analysis/task_prompts.h"
#include "core/io/file_source.h"
#include "core/ops/parallel.h"
#include "core/sae/sae_circuit.h"
#include "tests/bench/gpt2_small_shaped.h"

#ifndef ATTNSCOPE_BENCH_MODELS
#define ATTNSCOPE_BENCH_MODELS "/models"  // where the WASM build embeds models/
#endif

namespace {

using namespace attnscope;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Result<Bytes> read_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return make_error("cannot open " + path);
  std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(file)), {});
  return Bytes::from_vector(std::move(data));
}

// Runs the pipeline with the default options (10 prompts, 200 hidden units, 500 epochs, seed 0)
// and prints its line.
int run(const char* name, const Model& model, const std::vector<Prompt>& positives,
        const std::vector<Prompt>& negatives, double build_s) {
  const auto start = std::chrono::steady_clock::now();
  SaeCircuitOptions options;
  options.protocol = SaeProtocol::attnscope_v1;
  auto r = sae_circuit(model, positives, negatives, options);
  const double wall = seconds_since(start);
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", name, r.error().to_string().c_str());
    return 1;
  }
  std::printf(
      "{\"model\": \"%s\", \"build_s\": %.3f, \"activations_s\": %.3f, \"training_s\": %.3f, "
      "\"scoring_s\": %.3f, \"pipeline_s\": %.3f, \"rows\": %zu, \"epochs\": %zu, "
      "\"final_loss\": %.6g, \"threads\": %d}\n",
      name, build_s, r->seconds_activations, r->seconds_training, r->seconds_scoring, wall,
      r->activations.values.size() / std::size_t(model.config().d_model), r->training.losses.size(),
      r->training.losses.back(), cpu_threads());
  std::fflush(stdout);
  return 0;
}

int run_gpt2() {
  const auto start = std::chrono::steady_clock::now();
  const Model& model = bench::gpt2_small_shaped();
  return run("gpt2-small-shaped", model, bench::pipeline_prompts(13),
             bench::pipeline_prompts(20011), seconds_since(start));
}

int run_tasks() {
  const std::string models = ATTNSCOPE_BENCH_MODELS;
  const auto start = std::chrono::steady_clock::now();
  MemorySource files("attnscope-tasks");
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"}) {
    auto bytes = read_bytes(models + "/attnscope-tasks/" + f);
    if (!bytes.ok()) return std::fprintf(stderr, "%s\n", bytes.error().message.c_str()), 1;
    files.add(f, std::move(bytes).value());
  }
  auto model = Model::load(files);
  if (!model.ok()) return std::fprintf(stderr, "%s\n", model.error().to_string().c_str()), 1;
  std::vector<Prompt> pools[2];
  for (int k = 0; k < 2; k++) {
    auto jsonl = read_bytes(models + "/tasks/ioi_" + (k == 0 ? "positive" : "negative") + ".jsonl");
    if (!jsonl.ok()) return std::fprintf(stderr, "%s\n", jsonl.error().message.c_str()), 1;
    auto prompts = parse_task_prompts(jsonl->text(), *model);
    if (!prompts.ok()) return std::fprintf(stderr, "%s\n", prompts.error().to_string().c_str()), 1;
    pools[k] = std::move(prompts).value();
  }
  return run("attnscope-tasks ioi", *model, pools[0], pools[1], seconds_since(start));
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* t = std::getenv("ATTNSCOPE_THREADS")) set_cpu_threads(std::atoi(t));
  const std::string which = argc > 1 ? argv[1] : "all";
  if (which != "gpt2" && which != "tasks" && which != "all") {
    std::fprintf(stderr, "usage: bench_sae_wasm [gpt2|tasks|all]\n");
    return 2;
  }
  int status = 0;
  if (which != "gpt2") status |= run_tasks();
  if (which != "tasks") status |= run_gpt2();
  std::printf("done\n");
  std::fflush(stdout);
  return status;
}
