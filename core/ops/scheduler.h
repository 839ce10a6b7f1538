// scheduler.h — runs ops on a backend, and on the CPU those the backend declines.
//
// The forward pass calls ops through a Scheduler, never a Backend directly. For each op it asks
// backend.supports(op, weight type); if the backend declines, the op's operands are copied to the
// host (Buffer::read), the CPU kernel runs there, and its outputs are copied back
// (Buffer::write). Operands already in host memory are used in place. So a new backend can start
// with a few ops and still run every model, each missing op costing copies, not correctness.
#pragma once

#include <span>

#include "core/ops/backend.h"

namespace attnscope {

class Scheduler {
 public:
  explicit Scheduler(Backend& backend, Kernels& cpu = cpu_simd_kernels())
      : be_(backend), cpu_(cpu) {}
  Backend& backend() const { return be_; }
  // Ops run on the CPU so far because the backend declined them.
  int cpu_fallbacks() const { return fallbacks_; }

  void gather_rows(View out, View table, View ids, int n, int C);
  void add(View a, View b, std::size_t n);
  void multiply(View a, View b, std::size_t n);
  void activate(View x, std::size_t n, Activation act);
  void layernorm(View out, View x, View w, View b, int T, int C, float eps);
  void rmsnorm(View out, View x, View w, int T, int C, float eps);
  void linear(View out, View x, View w, View bias, int T, int K, int N);
  void linear_multi(View x, int T, int K, std::span<const LinearTarget> targets);
  void rope(View x, int T, int heads, int D, int R, float theta, int pos0);
  void attention(View z, View pattern, View q, View k, View v, int T, int H, int G, int D,
                 float scale, int past = 0);
  void attention_scores(View scores, View q, View k, int T, int H, int G, int D, float scale);
  void softmax_rows(View pattern, View scores, int H, int T);
  void attention_mix(View z, View pattern, View v, int T, int H, int G, int D);
  void sum_heads(View out, View x, View bias, int T, int H, int C);
  void fill(View x, int rows, int cols, float value);
  void copy(View dst, View src, int rows, int cols);
  void scale(View x, int rows, int cols, float factor);

 private:
  bool on_backend(Op op, DType weights = DType::f32);
  Backend& be_;
  Kernels& cpu_;
  int fallbacks_ = 0;
};

}  // namespace attnscope
