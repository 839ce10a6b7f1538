// random_model.cpp — random models of known shapes (see random_model.h).
#include "core/model/random_model.h"

#include <cmath>
#include <cstdint>

namespace attnscope {
namespace {

// SplitMix64: fast, and the same sequence on every platform (std:: distributions are not).
struct Random {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::vector<float> matrix(std::size_t n) {
    const float half_width = 0.02f * std::sqrt(3.0f);
    std::vector<float> v(n);
    for (float& x : v) x = (float(next() >> 40) * 0x1.0p-24f * 2.0f - 1.0f) * half_width;
    return v;
  }
};

}  // namespace

std::vector<std::string_view> shape_names() {
  return {"gpt2-small", "smollm-135m"};
}

Result<ModelConfig> shape_config(std::string_view name) {
  ModelConfig c;
  if (name == "gpt2-small") {
    c.model_type = "gpt2";
    c.n_layers = 12;
    c.n_heads = c.n_kv_heads = 12;
    c.d_model = 768;
    c.d_head = 64;
    c.d_mlp = 3072;
    c.vocab_size = 50257;
    c.n_ctx = 1024;
    c.norm = NormKind::layernorm;
    c.activation = Activation::gelu_tanh;
    c.tied_embeddings = true;
    c.qkv_bias = c.attn_out_bias = c.mlp_bias = true;
    c.position = PositionKind::learned;
    return c;
  }
  if (name == "smollm-135m") {
    c.model_type = "llama";
    c.n_layers = 30;
    c.n_heads = 9;
    c.n_kv_heads = 3;
    c.d_model = 576;
    c.d_head = 64;
    c.d_mlp = 1536;
    c.vocab_size = 49152;
    c.n_ctx = 2048;
    c.norm = NormKind::rmsnorm;
    c.activation = Activation::silu;
    c.gated_mlp = true;
    c.tied_embeddings = true;
    c.position = PositionKind::rotary;
    c.rotary_dims = 64;
    c.rope_theta = 10000.0f;
    return c;
  }
  return make_error("unknown model shape '" + std::string(name) + "'",
                    "known shapes: gpt2-small, smollm-135m");
}

Model random_model(const ModelConfig& c, unsigned seed, WeightType type) {
  Random rng{seed};
  const std::size_t C = c.d_model, F = c.d_mlp, QD = std::size_t(c.n_heads) * c.d_head,
                    KD = std::size_t(c.n_kv_heads) * c.d_head;
  const bool layernorm = c.norm == NormKind::layernorm;
  ModelWeights w;
  w.token_embed = rng.matrix(std::size_t(c.vocab_size) * C);
  if (c.position == PositionKind::learned) w.pos_embed = rng.matrix(std::size_t(c.n_ctx) * C);
  w.lnf_w.assign(C, 1.0f);
  if (layernorm) w.lnf_b.assign(C, 0.0f);
  if (!c.tied_embeddings) w.unembed = rng.matrix(std::size_t(c.vocab_size) * C);
  for (int l = 0; l < c.n_layers; l++) {
    LayerWeights L;
    L.ln1_w.assign(C, 1.0f);
    L.ln2_w.assign(C, 1.0f);
    if (layernorm) L.ln1_b.assign(C, 0.0f), L.ln2_b.assign(C, 0.0f);
    L.wq = rng.matrix(QD * C);
    L.wk = rng.matrix(KD * C);
    L.wv = rng.matrix(KD * C);
    L.wo = rng.matrix(C * QD);
    if (c.qkv_bias) L.bq.assign(QD, 0.0f), L.bk.assign(KD, 0.0f), L.bv.assign(KD, 0.0f);
    if (c.attn_out_bias) L.bo.assign(C, 0.0f);
    L.w_up = rng.matrix(F * C);
    if (c.gated_mlp) L.w_gate = rng.matrix(F * C);
    L.w_down = rng.matrix(C * F);
    if (c.mlp_bias) {
      L.b_up.assign(F, 0.0f);
      if (c.gated_mlp) L.b_gate.assign(F, 0.0f);
      L.b_down.assign(C, 0.0f);
    }
    narrow_matrices(L, type);
    w.layers.push_back(std::move(L));
  }
  narrow_matrices(w, type);
  return Model::from_parts(c, std::move(w));
}

double forward_flops(const ModelConfig& c, int T) {
  const double C = c.d_model, F = c.d_mlp, QD = double(c.n_heads) * c.d_head,
               KD = double(c.n_kv_heads) * c.d_head;
  const double per_token_layer = C * QD + 2 * C * KD + QD * C + (c.gated_mlp ? 3 : 2) * C * F;
  const double pairs = double(T) * (T + 1) / 2;
  const double attention = 2.0 * double(c.n_heads) * c.d_head * pairs;  // scores + mix
  return 2.0 * (c.n_layers * (T * per_token_layer + attention) + double(T) * C * c.vocab_size);
}

}  // namespace attnscope
