// random_model.h — models with random weights built in memory, for benchmarks that need no
// checkpoint: the shapes of well-known models by name, and a seeded random init of any config.
//
//   auto config = shape_config("smollm-135m");   // Llama, 30 layers, 9 heads (3 kv), d_model 576
//   Model model = random_model(*config, 1);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/model/config.h"
#include "core/model/model.h"

namespace attnscope {

// "gpt2-small" (124M: 12 layers × 12 heads, d_model 768, vocab 50257, context 1024) or
// "smollm-135m" (Llama: 30 layers, 9 heads sharing 3 kv heads, d_model 576, d_mlp 1536, vocab
// 49152, context 2048, tied embeddings).
Result<ModelConfig> shape_config(std::string_view name);
std::vector<std::string_view> shape_names();

// Every matrix uniform in ±0.02·√3 (standard deviation 0.02, as HF's init), norm weights 1,
// biases 0; the same weights for the same seed on every platform. Matrices are kept as `type`
// (as a checkpoint saved in F16 or BF16 would be).
Model random_model(const ModelConfig& config, unsigned seed, WeightType type = WeightType::f32);

// Multiply-adds ×2 of one forward pass over T tokens: the products (embedding excluded, the
// unembedding included) plus causal attention's scores and mix (T(T+1)/2 pairs per head).
double forward_flops(const ModelConfig& config, int T);

}  // namespace attnscope
