// backend.h — where a model's tensors live and its ops run.
//
// A Backend owns memory (buffer.h) and runs the forward pass's ops on views of it. A model is
// bound to one backend when it is loaded: its weights are put in the backend's buffers once (the
// CPU backends wrap the host arrays, no copy), and each pass's activations live in one arena
// from the backend (core/model/arena.h), reused layer after layer. A backend may decline an op
// for some weight type (supports()); the Scheduler (scheduler.h) then runs that op on the CPU
// with explicit copies to and from the host. Captures come back through read_async() and
// synchronize(), so a device backend can queue them behind its work.
//
// The ops mean what the kernels of the same name mean (kernels.h, which also has the shape
// legend); a View's ld is the row stride of strided operands (linear's x and out, a head's slice
// of W_O). Every backend is checked against the scalar reference kernels by one op table
// (tests/unit/test_backend_ops.cpp) and against transformers by the parity tests.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ops/buffer.h"
#include "core/ops/kernels.h"

namespace attnscope {

enum class Op {
  gather_rows,
  add,
  multiply,
  activate,
  layernorm,
  rmsnorm,
  linear,
  rope,
  attention,
  attention_scores,
  softmax_rows,
  attention_mix,
  sum_heads,
  fill,
  copy,
  scale,
};
inline constexpr int kOpCount = static_cast<int>(Op::scale) + 1;
const char* op_name(Op op);

// One output of Backend::linear_multi: out[t, n] = x[t] · w[n] + bias[n] for n < N.
struct LinearTarget {
  View out;
  View w;
  View bias;  // may be empty
  int N;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;

  // Whether this backend runs `op` itself with weights (embedding tables, linear weights) of
  // type `weights`; ops without weights are asked with f32. A declined op still runs: the
  // Scheduler copies its operands to the host, runs the CPU kernel and copies the outputs back.
  virtual bool supports(Op op, DType weights) const = 0;

  // A new buffer of `bytes` bytes (contents undefined).
  virtual std::unique_ptr<Buffer> alloc(std::size_t bytes) = 0;
  // Whether this backend computes on host memory (its buffers' host() is never null and
  // wrap_host() always succeeds): the CPU backends.
  virtual bool host_memory() const { return false; }
  // A buffer over existing host memory without a copy, or null when this backend cannot compute
  // on host memory (then alloc() and write()). The memory must outlive the buffer.
  virtual std::unique_ptr<Buffer> wrap_host(void* /*data*/, std::size_t /*bytes*/) {
    return nullptr;
  }
  // A buffer over a linear weight w [N][K] (row-major, K elements a row) in host memory, as
  // wrap_host makes one; null when this backend cannot compute on host memory. A CPU backend may
  // keep a second layout of it for its product beside it (cpu-simd: the AMX split, amx_gemm.h).
  virtual std::unique_ptr<Buffer> wrap_weight(void* data, std::size_t bytes, DType /*type*/,
                                              int /*N*/, int /*K*/) {
    return wrap_host(data, bytes);
  }
  // Starts copying n bytes of `src` to host memory `dst`; the copy is complete, and dst may be
  // read, after synchronize(). The CPU backends copy at once.
  virtual void read_async(View src, void* dst, std::size_t n) {
    src.buffer->read(src.offset, dst, n);
  }
  // Waits for every op and read_async() queued so far.
  virtual void synchronize() {}

  // Per-op timing, for finding the slow kernel (`attnscope bench --profile`): while on, each op's
  // wall time is added to its row (a device backend waits for every op, so a pass runs slower).
  // The report is one line per row, slowest first, or empty for a backend that cannot profile;
  // it and set_profiling() clear the rows.
  virtual void set_profiling(bool /*on*/) {}
  virtual std::string profile_report() { return {}; }

  // Ops; each reads and writes what its kernel (kernels.h) does.
  virtual void gather_rows(View out, View table, View ids, int n, int C) = 0;
  virtual void add(View a, View b, std::size_t n) = 0;
  virtual void multiply(View a, View b, std::size_t n) = 0;
  virtual void activate(View x, std::size_t n, Activation act) = 0;
  virtual void layernorm(View out, View x, View w, View b, int T, int C, float eps) = 0;
  virtual void rmsnorm(View out, View x, View w, int T, int C, float eps) = 0;
  // out[t·out.ld + n] = Σ_k x[t·x.ld + k] · w[n·w.ld + k] + bias[n]; w in its stored dtype.
  virtual void linear(View out, View x, View w, View bias, int T, int K, int N) = 0;
  virtual void linear_multi(View x, int T, int K, std::span<const LinearTarget> targets) = 0;
  virtual void rope(View x, int T, int heads, int D, int R, float theta, int pos0) = 0;
  // pattern may be empty: the fused op then writes only z. past > 0: k, v [past+T, G, D] and
  // pattern [H, T, past+T], query i at position past+i (kernels.h).
  virtual void attention(View z, View pattern, View q, View k, View v, int T, int H, int G, int D,
                         float scale, int past) = 0;
  virtual void attention_scores(View scores, View q, View k, int T, int H, int G, int D,
                                float scale) = 0;
  virtual void softmax_rows(View pattern, View scores, int H, int T) = 0;
  virtual void attention_mix(View z, View pattern, View v, int T, int H, int G, int D) = 0;
  virtual void sum_heads(View out, View x, View bias, int T, int H, int C) = 0;
  // The declarative edits' ops, on rows × cols elements of strided views. copy reads src.ld
  // as given: 0 repeats src's one row for every row of dst.
  virtual void fill(View x, int rows, int cols, float value) = 0;
  virtual void copy(View dst, View src, int rows, int cols) = 0;
  virtual void scale(View x, int rows, int cols, float factor) = 0;
};

// The CPU backends: host memory, ops run by a kernel set (host_backend.cpp).
Backend& cpu_reference_backend();
Backend& cpu_simd_backend();

// The backend a model is bound to when none is named: the fastest one compiled in.
Backend& default_backend();

// All backends compiled into this build, the reference first.
std::vector<Backend*> available_backends();

}  // namespace attnscope
