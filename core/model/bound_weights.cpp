#include "core/model/bound_weights.h"

namespace attnscope {

BoundWeights::BoundWeights(const ModelWeights& w, Backend& backend) : backend_(backend) {
  const std::size_t C = w.lnf_w.size();
  token_embed = bind(w.token_embed, C);
  pos_embed = bind(w.pos_embed, C);
  lnf_w = bind(w.lnf_w);
  lnf_b = bind(w.lnf_b);
  unembed = w.unembed.empty() ? token_embed : bind(w.unembed, C);
  unembed_b = bind(w.unembed_b);
  for (const LayerWeights& L : w.layers) {
    // Row lengths: d_model for the projections into the heads and the MLP's inputs, the
    // heads' width for W_O [d_model, H·D], d_mlp for the down projection [d_model, d_mlp].
    const std::size_t QD = L.wo.size() / C, F = L.w_down.size() / C;
    layers.push_back({bind(L.ln1_w), bind(L.ln1_b), bind(L.wq, C), bind(L.bq), bind(L.wk, C),
                      bind(L.bk), bind(L.wv, C), bind(L.bv), bind(L.wo, QD), bind(L.bo),
                      bind(L.ln2_w), bind(L.ln2_b), bind(L.w_up, C), bind(L.b_up),
                      bind(L.w_gate, C), bind(L.b_gate), bind(L.w_down, F), bind(L.b_down)});
  }
}

View BoundWeights::bind(const Matrix& m, std::size_t cols) {
  const WeightView v = m.view(cols);
  const DType type = v.type == WeightType::f16    ? DType::f16
                     : v.type == WeightType::bf16 ? DType::bf16
                                                  : DType::f32;
  return bind_bytes(v.data, m.bytes(), type, cols);
}

View BoundWeights::bind(const std::vector<float>& v) {
  return bind_bytes(v.data(), v.size() * sizeof(float), DType::f32, 0);
}

View BoundWeights::bind_bytes(const void* data, std::size_t bytes, DType type, std::size_t ld) {
  if (bytes == 0) return {};
  // The forward pass never writes a weight; wrap_host takes non-const memory because captures
  // borrow host memory the same way.
  std::unique_ptr<Buffer> buffer = backend_.wrap_host(const_cast<void*>(data), bytes);
  if (!buffer) {
    buffer = backend_.alloc(bytes);
    buffer->write(0, data, bytes);
    uploaded_ += bytes;
  }
  buffers_.push_back(std::move(buffer));
  return {buffers_.back().get(), 0, type, ld};
}

}  // namespace attnscope
