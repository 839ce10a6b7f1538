// weights.h — a model's parameters in one canonical float32 layout, whatever the family wrote.
//
// Family loaders (arch_*.cpp) convert on load: GPT-2's Conv1D weights are transposed, fused
// q/k/v projections are split, GPT-NeoX's per-head interleaved q/k/v is de-interleaved. Every
// matrix is a torch.nn.Linear weight [out, in]; empty vectors mean "absent" (no bias, tied head).
#pragma once

#include <vector>

namespace attnscope {

struct LayerWeights {
  std::vector<float> ln1_w, ln1_b;    // [d_model]
  std::vector<float> wq, bq;          // [n_heads·d_head, d_model], [n_heads·d_head]
  std::vector<float> wk, bk;          // [n_kv_heads·d_head, d_model]
  std::vector<float> wv, bv;          // [n_kv_heads·d_head, d_model]
  std::vector<float> wo, bo;          // [d_model, n_heads·d_head], [d_model]
  std::vector<float> ln2_w, ln2_b;    // [d_model]
  std::vector<float> w_up, b_up;      // [d_mlp, d_model] (GPT-2 c_fc, NeoX h_to_4h, Llama up_proj)
  std::vector<float> w_gate, b_gate;  // [d_mlp, d_model] gated MLPs only
  std::vector<float> w_down, b_down;  // [d_model, d_mlp]
};

struct ModelWeights {
  std::vector<float> token_embed;  // [vocab, d_model]
  std::vector<float> pos_embed;    // [n_ctx, d_model], learned positions only
  std::vector<LayerWeights> layers;
  std::vector<float> lnf_w, lnf_b;  // [d_model]
  std::vector<float> unembed;       // [vocab, d_model]; empty when tied to token_embed
  std::vector<float> unembed_b;     // [vocab], rarely present
};

}  // namespace attnscope
