// activations.cpp — each head's hook_result per prompt, averaged over positions (in double) or
// kept per position.
#include "core/sae/activations.h"

#include <string>

namespace attnscope {

Result<HeadActivations> head_activations(const Model& model,
                                         std::span<const std::vector<int>> prompts,
                                         const ActivationOptions& options) {
  if (prompts.empty()) return make_error("no prompts to collect head activations from");
  const ModelConfig& c = model.config();
  const std::size_t L = c.n_layers, H = c.n_heads, C = c.d_model;
  HeadActivations out;
  out.n_layers = c.n_layers;
  out.n_heads = c.n_heads;
  out.n_prompts = static_cast<int>(prompts.size());
  std::size_t rows = 0;
  for (const auto& ids : prompts) rows += options.per_position ? ids.size() : 1;
  out.values = zeros({rows, L * H, C});
  HookPlan plan;
  plan.capture("blocks.*.attn.hook_result");
  std::size_t row = 0;
  for (std::size_t p = 0; p < prompts.size(); p++) {
    Cache cache;
    {
      auto logits = model.forward(prompts[p], plan, &cache);
      if (!logits.ok())
        return make_error("prompt " + std::to_string(p) + ": " + logits.error().message,
                          logits.error().hint);
    }
    const std::size_t T = prompts[p].size();
    const std::size_t n_rows = options.per_position ? T : 1;
    for (std::size_t l = 0; l < L; l++) {
      const Tensor* result = cache.find(HookId{HookPoint::attn_result, int(l)});
      if (!result) return make_error("the forward pass did not produce hook_result");
      const float* src = result->data();  // [T, H, C]
      for (std::size_t h = 0; h < H; h++) {
        if (options.per_position) {
          for (std::size_t t = 0; t < T; t++) {
            float* dst = out.values.data() + ((row + t) * L * H + l * H + h) * C;
            for (std::size_t k = 0; k < C; k++) dst[k] = src[(t * H + h) * C + k];
          }
        } else {
          float* dst = out.values.data() + (row * L * H + l * H + h) * C;
          for (std::size_t k = 0; k < C; k++) {
            double s = 0;
            for (std::size_t t = 0; t < T; t++) s += src[(t * H + h) * C + k];
            dst[k] = float(s / double(T));
          }
        }
      }
    }
    for (std::size_t r = 0; r < n_rows; r++) {
      out.prompt.push_back(int(p));
      out.position.push_back(options.per_position ? int(r) : -1);
    }
    row += n_rows;
    if (options.progress && !options.progress(int(p) + 1, int(prompts.size())))
      return make_error("head activations cancelled");
  }
  return out;
}

}  // namespace attnscope
