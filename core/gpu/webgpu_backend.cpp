// webgpu_backend.cpp — Backend ops as WGSL dispatches on a GpuDevice.
//
// Binding. An op's operands are views, often several into one buffer (the pass's arena). Each
// distinct buffer is bound once, whole, as array<u32>; each operand reaches its elements through
// accessors generated for this call's layout (wgsl_prelude), with its offset as a parameter. So
// one kernel source serves every aliasing of its operands and every weight dtype, and the
// pipelines are cached by (kernel, layout): a forward pass compiles a handful once.
//
// Limits. A buffer larger than the adapter's largest binding cannot be bound: alloc() refuses it
// with a message naming both sizes, and the caller falls back to the CPU (see the CLI's
// --backend). Attention needs a head dimension of at most 256.
//
// Threads. The explorer runs two job runners that may both use the model's backend (a prompt
// while a sweep runs): every call into the device holds the backend's lock, so each op's
// dispatch is recorded whole. A synchronize() from either thread completes both threads' reads.
#include "core/gpu/webgpu_backend.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/gpu/wgsl_kernels.h"
#include "core/ops/kernels.h"
#include "core/ops/op_profile.h"

namespace attnscope {
namespace {

using Lock = std::lock_guard<std::recursive_mutex>;

class WebGpuBuffer final : public Buffer {
 public:
  WebGpuBuffer(GpuDevice& device, std::recursive_mutex& mutex, std::size_t bytes)
      : Buffer(bytes), device_(device), mutex_(mutex), id_(create(device, mutex, bytes)) {}
  ~WebGpuBuffer() override {
    Lock lock(mutex_);
    device_.destroy_buffer(id_);
  }
  std::byte* host() override { return nullptr; }
  GpuBufferId id() const { return id_; }

  // Queue writes and copies move whole 4-byte words: an unaligned edge is merged with the word's
  // other bytes, read back first (only 16-bit weights of odd length have such edges).
  void write(std::size_t offset, const void* src, std::size_t n) override {
    if (n == 0) return;
    Lock lock(mutex_);
    const std::size_t begin = offset / 4 * 4, end = (offset + n + 3) / 4 * 4;
    if (begin == offset && end == offset + n) return device_.write(id_, offset, src, n);
    std::vector<std::byte> words(end - begin);
    read_words(begin, words.data(), words.size());
    std::memcpy(words.data() + (offset - begin), src, n);
    device_.write(id_, begin, words.data(), words.size());
  }
  void read(std::size_t offset, void* dst, std::size_t n) override {
    if (n == 0) return;
    Lock lock(mutex_);
    const std::size_t begin = offset / 4 * 4, end = (offset + n + 3) / 4 * 4;
    if (begin == offset && end == offset + n) {
      device_.read_async(id_, offset, dst, n);
      device_.synchronize();
      return;
    }
    std::vector<std::byte> words(end - begin);
    read_words(begin, words.data(), words.size());
    std::memcpy(dst, words.data() + (offset - begin), n);
  }

 private:
  static GpuBufferId create(GpuDevice& device, std::recursive_mutex& mutex, std::size_t bytes) {
    Lock lock(mutex);
    return device.create_buffer(bytes);
  }
  void read_words(std::size_t begin, std::byte* dst, std::size_t n) {
    device_.read_async(id_, begin, dst, n);
    device_.synchronize();
  }
  GpuDevice& device_;
  std::recursive_mutex& mutex_;
  GpuBufferId id_;
};

// One operand of a dispatch: its view, how the kernel reads it, and whether it writes it.
enum class Access { f32, i32 };
struct Operand {
  View view;
  Access access = Access::f32;
};

// The accessors of wgsl_kernels.h for one call's operands, each distinct buffer bound once.
// `binding[j]` is operand j's binding, −1 when absent.
std::string wgsl_prelude(std::span<const Operand> operands, std::span<const int> binding,
                         int bindings) {
  std::string s =
      "@group(0) @binding(8) var<uniform> P: array<vec4<u32>, 8>;\n"
      "fn pu(i: u32) -> u32 { return P[i >> 2u][i & 3u]; }\n"
      "fn pf(i: u32) -> f32 { return bitcast<f32>(pu(i)); }\n";
  for (int b = 0; b < bindings; b++)
    s += "@group(0) @binding(" + std::to_string(b) + ") var<storage, read_write> b" +
         std::to_string(b) + ": array<u32>;\n";
  for (std::size_t j = 0; j < operands.size(); j++) {
    const std::string J = std::to_string(j), at = "pu(" + J + "u) + i";
    if (binding[j] < 0) {
      s += "fn has" + J + "() -> bool { return false; }\n";
      s += "fn ld" + J + "(i: u32) -> f32 { return 0.0; }\n";
      s += "fn st" + J + "(i: u32, v: f32) {}\n";
      continue;
    }
    const std::string B = "b" + std::to_string(binding[j]);
    s += "fn has" + J + "() -> bool { return true; }\n";
    if (operands[j].access == Access::i32) {
      s += "fn ldi" + J + "(i: u32) -> i32 { return bitcast<i32>(" + B + "[" + at + "]); }\n";
      continue;
    }
    switch (operands[j].view.type) {
      case DType::f16:
        s += "fn ld" + J + "(i: u32) -> f32 { let e = " + at + "; return unpack2x16float(" + B +
             "[e >> 1u])[e & 1u]; }\n";
        break;
      case DType::bf16:
        s += "fn ld" + J + "(i: u32) -> f32 { let e = " + at + "; let w = " + B +
             "[e >> 1u]; return bitcast<f32>(select(w << 16u, w & 0xffff0000u, (e & 1u) == "
             "1u)); }\n";
        break;
      default:
        s += "fn ld" + J + "(i: u32) -> f32 { return bitcast<f32>(" + B + "[" + at + "]); }\n";
        s += "fn st" + J + "(i: u32, v: f32) { " + B + "[" + at + "] = bitcast<u32>(v); }\n";
        s += "fn stbits" + J + "(i: u32, v: u32) { " + B + "[" + at + "] = v; }\n";
    }
  }
  return s;
}

std::uint32_t u32(std::size_t v) {
  if (v > 0xffffffffu) throw std::runtime_error("WebGPU: an index exceeds 32 bits");
  return static_cast<std::uint32_t>(v);
}
std::uint32_t bits(float v) {
  std::uint32_t u;  // not std::bit_cast: Emscripten 3.1.6's libc++ lacks it
  std::memcpy(&u, &v, 4);
  return u;
}

class WebGpuBackend final : public Backend {
 public:
  WebGpuBackend(std::shared_ptr<GpuDevice> device, const WebGpuOptions& options)
      : device_(std::move(device)),
        subgroups_(options.subgroups && device_->info().subgroups && !subgroups_turned_off()),
        name_(options.subgroups || !device_->info().subgroups ? "webgpu"
                                                              : "webgpu (no subgroups)") {}

  std::string_view name() const override { return name_; }
  bool uses_subgroups() const { return subgroups_; }
  void set_profiling(bool on) override {
    Lock lock(mutex_);
    profiling_ = on;
    profile_.clear();
  }
  std::string profile_report() override { return profile_.report(); }
  const GpuInfo& info() const { return device_->info(); }
  bool supports(Op, DType) const override { return true; }
  std::unique_ptr<Buffer> alloc(std::size_t bytes) override {
    const GpuInfo& i = device_->info();
    const std::uint64_t limit = std::min(i.max_binding_bytes, i.max_buffer_bytes);
    if (bytes > limit)
      throw std::runtime_error("WebGPU: a buffer of " + std::to_string(bytes >> 20) +
                               " MiB exceeds " + i.adapter + "'s largest binding (" +
                               std::to_string(limit >> 20) + " MiB)");
    return std::make_unique<WebGpuBuffer>(*device_, mutex_, bytes);
  }
  void read_async(View src, void* dst, std::size_t n) override {
    Lock lock(mutex_);
    const std::size_t begin = src.offset / 4 * 4, end = (src.offset + n + 3) / 4 * 4;
    if (begin == src.offset && end == src.offset + n) {
      device_->read_async(buffer(src).id(), src.offset, dst, n);
      return;
    }
    unaligned_.push_back({std::vector<std::byte>(end - begin), dst, src.offset - begin, n});
    device_->read_async(buffer(src).id(), begin, unaligned_.back().words.data(), end - begin);
  }
  void synchronize() override {
    Lock lock(mutex_);
    device_->synchronize();
    for (const Unaligned& u : unaligned_) std::memcpy(u.dst, u.words.data() + u.skip, u.n);
    unaligned_.clear();
  }

  void gather_rows(View out, View table, View ids, int n, int C) override {
    run("gather_rows", wgsl::gather_rows, {{out}, {table}, {ids, Access::i32}},
        {u32(n), u32(C), u32(table.stride(C))}, std::size_t(n) * C);
  }
  void add(View a, View b, std::size_t n) override {
    run("add", wgsl::add, {{a}, {b}}, {u32(n)}, n);
  }
  void multiply(View a, View b, std::size_t n) override {
    run("multiply", wgsl::multiply, {{a}, {b}}, {u32(n)}, n);
  }
  void activate(View x, std::size_t n, Activation act) override {
    run("activate", wgsl::activate, {{x}}, {u32(n), std::uint32_t(act)}, n);
  }
  void layernorm(View out, View x, View w, View b, int T, int C, float eps) override {
    run_rows("layernorm", wgsl::layernorm, {{out}, {x}, {w}, {b}}, {u32(T), u32(C), bits(eps)},
             u32(T));
  }
  void rmsnorm(View out, View x, View w, int T, int C, float eps) override {
    run_rows("rmsnorm", wgsl::rmsnorm, {{out}, {x}, {w}}, {u32(T), u32(C), bits(eps)}, u32(T));
  }
  void linear(View out, View x, View w, View bias, int T, int K, int N) override {
    if (T <= 0 || N <= 0) return;
    if (T <= int(wgsl::kLinearFewTokens)) {
      run_rows(
          subgroups_ ? "linear_few_subgroups" : "linear_few",
          subgroups_ ? wgsl::linear_few_subgroups : wgsl::linear_few, {{out}, {x}, {w}, {bias}},
          {u32(T), u32(K), u32(N), u32(out.stride(N)), u32(x.stride(K)), u32(w.stride(K))}, u32(N),
          "const TT = " + std::to_string(T) + "u;\n", subgroups_ ? "enable subgroups;\n" : "");
      return;
    }
    Lock lock(mutex_);  // the split partials' buffer is shared state
    const std::uint32_t splits = linear_splits(T, K, N);
    const unsigned rows = splits > 1 ? 4 : linear_rows(T, N), tile = 16 * rows;
    const std::uint32_t gx = (u32(N) + tile - 1) / tile, gy = (u32(T) + tile - 1) / tile;
    const std::string constants = "const R = " + std::to_string(rows) + "u;\n";
    if (splits == 1) {
      dispatch("linear", wgsl::linear, {{out}, {x}, {w}, {bias}},
               {u32(T), u32(K), u32(N), u32(out.stride(N)), u32(x.stride(K)), u32(w.stride(K)),
                u32(K), 0},
               gx, gy, constants);
      return;
    }
    // Each split's k range a whole number of the kernel's 16-wide steps.
    const std::uint32_t kc = ((u32(K) + splits - 1) / splits + 15) / 16 * 16;
    const std::uint32_t used = (u32(K) + kc - 1) / kc;
    const std::size_t stride = std::size_t(T) * N;
    const View partials = split_partials(stride * used);
    dispatch("linear", wgsl::linear, {{partials}, {x}, {w}, {}},
             {u32(T), u32(K), u32(N), u32(N), u32(x.stride(K)), u32(w.stride(K)), kc, u32(stride)},
             gx, gy, constants, used);
    run("sum_splits", wgsl::sum_splits, {{out}, {partials}, {bias}},
        {u32(T), u32(N), used, u32(out.stride(N))}, stride);
  }
  void linear_multi(View x, int T, int K, std::span<const LinearTarget> targets) override {
    for (const LinearTarget& t : targets) linear(t.out, x, t.w, t.bias, T, K, t.N);
  }
  void rope(View x, int T, int heads, int D, int R, float theta, int pos0) override {
    Lock lock(mutex_);  // the table is shared state
    const View table = rope_table(T, R, theta, pos0);
    run("rope", wgsl::rope, {{x}, {table}}, {u32(T), u32(heads), u32(D), u32(R)},
        std::size_t(T) * heads * (R / 2));
  }
  void attention(View z, View pattern, View q, View k, View v, int T, int H, int G, int D,
                 float scale, int past) override {
    if (D > int(wgsl::kMaxAttentionHeadDim))
      throw std::runtime_error("WebGPU: attention supports head dimensions up to 256, not " +
                               std::to_string(D));
    if (T <= 0) return;
    const unsigned rows = attention_rows(T, H), block = 16 * rows;
    dispatch("attention", wgsl::attention, {{z}, {pattern}, {q}, {k}, {v}},
             {u32(T), u32(H), u32(G), u32(D), bits(scale), u32(past)}, (u32(T) + block - 1) / block,
             u32(H),
             "const RQ = " + std::to_string(rows) +
                 "u;\nconst DJ = " + std::to_string((D + 15) / 16) + "u;\n");
  }
  void attention_scores(View scores, View q, View k, int T, int H, int G, int D,
                        float scale) override {
    run("attention_scores", wgsl::attention_scores, {{scores}, {q}, {k}},
        {u32(T), u32(H), u32(G), u32(D), bits(scale)}, std::size_t(H) * T * T);
  }
  void softmax_rows(View pattern, View scores, int H, int T) override {
    run_rows("softmax_rows", wgsl::softmax_rows, {{pattern}, {scores}},
             {u32(std::size_t(H) * T), u32(T)}, u32(std::size_t(H) * T));
  }
  void attention_mix(View z, View pattern, View v, int T, int H, int G, int D) override {
    run("attention_mix", wgsl::attention_mix, {{z}, {pattern}, {v}},
        {u32(T), u32(H), u32(G), u32(D)}, std::size_t(T) * H * D);
  }
  void sum_heads(View out, View x, View bias, int T, int H, int C) override {
    run("sum_heads", wgsl::sum_heads, {{out}, {x}, {bias}}, {u32(T), u32(H), u32(C)},
        std::size_t(T) * C);
  }
  void fill(View x, int rows, int cols, float value) override {
    run("fill", wgsl::fill, {{x}}, {u32(rows), u32(cols), u32(x.stride(cols)), bits(value)},
        std::size_t(rows) * cols);
  }
  void copy(View dst, View src, int rows, int cols) override {
    run("copy", wgsl::copy, {{dst}, {src}},
        {u32(rows), u32(cols), u32(dst.stride(cols)), u32(src.ld)}, std::size_t(rows) * cols);
  }
  void scale(View x, int rows, int cols, float factor) override {
    run("scale", wgsl::scale, {{x}}, {u32(rows), u32(cols), u32(x.stride(cols)), bits(factor)},
        std::size_t(rows) * cols);
  }

 private:
  // Outputs per invocation and dimension of a T × N product: 4 (64 × 64 tiles), or 2 (32 × 32)
  // when 64s would make too few workgroups to fill the GPU (wgsl::kLinearFullGrid). Larger tiles
  // read each operand fewer times; too few leave multiprocessors idle. Measured on the H200
  // (tests/bench/results/device_webgpu.txt): 64s win at every T = 1024 shape, 32s at every
  // T = 128 one; 128 × 128 tiles (8 × 8 each) and vector-typed workgroup tiles were slower at
  // every shape and are gone. ATTNSCOPE_WEBGPU_TILE (32 or 64) fixes the tile, for measuring
  // this choice (tests/bench/device_webgpu.sh).
  static unsigned linear_rows(int T, int N) {
    static const unsigned forced = [] {
      const char* v = std::getenv("ATTNSCOPE_WEBGPU_TILE");
      const std::string s = v ? v : "";
      return s == "32" ? 2u : s == "64" ? 4u : 0u;
    }();
    if (forced) return forced;
    const std::size_t groups = std::size_t((unsigned(N) + 63) / 64) * ((unsigned(T) + 63) / 64);
    return groups >= wgsl::kLinearFullGrid ? 4 : 2;
  }

  // Query rows per invocation of the attention kernel (its workgroup takes 16 × rows queries of
  // one head): the most, of 4 and 2, that still make wgsl::kAttentionFullGrid groups; else 1.
  // More rows reuse each K and V tile over more queries; more groups keep the GPU busy. Measured
  // on the H200 (tests/bench/results/device_webgpu.txt, GPT-2 small with patterns): T = 1024,
  // 12 heads: 1, 2, 4 rows 25.1, 23.5, 24.6 ms a forward; T = 128: 1 row fastest.
  // ATTNSCOPE_WEBGPU_ATTENTION_ROWS (1, 2 or 4) fixes it, for measuring this choice
  // (tests/bench/device_webgpu.sh).
  static unsigned attention_rows(int T, int H) {
    static const unsigned forced = [] {
      const char* v = std::getenv("ATTNSCOPE_WEBGPU_ATTENTION_ROWS");
      const std::string s = v ? v : "";
      return s == "1" ? 1u : s == "2" ? 2u : s == "4" ? 4u : 0u;
    }();
    if (forced) return forced;
    for (unsigned rows : {4u, 2u}) {
      const std::size_t groups = std::size_t((unsigned(T) + 16 * rows - 1) / (16 * rows)) * H;
      if (groups >= wgsl::kAttentionFullGrid) return rows;
    }
    return 1;
  }

  // How many splits of k a T × K × N product runs as (1: none). Split when 64 × 64 tiles leave
  // the GPU underused (fewer than wgsl::kLinearSplitGroups groups; the H200 ran a T = 1024,
  // 768-wide product at 9–10 TFLOP/s with 192 groups against 16–17 with 576 or more), into
  // enough splits to reach that many, none shorter than kLinearMinSplitK, and only while the
  // partials fit the partials' buffer. ATTNSCOPE_WEBGPU_SPLITK=off turns it off (for measuring:
  // a GPT-2 small forward with patterns, tests/bench/results/device_webgpu.txt, ran 11.4 → 6.1 ms
  // at T = 128 and 30.7 → 25.2 ms at T = 1024 with it on).
  std::uint32_t linear_splits(int T, int K, int N) const {
    static const bool off = [] {
      const char* v = std::getenv("ATTNSCOPE_WEBGPU_SPLITK");
      return v && std::string(v) == "off";
    }();
    const std::size_t groups = std::size_t((unsigned(N) + 63) / 64) * ((unsigned(T) + 63) / 64);
    if (off || groups >= wgsl::kLinearSplitGroups) return 1;
    std::size_t splits = (wgsl::kLinearSplitGroups + groups - 1) / groups;
    splits = std::min<std::size_t>(
        {splits, wgsl::kLinearMaxSplits, std::size_t(K) / wgsl::kLinearMinSplitK});
    const std::size_t limit = std::min<std::uint64_t>(
        {kMaxPartialsBytes, info().max_binding_bytes, info().max_buffer_bytes});
    while (splits > 1 && splits * std::size_t(T) * N * sizeof(float) > limit) splits--;
    return std::uint32_t(std::max<std::size_t>(splits, 1));
  }
  // A view of at least `n` floats of the partials' buffer, grown as needed and kept.
  View split_partials(std::size_t n) {
    if (!partials_ || partials_->bytes() < n * sizeof(float)) partials_ = alloc(n * sizeof(float));
    return {partials_.get(), 0, DType::f32, 0};
  }
  static constexpr std::size_t kMaxPartialsBytes = std::size_t(64) << 20;

  struct Unaligned {  // a read_async whose bytes are not whole words: copied out at synchronize
    std::vector<std::byte> words;
    void* dst;
    std::size_t skip, n;
  };

  WebGpuBuffer& buffer(View v) const {
    auto* b = dynamic_cast<WebGpuBuffer*>(v.buffer);
    if (!b) throw std::logic_error("WebGPU: an op got a view of another backend's buffer");
    return *b;
  }

  // One invocation per element, n elements, as a 2-D grid of workgroups.
  void run(const char* name, std::string_view body, std::initializer_list<Operand> operands,
           std::initializer_list<std::uint32_t> params, std::size_t n) {
    run_rows(name, body, operands, params,
             u32((n + wgsl::kElementwiseGroup - 1) / wgsl::kElementwiseGroup));
  }
  // `groups` workgroups, as a 2-D grid.
  void run_rows(const char* name, std::string_view body, std::initializer_list<Operand> operands,
                std::initializer_list<std::uint32_t> params, std::uint32_t groups,
                const std::string& constants = {}, std::string_view enables = {}) {
    if (groups == 0) return;
    const std::uint32_t max =
        std::max<std::uint32_t>(1, device_->info().max_workgroups_per_dimension);
    const std::uint32_t x = std::min(groups, max), y = (groups + x - 1) / x;
    dispatch(name, body, operands, params, x, y, constants, 1, enables);
  }

  // `constants`: WGSL declarations put before the kernel's source (its variant: a tile size, a
  // head dimension's register count); part of the pipeline's key (with the name). `enables`:
  // enable directives, which WGSL wants before every declaration.
  void dispatch(const char* name, std::string_view body, std::initializer_list<Operand> operands,
                std::initializer_list<std::uint32_t> params, std::uint32_t x, std::uint32_t y,
                const std::string& constants = {}, std::uint32_t z = 1,
                std::string_view enables = {}) {
    Lock lock(mutex_);
    std::array<std::uint32_t, 32> p{};
    std::vector<GpuBufferId> ids;
    std::vector<int> binding;
    std::string key = name + constants;
    int j = 0;
    for (const Operand& o : operands) {
      if (!o.view) {
        binding.push_back(-1);
        key += ",-";
      } else {
        const GpuBufferId id = buffer(o.view).id();
        int b = 0;
        while (b < int(ids.size()) && ids[b] != id) b++;
        if (b == int(ids.size())) ids.push_back(id);
        binding.push_back(b);
        p[j] = u32(o.view.offset / dtype_size(o.access == Access::i32 ? DType::i32 : o.view.type));
        key += "," + std::to_string(b) + std::string(dtype_name(o.view.type));
      }
      j++;
    }
    int k = 8;
    for (std::uint32_t v : params) p[k++] = v;
    auto it = pipelines_.find(key);
    if (it == pipelines_.end()) {
      const std::vector<Operand> list(operands);
      const std::string source = std::string(enables) +
                                 wgsl_prelude(list, binding, int(ids.size())) + constants +
                                 std::string(body);
      it = pipelines_.emplace(key, device_->pipeline(source, key)).first;
    }
    if (!profiling_) return device_->dispatch(it->second, ids, p, x, y, z);
    device_->synchronize();
    const auto start = OpProfile::Clock::now();
    device_->dispatch(it->second, ids, p, x, y, z);
    device_->synchronize();
    profile_.add(name, start);
  }

  // cos and sin of every (position, rotary pair), computed as the reference kernel does; kept
  // for the last few shapes (a forward pass asks for one per layer, the same each time).
  View rope_table(int T, int R, float theta, int pos0) {
    const auto key = std::make_tuple(T, R, theta, pos0);
    auto it = rope_tables_.find(key);
    if (it == rope_tables_.end()) {
      if (rope_tables_.size() >= 8) rope_tables_.clear();
      const int half = R / 2;
      std::vector<float> table(std::size_t(T) * half * 2);
      for (int t = 0; t < T; t++) {
        for (int i = 0; i < half; i++) {
          const float angle = rope_angle(pos0 + t, rope_inv_freq(i, R, theta));
          table[(std::size_t(t) * half + i) * 2] = std::cos(angle);
          table[(std::size_t(t) * half + i) * 2 + 1] = std::sin(angle);
        }
      }
      auto buffer = alloc(table.size() * sizeof(float));
      buffer->write(0, table.data(), table.size() * sizeof(float));
      it = rope_tables_.emplace(key, std::move(buffer)).first;
    }
    return {it->second.get(), 0, DType::f32, 0};
  }

  // ATTNSCOPE_WEBGPU_SUBGROUPS=off: no subgroup kernels even where the adapter has them (for
  // measuring what they gain: tests/bench/device_decode.sh).
  static bool subgroups_turned_off() {
    const char* v = std::getenv("ATTNSCOPE_WEBGPU_SUBGROUPS");
    return v && std::string(v) == "off";
  }

  std::shared_ptr<GpuDevice> device_;
  bool subgroups_;
  std::string name_;
  std::recursive_mutex mutex_;
  bool profiling_ = false;
  OpProfile profile_;
  std::unordered_map<std::string, int> pipelines_;
  std::map<std::tuple<int, int, float, int>, std::unique_ptr<Buffer>> rope_tables_;
  std::vector<Unaligned> unaligned_;
  std::unique_ptr<Buffer> partials_;  // linear's split partial sums
};

}  // namespace

std::unique_ptr<Backend> make_webgpu_backend(std::shared_ptr<GpuDevice> device,
                                             const WebGpuOptions& options) {
  return std::make_unique<WebGpuBackend>(std::move(device), options);
}

std::string webgpu_adapter_name(const Backend& backend) {
  const auto* w = dynamic_cast<const WebGpuBackend*>(&backend);
  return w ? w->info().adapter : std::string();
}

const GpuInfo* webgpu_info(const Backend& backend) {
  const auto* w = dynamic_cast<const WebGpuBackend*>(&backend);
  return w ? &w->info() : nullptr;
}

std::string webgpu_features(const Backend& backend) {
  const auto* w = dynamic_cast<const WebGpuBackend*>(&backend);
  if (!w) return {};
  std::string out;
  if (w->info().shader_f16) out += "shader-f16";
  if (w->uses_subgroups()) out += out.empty() ? "subgroups" : ",subgroups";
  return out;
}

}  // namespace attnscope
