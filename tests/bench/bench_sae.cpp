// bench_sae.cpp — the SAE circuit pipeline of O'Neill & Bui 2024 (core/sae) on a
// GPT-2-small-shaped model (12 layers × 12 heads, d_model 768, d_mlp 3072, vocab 50257) with
// random weights: head activations of 10 prompts of 32 tokens (5 "positive", 5 "negative"), one
// SAE 768 → 200 trained for 500 full-batch epochs on the 1440 pooled (prompt, head) rows, codes
// and node/edge scores. Also its parts alone (head activations, training on the pipeline's rows,
// a 10-epoch SAE on random data) and the backend ops of an epoch on its shapes (N = 1440 rows,
// D = 768, M = 200; the argument of the sparse ops is the percentage of non-zero h). Counters:
// GMAC/s per CPU second (multiply-adds the op needs, not the ones a sparse kernel skips),
// threads (cpu_threads()) and os_threads (the process's threads: the caller and the pool).
//
//   build-sae/bench_sae [--benchmark_filter=...]
//   ATTNSCOPE_THREADS=1 build-sae/bench_sae     # the CPU kernels' threads (default: all cores)
//
// The same pipeline in WASM (node, Chromium): bench_sae_wasm.cpp and bench_sae_browser.mjs.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "core/model/model.h"
#include "core/ops/parallel.h"
#include "core/sae/sae_circuit.h"
#include "tests/bench/gpt2_small_shaped.h"

namespace {

using namespace attnscope;

using bench::gpt2_small_shaped;
using bench::random_weights;

std::vector<Prompt> prompts(int offset) {
  return bench::pipeline_prompts(offset);
}

// Threads of this process (Linux: /proc/self/status), to see the pool: the caller + workers.
int os_threads() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
  return 0;
}

void report_macs(benchmark::State& state, double macs) {
  state.counters["GMAC/s"] =
      benchmark::Counter(macs * double(state.iterations()) * 1e-9, benchmark::Counter::kIsRate);
  state.counters["threads"] = cpu_threads();
}

void BM_SaeCircuitPipeline(benchmark::State& state) {
  const Model& model = gpt2_small_shaped();
  const auto positives = prompts(13), negatives = prompts(20011);
  SaeCircuitOptions options;  // 10 prompts, 200 hidden units, 500 epochs
  for (auto _ : state) {
    const SaeCircuitResult r = sae_circuit(model, positives, negatives, options).value();
    state.counters["activations_s"] = r.seconds_activations;
    state.counters["training_s"] = r.seconds_training;
    state.counters["scoring_s"] = r.seconds_scoring;
    state.counters["epoch_ms"] = 1e3 * r.seconds_training / options.sae.epochs;
    benchmark::DoNotOptimize(r.scores.node.data());
  }
  state.counters["threads"] = cpu_threads();
  state.counters["os_threads"] = os_threads();
}

void BM_HeadActivations(benchmark::State& state) {
  // head_activations alone: 10 forward passes of 32 tokens with hook_result captured.
  const Model& model = gpt2_small_shaped();
  std::vector<std::vector<int>> ids;
  for (const auto& pool : {prompts(13), prompts(20011)})
    for (const Prompt& p : pool) ids.push_back(p.ids);
  for (auto _ : state) benchmark::DoNotOptimize(head_activations(model, ids)->values.data());
  // Multiply-adds of the linears: 12 layers of (4·C² + 2·C·F) per token, and the unembedding.
  const double per_token = 12.0 * (4.0 * 768 * 768 + 2.0 * 768 * 3072) + 768.0 * 50257;
  report_macs(state, per_token * 32 * 10);
}

void BM_SaeTrainOnPipelineRows(benchmark::State& state) {
  // sae_train alone (500 epochs) on the pipeline's 1440 rows, computed once.
  static const HeadActivations acts = [] {
    std::vector<std::vector<int>> ids;
    for (const auto& pool : {prompts(13), prompts(20011)})
      for (const Prompt& p : pool) ids.push_back(p.ids);
    return head_activations(gpt2_small_shaped(), ids).value();
  }();
  SaeOptions options;
  options.epochs = int(state.range(0));
  const int rows = int(acts.values.size() / 768);
  for (auto _ : state)
    benchmark::DoNotOptimize(
        sae_train(std::span<const float>(acts.values.data(), acts.values.size()), rows, 768,
                  options)
            ->losses.back());
  state.counters["epoch_ms"] =
      benchmark::Counter(double(state.iterations()) * options.epochs * 1e-3,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["threads"] = cpu_threads();
}

void BM_SaeEpoch(benchmark::State& state) {
  // One full-batch Adam epoch on 1440 rows of 768 random values.
  std::mt19937 rng(2);
  const std::vector<float> x = random_weights(1440 * 768, rng, 1.0f);
  SaeOptions options;
  options.epochs = 10;
  for (auto _ : state) benchmark::DoNotOptimize(sae_train(x, 1440, 768, options)->losses.back());
  state.SetItemsProcessed(state.iterations() * options.epochs);
  state.counters["threads"] = cpu_threads();
}

// 500 epochs on 1440 × 768 standard-normal values: the same work as tests/bench/sae_torch_peer.py,
// the PyTorch peer these numbers are compared with.
void BM_SaeTrainRandom(benchmark::State& state) {
  std::mt19937 rng(2);
  const std::vector<float> x = random_weights(1440 * 768, rng, 1.0f);
  SaeOptions options;
  options.epochs = int(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(sae_train(x, 1440, 768, options)->losses.back());
  state.counters["threads"] = cpu_threads();
}

// The backend ops of one SAE epoch on its shapes; range(0) is the density of h in percent.
constexpr int N = 1440, D = 768, M = 200;

// The ops' buffers start on 64-byte boundaries, as the SAE's do (an AVX-512 load across two cache
// lines costs two): otherwise their speed depends on where malloc happens to put them.
struct AlignedFloats {
  explicit AlignedFloats(std::size_t n)
      : size(n), p(static_cast<float*>(::operator new(n * sizeof(float), std::align_val_t(64)))) {
    std::fill(p, p + n, 0.0f);
  }
  explicit AlignedFloats(const std::vector<float>& v) : AlignedFloats(v.size()) {
    std::copy(v.begin(), v.end(), p);
  }
  ~AlignedFloats() { ::operator delete(p, std::align_val_t(64)); }
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
  float* data() const { return p; }
  std::size_t size;
  float* p;
};

AlignedFloats random_aligned(std::size_t n, std::mt19937& rng, float std = 0.02f) {
  return AlignedFloats(random_weights(n, rng, std));
}

// h [N, M] with about density_percent % of its entries non-zero (and positive).
AlignedFloats sparse_h(int density_percent) {
  std::mt19937 rng(3);
  std::vector<float> h = random_weights(std::size_t(N) * M, rng, 1.0f);
  for (float& v : h) v = int(rng() % 100) < density_percent ? std::abs(v) : 0.0f;
  return AlignedFloats(h);
}

void BM_OpEncoderLinear(benchmark::State& state) {  // a [N, M] = x [N, D] · W_encᵀ
  std::mt19937 rng(4);
  const auto x = random_aligned(std::size_t(N) * D, rng, 1.0f);
  const auto w = random_aligned(std::size_t(M) * D, rng);
  const auto b = random_aligned(M, rng);
  AlignedFloats out(std::size_t(N) * M);
  for (auto _ : state) default_kernels().linear(out.data(), x.data(), w.data(), b.data(), N, D, M);
  report_macs(state, double(N) * D * M);
}

void BM_OpDecoderMatmul(benchmark::State& state) {  // x̂ [N, D] = h [N, M] · W_decᵀ [M, D]
  std::mt19937 rng(5);
  const auto h = sparse_h(int(state.range(0)));
  const auto w = random_aligned(std::size_t(M) * D, rng);
  const auto b = random_aligned(D, rng);
  AlignedFloats out(std::size_t(N) * D);
  for (auto _ : state) default_kernels().matmul(out.data(), h.data(), w.data(), b.data(), N, M, D);
  report_macs(state, double(N) * D * M * state.range(0) / 100);
}

void BM_OpMatmulTn(benchmark::State& state) {  // ∂W_decᵀ [M, D] = hᵀ g
  std::mt19937 rng(6);
  const auto h = sparse_h(int(state.range(0)));
  const auto g = random_aligned(std::size_t(N) * D, rng);
  AlignedFloats out(std::size_t(M) * D);
  for (auto _ : state) default_kernels().matmul_tn(out.data(), h.data(), g.data(), N, M, D);
  report_macs(state, double(N) * D * M * state.range(0) / 100);
}

void BM_OpLinearMasked(benchmark::State& state) {  // q [N, M] = g · W_dec where h > 0
  std::mt19937 rng(7);
  const auto h = sparse_h(int(state.range(0)));
  const auto g = random_aligned(std::size_t(N) * D, rng);
  const auto w = random_aligned(std::size_t(M) * D, rng);
  AlignedFloats out(std::size_t(N) * M);
  for (auto _ : state)
    default_kernels().linear_masked(out.data(), g.data(), w.data(), nullptr, h.data(), N, D, M);
  report_macs(state, double(N) * D * M * state.range(0) / 100);
}

void BM_OpAdam(benchmark::State& state) {  // W_enc and W_dec: 2 · M · D parameters
  std::mt19937 rng(8);
  auto p = random_aligned(2 * std::size_t(M) * D, rng);
  const auto g = random_aligned(p.size, rng);
  AlignedFloats m(p.size), v(p.size);
  AdamStep s;
  for (auto _ : state) {
    default_kernels().adam_step(p.data(), m.data(), v.data(), g.data(), p.size, s);
    s.step++;
  }
  state.counters["threads"] = cpu_threads();
}

}  // namespace

BENCHMARK(BM_SaeCircuitPipeline)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_HeadActivations)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_SaeTrainOnPipelineRows)->Unit(benchmark::kSecond)->Iterations(1)->Arg(500)->Arg(20);
BENCHMARK(BM_SaeEpoch)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_SaeTrainRandom)->Unit(benchmark::kSecond)->Iterations(3)->Arg(500);
BENCHMARK(BM_OpEncoderLinear)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OpDecoderMatmul)
    ->Unit(benchmark::kMicrosecond)
    ->Arg(0)
    ->Arg(1)
    ->Arg(10)
    ->Arg(50)
    ->Arg(100);
BENCHMARK(BM_OpMatmulTn)->Unit(benchmark::kMicrosecond)->Arg(0)->Arg(1)->Arg(10)->Arg(50)->Arg(100);
BENCHMARK(BM_OpLinearMasked)
    ->Unit(benchmark::kMicrosecond)
    ->Arg(0)
    ->Arg(1)
    ->Arg(10)
    ->Arg(50)
    ->Arg(100);
BENCHMARK(BM_OpAdam)->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
  if (const char* t = std::getenv("ATTNSCOPE_THREADS")) set_cpu_threads(std::atoi(t));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
