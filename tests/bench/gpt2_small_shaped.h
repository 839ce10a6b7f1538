// gpt2_small_shaped.h — the benchmarks' model: GPT-2-small-shaped (12 layers × 12 heads,
// d_model 768, d_mlp 3072, vocab 50257, context 1024) with random weights (seeded), built in
// memory so that benchmarks need no checkpoint.
#pragma once

#include <cmath>
#include <random>
#include <vector>

#include "core/analysis/prompt.h"
#include "core/model/architecture.h"
#include "core/model/model.h"

namespace attnscope::bench {

// Normal(0, std) values by Box–Muller on the raw engine: std::normal_distribution differs between
// libstdc++ (native) and libc++ (Emscripten), the engine does not, so that the native and WASM
// benchmarks run the same model.
inline std::vector<float> random_weights(std::size_t n, std::mt19937& rng, float std = 0.02f) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; i += 2) {
    const double u1 = (double(rng()) + 1.0) * 0x1.0p-32;  // (0, 1]
    const double u2 = double(rng()) * 0x1.0p-32;
    const double r = std::sqrt(-2.0 * std::log(u1)) * std, angle = 6.283185307179586 * u2;
    v[i] = float(r * std::cos(angle));
    if (i + 1 < n) v[i + 1] = float(r * std::sin(angle));
  }
  return v;
}

inline const Model& gpt2_small_shaped() {
  static const Model model = [] {
    ModelConfig c;
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
    std::mt19937 rng(1);
    const std::size_t C = c.d_model, F = c.d_mlp;
    ModelWeights w;
    w.token_embed = random_weights(std::size_t(c.vocab_size) * C, rng);
    w.pos_embed = random_weights(std::size_t(c.n_ctx) * C, rng, 0.01f);
    w.lnf_w.assign(C, 1.0f);
    w.lnf_b.assign(C, 0.0f);
    for (int l = 0; l < c.n_layers; l++) {
      LayerWeights L;
      L.ln1_w.assign(C, 1.0f);
      L.ln1_b.assign(C, 0.0f);
      L.ln2_w.assign(C, 1.0f);
      L.ln2_b.assign(C, 0.0f);
      for (auto* m : {&L.wq, &L.wk, &L.wv, &L.wo}) *m = random_weights(C * C, rng);
      for (auto* b : {&L.bq, &L.bk, &L.bv, &L.bo}) b->assign(C, 0.0f);
      L.w_up = random_weights(F * C, rng);
      L.b_up.assign(F, 0.0f);
      L.w_down = random_weights(C * F, rng);
      L.b_down.assign(C, 0.0f);
      w.layers.push_back(std::move(L));
    }
    return Model::from_parts(c, std::move(w));
  }();
  return model;
}

// The SAE pipeline benchmarks' prompts: 5 prompts of 32 tokens per pool; pools of different
// offsets (13 for the "positives", 20011 for the "negatives") differ in every token.
inline std::vector<Prompt> pipeline_prompts(int offset) {
  std::vector<Prompt> out(5);
  for (int p = 0; p < 5; p++)
    for (int i = 0; i < 32; i++) out[p].ids.push_back((i * 7919 + p * 104729 + offset) % 50257);
  return out;
}

}  // namespace attnscope::bench
