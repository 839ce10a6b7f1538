// host_backend.cpp — the CPU backends: buffers in host memory, ops run by a kernel set.
//
// Views turn into pointers and the kernel runs in place, so a CPU backend adds no copies: the
// weights' buffers wrap the loader's arrays, captures are written straight into the cache's
// tensors (wrap_host), and read_async is a memcpy.
#include <atomic>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "core/ops/amx_gemm.h"
#include "core/ops/backend.h"
#include "core/ops/op_profile.h"

namespace attnscope {
namespace {

// Host memory: someone else's, borrowed (a loaded weight, a cache tensor), or, for alloc(),
// owned and aligned for any SIMD width.
class HostBuffer final : public Buffer {
 public:
  HostBuffer(void* data, std::size_t bytes)
      : Buffer(bytes), data_(static_cast<std::byte*>(data)), owned_(false) {}
  explicit HostBuffer(std::size_t bytes)
      : Buffer(bytes),
        data_(static_cast<std::byte*>(::operator new(bytes ? bytes : 1, kAlign))),
        owned_(true) {}
  ~HostBuffer() override {
    if (owned_) ::operator delete(data_, kAlign);
  }
  std::byte* host() override { return data_; }
  // The kernel set's second layout of a weight wrapped by wrap_weight, or null.
  const amx::SplitWeight* split() const { return split_.get(); }
  void set_split(std::shared_ptr<const amx::SplitWeight> split) { split_ = std::move(split); }
  void write(std::size_t offset, const void* src, std::size_t n) override {
    std::memcpy(data_ + offset, src, n);
  }
  void read(std::size_t offset, void* dst, std::size_t n) override {
    std::memcpy(dst, data_ + offset, n);
  }

 private:
  static constexpr std::align_val_t kAlign{64};
  std::byte* data_;
  bool owned_;
  std::shared_ptr<const amx::SplitWeight> split_;
};

WeightType weight_type(DType t) {
  return t == DType::f16 ? WeightType::f16 : t == DType::bf16 ? WeightType::bf16 : WeightType::f32;
}

float* f32(View v) {
  return v.host_as<float>();
}
// A weight view, with where it starts in its buffer's split layout when the buffer has one.
WeightView weights(View v) {
  WeightView w{v.host_as<const void>(), weight_type(v.type), v.ld};
  const auto* host = dynamic_cast<const HostBuffer*>(v.buffer);
  // Only a view with the weight's own row stride maps onto the split (a view read with another
  // stride takes the float32 product).
  if (host && host->split() && v.type == DType::f32 && v.ld == std::size_t(host->split()->K)) {
    const std::size_t element = v.offset / sizeof(float), K = std::size_t(host->split()->K);
    w.split = host->split();
    w.split_row = element / K;
    w.split_col = element % K;
  }
  return w;
}

class HostBackend final : public Backend {
 public:
  HostBackend(Kernels& kernels, std::string_view name) : k_(kernels), name_(name) {}
  std::string_view name() const override { return name_; }
  bool supports(Op, DType) const override { return true; }
  std::unique_ptr<Buffer> alloc(std::size_t bytes) override {
    return std::make_unique<HostBuffer>(bytes);
  }
  bool host_memory() const override { return true; }
  std::unique_ptr<Buffer> wrap_host(void* data, std::size_t bytes) override {
    return std::make_unique<HostBuffer>(data, bytes);
  }
  std::unique_ptr<Buffer> wrap_weight(void* data, std::size_t bytes, DType type, int N,
                                      int K) override {
    auto buffer = std::make_unique<HostBuffer>(data, bytes);
    if (type == DType::f32)
      buffer->set_split(k_.prepare_weight(
          WeightView::f32(static_cast<const float*>(data), std::size_t(K)), N, K));
    return buffer;
  }
  void set_profiling(bool on) override {
    profile_.clear();
    profiling_.store(on, std::memory_order_relaxed);
  }
  std::string profile_report() override { return profile_.report(); }

  void gather_rows(View out, View table, View ids, int n, int C) override {
    run(Op::gather_rows,
        [&] { k_.gather_rows(f32(out), weights(table), ids.host_as<const int>(), n, C); });
  }
  void add(View a, View b, std::size_t n) override {
    run(Op::add, [&] { k_.add(f32(a), f32(b), n); });
  }
  void multiply(View a, View b, std::size_t n) override {
    run(Op::multiply, [&] { k_.multiply(f32(a), f32(b), n); });
  }
  void activate(View x, std::size_t n, Activation act) override {
    run(Op::activate, [&] { k_.activate(f32(x), n, act); });
  }
  void layernorm(View out, View x, View w, View b, int T, int C, float eps) override {
    run(Op::layernorm, [&] { k_.layernorm(f32(out), f32(x), f32(w), f32(b), T, C, eps); });
  }
  void rmsnorm(View out, View x, View w, int T, int C, float eps) override {
    run(Op::rmsnorm, [&] { k_.rmsnorm(f32(out), f32(x), f32(w), T, C, eps); });
  }
  void linear(View out, View x, View w, View bias, int T, int K, int N) override {
    run([&] { return shape_name("linear", K, N); },
        [&] {
          k_.linear_strided(f32(out), out.stride(N), f32(x), x.stride(K), weights(w), f32(bias), T,
                            K, N);
        });
  }
  void linear_multi(View x, int T, int K, std::span<const LinearTarget> targets) override {
    std::vector<LinearOutput> outputs;
    outputs.reserve(targets.size());
    for (const LinearTarget& t : targets)
      outputs.push_back({f32(t.out), t.out.stride(t.N), weights(t.w), f32(t.bias), t.N});
    run([&] { return shape_name("linear", K, total_n(targets)); },
        [&] { k_.linear_multi(f32(x), x.stride(K), T, K, outputs); });
  }
  void rope(View x, int T, int heads, int D, int R, float theta, int pos0) override {
    run(Op::rope, [&] { k_.rope(f32(x), T, heads, D, R, theta, pos0); });
  }
  void attention(View z, View pattern, View q, View k, View v, int T, int H, int G, int D,
                 float scale, int past) override {
    run([&] { return std::string(pattern ? "attention+pattern" : "attention"); },
        [&] {
          k_.attention(f32(z), f32(pattern), f32(q), f32(k), f32(v), T, H, G, D, scale, past);
        });
  }
  void attention_scores(View scores, View q, View k, int T, int H, int G, int D,
                        float scale) override {
    run(Op::attention_scores,
        [&] { k_.attention_scores(f32(scores), f32(q), f32(k), T, H, G, D, scale); });
  }
  void softmax_rows(View pattern, View scores, int H, int T) override {
    run(Op::softmax_rows, [&] { k_.softmax_rows(f32(pattern), f32(scores), H, T); });
  }
  void attention_mix(View z, View pattern, View v, int T, int H, int G, int D) override {
    run(Op::attention_mix, [&] { k_.attention_mix(f32(z), f32(pattern), f32(v), T, H, G, D); });
  }
  void sum_heads(View out, View x, View bias, int T, int H, int C) override {
    run(Op::sum_heads, [&] { k_.sum_heads(f32(out), f32(x), f32(bias), T, H, C); });
  }
  void fill(View x, int rows, int cols, float value) override {
    run(Op::fill, [&] { k_.fill(f32(x), x.stride(cols), rows, cols, value); });
  }
  void copy(View dst, View src, int rows, int cols) override {
    run(Op::copy, [&] { k_.copy(f32(dst), dst.stride(cols), f32(src), src.ld, rows, cols); });
  }
  void scale(View x, int rows, int cols, float factor) override {
    run(Op::scale, [&] { k_.scale(f32(x), x.stride(cols), rows, cols, factor); });
  }

 private:
  // Runs `kernel`; while profiling, adds its wall time to the row `name()` names (built only
  // then), or to the op's own row.
  template <typename Name, typename Kernel>
  void run(Name&& name, Kernel&& kernel) {
    if (!profiling_.load(std::memory_order_relaxed)) return kernel();
    const auto start = OpProfile::Clock::now();
    kernel();
    profile_.add(name(), start);
  }
  template <typename Kernel>
  void run(Op op, Kernel&& kernel) {
    run([op] { return std::string(op_name(op)); }, std::forward<Kernel>(kernel));
  }
  static std::string shape_name(const char* op, int K, int N) {
    return std::string(op) + " " + std::to_string(K) + "x" + std::to_string(N);
  }
  static int total_n(std::span<const LinearTarget> targets) {
    int n = 0;
    for (const LinearTarget& t : targets) n += t.N;
    return n;
  }

  Kernels& k_;
  std::string_view name_;
  std::atomic<bool> profiling_{false};
  OpProfile profile_;
};

}  // namespace

Backend& cpu_reference_backend() {
  static HostBackend backend(cpu_reference_kernels(), "cpu-reference");
  return backend;
}

Backend& cpu_simd_backend() {
  static HostBackend backend(cpu_simd_kernels(), "cpu-simd");
  return backend;
}

}  // namespace attnscope
