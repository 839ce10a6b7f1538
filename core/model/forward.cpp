// forward.cpp — the forward pass shared by every family, with TransformerLens hook points.
//
// Shape legend: T tokens, C d_model, H heads, G kv heads, D d_head, F d_mlp, V vocab.
// The plan is resolved once per pass into a HookSet (a bit per hook). Each hook point calls
// hook(): if the plan neither captures nor edits it, nothing happens; otherwise interventions edit
// the tensor in place and the cache keeps a copy. Attention runs as one fused backend op unless a
// hook captures or edits the scores or edits the pattern (then scores, softmax and mix run
// separately, with the hooks between them); the fused op writes the pattern only when it is
// captured. hook_result ([T, H, C], expensive) is only computed when the plan asks for it, as
// one product per head over that head's columns of W_O. Every numeric step is a backend op.
#include <cmath>
#include <numeric>

#include "core/model/model.h"

namespace attnscope {
namespace {

// A tensor whose every element the next op writes (no zero fill).
Tensor uninitialized(const Shape& shape) {
  return Tensor(shape);
}

const float* bias(const std::vector<float>& b) {
  return b.empty() ? nullptr : b.data();
}

class ForwardPass {
 public:
  ForwardPass(const ModelConfig& c, const ModelWeights& w, const HookPlan& hooks, Cache* cache,
              Backend& be, bool last_logits_only = false)
      : c_(c),
        w_(w),
        hooks_(hooks),
        set_(hooks.resolve(c.n_layers)),
        cache_(cache),
        be_(be),
        last_logits_only_(last_logits_only) {}

  // Runs blocks first_layer.. on `resid` (that block's hook_resid_pre), then the unembedding.
  Result<Tensor> run_from(int first_layer, Tensor resid) {
    for (int l = first_layer; l < c_.n_layers; l++) ATTNSCOPE_TRY(block(l, resid));
    return unembed(resid);
  }

  Result<Tensor> run(std::span<const int> ids) {
    const std::size_t T = ids.size(), C = c_.d_model;
    const int Ti = static_cast<int>(T), Ci = c_.d_model;
    // The residual stream starts as the token embeddings (hook_embed), plus learned positions.
    Tensor resid = uninitialized({T, C});
    be_.gather_rows(resid.data(), w_.token_embed.view(C), ids.data(), Ti, Ci);
    ATTNSCOPE_TRY(hook({HookPoint::embed}, resid));
    if (c_.position == PositionKind::learned) {
      std::vector<int> positions(T);
      std::iota(positions.begin(), positions.end(), 0);
      Tensor pos = uninitialized({T, C});
      be_.gather_rows(pos.data(), w_.pos_embed.view(C), positions.data(), Ti, Ci);
      ATTNSCOPE_TRY(hook({HookPoint::pos_embed}, pos));
      be_.add(resid.data(), pos.data(), T * C);
    }
    return run_from(0, std::move(resid));
  }

 private:
  Result<Tensor> unembed(const Tensor& resid) {
    // With last_logits_only, only the last position: the final norm is per position.
    const std::size_t rows = resid.shape()[0], C = c_.d_model;
    const std::size_t first = last_logits_only_ ? rows - 1 : 0, T = rows - first;
    Tensor normed = uninitialized({T, C});
    norm(normed.data(), resid.data() + first * C, int(T), w_.lnf_w, w_.lnf_b);
    ATTNSCOPE_TRY(hook({HookPoint::ln_final}, normed));
    const std::size_t V = c_.vocab_size;
    Tensor logits = uninitialized({T, V});
    const Matrix& unembed = w_.unembed.empty() ? w_.token_embed : w_.unembed;
    linear(logits.data(), normed.data(), unembed, w_.unembed_b, static_cast<int>(T),
           static_cast<int>(C), static_cast<int>(V));
    ATTNSCOPE_TRY(hook({HookPoint::logits}, logits));
    return logits;
  }

  // Interventions edit `t` in place; the cache keeps a copy of the (edited) tensor.
  Status hook(HookId id, Tensor& t) {
    if (!set_.wants(id)) return {};
    if (set_.edits(id)) {
      const auto before = t.shape();
      hooks_.apply_edits(id, t);
      if (t.shape() != before)
        return make_error("the intervention at " + hook_name(id) + " changed the tensor's shape");
    }
    if (cache_ && set_.captures(id)) cache_->put(id, t);
    return {};
  }

  // out[T,N] = x[T,K] · wᵀ + b, w in its stored dtype.
  void linear(float* out, const float* x, const Matrix& w, const std::vector<float>& b, int T,
              int K, int N) {
    be_.linear_strided(out, std::size_t(N), x, std::size_t(K), w.view(K), bias(b), T, K, N);
  }

  // out[T,C] = the model's norm of in[T,C].
  void norm(float* out, const float* in, int T, const std::vector<float>& w,
            const std::vector<float>& b) {
    const int C = c_.d_model;
    if (c_.norm == NormKind::layernorm)
      be_.layernorm(out, in, w.data(), bias(b), T, C, c_.norm_eps);
    else
      be_.rmsnorm(out, in, w.data(), T, C, c_.norm_eps);
  }

  // z [T, H, D] from q, k, v: fused unless a hook needs the scores (or edits the pattern).
  Status attention(int l, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& z) {
    const std::size_t T = q.shape()[0];
    const int Ti = static_cast<int>(T), H = c_.n_heads, G = c_.n_kv_heads, D = c_.d_head;
    float scale = 1.0f / std::sqrt(static_cast<float>(D));
    if (c_.scale_attn_by_inverse_layer_idx) scale /= static_cast<float>(l + 1);
    const HookId scores_id{HookPoint::attn_scores, l}, pattern_id{HookPoint::attn_pattern, l};
    const Shape pattern_shape = {std::size_t(H), T, T};
    if (!set_.wants(scores_id) && !set_.edits(pattern_id)) {
      const bool keep = cache_ && set_.captures(pattern_id);
      Tensor pattern = keep ? uninitialized(pattern_shape) : Tensor();
      be_.attention(z.data(), keep ? pattern.data() : nullptr, q.data(), k.data(), v.data(), Ti, H,
                    G, D, scale);
      if (keep) cache_->put(pattern_id, std::move(pattern));
      return {};
    }
    Tensor scores = uninitialized(pattern_shape);
    be_.attention_scores(scores.data(), q.data(), k.data(), Ti, H, G, D, scale);
    ATTNSCOPE_TRY(hook(scores_id, scores));
    Tensor pattern = uninitialized(pattern_shape);
    be_.softmax_rows(pattern.data(), scores.data(), H, Ti);
    ATTNSCOPE_TRY(hook(pattern_id, pattern));
    be_.attention_mix(z.data(), pattern.data(), v.data(), Ti, H, G, D);
    return {};
  }

  // resid [T, C] goes in as hook_resid_pre and comes out as hook_resid_post.
  Status block(int l, Tensor& resid) {
    const LayerWeights& L = w_.layers[l];
    const std::size_t T = resid.shape()[0], C = c_.d_model;
    const int Ti = static_cast<int>(T), Ci = c_.d_model, H = c_.n_heads, G = c_.n_kv_heads,
              D = c_.d_head;
    const std::size_t sH = H, sG = G, sD = D;
    ATTNSCOPE_TRY(hook({HookPoint::resid_pre, l}, resid));

    // Attention.
    Tensor x = uninitialized({T, C});
    norm(x.data(), resid.data(), Ti, L.ln1_w, L.ln1_b);
    Tensor q = uninitialized({T, sH, sD});
    Tensor k = uninitialized({T, sG, sD});
    Tensor v = uninitialized({T, sG, sD});
    const std::size_t QD = sH * sD, KD = sG * sD;
    const LinearOutput qkv[] = {{q.data(), QD, L.wq.view(C), bias(L.bq), H * D},
                                {k.data(), KD, L.wk.view(C), bias(L.bk), G * D},
                                {v.data(), KD, L.wv.view(C), bias(L.bv), G * D}};
    be_.linear_multi(x.data(), C, Ti, Ci, qkv);
    ATTNSCOPE_TRY(hook({HookPoint::attn_q, l}, q));
    ATTNSCOPE_TRY(hook({HookPoint::attn_k, l}, k));
    ATTNSCOPE_TRY(hook({HookPoint::attn_v, l}, v));
    if (c_.position == PositionKind::rotary) {
      be_.rope(q.data(), Ti, H, D, c_.rotary_dims, c_.rope_theta, 0);
      be_.rope(k.data(), Ti, G, D, c_.rotary_dims, c_.rope_theta, 0);
      ATTNSCOPE_TRY(hook({HookPoint::attn_rot_q, l}, q));
      ATTNSCOPE_TRY(hook({HookPoint::attn_rot_k, l}, k));
    }
    Tensor z = uninitialized({T, sH, sD});
    ATTNSCOPE_TRY(attention(l, q, k, v, z));
    ATTNSCOPE_TRY(hook({HookPoint::attn_z, l}, z));

    Tensor attn_out = uninitialized({T, C});
    if (set_.wants({HookPoint::attn_result, l})) {
      // Each head's output in the residual stream: its slice of z times its columns of W_O
      // (strided views, no copies); then their sum plus the shared bias.
      Tensor result = uninitialized({T, sH, C});
      for (int h = 0; h < H; h++)
        be_.linear_strided(result.data() + h * C, sH * C, z.data() + h * sD, sH * sD,
                           L.wo.view(sH * sD).at(0, h * sD), nullptr, Ti, D, Ci);
      ATTNSCOPE_TRY(hook({HookPoint::attn_result, l}, result));
      be_.sum_heads(attn_out.data(), result.data(), bias(L.bo), Ti, H, Ci);
    } else {
      linear(attn_out.data(), z.data(), L.wo, L.bo, Ti, H * D, Ci);
    }
    ATTNSCOPE_TRY(hook({HookPoint::attn_out, l}, attn_out));

    // MLP: reads ln2(resid_pre) in parallel-residual models, ln2(resid_mid) otherwise.
    Tensor mlp_in = uninitialized({T, C});
    if (c_.parallel_residual) {
      norm(mlp_in.data(), resid.data(), Ti, L.ln2_w, L.ln2_b);
    } else {
      be_.add(resid.data(), attn_out.data(), T * C);
      ATTNSCOPE_TRY(hook({HookPoint::resid_mid, l}, resid));
      norm(mlp_in.data(), resid.data(), Ti, L.ln2_w, L.ln2_b);
    }
    const std::size_t F = c_.d_mlp;
    Tensor hidden = uninitialized({T, F});
    if (c_.gated_mlp) {
      Tensor gate = uninitialized({T, F});
      const LinearOutput up_gate[] = {{hidden.data(), F, L.w_up.view(C), bias(L.b_up), int(F)},
                                      {gate.data(), F, L.w_gate.view(C), bias(L.b_gate), int(F)}};
      be_.linear_multi(mlp_in.data(), C, Ti, Ci, up_gate);
      be_.activate(gate.data(), T * F, c_.activation);
      be_.multiply(hidden.data(), gate.data(), T * F);
    } else {
      linear(hidden.data(), mlp_in.data(), L.w_up, L.b_up, Ti, Ci, int(F));
      be_.activate(hidden.data(), T * F, c_.activation);
    }
    ATTNSCOPE_TRY(hook({HookPoint::mlp_post, l}, hidden));
    Tensor mlp_out = uninitialized({T, C});
    linear(mlp_out.data(), hidden.data(), L.w_down, L.b_down, Ti, int(F), Ci);
    ATTNSCOPE_TRY(hook({HookPoint::mlp_out, l}, mlp_out));

    if (c_.parallel_residual) be_.add(resid.data(), attn_out.data(), T * C);
    be_.add(resid.data(), mlp_out.data(), T * C);
    ATTNSCOPE_TRY(hook({HookPoint::resid_post, l}, resid));
    return {};
  }

  const ModelConfig& c_;
  const ModelWeights& w_;
  const HookPlan& hooks_;
  const HookSet set_;
  Cache* cache_;
  Backend& be_;
  bool last_logits_only_;
};

}  // namespace

Result<Tensor> Model::forward(std::span<const int> ids, const HookPlan& hooks, Cache* cache,
                              Backend* backend) const {
  ATTNSCOPE_TRY(check_ids(ids));
  ForwardPass pass(*config_, *weights_, hooks, cache, backend ? *backend : default_backend());
  return pass.run(ids);
}

Result<Tensor> Model::forward_from(int layer, const Tensor& resid_pre, const HookPlan& hooks,
                                   Cache* cache, Backend* backend, bool last_logits_only) const {
  if (layer < 0 || layer >= config_->n_layers)
    return make_error("layer " + std::to_string(layer) + " is outside the model (0.." +
                      std::to_string(config_->n_layers - 1) + ")");
  if (resid_pre.dimension() != 2 || resid_pre.shape()[1] != std::size_t(config_->d_model) ||
      resid_pre.shape()[0] == 0 || resid_pre.shape()[0] > std::size_t(config_->n_ctx))
    return make_error("forward_from: the residual stream must be [pos, " +
                      std::to_string(config_->d_model) + "], got " +
                      shape_string(shape_of(resid_pre)));
  ForwardPass pass(*config_, *weights_, hooks, cache, backend ? *backend : default_backend(),
                   last_logits_only);
  return pass.run_from(layer, resid_pre);
}

}  // namespace attnscope
