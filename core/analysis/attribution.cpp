#include "core/analysis/attribution.h"

#include <cmath>

namespace attnscope {

Result<LogitAttribution> direct_logit_attribution(const Model& model, std::span<const int> ids,
                                                  int answer, int distractor, int position) {
  const ModelConfig& c = model.config();
  const ModelWeights& w = model.weights();
  for (int token : {answer, distractor})
    if (token < -1 || token >= c.vocab_size || (token == -1 && token == answer))
      return make_error("token id " + std::to_string(token) + " is outside the vocabulary");
  if (position < -1 || (!ids.empty() && position >= int(ids.size())))
    return make_error("position " + std::to_string(position) + " is outside the prompt (0.." +
                      std::to_string(int(ids.size()) - 1) + ")");
  HookPlan plan;
  for (const char* glob :
       {"hook_embed", "hook_pos_embed", "blocks.*.attn.hook_result", "blocks.*.hook_attn_out",
        "blocks.*.hook_mlp_out", "blocks.*.hook_resid_post"})
    plan.capture(glob);
  Cache cache;
  ATTNSCOPE_ASSIGN(const Tensor logits, model.forward(ids, plan, &cache));
  const std::size_t T = ids.size(), C = c.d_model, H = c.n_heads, L = c.n_layers;
  const std::size_t scored = position < 0 ? T - 1 : std::size_t(position);

  // u = W_U[answer] − W_U[distractor], then folded with the norm's weight: v = w ⊙ u.
  const Matrix& unembed = w.unembed.empty() ? w.token_embed : w.unembed;
  std::vector<double> v(C);
  for (std::size_t i = 0; i < C; i++) {
    double u = unembed.at(std::size_t(answer) * C + i);
    if (distractor >= 0) u -= unembed.at(std::size_t(distractor) * C + i);
    v[i] = u * w.lnf_w[i];
  }
  // The frozen scale of the final norm, from the last block's output at that position.
  const float* resid = cache.find(HookId{HookPoint::resid_post, int(L) - 1})->data() + scored * C;
  const bool centred = c.norm == NormKind::layernorm;
  double mean = 0.0;
  if (centred) {
    for (std::size_t i = 0; i < C; i++) mean += resid[i];
    mean /= double(C);
  }
  double var = 0.0;
  for (std::size_t i = 0; i < C; i++) var += (resid[i] - mean) * (resid[i] - mean);
  const double scale = 1.0 / std::sqrt(var / double(C) + c.norm_eps);
  auto contribution = [&](const float* x) {
    double m = 0.0;
    if (centred) {
      for (std::size_t i = 0; i < C; i++) m += x[i];
      m /= double(C);
    }
    double dot = 0.0;
    for (std::size_t i = 0; i < C; i++) dot += (x[i] - m) * v[i];
    return dot * scale;
  };

  LogitAttribution out;
  out.heads = zeros({L, H});
  out.mlps = zeros({L});
  out.attn_biases = zeros({L});
  out.embeddings = contribution(cache.find("hook_embed")->data() + scored * C);
  if (const Tensor* pos = cache.find("hook_pos_embed"))
    out.embeddings += contribution(pos->data() + scored * C);
  for (std::size_t l = 0; l < L; l++) {
    const Tensor& result = *cache.find(HookId{HookPoint::attn_result, int(l)});
    const Tensor& attn_out = *cache.find(HookId{HookPoint::attn_out, int(l)});
    std::vector<float> bias(attn_out.data() + scored * C, attn_out.data() + (scored + 1) * C);
    for (std::size_t h = 0; h < H; h++) {
      const float* r = result.data() + (scored * H + h) * C;
      out.heads(l, h) = static_cast<float>(contribution(r));
      for (std::size_t i = 0; i < C; i++) bias[i] -= r[i];  // attn_out − Σ heads = the bias
    }
    out.attn_biases(l) = static_cast<float>(contribution(bias.data()));
    out.mlps(l) = static_cast<float>(
        contribution(cache.find(HookId{HookPoint::mlp_out, int(l)})->data() + scored * C));
  }
  if (!w.lnf_b.empty()) {
    for (std::size_t i = 0; i < C; i++) {
      double u = unembed.at(std::size_t(answer) * C + i);
      if (distractor >= 0) u -= unembed.at(std::size_t(distractor) * C + i);
      out.norm_bias += u * w.lnf_b[i];
    }
  }
  const float* row = logits.data() + scored * c.vocab_size;
  out.total = row[answer] - (distractor >= 0 ? row[distractor] : 0.0f);
  return out;
}

}  // namespace attnscope
