// backend_kernels.h — any Backend seen through the Kernels interface, for the op table.
//
// The op table (test_backend_ops.cpp) calls kernels on host arrays. This adapter puts each call's
// operands in the backend's buffers, runs the op through a Scheduler (so declined ops take the
// CPU fallback, as in a forward pass), and reads the outputs back: one table tests every backend.
// The SAE's training kernels are not backend ops; they go to the reference.
#pragma once

#include <algorithm>
#include <exception>
#include <memory>
#include <vector>

#include "core/ops/scheduler.h"

namespace attnscope::test {

class BackendKernels final : public Kernels {
 public:
  explicit BackendKernels(Backend& backend) : be_(backend), sch_(backend) {}
  std::string_view name() const override { return be_.name(); }

  void linear(float* out, const float* x, const float* w, const float* bias, int T, int K,
              int N) override {
    linear_strided(out, N, x, K, WeightView::f32(w, K), bias, T, K, N);
  }
  void linear_strided(float* out, std::size_t ldo, const float* x, std::size_t ldx, WeightView w,
                      const float* bias, int T, int K, int N) override {
    const DropOnThrow guard{*this};
    sch_.linear(out_(out, span_elements(T, N, ldo), ldo), in_(x, span_elements(T, K, ldx), ldx),
                weights_(w, span_elements(N, K, w.ld)), in_(bias, N), T, K, N);
    finish();
  }
  void linear_multi(const float* x, std::size_t ldx, int T, int K,
                    std::span<const LinearOutput> outputs) override {
    const DropOnThrow guard{*this};
    std::vector<LinearTarget> targets;
    for (const LinearOutput& o : outputs)
      targets.push_back({out_(o.out, span_elements(T, o.N, o.ldo), o.ldo),
                         weights_(o.w, span_elements(o.N, K, o.w.ld)), in_(o.bias, o.N), o.N});
    sch_.linear_multi(in_(x, span_elements(T, K, ldx), ldx), T, K, targets);
    finish();
  }
  void layernorm(float* out, const float* x, const float* w, const float* b, int T, int C,
                 float eps) override {
    const DropOnThrow guard{*this};
    const std::size_t n = std::size_t(T) * C;
    sch_.layernorm(out_(out, n), in_(x, n), in_(w, C), in_(b, C), T, C, eps);
    finish();
  }
  void rmsnorm(float* out, const float* x, const float* w, int T, int C, float eps) override {
    const DropOnThrow guard{*this};
    const std::size_t n = std::size_t(T) * C;
    sch_.rmsnorm(out_(out, n), in_(x, n), in_(w, C), T, C, eps);
    finish();
  }
  void activate(float* x, std::size_t n, Activation act) override {
    const DropOnThrow guard{*this};
    sch_.activate(out_(x, n), n, act);
    finish();
  }
  void multiply(float* a, const float* b, std::size_t n) override {
    const DropOnThrow guard{*this};
    sch_.multiply(out_(a, n), in_(b, n), n);
    finish();
  }
  void add(float* a, const float* b, std::size_t n) override {
    const DropOnThrow guard{*this};
    sch_.add(out_(a, n), in_(b, n), n);
    finish();
  }
  void rope(float* x, int T, int heads, int D, int R, float theta, int pos0) override {
    const DropOnThrow guard{*this};
    sch_.rope(out_(x, std::size_t(T) * heads * D), T, heads, D, R, theta, pos0);
    finish();
  }
  void attention_scores(float* scores, const float* q, const float* k, int T, int H, int G, int D,
                        float scale) override {
    const DropOnThrow guard{*this};
    sch_.attention_scores(out_(scores, n3(H, T, T)), in_(q, n3(T, H, D)), in_(k, n3(T, G, D)), T, H,
                          G, D, scale);
    finish();
  }
  void softmax_rows(float* pattern, const float* scores, int H, int T) override {
    const DropOnThrow guard{*this};
    sch_.softmax_rows(out_(pattern, n3(H, T, T)), in_(scores, n3(H, T, T)), H, T);
    finish();
  }
  void attention_mix(float* z, const float* pattern, const float* v, int T, int H, int G,
                     int D) override {
    const DropOnThrow guard{*this};
    sch_.attention_mix(out_(z, n3(T, H, D)), in_(pattern, n3(H, T, T)), in_(v, n3(T, G, D)), T, H,
                       G, D);
    finish();
  }
  void attention(float* z, float* pattern, const float* q, const float* k, const float* v, int T,
                 int H, int G, int D, float scale, int past) override {
    const DropOnThrow guard{*this};
    const int S = past + T;
    sch_.attention(out_(z, n3(T, H, D)), out_(pattern, n3(H, T, S)), in_(q, n3(T, H, D)),
                   in_(k, n3(S, G, D)), in_(v, n3(S, G, D)), T, H, G, D, scale, past);
    finish();
  }
  void gather_rows(float* out, WeightView table, const int* ids, int n, int C) override {
    const DropOnThrow guard{*this};
    const int rows = n ? *std::max_element(ids, ids + n) + 1 : 0;
    sch_.gather_rows(out_(out, std::size_t(n) * C),
                     weights_(table, span_elements(rows, C, table.ld)),
                     bytes_(ids, std::size_t(n) * sizeof(int), DType::i32, 0), n, C);
    finish();
  }
  void sum_heads(float* out, const float* x, const float* bias, int T, int H, int C) override {
    const DropOnThrow guard{*this};
    sch_.sum_heads(out_(out, std::size_t(T) * C), in_(x, n3(T, H, C)), in_(bias, C), T, H, C);
    finish();
  }
  void fill(float* x, std::size_t ld, int rows, int cols, float value) override {
    const DropOnThrow guard{*this};
    sch_.fill(out_(x, span_elements(rows, cols, ld), ld), rows, cols, value);
    finish();
  }
  void copy(float* dst, std::size_t ldd, const float* src, std::size_t lds, int rows,
            int cols) override {
    const DropOnThrow guard{*this};
    sch_.copy(out_(dst, span_elements(rows, cols, ldd), ldd),
              in_(src, span_elements(lds ? rows : 1, cols, lds), lds), rows, cols);
    finish();
  }
  void scale(float* x, std::size_t ld, int rows, int cols, float factor) override {
    const DropOnThrow guard{*this};
    sch_.scale(out_(x, span_elements(rows, cols, ld), ld), rows, cols, factor);
    finish();
  }

  // Training kernels: not backend ops.
  void matmul(float* out, const float* a, const float* b, const float* bias, int T, int K,
              int N) override {
    cpu_reference_kernels().matmul(out, a, b, bias, T, K, N);
  }
  void matmul_tn(float* out, const float* a, const float* b, int T, int K, int N) override {
    cpu_reference_kernels().matmul_tn(out, a, b, T, K, N);
  }
  void linear_masked(float* out, const float* x, const float* w, const float* bias,
                     const float* mask, int T, int K, int N) override {
    cpu_reference_kernels().linear_masked(out, x, w, bias, mask, T, K, N);
  }
  void adam_step(float* param, float* m, float* v, const float* grad, std::size_t n,
                 const AdamStep& s) override {
    cpu_reference_kernels().adam_step(param, m, v, grad, n, s);
  }

 private:
  static std::size_t n3(int a, int b, int c) { return std::size_t(a) * b * c; }
  View bytes_(const void* data, std::size_t n, DType type, std::size_t ld) {
    if (!data) return {};
    buffers_.push_back(be_.alloc(n));
    buffers_.back()->write(0, data, n);
    return {buffers_.back().get(), 0, type, ld};
  }
  View in_(const float* data, std::size_t n, std::size_t ld = 0) {
    return bytes_(data, n * sizeof(float), DType::f32, ld);
  }
  View weights_(WeightView w, std::size_t n) {
    const DType type = w.type == WeightType::f16    ? DType::f16
                       : w.type == WeightType::bf16 ? DType::bf16
                                                    : DType::f32;
    return bytes_(w.data, n * w.element_size(), type, w.ld);
  }
  // An output, uploaded first so that the gaps of a strided one keep their values.
  View out_(float* data, std::size_t n, std::size_t ld = 0) {
    const View v = in_(data, n, ld);
    if (v) outputs_.push_back({v, data, n});
    return v;
  }
  void finish() {
    for (const Output& o : outputs_) be_.read_async(o.view, o.host, o.n * sizeof(float));
    be_.synchronize();
    outputs_.clear();
    buffers_.clear();
  }
  // An op that throws (a kernel that does not compile) leaves no outputs behind: the next op's
  // finish() would read back into the thrown op's host arrays, gone by then.
  struct DropOnThrow {
    BackendKernels& k;
    const int exceptions = std::uncaught_exceptions();
    ~DropOnThrow() {
      if (std::uncaught_exceptions() > exceptions) k.outputs_.clear(), k.buffers_.clear();
    }
  };
  struct Output {
    View view;
    float* host;
    std::size_t n;
  };
  Backend& be_;
  Scheduler sch_;
  std::vector<std::unique_ptr<Buffer>> buffers_;
  std::vector<Output> outputs_;
};

}  // namespace attnscope::test
