// bound_weights.h — a model's weights as views of one backend's buffers.
//
// Binding happens once, when the model is loaded: a CPU backend wraps the loaded arrays (no
// copy), any other backend gets its own copy in its memory (one buffer per tensor, so no single
// buffer outgrows a device's limit). The forward pass reads weights only through these views;
// ModelWeights stays on the host for the analyses that read parameters (DLA, OV circuits).
#pragma once

#include <memory>
#include <vector>

#include "core/model/weights.h"
#include "core/ops/backend.h"

namespace attnscope {

struct BoundLayer {
  View ln1_w, ln1_b, wq, bq, wk, bk, wv, bv, wo, bo, ln2_w, ln2_b;
  View w_up, b_up, w_gate, b_gate, w_down, b_down;
};

class BoundWeights {
 public:
  BoundWeights(const ModelWeights& weights, Backend& backend);
  BoundWeights(const BoundWeights&) = delete;
  BoundWeights& operator=(const BoundWeights&) = delete;

  Backend& backend() const { return backend_; }
  // Bytes this binding put in the backend's own memory (0 for a CPU backend).
  std::size_t uploaded_bytes() const { return uploaded_; }

  View token_embed, pos_embed, lnf_w, lnf_b, unembed, unembed_b;
  std::vector<BoundLayer> layers;

 private:
  View bind(const Matrix& m, std::size_t cols, bool linear = false);
  // A linear layer's weight: the backend may keep a second layout of it for its products.
  View bind_linear(const Matrix& m, std::size_t cols);
  View bind(const std::vector<float>& v);
  View bind_bytes(const void* data, std::size_t bytes, DType type, std::size_t ld,
                  bool linear = false);

  Backend& backend_;
  std::vector<std::unique_ptr<Buffer>> buffers_;
  std::size_t uploaded_ = 0;
};

}  // namespace attnscope
