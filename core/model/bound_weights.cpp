#include "core/model/bound_weights.h"

namespace attnscope {

BoundWeights::BoundWeights(const ModelWeights& w, Backend& backend) : backend_(backend) {
  const std::size_t C = w.lnf_w.size();
  // A tied unembedding (GPT-2) is the token table read as the lm head's weight.
  token_embed = w.unembed.empty() ? bind_linear(w.token_embed, C) : bind(w.token_embed, C);
  pos_embed = bind(w.pos_embed, C);
  lnf_w = bind(w.lnf_w);
  lnf_b = bind(w.lnf_b);
  unembed = w.unembed.empty() ? token_embed : bind_linear(w.unembed, C);
  unembed_b = bind(w.unembed_b);
  for (const LayerWeights& L : w.layers) {
    // Row lengths: d_model for the projections into the heads and the MLP's inputs, the
    // heads' width for W_O [d_model, H·D], d_mlp for the down projection [d_model, d_mlp].
    const std::size_t QD = L.wo.size() / C, F = L.w_down.size() / C;
    layers.push_back({bind(L.ln1_w), bind(L.ln1_b), bind_linear(L.wq, C), bind(L.bq),
                      bind_linear(L.wk, C), bind(L.bk), bind_linear(L.wv, C), bind(L.bv),
                      bind_linear(L.wo, QD), bind(L.bo), bind(L.ln2_w), bind(L.ln2_b),
                      bind_linear(L.w_up, C), bind(L.b_up), bind_linear(L.w_gate, C),
                      bind(L.b_gate), bind_linear(L.w_down, F), bind(L.b_down)});
  }
}

View BoundWeights::bind(const Matrix& m, std::size_t cols, bool linear) {
  const WeightView v = m.view(cols);
  const DType type = v.type == WeightType::f16    ? DType::f16
                     : v.type == WeightType::bf16 ? DType::bf16
                                                  : DType::f32;
  return bind_bytes(v.data, m.bytes(), type, cols, linear);
}

View BoundWeights::bind_linear(const Matrix& m, std::size_t cols) {
  return bind(m, cols, true);
}

View BoundWeights::bind(const std::vector<float>& v) {
  return bind_bytes(v.data(), v.size() * sizeof(float), DType::f32, 0);
}

View BoundWeights::bind_bytes(const void* data, std::size_t bytes, DType type, std::size_t ld,
                              bool linear) {
  if (bytes == 0) return {};
  // The forward pass never writes a weight; wrap_host takes non-const memory because captures
  // borrow host memory the same way.
  void* host = const_cast<void*>(data);
  const int rows = ld ? int(bytes / dtype_size(type) / ld) : 0;
  std::unique_ptr<Buffer> buffer = linear && ld
                                       ? backend_.wrap_weight(host, bytes, type, rows, int(ld))
                                       : backend_.wrap_host(host, bytes);
  if (!buffer) {
    buffer = backend_.alloc(bytes);
    buffer->write(0, data, bytes);
    uploaded_ += bytes;
  }
  buffers_.push_back(std::move(buffer));
  return {buffers_.back().get(), 0, type, ld};
}

}  // namespace attnscope
