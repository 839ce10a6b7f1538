#include "core/ops/scheduler.h"

#include <deque>
#include <vector>

namespace attnscope {
namespace {

// Host copies of one op's operands: made before the CPU kernel runs, outputs written back to the
// backend's buffers when the staging ends. Operands in host memory are passed through.
class Staging {
 public:
  Staging() = default;
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  ~Staging() {
    for (Copy& c : copies_)
      if (c.write_back) c.view.buffer->write(c.view.offset, c.host.data(), c.host.size());
  }

  // rows × cols float32 elements, rows view.ld apart (a flat array when ld is 0).
  const float* in(View v, std::size_t rows, std::size_t cols) {
    return static_cast<const float*>(stage(v, bytes(v, rows, cols), true, false));
  }
  const float* in(View v, std::size_t n) { return in(v, 1, n); }
  // Written by the kernel. A strided output's gaps are kept: it is read first.
  float* out(View v, std::size_t rows, std::size_t cols) {
    const bool strided = rows > 1 && v.ld > cols;
    return static_cast<float*>(stage(v, bytes(v, rows, cols), strided, true));
  }
  float* out(View v, std::size_t n) { return out(v, 1, n); }
  float* inout(View v, std::size_t rows, std::size_t cols) {
    return static_cast<float*>(stage(v, bytes(v, rows, cols), true, true));
  }
  float* inout(View v, std::size_t n) { return inout(v, 1, n); }
  const int* ids(View v, std::size_t n) {
    return static_cast<const int*>(stage(v, n * sizeof(int), true, false));
  }
  // A weight matrix or table from the view to its buffer's end (each weight has its own buffer,
  // so this is that matrix, or its columns from the view on).
  WeightView weights(View v) {
    const void* data = stage(v, v.buffer ? v.buffer->bytes() - v.offset : 0, true, false);
    const WeightType type = v.type == DType::f16    ? WeightType::f16
                            : v.type == DType::bf16 ? WeightType::bf16
                                                    : WeightType::f32;
    return {data, type, v.ld};
  }

 private:
  struct Copy {
    View view;
    std::vector<std::byte> host;
    bool write_back;
  };
  static std::size_t bytes(View v, std::size_t rows, std::size_t cols) {
    return span_elements(rows, cols, v.stride(cols)) * dtype_size(v.type);
  }
  void* stage(View v, std::size_t n, bool read, bool write_back) {
    if (!v) return nullptr;
    if (std::byte* host = v.host_as<std::byte>()) return host;
    Copy& c = copies_.emplace_back(Copy{v, std::vector<std::byte>(n), write_back});
    if (read) v.buffer->read(v.offset, c.host.data(), n);
    return c.host.data();
  }
  std::deque<Copy> copies_;  // stable addresses
};

std::size_t n_of(int a, int b = 1, int c = 1) {
  return std::size_t(a) * std::size_t(b) * std::size_t(c);
}

}  // namespace

bool Scheduler::on_backend(Op op, DType weights) {
  if (be_.supports(op, weights)) return true;
  fallbacks_++;
  return false;
}

void Scheduler::gather_rows(View out, View table, View ids, int n, int C) {
  if (on_backend(Op::gather_rows, table.type)) return be_.gather_rows(out, table, ids, n, C);
  Staging s;
  const int* host_ids = s.ids(ids, n);
  cpu_.gather_rows(s.out(out, n_of(n, C)), s.weights(table), host_ids, n, C);
}

void Scheduler::add(View a, View b, std::size_t n) {
  if (on_backend(Op::add)) return be_.add(a, b, n);
  Staging s;
  cpu_.add(s.inout(a, n), s.in(b, n), n);
}

void Scheduler::multiply(View a, View b, std::size_t n) {
  if (on_backend(Op::multiply)) return be_.multiply(a, b, n);
  Staging s;
  cpu_.multiply(s.inout(a, n), s.in(b, n), n);
}

void Scheduler::activate(View x, std::size_t n, Activation act) {
  if (on_backend(Op::activate)) return be_.activate(x, n, act);
  Staging s;
  cpu_.activate(s.inout(x, n), n, act);
}

void Scheduler::layernorm(View out, View x, View w, View b, int T, int C, float eps) {
  if (on_backend(Op::layernorm)) return be_.layernorm(out, x, w, b, T, C, eps);
  Staging s;
  cpu_.layernorm(s.out(out, n_of(T, C)), s.in(x, n_of(T, C)), s.in(w, C), s.in(b, C), T, C, eps);
}

void Scheduler::rmsnorm(View out, View x, View w, int T, int C, float eps) {
  if (on_backend(Op::rmsnorm)) return be_.rmsnorm(out, x, w, T, C, eps);
  Staging s;
  cpu_.rmsnorm(s.out(out, n_of(T, C)), s.in(x, n_of(T, C)), s.in(w, C), T, C, eps);
}

void Scheduler::linear(View out, View x, View w, View bias, int T, int K, int N) {
  if (on_backend(Op::linear, w.type)) return be_.linear(out, x, w, bias, T, K, N);
  Staging s;
  cpu_.linear_strided(s.out(out, T, N), out.stride(N), s.in(x, T, K), x.stride(K), s.weights(w),
                      s.in(bias, N), T, K, N);
}

void Scheduler::linear_multi(View x, int T, int K, std::span<const LinearTarget> targets) {
  bool all = true;
  for (const LinearTarget& t : targets) all = all && be_.supports(Op::linear, t.w.type);
  if (all) return be_.linear_multi(x, T, K, targets);
  for (const LinearTarget& t : targets) linear(t.out, x, t.w, t.bias, T, K, t.N);
}

void Scheduler::rope(View x, int T, int heads, int D, int R, float theta, int pos0) {
  if (on_backend(Op::rope)) return be_.rope(x, T, heads, D, R, theta, pos0);
  Staging s;
  cpu_.rope(s.inout(x, n_of(T, heads, D)), T, heads, D, R, theta, pos0);
}

void Scheduler::attention(View z, View pattern, View q, View k, View v, int T, int H, int G, int D,
                          float scale, int past) {
  if (on_backend(Op::attention)) return be_.attention(z, pattern, q, k, v, T, H, G, D, scale, past);
  Staging s;
  const int S = past + T;  // keys
  cpu_.attention(s.out(z, n_of(T, H, D)), s.out(pattern, n_of(H, T, S)), s.in(q, n_of(T, H, D)),
                 s.in(k, n_of(S, G, D)), s.in(v, n_of(S, G, D)), T, H, G, D, scale, past);
}

void Scheduler::attention_scores(View scores, View q, View k, int T, int H, int G, int D,
                                 float scale) {
  if (on_backend(Op::attention_scores))
    return be_.attention_scores(scores, q, k, T, H, G, D, scale);
  Staging s;
  cpu_.attention_scores(s.out(scores, n_of(H, T, T)), s.in(q, n_of(T, H, D)),
                        s.in(k, n_of(T, G, D)), T, H, G, D, scale);
}

void Scheduler::softmax_rows(View pattern, View scores, int H, int T) {
  if (on_backend(Op::softmax_rows)) return be_.softmax_rows(pattern, scores, H, T);
  Staging s;
  cpu_.softmax_rows(s.out(pattern, n_of(H, T, T)), s.in(scores, n_of(H, T, T)), H, T);
}

void Scheduler::attention_mix(View z, View pattern, View v, int T, int H, int G, int D) {
  if (on_backend(Op::attention_mix)) return be_.attention_mix(z, pattern, v, T, H, G, D);
  Staging s;
  cpu_.attention_mix(s.out(z, n_of(T, H, D)), s.in(pattern, n_of(H, T, T)), s.in(v, n_of(T, G, D)),
                     T, H, G, D);
}

void Scheduler::sum_heads(View out, View x, View bias, int T, int H, int C) {
  if (on_backend(Op::sum_heads)) return be_.sum_heads(out, x, bias, T, H, C);
  Staging s;
  cpu_.sum_heads(s.out(out, n_of(T, C)), s.in(x, n_of(T, H, C)), s.in(bias, C), T, H, C);
}

void Scheduler::fill(View x, int rows, int cols, float value) {
  if (on_backend(Op::fill)) return be_.fill(x, rows, cols, value);
  Staging s;
  cpu_.fill(s.inout(x, rows, cols), x.stride(cols), rows, cols, value);
}

void Scheduler::copy(View dst, View src, int rows, int cols) {
  if (on_backend(Op::copy)) return be_.copy(dst, src, rows, cols);
  Staging s;
  // src.ld 0 repeats src's one row for every row of dst.
  cpu_.copy(s.out(dst, rows, cols), dst.stride(cols), s.in(src, src.ld ? rows : 1, cols), src.ld,
            rows, cols);
}

void Scheduler::scale(View x, int rows, int cols, float factor) {
  if (on_backend(Op::scale)) return be_.scale(x, rows, cols, factor);
  Staging s;
  cpu_.scale(s.inout(x, rows, cols), x.stride(cols), rows, cols, factor);
}

}  // namespace attnscope
