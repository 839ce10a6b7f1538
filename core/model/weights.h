// weights.h — a model's parameters in one canonical layout, whatever the family wrote.
//
// Family loaders (arch_*.cpp) convert on load: GPT-2's Conv1D weights are transposed, fused
// q/k/v projections are split, GPT-NeoX's per-head interleaved q/k/v is de-interleaved. Every
// matrix is a torch.nn.Linear weight [out, in]; empty means "absent" (no bias, tied head).
// Matrices keep the dtype of a checkpoint saved in F16 or BF16 (half the memory: the backend's
// products widen them as they read); norms and biases are float32.
#pragma once

#include <cstdint>
#include <vector>

#include "core/ops/kernels.h"

namespace attnscope {

// A row-major matrix in the dtype it is kept in: F32 as floats, F16 and BF16 as their raw 16 bits.
class Matrix {
 public:
  Matrix() = default;
  // Float32 values (implicit: loaders and random models build matrices from float vectors).
  Matrix(std::vector<float> values) : f32_(std::move(values)) {}  // NOLINT(google-explicit-*)

  // A matrix of F16 or BF16 bits as a checkpoint stores them (no float32 copy).
  static Matrix from_bits(WeightType type, std::vector<std::uint16_t> bits) {
    Matrix m;
    m.type_ = type;
    m.bits_ = std::move(bits);
    return m;
  }
  // The same matrix kept as F16 or BF16 bits (exact for values that came from that dtype; others
  // round to nearest even); f32 returns a copy.
  Matrix narrowed(WeightType type) const;

  WeightType type() const { return type_; }
  bool empty() const { return size() == 0; }
  std::size_t size() const { return type_ == WeightType::f32 ? f32_.size() : bits_.size(); }
  std::size_t bytes() const { return size() * (type_ == WeightType::f32 ? 4 : 2); }
  // The matrix as rows of `cols` elements, for the backend's ops.
  WeightView view(std::size_t cols) const {
    return {type_ == WeightType::f32 ? static_cast<const void*>(f32_.data())
                                     : static_cast<const void*>(bits_.data()),
            type_, cols};
  }
  // Element i as float32.
  float at(std::size_t i) const;
  // The matrix read as [rows, cols], transposed to [cols, rows]; rows [begin, end) of a matrix of
  // `cols` columns. Both keep the dtype (a 16-bit checkpoint never passes through float32).
  Matrix transposed(std::size_t rows, std::size_t cols) const;
  Matrix row_block(std::size_t begin, std::size_t end, std::size_t cols) const;

 private:
  WeightType type_ = WeightType::f32;
  std::vector<float> f32_;
  std::vector<std::uint16_t> bits_;
};

struct LayerWeights {
  std::vector<float> ln1_w, ln1_b;  // [d_model]
  Matrix wq;                        // [n_heads·d_head, d_model]
  std::vector<float> bq;            // [n_heads·d_head]
  Matrix wk, wv;                    // [n_kv_heads·d_head, d_model]
  std::vector<float> bk, bv;        // [n_kv_heads·d_head]
  Matrix wo;                        // [d_model, n_heads·d_head]
  std::vector<float> bo;            // [d_model]
  std::vector<float> ln2_w, ln2_b;  // [d_model]
  Matrix w_up;                      // [d_mlp, d_model] (GPT-2 c_fc, NeoX h_to_4h, Llama up_proj)
  std::vector<float> b_up;          // [d_mlp]
  Matrix w_gate;                    // [d_mlp, d_model] gated MLPs only
  std::vector<float> b_gate;        // [d_mlp]
  Matrix w_down;                    // [d_model, d_mlp]
  std::vector<float> b_down;        // [d_model]
};

struct ModelWeights {
  Matrix token_embed;  // [vocab, d_model]
  Matrix pos_embed;    // [n_ctx, d_model], learned positions only
  std::vector<LayerWeights> layers;
  std::vector<float> lnf_w, lnf_b;  // [d_model]
  Matrix unembed;                   // [vocab, d_model]; empty when tied to token_embed
  std::vector<float> unembed_b;     // [vocab], rarely present
};

// Every matrix of the layer (or of the model outside its layers) kept as `type`.
void narrow_matrices(LayerWeights& layer, WeightType type);
void narrow_matrices(ModelWeights& weights, WeightType type);
// Bytes of every parameter as kept.
std::size_t parameter_bytes(const ModelWeights& weights);

}  // namespace attnscope
