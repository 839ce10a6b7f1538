// arch_gpt_neox.cpp — GPT-NeoX / Pythia (model_type "gpt_neox"): partial rotary embeddings,
// LayerNorm, GELU MLP, and (by default) the parallel residual x + attn(ln1(x)) + mlp(ln2(x)).
//
// Checkpoint names (GPTNeoXForCausalLM): gpt_neox.embed_in / layers.{l}.* / final_layer_norm,
// embed_out. query_key_value is fused per head: rows [h·3D, h·3D + D) are head h's query, the
// next D its key, the next D its value; it is de-interleaved here.
#include <nlohmann/json.hpp>

#include "core/model/architecture.h"

namespace attnscope {
namespace {

Status parse_gpt_neox(const nlohmann::json& json, ModelConfig& c) {
  ATTNSCOPE_ASSIGN(c.d_model, arch::get_int(json, {"hidden_size"}));
  ATTNSCOPE_ASSIGN(c.n_layers, arch::get_int(json, {"num_hidden_layers"}));
  ATTNSCOPE_ASSIGN(c.n_heads, arch::get_int(json, {"num_attention_heads"}));
  ATTNSCOPE_ASSIGN(c.d_mlp, arch::get_int(json, {"intermediate_size"}));
  ATTNSCOPE_ASSIGN(c.n_ctx, arch::get_int(json, {"max_position_embeddings"}));
  ATTNSCOPE_ASSIGN(c.vocab_size, arch::get_int(json, {"vocab_size"}));
  ATTNSCOPE_ASSIGN(c.norm_eps, arch::get_float(json, {"layer_norm_eps"}, 1e-5f));
  ATTNSCOPE_ASSIGN(c.tied_embeddings, arch::get_bool(json, "tie_word_embeddings", false));
  ATTNSCOPE_ASSIGN(c.parallel_residual, arch::get_bool(json, "use_parallel_residual", true));
  bool attention_bias = true;
  ATTNSCOPE_ASSIGN(attention_bias, arch::get_bool(json, "attention_bias", true));
  if (c.n_heads <= 0 || c.d_model % c.n_heads != 0)
    return make_error("config.json: hidden_size must be a multiple of num_attention_heads");
  c.n_kv_heads = c.n_heads;
  c.d_head = c.d_model / c.n_heads;
  const auto act = json.find("hidden_act");
  ATTNSCOPE_ASSIGN(c.activation, arch::parse_activation(act != json.end() && act->is_string()
                                                            ? act->get<std::string>()
                                                            : "gelu"));
  c.norm = NormKind::layernorm;
  c.qkv_bias = c.attn_out_bias = attention_bias;
  c.mlp_bias = true;
  c.rope_theta = 10000.0f;
  return arch::read_rope(json, c, "rotary_emb_base", "rotary_pct");
}

Result<ModelWeights> load_gpt_neox(const ModelConfig& c, const WeightStore& store) {
  const int C = c.d_model, F = c.d_mlp, V = c.vocab_size, H = c.n_heads, D = c.d_head;
  ModelWeights w;
  ATTNSCOPE_TRY(arch::read(store, "gpt_neox.embed_in.weight", {V, C}, w.token_embed));
  ATTNSCOPE_TRY(arch::read(store, "gpt_neox.final_layer_norm.weight", {C}, w.lnf_w));
  ATTNSCOPE_TRY(arch::read(store, "gpt_neox.final_layer_norm.bias", {C}, w.lnf_b));
  if (!c.tied_embeddings) ATTNSCOPE_TRY(arch::read(store, "embed_out.weight", {V, C}, w.unembed));
  w.layers.resize(c.n_layers);
  for (int l = 0; l < c.n_layers; l++) {
    const std::string p = "gpt_neox.layers." + std::to_string(l) + ".";
    LayerWeights& L = w.layers[l];
    std::vector<float> qkv_w, qkv_b;
    ATTNSCOPE_TRY(arch::read(store, p + "input_layernorm.weight", {C}, L.ln1_w));
    ATTNSCOPE_TRY(arch::read(store, p + "input_layernorm.bias", {C}, L.ln1_b));
    ATTNSCOPE_TRY(arch::read(store, p + "post_attention_layernorm.weight", {C}, L.ln2_w));
    ATTNSCOPE_TRY(arch::read(store, p + "post_attention_layernorm.bias", {C}, L.ln2_b));
    ATTNSCOPE_TRY(arch::read(store, p + "attention.query_key_value.weight", {3 * C, C}, qkv_w));
    ATTNSCOPE_TRY(arch::read(store, p + "attention.dense.weight", {C, C}, L.wo));
    if (c.qkv_bias) {
      ATTNSCOPE_TRY(arch::read(store, p + "attention.query_key_value.bias", {3 * C}, qkv_b));
      ATTNSCOPE_TRY(arch::read(store, p + "attention.dense.bias", {C}, L.bo));
    }
    ATTNSCOPE_TRY(arch::read(store, p + "mlp.dense_h_to_4h.weight", {F, C}, L.w_up));
    ATTNSCOPE_TRY(arch::read(store, p + "mlp.dense_h_to_4h.bias", {F}, L.b_up));
    ATTNSCOPE_TRY(arch::read(store, p + "mlp.dense_4h_to_h.weight", {C, F}, L.w_down));
    ATTNSCOPE_TRY(arch::read(store, p + "mlp.dense_4h_to_h.bias", {C}, L.b_down));

    // De-interleave [H, 3, D] rows into q, k, v of [H·D] rows each.
    const std::size_t row = static_cast<std::size_t>(C);
    std::vector<float> wq, wk, wv;
    for (auto* m : {&wq, &wk, &wv}) m->resize(static_cast<std::size_t>(H) * D * row);
    if (c.qkv_bias)
      for (auto* b : {&L.bq, &L.bk, &L.bv}) b->resize(static_cast<std::size_t>(H) * D);
    std::vector<float>* mats[3] = {&wq, &wk, &wv};
    std::vector<float>* biases[3] = {&L.bq, &L.bk, &L.bv};
    for (int h = 0; h < H; h++)
      for (int part = 0; part < 3; part++)
        for (int d = 0; d < D; d++) {
          const std::size_t src = static_cast<std::size_t>(h) * 3 * D + part * D + d;
          const std::size_t dst = static_cast<std::size_t>(h) * D + d;
          std::copy_n(qkv_w.begin() + src * row, row, mats[part]->begin() + dst * row);
          if (c.qkv_bias) (*biases[part])[dst] = qkv_b[src];
        }
    L.wq = std::move(wq);
    L.wk = std::move(wk);
    L.wv = std::move(wv);
    arch::keep_stored_dtype(store, L);
  }
  arch::keep_stored_dtype(store, w);
  return w;
}

}  // namespace

const Architecture kGptNeoxArchitecture = {"gpt_neox", "GPT-NeoX / Pythia (GPTNeoXForCausalLM)",
                                           parse_gpt_neox, load_gpt_neox};

}  // namespace attnscope
