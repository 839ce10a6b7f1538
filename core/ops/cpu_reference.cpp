// cpu_reference.cpp — the scalar reference kernels: obvious loops, float accumulation like
// PyTorch's CPU float32 kernels, double where a reduction over C would otherwise drift.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/io/dtype.h"
#include "core/ops/kernels.h"

namespace attnscope {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// dst[n] = the first n elements of w's row, as float32.
void widen(float* dst, WeightView w, int n) {
  if (w.type == WeightType::f32) {
    std::copy_n(static_cast<const float*>(w.data), n, dst);
    return;
  }
  const auto* bits = static_cast<const std::uint16_t*>(w.data);
  for (int i = 0; i < n; i++)
    dst[i] = w.type == WeightType::f16 ? f16_to_f32(bits[i]) : bf16_to_f32(bits[i]);
}

class CpuReferenceKernels final : public Kernels {
 public:
  std::string_view name() const override { return "cpu-reference"; }

  void linear(float* out, const float* x, const float* w, const float* bias, int T, int K,
              int N) override {
    linear_strided(out, N, x, K, WeightView::f32(w, K), bias, T, K, N);
  }

  void linear_strided(float* out, std::size_t ldo, const float* x, std::size_t ldx, WeightView w,
                      const float* bias, int T, int K, int N) override {
    std::vector<float> wn(K);
    for (int n = 0; n < N; n++) {
      widen(wn.data(), w.at(n, 0), K);
      for (int t = 0; t < T; t++) {
        const float* xt = x + static_cast<std::size_t>(t) * ldx;
        float sum = bias ? bias[n] : 0.0f;
        for (int k = 0; k < K; k++) sum += xt[k] * wn[k];
        out[static_cast<std::size_t>(t) * ldo + n] = sum;
      }
    }
  }

  void linear_multi(const float* x, std::size_t ldx, int T, int K,
                    std::span<const LinearOutput> outputs) override {
    for (const LinearOutput& o : outputs)
      linear_strided(o.out, o.ldo, x, ldx, o.w, o.bias, T, K, o.N);
  }

  void matmul(float* out, const float* a, const float* b, const float* bias, int T, int K,
              int N) override {
    for (int t = 0; t < T; t++) {
      float* ot = out + static_cast<std::size_t>(t) * N;
      for (int n = 0; n < N; n++) ot[n] = bias ? bias[n] : 0.0f;
      for (int k = 0; k < K; k++) {
        const float v = a[static_cast<std::size_t>(t) * K + k];
        if (v == 0.0f) continue;
        const float* bk = b + static_cast<std::size_t>(k) * N;
        for (int n = 0; n < N; n++) ot[n] += v * bk[n];
      }
    }
  }

  void matmul_tn(float* out, const float* a, const float* b, int T, int K, int N) override {
    std::fill(out, out + static_cast<std::size_t>(K) * N, 0.0f);
    for (int t = 0; t < T; t++) {
      const float* bt = b + static_cast<std::size_t>(t) * N;
      for (int k = 0; k < K; k++) {
        const float v = a[static_cast<std::size_t>(t) * K + k];
        if (v == 0.0f) continue;
        float* ok = out + static_cast<std::size_t>(k) * N;
        for (int n = 0; n < N; n++) ok[n] += v * bt[n];
      }
    }
  }

  void linear_masked(float* out, const float* x, const float* w, const float* bias,
                     const float* mask, int T, int K, int N) override {
    for (int t = 0; t < T; t++) {
      const float* xt = x + static_cast<std::size_t>(t) * K;
      for (int n = 0; n < N; n++) {
        const std::size_t o = static_cast<std::size_t>(t) * N + n;
        if (!(mask[o] > 0.0f)) {
          out[o] = 0.0f;
          continue;
        }
        const float* wn = w + static_cast<std::size_t>(n) * K;
        float sum = bias ? bias[n] : 0.0f;
        for (int k = 0; k < K; k++) sum += xt[k] * wn[k];
        out[o] = sum;
      }
    }
  }

  void adam_step(float* param, float* m, float* v, const float* grad, std::size_t n,
                 const AdamStep& s) override {
    const double correction1 = 1 - std::pow(s.beta1, s.step);
    const double correction2 = 1 - std::pow(s.beta2, s.step);
    for (std::size_t i = 0; i < n; i++) {
      const double g = grad[i];
      m[i] = static_cast<float>(s.beta1 * m[i] + (1 - s.beta1) * g);
      v[i] = static_cast<float>(s.beta2 * v[i] + (1 - s.beta2) * g * g);
      const double denom = std::sqrt(v[i] / correction2) + s.eps;
      param[i] = static_cast<float>(param[i] - s.learning_rate / correction1 * m[i] / denom);
    }
  }

  void layernorm(float* out, const float* x, const float* w, const float* b, int T, int C,
                 float eps) override {
    for (int t = 0; t < T; t++) {
      const float* xt = x + static_cast<std::size_t>(t) * C;
      float* ot = out + static_cast<std::size_t>(t) * C;
      double mean = 0.0;
      for (int c = 0; c < C; c++) mean += xt[c];
      mean /= C;
      double var = 0.0;
      for (int c = 0; c < C; c++) var += (xt[c] - mean) * (xt[c] - mean);
      var /= C;
      const float rstd = static_cast<float>(1.0 / std::sqrt(var + eps));
      for (int c = 0; c < C; c++) {
        const float norm = (xt[c] - static_cast<float>(mean)) * rstd;
        ot[c] = norm * w[c] + (b ? b[c] : 0.0f);
      }
    }
  }

  void rmsnorm(float* out, const float* x, const float* w, int T, int C, float eps) override {
    for (int t = 0; t < T; t++) {
      const float* xt = x + static_cast<std::size_t>(t) * C;
      float* ot = out + static_cast<std::size_t>(t) * C;
      double ms = 0.0;
      for (int c = 0; c < C; c++) ms += static_cast<double>(xt[c]) * xt[c];
      ms /= C;
      const float rstd = static_cast<float>(1.0 / std::sqrt(ms + eps));
      for (int c = 0; c < C; c++) ot[c] = (xt[c] * rstd) * w[c];
    }
  }

  void activate(float* x, std::size_t n, Activation act) override {
    switch (act) {
      case Activation::gelu_erf:
        for (std::size_t i = 0; i < n; i++)
          x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * static_cast<float>(M_SQRT1_2)));
        break;
      case Activation::gelu_tanh: {
        const float k = std::sqrt(2.0f / static_cast<float>(M_PI));
        for (std::size_t i = 0; i < n; i++) {
          const float v = x[i];
          x[i] = 0.5f * v * (1.0f + std::tanh(k * (v + 0.044715f * v * v * v)));
        }
        break;
      }
      case Activation::silu:
        for (std::size_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + std::exp(-x[i]));
        break;
      case Activation::relu:
        for (std::size_t i = 0; i < n; i++) x[i] = std::max(x[i], 0.0f);
        break;
    }
  }

  void multiply(float* a, const float* b, std::size_t n) override {
    for (std::size_t i = 0; i < n; i++) a[i] *= b[i];
  }

  void add(float* a, const float* b, std::size_t n) override {
    for (std::size_t i = 0; i < n; i++) a[i] += b[i];
  }

  void rope(float* x, int T, int heads, int D, int R, float theta, int pos0) override {
    const int half = R / 2;
    for (int t = 0; t < T; t++) {
      for (int i = 0; i < half; i++) {
        const float angle = rope_angle(pos0 + t, rope_inv_freq(i, R, theta));
        const float c = std::cos(angle), s = std::sin(angle);
        for (int h = 0; h < heads; h++) {
          float* xh = x + (static_cast<std::size_t>(t) * heads + h) * D;
          const float a = xh[i], b = xh[i + half];
          xh[i] = a * c - b * s;
          xh[i + half] = b * c + a * s;
        }
      }
    }
  }

  void attention_scores(float* scores, const float* q, const float* k, int T, int H, int G, int D,
                        float scale) override {
    const int group = H / G;
    for (int h = 0; h < H; h++) {
      for (int i = 0; i < T; i++) {
        const float* qi = q + (static_cast<std::size_t>(i) * H + h) * D;
        float* row = scores + (static_cast<std::size_t>(h) * T + i) * T;
        for (int j = 0; j < T; j++) {
          if (j > i) {
            row[j] = kNegInf;
            continue;
          }
          const float* kj = k + (static_cast<std::size_t>(j) * G + h / group) * D;
          float sum = 0.0f;
          for (int d = 0; d < D; d++) sum += qi[d] * kj[d];
          row[j] = sum * scale;
        }
      }
    }
  }

  void softmax_rows(float* pattern, const float* scores, int H, int T) override {
    for (std::size_t r = 0; r < static_cast<std::size_t>(H) * T; r++) {
      const float* in = scores + r * T;
      float* out = pattern + r * T;
      float max = kNegInf;
      for (int j = 0; j < T; j++) max = std::max(max, in[j]);
      if (max == kNegInf) {  // a fully masked row (only possible under intervention): all zero
        std::fill(out, out + T, 0.0f);
        continue;
      }
      float sum = 0.0f;
      for (int j = 0; j < T; j++) {
        out[j] = in[j] == kNegInf ? 0.0f : std::exp(in[j] - max);
        sum += out[j];
      }
      const float inv = 1.0f / sum;
      for (int j = 0; j < T; j++) out[j] *= inv;
    }
  }

  void attention_mix(float* z, const float* pattern, const float* v, int T, int H, int G,
                     int D) override {
    const int group = H / G;
    for (int i = 0; i < T; i++) {
      for (int h = 0; h < H; h++) {
        float* zi = z + (static_cast<std::size_t>(i) * H + h) * D;
        std::fill(zi, zi + D, 0.0f);
        const float* row = pattern + (static_cast<std::size_t>(h) * T + i) * T;
        for (int j = 0; j < T; j++) {
          const float p = row[j];
          if (p == 0.0f) continue;
          const float* vj = v + (static_cast<std::size_t>(j) * G + h / group) * D;
          for (int d = 0; d < D; d++) zi[d] += p * vj[d];
        }
      }
    }
  }

  // One query row at a time over its S = past + T keys, with the arithmetic of attention_scores,
  // softmax_rows and attention_mix in their order (so past 0 gives the separate ops' bits).
  void attention(float* z, float* pattern, const float* q, const float* k, const float* v, int T,
                 int H, int G, int D, float scale, int past) override {
    const int S = past + T, group = H / G;
    std::vector<float> scores(static_cast<std::size_t>(S)), own_row(pattern ? 0 : S);
    for (int h = 0; h < H; h++) {
      for (int i = 0; i < T; i++) {
        const int last = past + i;  // the query's own position: its last visible key
        const float* qi = q + (static_cast<std::size_t>(i) * H + h) * D;
        float* p = pattern ? pattern + (static_cast<std::size_t>(h) * T + i) * S : own_row.data();
        float max = kNegInf;
        for (int j = 0; j <= last; j++) {
          const float* kj = k + (static_cast<std::size_t>(j) * G + h / group) * D;
          float sum = 0.0f;
          for (int d = 0; d < D; d++) sum += qi[d] * kj[d];
          scores[j] = sum * scale;
          max = std::max(max, scores[j]);
        }
        float total = 0.0f;
        for (int j = 0; j < S; j++) {
          p[j] = j > last ? 0.0f : std::exp(scores[j] - max);
          total += p[j];
        }
        const float inv = 1.0f / total;
        for (int j = 0; j < S; j++) p[j] *= inv;
        float* zi = z + (static_cast<std::size_t>(i) * H + h) * D;
        std::fill(zi, zi + D, 0.0f);
        for (int j = 0; j < S; j++) {
          if (p[j] == 0.0f) continue;
          const float* vj = v + (static_cast<std::size_t>(j) * G + h / group) * D;
          for (int d = 0; d < D; d++) zi[d] += p[j] * vj[d];
        }
      }
    }
  }

  void gather_rows(float* out, WeightView table, const int* ids, int n, int C) override {
    for (int i = 0; i < n; i++)
      widen(out + static_cast<std::size_t>(i) * C, table.at(ids[i], 0), C);
  }

  void sum_heads(float* out, const float* x, const float* bias, int T, int H, int C) override {
    for (int t = 0; t < T; t++) {
      float* ot = out + static_cast<std::size_t>(t) * C;
      for (int c = 0; c < C; c++) ot[c] = bias ? bias[c] : 0.0f;
      for (int h = 0; h < H; h++) {
        const float* xh = x + (static_cast<std::size_t>(t) * H + h) * C;
        for (int c = 0; c < C; c++) ot[c] += xh[c];
      }
    }
  }
};

}  // namespace

Kernels& cpu_reference_kernels() {
  static CpuReferenceKernels backend;
  return backend;
}

}  // namespace attnscope
