// architecture.h — what a model family provides: how to read its config.json keys and where its
// tensors live in the checkpoint. One file per family (arch_gpt2.cpp, arch_gpt_neox.cpp,
// arch_llama.cpp) registers one Architecture; nothing else switches on the family.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/io/sharded.h"
#include "core/model/config.h"
#include "core/model/weights.h"

namespace attnscope {

struct Architecture {
  const char* model_type;  // config.json's model_type
  const char* description;
  // Fill the family's fields of `config` from config.json (model_type is already set).
  Status (*parse_config)(const nlohmann::json& json, ModelConfig& config);
  // Read and convert every tensor; shapes are checked against the config.
  Result<ModelWeights> (*load_weights)(const ModelConfig& config, const WeightStore& store);
};

// All supported families, in the order `attnscope --help` lists them.
std::span<const Architecture* const> architectures();
const Architecture* find_architecture(std::string_view model_type);

extern const Architecture kGpt2Architecture;
extern const Architecture kGptNeoxArchitecture;
extern const Architecture kLlamaArchitecture;
extern const Architecture kQwen2Architecture;

// Shared helpers for the family files.
namespace arch {

// Reads config key `key` (or the first of `keys` present) as an int/float/bool with a default;
// a present key of the wrong type is an error naming it.
Result<int> get_int(const nlohmann::json& json, std::initializer_list<const char*> keys,
                    std::optional<int> fallback = std::nullopt);
Result<float> get_float(const nlohmann::json& json, std::initializer_list<const char*> keys,
                        std::optional<float> fallback = std::nullopt);
Result<bool> get_bool(const nlohmann::json& json, const char* key, bool fallback);
// HF's hidden_act / activation_function names.
Result<Activation> parse_activation(const std::string& name);
// rope_theta and partial_rotary_factor from transformers 5's "rope_parameters" or older keys.
Status read_rope(const nlohmann::json& json, ModelConfig& config, const char* legacy_theta_key,
                 const char* legacy_partial_key);

// Reads one tensor, checking its shape: "layer 2: tensor 'x' has shape [..], expected [..]".
Status read(const WeightStore& store, const std::string& name, std::vector<int64_t> shape,
            std::vector<float>& out);
// As read(), into a float32 matrix (keep_stored_dtype narrows it afterwards).
Status read(const WeightStore& store, const std::string& name, std::vector<int64_t> shape,
            Matrix& out);
// Keeps every matrix of the layer (or of the model outside its layers) in the checkpoint's dtype
// when every tensor of the checkpoint is F16, or every one BF16: widened to float32 on read,
// narrowed back here, exactly. Mixed or F32 checkpoints stay float32.
void keep_stored_dtype(const WeightStore& store, LayerWeights& layer);
void keep_stored_dtype(const WeightStore& store, ModelWeights& weights);
// As read(), but absent is fine (out stays empty).
Status read_optional(const WeightStore& store, const std::string& name, std::vector<int64_t> shape,
                     std::vector<float>& out);

}  // namespace arch
}  // namespace attnscope
