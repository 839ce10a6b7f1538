// cmd_bench.cpp — `attnscope bench`: how fast this machine runs a forward pass (of a model folder
// or a random model of a known shape built in memory), and with --gemm, how close the matrix
// kernel comes to the machine's own FP32 multiply-add peak.
//
//   attnscope bench --shape gpt2-small --tokens 128 --threads 1 --capture patterns --json
//   attnscope bench --shape gpt2-small --tokens 128 --decode 32   (per-token generation steps)
//   attnscope bench --gemm --tokens 128
//   attnscope bench --gemm --backend webgpu --tokens 1024    (against cuBLAS: gemm_torch_peer.py)
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

#include "core/analysis/sampling.h"
#include "core/gpu/webgpu_backend.h"
#include "core/model/kv_cache.h"
#include "core/model/random_model.h"
#include "core/ops/amx_gemm.h"
#include "core/ops/matmul_precision.h"
#include "core/ops/parallel.h"
#include "core/ops/simd_kernels.h"
#include "core/version.h"
#include "ui/cli/backend_choice.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

struct BenchOptions {
  std::string model_path;
  std::string shape;
  int tokens = 128;
  int threads = 0;  // 0: cpu_threads()
  std::string capture = "patterns";
  std::string backend = "cpu-simd";
  std::string dtype = "f32";  // of a --shape model's matrices
  int repeat = 5;
  bool gemm = false;
  bool json = false;
  bool profile = false;
  bool cold = false;
  int decode = 0;  // > 0: time this many cached one-token steps after a --tokens prompt
  std::string matmul_precision;  // empty: the setting (ATTNSCOPE_MATMUL_PRECISION or the default)
};

// How cpu-simd's products run: "AVX3", or "AVX3, AMX bf16x3" where matmul precision "high" puts
// F32 weights on the AMX tiles.
std::string products_description() {
  std::string s = simd::simd_target_name();
  if (amx::products_on_tiles()) s += ", AMX bf16x3";
  return s;
}

// The matmul settings, for the JSON of every benchmark.
nlohmann::json matmul_json() {
  return {{"matmul_precision", matmul_precision_name(matmul_precision())},
          {"amx", amx::mode() == amx::Mode::hardware ? "yes" : "no: " + amx::unavailable_reason()}};
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Timing {
  double median_ms, best_ms;
};

Timing timing_of(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front()};
}

// The GEMM benchmark times a CPU kernel set directly (host pointers, no model): the one the CPU
// backend of that name runs.
Result<Kernels*> find_kernels(const std::string& name) {
  std::string names;
  for (Kernels* k : available_kernels()) {
    if (k->name() == name) return k;
    names += (names.empty() ? "" : ", ") + std::string(k->name());
  }
  return make_error("--backend: the GEMM benchmark runs a CPU kernel set, not '" + name + "'",
                    "available: " + names);
}

// --profile: runs `pass` once more with each op timed (on a GPU, each kernel waited for) and
// prints the backend's report on stderr: where a pass or a step spends its time.
Status print_op_profile(Backend& backend, const std::function<Status()>& pass) {
  backend.set_profiling(true);
  ATTNSCOPE_TRY(pass());
  backend.synchronize();
  const std::string report = backend.profile_report();
  backend.set_profiling(false);
  std::fprintf(stderr, "%s",
               report.empty() ? "--profile: this backend cannot time its ops\n" : report.c_str());
  return {};
}

// Generation: the prompt (`ids`) runs once into a key/value cache, untimed, then o.decode
// one-token steps, each timed from the token id to its logits on the host (a sampler needs them
// there), the next token the argmax. --repeat rounds, each from an emptied cache; the first round
// warms up. Prints the median and best ms per step, over every step of the timed rounds.
Status bench_decode(const BenchOptions& o, const Model& model, const std::string& name,
                    const std::vector<int>& ids, const HookPlan& plan) {
  const ModelConfig& c = model.config();
  const int capacity = o.tokens + o.decode;
  if (capacity > c.n_ctx)
    return make_error("--tokens + --decode must fit the model's context of " +
                      std::to_string(c.n_ctx) + " positions, not " + std::to_string(capacity));
  ATTNSCOPE_ASSIGN(KvCache kv, KvCache::create(model, capacity));
  const SamplingOptions greedy;  // the next token: the argmax (greedy draws nothing from the rng)
  std::mt19937_64 unused_rng;
  std::vector<double> ms;
  for (int r = 0; r <= o.repeat; r++) {
    kv.clear();
    Cache prompt_cache;
    ATTNSCOPE_ASSIGN(Tensor logits, model.forward_step(ids, kv, plan, &prompt_cache, true));
    for (int s = 0; s < o.decode; s++) {
      const int step_ids[1] = {sample_token({logits.data(), logits.size()}, greedy, unused_rng)};
      Cache cache;
      const auto start = std::chrono::steady_clock::now();
      ATTNSCOPE_ASSIGN(logits, model.forward_step(step_ids, kv, plan, &cache, true));
      const double elapsed = seconds_since(start) * 1e3;
      if (r > 0) ms.push_back(elapsed);
    }
  }
  if (o.profile) {  // one more step, after the prompt again
    kv.clear();
    ATTNSCOPE_TRY(model.forward_step(ids, kv, plan, nullptr, true));
    const int step_ids[1] = {ids.back()};
    ATTNSCOPE_TRY(print_op_profile(model.backend(), [&]() -> Status {
      Cache cache;
      ATTNSCOPE_TRY(model.forward_step(step_ids, kv, plan, &cache, true));
      return {};
    }));
  }
  const Timing t = timing_of(ms);
  const Backend& backend = model.backend();
  const std::string adapter = webgpu_adapter_name(backend);
  if (o.json) {
    print_json({{"model", name},
                {"description", describe(c)},
                {"backend", std::string(backend.name())},
                {"simd", simd::simd_target_name()},
                {"matmul", matmul_json()},
                {"adapter", adapter},
                {"adapter_features", webgpu_features(backend)},
                {"threads", cpu_threads()},
                {"prompt_tokens", o.tokens},
                {"decode_steps", o.decode},
                {"capture", o.capture},
                {"repeat", o.repeat},
                {"median_ms_per_step", t.median_ms},
                {"best_ms_per_step", t.best_ms},
                {"tokens_per_s", 1e3 / t.median_ms},
                {"peak_rss_mb", peak_rss_mb()}});
    return {};
  }
  std::printf("%s: %s\n", name.c_str(), describe(c).c_str());
  std::printf("backend %.*s (%s), %d threads, %d-token prompt, %d steps x %d rounds, capture %s\n",
              int(backend.name().size()), backend.name().data(),
              adapter.empty() ? products_description().c_str() : adapter.c_str(), cpu_threads(),
              o.tokens, o.decode, o.repeat, o.capture.c_str());
  std::printf("generation step: median %.2f ms, best %.2f ms; %.1f tokens/s\n", t.median_ms,
              t.best_ms, 1e3 / t.median_ms);
  return {};
}

Status bench_forward(const BenchOptions& o) {
  if (o.model_path.empty() == o.shape.empty())
    return make_error("give either --model or --shape", "e.g. --shape gpt2-small");
  if (o.capture != "none" && o.capture != "patterns" && o.capture != "all")
    return make_error("--capture: '" + o.capture + "' is not none, patterns or all");
  Model model;
  std::string name;
  if (!o.shape.empty()) {
    ATTNSCOPE_ASSIGN(const ModelConfig config, shape_config(o.shape));
    if (o.dtype != "f32" && o.dtype != "f16" && o.dtype != "bf16")
      return make_error("--dtype: '" + o.dtype + "' is not f32, f16 or bf16");
    const WeightType type = o.dtype == "f16"    ? WeightType::f16
                            : o.dtype == "bf16" ? WeightType::bf16
                                                : WeightType::f32;
    ATTNSCOPE_ASSIGN(model, bind_model(random_model(config, 1, type), o.backend));
    name = o.shape + " (random, " + o.dtype + ")";
  } else {
    ATTNSCOPE_ASSIGN(model, load_model(o.model_path, o.backend));
    name = model_name(o.model_path);
  }
  const Backend* backend = &model.backend();
  const std::string adapter = webgpu_adapter_name(*backend);
  const ModelConfig& c = model.config();
  if (o.tokens < 1 || o.tokens > c.n_ctx)
    return make_error("--tokens must be 1.." + std::to_string(c.n_ctx) + " for this model");
  std::vector<int> ids(o.tokens);
  for (int i = 0; i < o.tokens; i++) ids[i] = int((i * 7919LL + 13) % c.vocab_size);
  HookPlan plan;
  if (o.capture == "patterns") plan.capture("blocks.*.attn.hook_pattern");
  if (o.capture == "all") plan.capture("*");

  if (o.decode > 0) return bench_decode(o, model, name, ids, plan);

  // One pass to warm up (thread pool, caches, first-touch of memory), then the timed ones; each
  // pass fills a fresh cache, freed outside the timing. The logits and captures stay where the
  // backend computed them (forward_into), as a PyTorch model's outputs stay on its device: on a
  // GPU the time is the pass's, not a transfer's.
  std::vector<double> ms;
  std::size_t captured = 0, resident = 0;
  for (int r = 0; r <= o.repeat; r++) {
    Cache cache;
    const auto start = std::chrono::steady_clock::now();
    ATTNSCOPE_TRY(model.forward_into(ids, plan, cache));
    const double elapsed = seconds_since(start) * 1e3;
    if (r > 0) ms.push_back(elapsed);
    const Cache::Entry& logits = cache.entries().back();  // forward_into's last entry
    captured = cache.bytes() - logits.bytes();
    resident = cache.resident_bytes();
  }
  const Timing t = timing_of(ms);
  if (o.profile) {  // one more pass, untimed
    ATTNSCOPE_TRY(print_op_profile(model.backend(), [&]() -> Status {
      Cache cache;
      return model.forward_into(ids, plan, cache);
    }));
  }
  const double flops = forward_flops(c, o.tokens);
  const double rss = peak_rss_mb(),
               weights_mb = double(parameter_bytes(model.weights())) / 1048576.0;
  if (o.json) {
    print_json({{"model", name},
                {"description", describe(c)},
                {"backend", std::string(backend->name())},
                {"simd", simd::simd_target_name()},
                {"matmul", matmul_json()},
                {"adapter", adapter},
                {"adapter_features", webgpu_features(*backend)},
                {"threads", cpu_threads()},
                {"tokens", o.tokens},
                {"capture", o.capture},
                {"repeat", o.repeat},
                {"median_ms", t.median_ms},
                {"best_ms", t.best_ms},
                {"tokens_per_s", o.tokens / (t.median_ms * 1e-3)},
                {"gflop", flops * 1e-9},
                {"gflop_per_s", flops * 1e-9 / (t.median_ms * 1e-3)},
                {"peak_rss_mb", rss},
                {"weights_mb", weights_mb},
                {"captured_mb", double(captured) / 1048576.0},
                {"left_on_device_mb", double(resident) / 1048576.0}});
    return {};
  }
  std::printf("%s: %s\n", name.c_str(), describe(c).c_str());
  std::printf("backend %.*s (%s), %d threads, %d tokens, capture %s, %d passes\n",
              int(backend->name().size()), backend->name().data(),
              adapter.empty() ? products_description().c_str() : adapter.c_str(), cpu_threads(),
              o.tokens, o.capture.c_str(), o.repeat);
  std::printf("forward: median %.2f ms, best %.2f ms; %.0f tokens/s; %.1f GFLOP/s\n", t.median_ms,
              t.best_ms, o.tokens / (t.median_ms * 1e-3), flops * 1e-9 / (t.median_ms * 1e-3));
  std::printf(
      "memory: peak RSS %.0f MB (weights %.0f MB, captured %.0f MB); %.0f MB of "
      "captures and logits left on the device\n",
      rss, weights_mb, double(captured) / 1048576.0, double(resident) / 1048576.0);
  return {};
}

// The products of one GPT-2 small block: 768 → 2304 for q, k and v together, 768 → 768,
// 768 → 3072, 3072 → 768.
struct GemmShape {
  const char* name;
  int K, N;
};
constexpr GemmShape kBlockProducts[] = {{"qkv 768x2304", 768, 2304},
                                        {"attn_out 768x768", 768, 768},
                                        {"mlp_up 768x3072", 768, 3072},
                                        {"mlp_down 3072x768", 3072, 768}};

// The GEMM on WebGPU: the backend's linear on the block's products at --tokens rows, each
// measurement a batch of dispatches with one synchronize (so the wait for the GPU is spread over
// the batch), best of --repeat. Its peer is cuBLAS through PyTorch on the same shapes
// (tests/bench/gemm_torch_peer.py): the ratio is the matmul's share of cuBLAS.
Status bench_gemm_webgpu(const BenchOptions& o) {
  ATTNSCOPE_ASSIGN(Backend * backend, choose_backend("webgpu"));
  if (backend->name() != "webgpu")
    return make_error("--gemm --backend webgpu: no WebGPU device (the line above says why)");
  constexpr int kBatch = 20;
  const int T = o.tokens;
  nlohmann::json rows = nlohmann::json::array();
  double total_flops = 0, total_s = 0;
  for (const GemmShape& s : kBlockProducts) {
    const auto filled = [&](std::size_t n, float v) {
      auto b = backend->alloc(n * sizeof(float));
      const std::vector<float> values(n, v);
      b->write(0, values.data(), n * sizeof(float));
      return b;
    };
    auto x = filled(std::size_t(T) * s.K, 0.01f), w = filled(std::size_t(s.N) * s.K, 0.02f),
         bias = filled(s.N, 0.0f), out = filled(std::size_t(T) * s.N, 0.0f);
    const View xv{x.get(), 0, DType::f32, 0}, wv{w.get(), 0, DType::f32, 0},
        bv{bias.get(), 0, DType::f32, 0}, ov{out.get(), 0, DType::f32, 0};
    double best = 1e30;
    for (int r = 0; r <= std::max(o.repeat, 3); r++) {  // the first: compiling, warming up
      const auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < kBatch; i++) backend->linear(ov, xv, wv, bv, T, s.K, s.N);
      backend->synchronize();
      if (r > 0) best = std::min(best, seconds_since(start) / kBatch);
    }
    std::vector<float> check(1);
    out->read(0, check.data(), sizeof(float));  // 0.01 · 0.02 · K: the products really ran
    if (std::abs(check[0] - 0.0002f * float(s.K)) > 1e-3f * 0.0002f * float(s.K))
      return make_error(std::string("--gemm --backend webgpu: wrong result on ") + s.name);
    const double flops = 2.0 * T * s.K * s.N;
    total_flops += flops;
    total_s += best;
    rows.push_back({{"shape", s.name}, {"ms", best * 1e3}, {"gflop_per_s", flops * 1e-9 / best}});
  }
  const std::string adapter = webgpu_adapter_name(*backend);
  const double block = total_flops * 1e-9 / total_s;
  if (o.json) {
    print_json({{"backend", "webgpu"},
                {"adapter", adapter},
                {"adapter_features", webgpu_features(*backend)},
                {"tokens", T},
                {"dispatches_per_sync", kBatch},
                {"block_gflop_per_s", block},
                {"shapes", rows}});
    return {};
  }
  std::printf("WebGPU on %s, %d dispatches per synchronize\n", adapter.c_str(), kBatch);
  for (const auto& r : rows)
    std::printf("  %-18s T=%d: %8.3f ms, %8.1f GFLOP/s\n", r["shape"].get<std::string>().c_str(), T,
                r["ms"].get<double>(), r["gflop_per_s"].get<double>());
  std::printf("GPT-2 small block products: %.1f GFLOP/s\n", block);
  return {};
}

// The GEMM against the FMA peak: one thread's peak, then linear on the block's products at
// --tokens rows, on 1 thread and on the requested threads.
Status bench_gemm(const BenchOptions& o) {
  if (o.backend == "webgpu" && o.cold)
    return make_error("--cold is for the CPU backends (a GPU's weights stay in its memory)");
  if (o.backend == "webgpu") return bench_gemm_webgpu(o);
  ATTNSCOPE_ASSIGN(Kernels * backend, find_kernels(o.backend));
  const int threads = cpu_threads();
  set_cpu_threads(1);
  const double peak = simd::fma_peak_gflops(0.5);
  const int T = o.tokens;
  nlohmann::json rows = nlohmann::json::array();
  double total_flops = 0, total_s1 = 0, total_sn = 0;
  for (const GemmShape& s : kBlockProducts) {
    // --cold: each call reads the next of enough weight copies to span 256 MB, far past any
    // cache, so the weights come from memory as they do in a forward pass (where each is read
    // once); otherwise one copy, warm in the caches after the first call.
    const std::size_t w_elems = std::size_t(s.N) * s.K;
    const std::size_t copies =
        o.cold ? std::max<std::size_t>(2, (std::size_t(256) << 20) / (w_elems * 4) + 1) : 1;
    std::vector<float> x(std::size_t(T) * s.K, 0.01f), w(w_elems * copies, 0.02f), b(s.N, 0.0f),
        out(std::size_t(T) * s.N);
    const double flops = 2.0 * T * s.K * s.N;
    double best[2] = {1e30, 1e30};
    std::size_t call = 0;
    for (int pass = 0; pass < 2; pass++) {
      set_cpu_threads(pass == 0 ? 1 : threads);
      for (int r = 0; r <= std::max(o.repeat, 3); r++) {
        const float* wc = w.data() + (call++ % copies) * w_elems;
        const auto start = std::chrono::steady_clock::now();
        backend->linear(out.data(), x.data(), wc, b.data(), T, s.K, s.N);
        const double elapsed = seconds_since(start);
        if (r > 0) best[pass] = std::min(best[pass], elapsed);
      }
    }
    total_flops += flops;
    total_s1 += best[0];
    total_sn += best[1];
    rows.push_back({{"shape", s.name},
                    {"gflop_per_s_1_thread", flops * 1e-9 / best[0]},
                    {"share_of_peak", flops * 1e-9 / best[0] / peak},
                    {"gflop_per_s_threads", flops * 1e-9 / best[1]}});
  }
  set_cpu_threads(threads);
  const double block_1 = total_flops * 1e-9 / total_s1, block_n = total_flops * 1e-9 / total_sn;
  if (o.json) {
    print_json({{"simd", simd::simd_target_name()},
                {"backend", std::string(backend->name())},
                {"tokens", T},
                {"threads", threads},
                {"cold_weights", o.cold},
                {"fma_peak_gflop_per_s_1_thread", peak},
                {"block_gflop_per_s_1_thread", block_1},
                {"block_share_of_peak", block_1 / peak},
                {"block_gflop_per_s_threads", block_n},
                {"shapes", rows}});
    return {};
  }
  // linear on host arrays: the float32 kernel, whatever the matmul precision (no weight is split).
  std::printf("FP32 FMA peak, 1 thread (%s): %.1f GFLOP/s\n", simd::simd_target_name(), peak);
  for (const auto& r : rows)
    std::printf("  %-18s T=%d: %7.1f GFLOP/s (%4.1f%% of peak), %d threads %7.1f GFLOP/s\n",
                r["shape"].get<std::string>().c_str(), T, r["gflop_per_s_1_thread"].get<double>(),
                100 * r["share_of_peak"].get<double>(), threads,
                r["gflop_per_s_threads"].get<double>());
  std::printf(
      "GPT-2 small block products%s: %.1f GFLOP/s on 1 thread (%.1f%% of peak), %.1f on %d\n",
      o.cold ? " (weights from memory)" : "", block_1, 100 * block_1 / peak, block_n, threads);
  return {};
}

}  // namespace

void register_bench(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Time forward passes (a model folder or a random model of a known shape), or the "
      "matrix kernel against this machine's FMA peak (--gemm)");
  auto* model = cmd->add_option("--model", o->model_path, "Model folder to time");
  auto* shape = cmd->add_option("--shape", o->shape,
                                "Random model of this shape instead: gpt2-small or smollm-135m");
  model->excludes(shape);
  cmd->add_option("--tokens", o->tokens, "Tokens per forward pass (rows of the GEMM)")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (default: ATTNSCOPE_THREADS or all)");
  cmd->add_option("--capture", o->capture,
                  "What the passes keep: none, patterns (every hook_pattern) or all hooks")
      ->capture_default_str();
  cmd->add_option("--backend", o->backend,
                  "Backend: " + backend_names() + " (the GEMM benchmark: a CPU one, or webgpu)")
      ->capture_default_str();
  cmd->add_option("--repeat", o->repeat, "Timed passes, after one warm-up pass")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--dtype", o->dtype, "Matrices of a --shape model kept as f32, f16 or bf16")
      ->capture_default_str();
  cmd->add_option("--decode", o->decode,
                  "Time this many one-token generation steps (key/value cache) after a --tokens "
                  "prompt, instead of whole passes")
      ->check(CLI::Range(1, 100000));
  cmd->add_flag("--gemm", o->gemm, "Benchmark the GEMM against the FP32 FMA peak instead");
  cmd->add_flag("--cold", o->cold,
                "With --gemm: weights read from memory, not the caches, as in a forward pass");
  cmd->add_option("--matmul-precision", o->matmul_precision,
                  "CPU products of F32 weights: highest (float32) or high (bf16x3 on the AMX "
                  "tiles of CPUs that have them); default: ATTNSCOPE_MATMUL_PRECISION, else " +
                      std::string(matmul_precision_name(matmul_precision())))
      ->check(CLI::IsMember({"highest", "high"}));
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->add_flag("--profile", o->profile,
                "After the timed passes, time each op of one more (on stderr)");
  cmd->callback([o]() {
    if (o->threads > 0) set_cpu_threads(o->threads);
    // Before the model is bound: the split weights of "high" are made then.
    if (!o->matmul_precision.empty())
      set_matmul_precision(*parse_matmul_precision(o->matmul_precision));
    if (o->cold && !o->gemm) return finish(make_error("--cold goes with --gemm"));
    if (o->decode > 0 && o->gemm) return finish(make_error("--decode and --gemm: choose one"));
    finish(o->gemm ? bench_gemm(*o) : bench_forward(*o));
  });
}

}  // namespace attnscope::cli
