// arch_llama.cpp — Llama (SmolLM, TinyLlama; model_type "llama") and Qwen2 ("qwen2"): RMSNorm,
// rotary embeddings, grouped-query attention, SwiGLU MLP. Qwen2 is Llama with q/k/v biases.
//
// Checkpoint names (LlamaForCausalLM / Qwen2ForCausalLM): model.embed_tokens / layers.{l}.* /
// norm, lm_head (absent when tied). Projections are already [out, in] per projection.
#include <nlohmann/json.hpp>

#include "core/model/architecture.h"

namespace attnscope {
namespace {

Status parse_llama_common(const nlohmann::json& json, ModelConfig& c, bool qkv_bias_default) {
  ATTNSCOPE_ASSIGN(c.d_model, arch::get_int(json, {"hidden_size"}));
  ATTNSCOPE_ASSIGN(c.n_layers, arch::get_int(json, {"num_hidden_layers"}));
  ATTNSCOPE_ASSIGN(c.n_heads, arch::get_int(json, {"num_attention_heads"}));
  ATTNSCOPE_ASSIGN(c.n_kv_heads, arch::get_int(json, {"num_key_value_heads"}, c.n_heads));
  ATTNSCOPE_ASSIGN(c.d_mlp, arch::get_int(json, {"intermediate_size"}));
  ATTNSCOPE_ASSIGN(c.n_ctx, arch::get_int(json, {"max_position_embeddings"}));
  ATTNSCOPE_ASSIGN(c.vocab_size, arch::get_int(json, {"vocab_size"}));
  ATTNSCOPE_ASSIGN(c.norm_eps, arch::get_float(json, {"rms_norm_eps"}, 1e-6f));
  ATTNSCOPE_ASSIGN(c.tied_embeddings, arch::get_bool(json, "tie_word_embeddings", false));
  ATTNSCOPE_ASSIGN(c.qkv_bias, arch::get_bool(json, "attention_bias", qkv_bias_default));
  ATTNSCOPE_ASSIGN(c.mlp_bias, arch::get_bool(json, "mlp_bias", false));
  if (c.n_heads <= 0) return make_error("config.json: num_attention_heads must be positive");
  ATTNSCOPE_ASSIGN(c.d_head, arch::get_int(json, {"head_dim"}, c.d_model / c.n_heads));
  const auto act = json.find("hidden_act");
  ATTNSCOPE_ASSIGN(c.activation, arch::parse_activation(act != json.end() && act->is_string()
                                                            ? act->get<std::string>()
                                                            : "silu"));
  c.norm = NormKind::rmsnorm;
  c.gated_mlp = true;
  c.attn_out_bias = false;
  c.rope_theta = 10000.0f;
  return arch::read_rope(json, c, "rope_theta", nullptr);
}

Status parse_llama(const nlohmann::json& json, ModelConfig& c) {
  return parse_llama_common(json, c, /*qkv_bias_default=*/false);
}

Status parse_qwen2(const nlohmann::json& json, ModelConfig& c) {
  ATTNSCOPE_TRY(parse_llama_common(json, c, /*qkv_bias_default=*/true));
  c.qkv_bias = true;  // Qwen2 always has q/k/v biases, whatever attention_bias says
  bool sliding = false;
  ATTNSCOPE_ASSIGN(sliding, arch::get_bool(json, "use_sliding_window", false));
  if (sliding)
    return make_error("unsupported: use_sliding_window = true",
                      "attnscope implements full causal attention");
  return {};
}

Result<ModelWeights> load_llama(const ModelConfig& c, const WeightStore& store) {
  const int C = c.d_model, F = c.d_mlp, V = c.vocab_size;
  const int QD = c.n_heads * c.d_head, KD = c.n_kv_heads * c.d_head;
  ModelWeights w;
  ATTNSCOPE_TRY(arch::read(store, "model.embed_tokens.weight", {V, C}, w.token_embed));
  ATTNSCOPE_TRY(arch::read(store, "model.norm.weight", {C}, w.lnf_w));
  // Some tied checkpoints still carry a copy of lm_head; untied ones must.
  if (!c.tied_embeddings) ATTNSCOPE_TRY(arch::read(store, "lm_head.weight", {V, C}, w.unembed));
  w.layers.resize(c.n_layers);
  for (int l = 0; l < c.n_layers; l++) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LayerWeights& L = w.layers[l];
    ATTNSCOPE_TRY(arch::read(store, p + "input_layernorm.weight", {C}, L.ln1_w));
    ATTNSCOPE_TRY(arch::read(store, p + "post_attention_layernorm.weight", {C}, L.ln2_w));
    ATTNSCOPE_TRY(arch::read(store, p + "self_attn.q_proj.weight", {QD, C}, L.wq));
    ATTNSCOPE_TRY(arch::read(store, p + "self_attn.k_proj.weight", {KD, C}, L.wk));
    ATTNSCOPE_TRY(arch::read(store, p + "self_attn.v_proj.weight", {KD, C}, L.wv));
    ATTNSCOPE_TRY(arch::read(store, p + "self_attn.o_proj.weight", {C, QD}, L.wo));
    if (c.qkv_bias) {
      ATTNSCOPE_TRY(arch::read(store, p + "self_attn.q_proj.bias", {QD}, L.bq));
      ATTNSCOPE_TRY(arch::read(store, p + "self_attn.k_proj.bias", {KD}, L.bk));
      ATTNSCOPE_TRY(arch::read(store, p + "self_attn.v_proj.bias", {KD}, L.bv));
    }
    ATTNSCOPE_TRY(arch::read(store, p + "mlp.gate_proj.weight", {F, C}, L.w_gate));
    ATTNSCOPE_TRY(arch::read(store, p + "mlp.up_proj.weight", {F, C}, L.w_up));
    ATTNSCOPE_TRY(arch::read(store, p + "mlp.down_proj.weight", {C, F}, L.w_down));
    if (c.mlp_bias) {
      ATTNSCOPE_TRY(arch::read(store, p + "mlp.gate_proj.bias", {F}, L.b_gate));
      ATTNSCOPE_TRY(arch::read(store, p + "mlp.up_proj.bias", {F}, L.b_up));
      ATTNSCOPE_TRY(arch::read(store, p + "mlp.down_proj.bias", {C}, L.b_down));
    }
    arch::keep_stored_dtype(store, L);
  }
  arch::keep_stored_dtype(store, w);
  return w;
}

}  // namespace

const Architecture kLlamaArchitecture = {"llama", "Llama / SmolLM / TinyLlama (LlamaForCausalLM)",
                                         parse_llama, load_llama};
const Architecture kQwen2Architecture = {"qwen2", "Qwen2 (Qwen2ForCausalLM)", parse_qwen2,
                                         load_llama};

}  // namespace attnscope
