// arch_gpt2.cpp — GPT-2 (model_type "gpt2"): learned positions, LayerNorm, GELU (tanh) MLP.
//
// Checkpoint names (GPT2LMHeadModel): transformer.wte / wpe / h.{l}.* / ln_f, lm_head tied.
// GPT-2 stores Conv1D weights as [in, out] and fuses q, k, v into c_attn; both are converted
// here to the canonical [out, in] per-projection layout.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/model/architecture.h"

namespace attnscope {
namespace {

Status parse_gpt2(const nlohmann::json& json, ModelConfig& c) {
  ATTNSCOPE_ASSIGN(c.d_model, arch::get_int(json, {"n_embd", "hidden_size"}));
  ATTNSCOPE_ASSIGN(c.n_layers, arch::get_int(json, {"n_layer", "num_hidden_layers"}));
  ATTNSCOPE_ASSIGN(c.n_heads, arch::get_int(json, {"n_head", "num_attention_heads"}));
  ATTNSCOPE_ASSIGN(c.n_ctx, arch::get_int(json, {"n_positions", "max_position_embeddings"}));
  ATTNSCOPE_ASSIGN(c.vocab_size, arch::get_int(json, {"vocab_size"}));
  ATTNSCOPE_ASSIGN(c.norm_eps, arch::get_float(json, {"layer_norm_epsilon"}, 1e-5f));
  ATTNSCOPE_ASSIGN(c.tied_embeddings, arch::get_bool(json, "tie_word_embeddings", true));
  ATTNSCOPE_ASSIGN(c.scale_attn_by_inverse_layer_idx,
                   arch::get_bool(json, "scale_attn_by_inverse_layer_idx", false));
  bool scale_attn_weights = true;
  ATTNSCOPE_ASSIGN(scale_attn_weights, arch::get_bool(json, "scale_attn_weights", true));
  if (!scale_attn_weights) return make_error("unsupported: scale_attn_weights = false");
  if (c.n_heads <= 0 || c.d_model % c.n_heads != 0)
    return make_error("config.json: n_embd must be a multiple of n_head");
  c.n_kv_heads = c.n_heads;
  c.d_head = c.d_model / c.n_heads;
  // 4 × d_model in 64 bits: d_model is bounded only later, by check_consistency.
  const int default_inner = static_cast<int>(std::min<long long>(4LL * c.d_model, 1LL << 30));
  ATTNSCOPE_ASSIGN(c.d_mlp, arch::get_int(json, {"n_inner"}, default_inner));
  const auto act = json.find("activation_function");
  ATTNSCOPE_ASSIGN(c.activation, arch::parse_activation(act != json.end() && act->is_string()
                                                            ? act->get<std::string>()
                                                            : "gelu_new"));
  c.norm = NormKind::layernorm;
  c.qkv_bias = c.attn_out_bias = c.mlp_bias = true;
  c.position = PositionKind::learned;
  return {};
}

Result<ModelWeights> load_gpt2(const ModelConfig& c, const WeightStore& store) {
  const int C = c.d_model, F = c.d_mlp, V = c.vocab_size;
  // Checkpoints saved from GPT2Model (not the LM head model) have no "transformer." prefix.
  const std::string p = store.find("transformer.wte.weight") ? "transformer." : "";
  ModelWeights w;
  ATTNSCOPE_TRY(arch::read(store, p + "wte.weight", {V, C}, w.token_embed));
  ATTNSCOPE_TRY(arch::read(store, p + "wpe.weight", {c.n_ctx, C}, w.pos_embed));
  ATTNSCOPE_TRY(arch::read(store, p + "ln_f.weight", {C}, w.lnf_w));
  ATTNSCOPE_TRY(arch::read(store, p + "ln_f.bias", {C}, w.lnf_b));
  if (!c.tied_embeddings) ATTNSCOPE_TRY(arch::read(store, "lm_head.weight", {V, C}, w.unembed));
  w.layers.resize(c.n_layers);
  for (int l = 0; l < c.n_layers; l++) {
    const std::string h = p + "h." + std::to_string(l) + ".";
    LayerWeights& L = w.layers[l];
    Matrix c_attn_w, c_proj_w, c_fc_w, mlp_proj_w;  // Conv1D: [in, out]
    std::vector<float> c_attn_b;
    ATTNSCOPE_TRY(arch::read(store, h + "ln_1.weight", {C}, L.ln1_w));
    ATTNSCOPE_TRY(arch::read(store, h + "ln_1.bias", {C}, L.ln1_b));
    ATTNSCOPE_TRY(arch::read(store, h + "attn.c_attn.weight", {C, 3 * C}, c_attn_w));
    ATTNSCOPE_TRY(arch::read(store, h + "attn.c_attn.bias", {3 * C}, c_attn_b));
    ATTNSCOPE_TRY(arch::read(store, h + "attn.c_proj.weight", {C, C}, c_proj_w));
    ATTNSCOPE_TRY(arch::read(store, h + "attn.c_proj.bias", {C}, L.bo));
    ATTNSCOPE_TRY(arch::read(store, h + "ln_2.weight", {C}, L.ln2_w));
    ATTNSCOPE_TRY(arch::read(store, h + "ln_2.bias", {C}, L.ln2_b));
    ATTNSCOPE_TRY(arch::read(store, h + "mlp.c_fc.weight", {C, F}, c_fc_w));
    ATTNSCOPE_TRY(arch::read(store, h + "mlp.c_fc.bias", {F}, L.b_up));
    ATTNSCOPE_TRY(arch::read(store, h + "mlp.c_proj.weight", {F, C}, mlp_proj_w));
    ATTNSCOPE_TRY(arch::read(store, h + "mlp.c_proj.bias", {C}, L.b_down));

    // c_attn: [C, 3C] (in, out) → q, k, v each [C, C] (out, in), in the stored dtype.
    const Matrix qkv = c_attn_w.transposed(C, 3 * C);  // [3C, C]
    L.wq = qkv.row_block(0, C, C);
    L.wk = qkv.row_block(C, 2 * C, C);
    L.wv = qkv.row_block(2 * C, 3 * C, C);
    L.bq.assign(c_attn_b.begin(), c_attn_b.begin() + C);
    L.bk.assign(c_attn_b.begin() + C, c_attn_b.begin() + 2 * C);
    L.bv.assign(c_attn_b.begin() + 2 * C, c_attn_b.end());
    L.wo = c_proj_w.transposed(C, C);
    L.w_up = c_fc_w.transposed(C, F);
    L.w_down = mlp_proj_w.transposed(F, C);
    arch::keep_stored_dtype(store, L);
  }
  arch::keep_stored_dtype(store, w);
  return w;
}

}  // namespace

const Architecture kGpt2Architecture = {"gpt2", "GPT-2 family (GPT2LMHeadModel)", parse_gpt2,
                                        load_gpt2};

}  // namespace attnscope
