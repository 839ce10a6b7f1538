// config.h — a model's shape and choices, read from Hugging Face's config.json.
//
// One ModelConfig describes every supported family; each family's file (arch_*.cpp) fills it from
// its own config keys, and the shared forward pass (forward.cpp) follows its flags.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/ops/kernels.h"

namespace attnscope {

enum class NormKind { layernorm, rmsnorm };
enum class PositionKind { learned, rotary };

struct ModelConfig {
  std::string model_type;  // config.json's model_type: "gpt2", "gpt_neox", "llama", "qwen2"
  int n_layers = 0;
  int d_model = 0;
  int n_heads = 0;
  int n_kv_heads = 0;  // == n_heads unless grouped-query attention
  int d_head = 0;
  int d_mlp = 0;
  int vocab_size = 0;
  int n_ctx = 0;  // longest sequence the model accepts

  NormKind norm = NormKind::layernorm;
  float norm_eps = 1e-5f;
  Activation activation = Activation::gelu_tanh;
  bool gated_mlp = false;          // SwiGLU: down(act(gate(x)) * up(x))
  bool parallel_residual = false;  // GPT-NeoX: x + attn(ln1(x)) + mlp(ln2(x))
  bool tied_embeddings = false;    // the unembedding is the token embedding
  bool qkv_bias = false;
  bool attn_out_bias = false;
  bool mlp_bias = false;

  PositionKind position = PositionKind::learned;
  int rotary_dims = 0;  // per head, rotated with HF's rotate_half convention
  float rope_theta = 10000.0f;
  bool scale_attn_by_inverse_layer_idx = false;  // GPT-2 option

  std::optional<int> bos_token_id, eos_token_id;
};

// Parses config.json; an unknown model_type or a missing / inconsistent key is one clear error.
Result<ModelConfig> parse_model_config(std::string_view config_json);

// "3 layers, 4 heads (2 kv), d_model 64, d_mlp 172, vocab 512, context 256".
std::string describe(const ModelConfig& config);

}  // namespace attnscope
