// device_like_backend.h — a test backend that behaves like a GPU one, without a GPU.
//
// Its buffers are not host memory (host() is null: the forward pass must go through write, read
// and read_async), read_async delivers its bytes only at synchronize() (as a mapped staging buffer
// would), and it can decline chosen ops so that the Scheduler's CPU fallback runs. Its ops run the
// reference kernels on the buffers' private storage. CI has no GPU; this is how the backend
// contract (resident weights, explicit copies, supports()) is tested on every machine.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/gpu/shared_webgpu.h"
#include "core/gpu/webgpu_backend.h"
#include "core/ops/backend.h"

namespace attnscope::test {

class DeviceLikeBackend final : public Backend {
 public:
  // declines(op, weight type): ops the backend leaves to the Scheduler.
  DeviceLikeBackend(std::string name, std::function<bool(Op, DType)> declines = {})
      : name_(std::move(name)), declines_(std::move(declines)) {}

  std::string_view name() const override { return name_; }
  bool supports(Op op, DType weights) const override {
    const bool no = declines_ && declines_(op, weights);
    if (no) declined_++;
    return !no;
  }
  std::unique_ptr<Buffer> alloc(std::size_t bytes) override {
    allocated_ += bytes;
    return std::make_unique<DeviceBuffer>(bytes);
  }
  void read_async(View src, void* dst, std::size_t n) override {
    // Snapshot now (ops queued later must not change it), deliver at synchronize().
    Pending p{dst, std::vector<std::byte>(n)};
    src.buffer->read(src.offset, p.bytes.data(), n);
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(p));
  }
  void synchronize() override {
    std::lock_guard lock(mutex_);
    for (Pending& p : pending_) std::memcpy(p.dst, p.bytes.data(), p.bytes.size());
    pending_.clear();
  }

  // How often supports() said no, and the bytes ever allocated (weights and arenas).
  long declined() const { return declined_; }
  std::size_t allocated() const { return allocated_; }

  void gather_rows(View out, View table, View ids, int n, int C) override {
    k().gather_rows(f(out), weights(table), mem<const int>(ids), n, C);
  }
  void add(View a, View b, std::size_t n) override { k().add(f(a), f(b), n); }
  void multiply(View a, View b, std::size_t n) override { k().multiply(f(a), f(b), n); }
  void activate(View x, std::size_t n, Activation act) override { k().activate(f(x), n, act); }
  void layernorm(View out, View x, View w, View b, int T, int C, float eps) override {
    k().layernorm(f(out), f(x), f(w), f(b), T, C, eps);
  }
  void rmsnorm(View out, View x, View w, int T, int C, float eps) override {
    k().rmsnorm(f(out), f(x), f(w), T, C, eps);
  }
  void linear(View out, View x, View w, View bias, int T, int K, int N) override {
    k().linear_strided(f(out), out.stride(N), f(x), x.stride(K), weights(w), f(bias), T, K, N);
  }
  void linear_multi(View x, int T, int K, std::span<const LinearTarget> targets) override {
    for (const LinearTarget& t : targets) linear(t.out, x, t.w, t.bias, T, K, t.N);
  }
  void rope(View x, int T, int heads, int D, int R, float theta, int pos0) override {
    k().rope(f(x), T, heads, D, R, theta, pos0);
  }
  void attention(View z, View pattern, View q, View kk, View v, int T, int H, int G, int D,
                 float scale, int past) override {
    k().attention(f(z), f(pattern), f(q), f(kk), f(v), T, H, G, D, scale, past);
  }
  void attention_scores(View scores, View q, View kk, int T, int H, int G, int D,
                        float scale) override {
    k().attention_scores(f(scores), f(q), f(kk), T, H, G, D, scale);
  }
  void softmax_rows(View pattern, View scores, int H, int T) override {
    k().softmax_rows(f(pattern), f(scores), H, T);
  }
  void attention_mix(View z, View pattern, View v, int T, int H, int G, int D) override {
    k().attention_mix(f(z), f(pattern), f(v), T, H, G, D);
  }
  void sum_heads(View out, View x, View bias, int T, int H, int C) override {
    k().sum_heads(f(out), f(x), f(bias), T, H, C);
  }
  void fill(View x, int rows, int cols, float value) override {
    k().fill(f(x), x.stride(cols), rows, cols, value);
  }
  void copy(View dst, View src, int rows, int cols) override {
    k().copy(f(dst), dst.stride(cols), f(src), src.ld, rows, cols);
  }
  void scale(View x, int rows, int cols, float factor) override {
    k().scale(f(x), x.stride(cols), rows, cols, factor);
  }

 private:
  // Memory the host cannot address (host() is null); only this backend's ops see its bytes.
  class DeviceBuffer final : public Buffer {
   public:
    explicit DeviceBuffer(std::size_t bytes) : Buffer(bytes), storage_(bytes) {}
    std::byte* host() override { return nullptr; }
    void write(std::size_t offset, const void* src, std::size_t n) override {
      REQUIRE(offset + n <= storage_.size());
      std::memcpy(storage_.data() + offset, src, n);
    }
    void read(std::size_t offset, void* dst, std::size_t n) override {
      REQUIRE(offset + n <= storage_.size());
      std::memcpy(dst, storage_.data() + offset, n);
    }
    std::byte* storage() { return storage_.data(); }

   private:
    std::vector<std::byte> storage_;
  };
  struct Pending {
    void* dst;
    std::vector<std::byte> bytes;
  };

  static Kernels& k() { return cpu_reference_kernels(); }
  template <class T>
  static T* mem(View v) {
    if (!v) return nullptr;
    auto* buffer = dynamic_cast<DeviceBuffer*>(v.buffer);
    REQUIRE_MESSAGE(buffer != nullptr, "an op got a view of another backend's buffer");
    return reinterpret_cast<T*>(buffer->storage() + v.offset);
  }
  static float* f(View v) { return mem<float>(v); }
  static WeightView weights(View v) {
    const WeightType type = v.type == DType::f16    ? WeightType::f16
                            : v.type == DType::bf16 ? WeightType::bf16
                                                    : WeightType::f32;
    return {mem<const void>(v), type, v.ld};
  }

  std::string name_;
  std::function<bool(Op, DType)> declines_;
  mutable std::atomic<long> declined_{0};
  std::atomic<std::size_t> allocated_{0};
  std::mutex mutex_;
  std::vector<Pending> pending_;
};

// The device-like backend as tests use it: running every op, and declining a spread of them
// (attention, RoPE, embedding gathers, a norm, the edit ops, and 16-bit weights' products).
inline DeviceLikeBackend& device_like_backend() {
  static DeviceLikeBackend backend("device-like");
  return backend;
}
inline DeviceLikeBackend& device_like_declining_backend() {
  static DeviceLikeBackend backend("device-like (declines some ops)", [](Op op, DType w) {
    return op == Op::attention || op == Op::rope || op == Op::gather_rows || op == Op::layernorm ||
           op == Op::fill || op == Op::copy || (op == Op::linear && w != DType::f32);
  });
  return backend;
}

// The process's WebGPU backend (core/gpu/shared_webgpu.h): natively Dawn (npm
// bun-webgpu-linux-x64, installed by setup.sh) on whatever adapter Vulkan offers, SwiftShader on
// a machine without a GPU (tests/run_all.sh sets VK_ICD_FILENAMES); in the threaded WASM test
// build navigator.gpu (dawn.node under node, tests/wasm/gpu_tests.mjs). ATTNSCOPE_WEBGPU=off
// leaves it out (the sanitizer build: Dawn is not instrumented); ATTNSCOPE_WEBGPU=required makes
// its absence a failure (run_all.sh).
inline Backend* webgpu_backend_under_test() {
  static Backend* backend = []() -> Backend* {
    const char* mode = std::getenv("ATTNSCOPE_WEBGPU");
    if (mode && std::string_view(mode) == "off") return nullptr;
    std::string why;
    Backend* b = shared_webgpu_backend(&why);
    if (!b) {
      if (mode && std::string_view(mode) == "required") FAIL("no WebGPU backend: " << why);
      MESSAGE("the WebGPU backend is not tested: " << why);
      return nullptr;
    }
    MESSAGE("testing the WebGPU backend on " << webgpu_adapter_name(*b));
    return b;
  }();
  return backend;
}

// Every backend compiled in, then the device-like ones, then WebGPU where it can run: with the
// adapter's subgroups when it has them, and then again without (the kernels' other form).
inline std::vector<Backend*> backends_under_test() {
  std::vector<Backend*> all = available_backends();
  all.push_back(&device_like_backend());
  all.push_back(&device_like_declining_backend());
  if (Backend* webgpu = webgpu_backend_under_test()) {
    all.push_back(webgpu);
    if (Backend* plain = shared_webgpu_backend_without_subgroups(nullptr)) all.push_back(plain);
  }
  return all;
}

}  // namespace attnscope::test
