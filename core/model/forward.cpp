// forward.cpp — the forward pass shared by every family, with TransformerLens hook points.
//
// Shape legend: T tokens, C d_model, H heads, G kv heads, D d_head, F d_mlp, V vocab.
// Every numeric step is an op on views of the model's backend, run through a Scheduler (which
// takes declined ops to the CPU). The weights are the model's BoundWeights; the activations live
// in one Arena per pass, each slot reused layer after layer. The plan is resolved once per pass
// into a HookSet (a bit per hook): a hook neither captured nor edited costs nothing; declarative
// edits run as backend ops, callback edits see the tensor on the host. Captures on a CPU backend
// are host tensors; on any other they are copied into buffers of their own and left in the
// backend's memory (the cache reads one back when it is first asked for). Attention runs as one
// fused op unless a hook captures or edits the scores or edits the pattern (then scores, softmax
// and mix run separately, with the hooks between them); the fused op writes the pattern only
// when it is captured, straight into the cache's tensor or buffer, as the unembedding writes the
// logits into the returned tensor (or, for forward_into, the cache's buffer). hook_result ([T, H,
// C], expensive) is only computed when the plan asks for it, as one product per head over that
// head's columns of W_O.
//
// A step with a key/value cache (forward_step) runs only the step's T new tokens, at positions
// past..past+T−1 (past = the cache's length): learned position embeddings and RoPE take those
// positions, each block's new keys and values are written straight into the cache's rows past..,
// and attention reads all S = past + T of them. Hooks then see the step's positions only:
// [T, ...] tensors for the new tokens, and hook_pattern as [H, T, S] (the step's queries against
// every key). Hooks on the scores, and pattern edits, need the separate attention ops, which take
// a whole sequence: a step with past > 0 refuses them (run those on a full forward).
#include <array>
#include <cmath>
#include <numeric>

#include "core/model/kv_cache.h"
#include "core/model/model.h"
#include "core/ops/arena.h"
#include "core/ops/scheduler.h"

namespace attnscope {
namespace {

enum Slot {
  kIds,
  kPositions,
  kResid,
  kPos,
  kX,
  kQ,
  kK,
  kV,
  kZ,
  kAttnOut,
  kMlpIn,
  kHidden,
  kGate,
  kMlpOut,
  kScores,
  kPattern,
  kResult,
  kNormed,
  kLogits,
  kSlotCount
};

// Whether any block's attention must run as separate ops (a hook on its scores, or an edit of its
// pattern), whether any captures its pattern, whether any computes hook_result.
struct PassNeeds {
  bool split_attention = false, pattern_capture = false, result = false;
};

PassNeeds needs_of(const HookSet& set, int n_layers, bool caching) {
  PassNeeds n;
  for (int l = 0; l < n_layers; l++) {
    n.split_attention = n.split_attention || set.wants({HookPoint::attn_scores, l}) ||
                        set.edits({HookPoint::attn_pattern, l});
    n.pattern_capture =
        n.pattern_capture || (caching && set.captures({HookPoint::attn_pattern, l}));
    n.result = n.result || set.wants({HookPoint::attn_result, l});
  }
  return n;
}

// Bytes of each slot for a pass over T tokens (0: not needed). With a key/value cache, k and v
// are written into the cache instead of slots.
std::array<std::size_t, kSlotCount> slot_bytes(const ModelConfig& c, const PassNeeds& needs,
                                               std::size_t T, std::size_t logit_rows,
                                               bool host_memory, bool kv_cache) {
  const std::size_t C = c.d_model, H = c.n_heads, G = c.n_kv_heads, D = c.d_head, F = c.d_mlp,
                    V = c.vocab_size, f = sizeof(float);
  std::array<std::size_t, kSlotCount> b{};
  b[kIds] = T * sizeof(int);
  if (c.position == PositionKind::learned) b[kPositions] = T * sizeof(int), b[kPos] = T * C * f;
  b[kResid] = b[kX] = b[kAttnOut] = b[kMlpIn] = b[kMlpOut] = b[kNormed] = T * C * f;
  b[kQ] = b[kZ] = T * H * D * f;
  if (!kv_cache) b[kK] = b[kV] = T * G * D * f;
  b[kHidden] = T * F * f;
  if (c.gated_mlp) b[kGate] = T * F * f;
  if (needs.split_attention) b[kScores] = H * T * T * f;
  // The fused op writes captured patterns into the cache's tensors or buffers directly.
  if (needs.split_attention) b[kPattern] = H * T * T * f;
  if (needs.result) b[kResult] = T * H * C * f;
  if (!host_memory) b[kLogits] = logit_rows * V * f;
  return b;
}

class ForwardPass {
 public:
  // logits_into_cache: the logits become the cache's "logits" entry (resident where the backend
  // computes) and run() returns an empty tensor. kv: a step's key/value cache; its length is the
  // first position of the pass's tokens.
  ForwardPass(const ModelConfig& c, const BoundWeights& w, const HookPlan& hooks, Cache* cache,
              std::size_t T, bool last_logits_only, bool logits_into_cache = false,
              KvCache* kv = nullptr)
      : c_(c),
        w_(w),
        hooks_(hooks),
        set_(hooks.resolve(c.n_layers)),
        cache_(cache),
        sch_(w.backend()),
        T_(T),
        last_logits_only_(last_logits_only),
        logits_into_cache_(logits_into_cache && cache),
        kv_(kv),
        past_(kv ? std::size_t(kv->length()) : 0),
        arena_(w.backend(),
               slot_bytes(c, needs_of(set_, c.n_layers, cache != nullptr), T,
                          last_logits_only ? 1 : T, w.backend().host_memory(), kv != nullptr)) {}

  Result<Tensor> run(std::span<const int> ids) {
    ATTNSCOPE_TRY(check_step_hooks());
    const int T = int(T_), C = c_.d_model;
    // The residual stream starts as the token embeddings (hook_embed), plus learned positions.
    const View resid = slot(kResid);
    upload(arena_.i32(kIds), ids.data(), T_ * sizeof(int));
    sch_.gather_rows(resid, w_.token_embed, arena_.i32(kIds), T, C);
    ATTNSCOPE_TRY(hook({HookPoint::embed}, resid, {T_, std::size_t(C)}));
    if (c_.position == PositionKind::learned) {
      std::vector<int> positions(T_);
      std::iota(positions.begin(), positions.end(), int(past_));
      upload(arena_.i32(kPositions), positions.data(), T_ * sizeof(int));
      sch_.gather_rows(slot(kPos), w_.pos_embed, arena_.i32(kPositions), T, C);
      ATTNSCOPE_TRY(hook({HookPoint::pos_embed}, slot(kPos), {T_, std::size_t(C)}));
      sch_.add(resid, slot(kPos), T_ * C);
    }
    return run_blocks(0);
  }

  // Blocks first_layer.. on `resid_pre` (that block's hook_resid_pre), then the unembedding.
  Result<Tensor> run_from(int first_layer, const Tensor& resid_pre) {
    upload(slot(kResid), resid_pre.data(), resid_pre.size() * sizeof(float));
    return run_blocks(first_layer);
  }

 private:
  // A host tensor an op's output ends in: written in place by a CPU backend (the view wraps the
  // tensor), read back from an arena slot by any other.
  struct HostTarget {
    Tensor tensor;
    View view;
    bool read_back = false;
  };

  Backend& be() const { return w_.backend(); }
  View slot(Slot s) const { return arena_.f32(s); }
  static std::size_t elements(const Shape& shape) {
    std::size_t n = 1;
    for (const std::size_t d : shape) n *= d;
    return n;
  }
  void upload(View dst, const void* src, std::size_t bytes) {
    dst.buffer->write(dst.offset, src, bytes);
  }

  HostTarget target(const Shape& shape, Slot fallback) {
    HostTarget t{Tensor(shape), slot(fallback), true};
    if (auto wrapped = be().wrap_host(t.tensor.data(), t.tensor.size() * sizeof(float))) {
      t.view = {wrapped.get(), 0, DType::f32, 0};
      t.read_back = false;
      borrowed_.push_back(std::move(wrapped));
    }
    return t;
  }
  void finish(HostTarget& t) {
    if (t.read_back) be().read_async(t.view, t.tensor.data(), t.tensor.size() * sizeof(float));
  }

  // A step after the first (past > 0) runs attention fused only: hooks on the scores and pattern
  // edits need the separate ops, which take a whole sequence. Refused before any op runs.
  Status check_step_hooks() const {
    if (past_ == 0) return {};
    for (int l = 0; l < c_.n_layers; l++)
      for (const HookId id :
           {HookId{HookPoint::attn_scores, l}, HookId{HookPoint::attn_pattern, l}})
        if (id.point == HookPoint::attn_scores ? set_.wants(id) : set_.edits(id))
          return make_error("a cached generation step cannot run " + hook_name(id) +
                                " (hooks on the scores and pattern edits need the whole sequence)",
                            "run them on a full forward pass of the sequence");
    return {};
  }

  Result<Tensor> run_blocks(int first_layer) {
    for (int l = first_layer; l < c_.n_layers; l++) ATTNSCOPE_TRY(block(l));
    ATTNSCOPE_ASSIGN(Tensor logits, unembed());
    be().synchronize();  // every capture's read_async is complete
    return logits;
  }

  Result<Tensor> unembed() {
    // With last_logits_only, only the last position: the final norm is per position.
    const std::size_t C = c_.d_model, V = c_.vocab_size;
    const std::size_t first = last_logits_only_ ? T_ - 1 : 0, T = T_ - first;
    const View normed = slot(kNormed);
    norm(normed, arena_.f32(kResid, C).at(first, 0), int(T), w_.lnf_w, w_.lnf_b);
    ATTNSCOPE_TRY(hook({HookPoint::ln_final}, normed, {T, C}));
    const HookId logits_id{HookPoint::logits};
    if (logits_into_cache_ && !be().host_memory()) {
      const auto buffer = resident({T, V});
      const View out{buffer.get(), 0, DType::f32, 0};
      linear(out, normed, w_.unembed, w_.unembed_b, int(T), int(C), int(V));
      ATTNSCOPE_TRY(edit_hook(logits_id, out, {T, V}));
      cache_->put_resident(logits_id, be(), buffer, {T, V});
      return Tensor();
    }
    HostTarget logits = target({T, V}, kLogits);
    linear(logits.view, normed, w_.unembed, w_.unembed_b, int(T), int(C), int(V));
    if (logits_into_cache_) {
      ATTNSCOPE_TRY(edit_hook(logits_id, logits.view, {T, V}));
      finish(logits);
      cache_->put(logits_id, std::move(logits.tensor));
      return Tensor();
    }
    ATTNSCOPE_TRY(hook(logits_id, logits.view, {T, V}));
    finish(logits);
    return std::move(logits.tensor);
  }

  // A buffer of its own for a capture of `shape` left in the backend's memory.
  std::shared_ptr<Buffer> resident(const Shape& shape) {
    return std::shared_ptr<Buffer>(be().alloc(elements(shape) * sizeof(float)));
  }

  // The hook's edits only (its capture is the caller's).
  Status edit_hook(HookId id, View v, const Shape& shape) {
    if (set_.edits(id))
      for (const HookPlan::Edit& e : hooks_.edit_list())
        if (e.id == id)
          ATTNSCOPE_TRY(e.fn ? edit_on_host(id, e.fn, v, shape) : edit(id, e.op, v, shape));
    return {};
  }

  // Edits change the tensor in place, where it lives; the cache gets a copy of the result: a host
  // tensor from a CPU backend, a buffer of its own on any other.
  Status hook(HookId id, View v, const Shape& shape) {
    if (!set_.wants(id)) return {};
    ATTNSCOPE_TRY(edit_hook(id, v, shape));
    if (!cache_ || !set_.captures(id)) return {};
    const std::size_t n = elements(shape);
    if (be().host_memory()) {
      Tensor t(shape);
      be().read_async(v, t.data(), n * sizeof(float));
      cache_->put(id, std::move(t));
      return {};
    }
    const auto buffer = resident(shape);
    sch_.copy({buffer.get(), 0, DType::f32, 0}, v.with_ld(0), 1, int(n));
    cache_->put_resident(id, be(), buffer, shape);
    return {};
  }

  Status edit_on_host(HookId id, const HookEdit& fn, View v, const Shape& shape) {
    Tensor t(shape);
    const std::size_t bytes = t.size() * sizeof(float);
    v.buffer->read(v.offset, t.data(), bytes);
    fn(t);
    if (shape_of(t) != shape)
      return make_error("the intervention at " + hook_name(id) + " changed the tensor's shape");
    upload(v, t.data(), bytes);
    return {};
  }

  Status edit(HookId id, const TensorEdit& e, View v, const Shape& shape) {
    const std::size_t n = elements(shape);
    if (e.rows < 0 || e.cols < 0 || e.extent() > n)
      return make_error("the edit at " + hook_name(id) + " (" + e.describe() +
                        ") reaches past its " + shape_string(shape) + " tensor");
    const View region{v.buffer, v.offset + e.first * sizeof(float), DType::f32, e.ld};
    switch (e.kind) {
      case TensorEdit::Kind::fill:
        sch_.fill(region, e.rows, e.cols, e.value);
        break;
      case TensorEdit::Kind::scale:
        sch_.scale(region, e.rows, e.cols, e.value);
        break;
      case TensorEdit::Kind::copy: {
        if (!e.source || e.source_extent() > e.source->size())
          return make_error("the edit at " + hook_name(id) + " (" + e.describe() +
                            ") reads past its source values");
        const View source = bind_source(*e.source);
        sch_.copy(region,
                  {source.buffer, source.offset + e.source_first * sizeof(float), DType::f32,
                   e.source_ld},
                  e.rows, e.cols);
        break;
      }
    }
    return {};
  }

  // An edit's source values on the backend: wrapped on a CPU backend, uploaded once per pass on
  // any other.
  View bind_source(const Tensor& source) {
    for (const auto& [tensor, view] : sources_)
      if (tensor == &source) return view;
    void* data = const_cast<float*>(source.data());  // read only: a copy's source
    const std::size_t bytes = source.size() * sizeof(float);
    std::unique_ptr<Buffer> buffer = be().wrap_host(data, bytes);
    if (!buffer) {
      buffer = be().alloc(bytes);
      buffer->write(0, data, bytes);
    }
    const View view{buffer.get(), 0, DType::f32, 0};
    borrowed_.push_back(std::move(buffer));
    sources_.push_back({&source, view});
    return view;
  }

  // out[T,N] = x[T,K] · wᵀ + b, dense rows, w in its stored dtype.
  void linear(View out, View x, View w, View b, int T, int K, int N) {
    sch_.linear(out.with_ld(N), x.with_ld(K), w, b, T, K, N);
  }

  // out[T,C] = the model's norm of in[T,C].
  void norm(View out, View in, int T, View w, View b) {
    const int C = c_.d_model;
    if (c_.norm == NormKind::layernorm)
      sch_.layernorm(out, in, w, b, T, C, c_.norm_eps);
    else
      sch_.rmsnorm(out, in, w, T, C, c_.norm_eps);
  }

  // z [T, H, D] from q, k, v: fused unless a hook needs the scores (or edits the pattern).
  Status attention(int l, View q, View k, View v, View z) {
    const int T = int(T_), H = c_.n_heads, G = c_.n_kv_heads, D = c_.d_head;
    float scale = 1.0f / std::sqrt(static_cast<float>(D));
    if (c_.scale_attn_by_inverse_layer_idx) scale /= static_cast<float>(l + 1);
    const HookId scores_id{HookPoint::attn_scores, l}, pattern_id{HookPoint::attn_pattern, l};
    const int past = int(past_);
    const Shape pattern_shape = {std::size_t(H), T_, past_ + T_};
    if (!set_.wants(scores_id) && !set_.edits(pattern_id)) {
      if (!cache_ || !set_.captures(pattern_id)) {
        sch_.attention(z, {}, q, k, v, T, H, G, D, scale, past);
        return {};
      }
      if (!be().host_memory()) {
        const auto buffer = resident(pattern_shape);
        sch_.attention(z, {buffer.get(), 0, DType::f32, 0}, q, k, v, T, H, G, D, scale, past);
        cache_->put_resident(pattern_id, be(), buffer, pattern_shape);
        return {};
      }
      HostTarget pattern = target(pattern_shape, kPattern);
      sch_.attention(z, pattern.view, q, k, v, T, H, G, D, scale, past);
      finish(pattern);
      cache_->put(pattern_id, std::move(pattern.tensor));
      return {};
    }
    const View scores = slot(kScores), pattern = slot(kPattern);
    sch_.attention_scores(scores, q, k, T, H, G, D, scale);
    ATTNSCOPE_TRY(hook(scores_id, scores, pattern_shape));
    sch_.softmax_rows(pattern, scores, H, T);
    ATTNSCOPE_TRY(hook(pattern_id, pattern, pattern_shape));
    sch_.attention_mix(z, pattern, v, T, H, G, D);
    return {};
  }

  // The residual stream slot goes in as hook_resid_pre and comes out as hook_resid_post.
  Status block(int l) {
    const BoundLayer& L = w_.layers[l];
    const int T = int(T_), C = c_.d_model, H = c_.n_heads, G = c_.n_kv_heads, D = c_.d_head,
              F = c_.d_mlp;
    const std::size_t sC = C, sH = H, sG = G, sD = D, sF = F, TC = T_ * sC, TF = T_ * sF;
    const View resid = slot(kResid), x = slot(kX), q = slot(kQ), z = slot(kZ),
               attn_out = slot(kAttnOut), mlp_in = slot(kMlpIn), hidden = slot(kHidden),
               mlp_out = slot(kMlpOut);
    // This pass's keys and values [T, G, D]: slots, or the key/value cache's rows past.. (then
    // attention reads the cache's rows 0..past+T−1: keys_all, values_all).
    const View k = kv_ ? kv_->keys(l).at(past_, 0).with_ld(0) : slot(kK),
               v = kv_ ? kv_->values(l).at(past_, 0).with_ld(0) : slot(kV),
               keys_all = kv_ ? kv_->keys(l).with_ld(0) : k,
               values_all = kv_ ? kv_->values(l).with_ld(0) : v;
    ATTNSCOPE_TRY(hook({HookPoint::resid_pre, l}, resid, {T_, sC}));

    // Attention.
    norm(x, resid, T, L.ln1_w, L.ln1_b);
    const LinearTarget qkv[] = {{q.with_ld(sH * sD), L.wq, L.bq, H * D},
                                {k.with_ld(sG * sD), L.wk, L.bk, G * D},
                                {v.with_ld(sG * sD), L.wv, L.bv, G * D}};
    sch_.linear_multi(x.with_ld(sC), T, C, qkv);
    ATTNSCOPE_TRY(hook({HookPoint::attn_q, l}, q, {T_, sH, sD}));
    ATTNSCOPE_TRY(hook({HookPoint::attn_k, l}, k, {T_, sG, sD}));
    ATTNSCOPE_TRY(hook({HookPoint::attn_v, l}, v, {T_, sG, sD}));
    if (c_.position == PositionKind::rotary) {
      sch_.rope(q, T, H, D, c_.rotary_dims, c_.rope_theta, int(past_));
      sch_.rope(k, T, G, D, c_.rotary_dims, c_.rope_theta, int(past_));
      ATTNSCOPE_TRY(hook({HookPoint::attn_rot_q, l}, q, {T_, sH, sD}));
      ATTNSCOPE_TRY(hook({HookPoint::attn_rot_k, l}, k, {T_, sG, sD}));
    }
    ATTNSCOPE_TRY(attention(l, q, keys_all, values_all, z));
    ATTNSCOPE_TRY(hook({HookPoint::attn_z, l}, z, {T_, sH, sD}));

    if (set_.wants({HookPoint::attn_result, l})) {
      // Each head's output in the residual stream: its slice of z times its columns of W_O
      // (strided views, no copies); then their sum plus the shared bias.
      const View result = arena_.f32(kResult, sH * sC);
      for (int h = 0; h < H; h++)
        sch_.linear(result.at(0, std::size_t(h) * sC), z.with_ld(sH * sD).at(0, h * sD),
                    L.wo.at(0, h * sD), {}, T, D, C);
      ATTNSCOPE_TRY(hook({HookPoint::attn_result, l}, result, {T_, sH, sC}));
      sch_.sum_heads(attn_out, result, L.bo, T, H, C);
    } else {
      linear(attn_out, z, L.wo, L.bo, T, H * D, C);
    }
    ATTNSCOPE_TRY(hook({HookPoint::attn_out, l}, attn_out, {T_, sC}));

    // MLP: reads ln2(resid_pre) in parallel-residual models, ln2(resid_mid) otherwise.
    if (c_.parallel_residual) {
      norm(mlp_in, resid, T, L.ln2_w, L.ln2_b);
    } else {
      sch_.add(resid, attn_out, TC);
      ATTNSCOPE_TRY(hook({HookPoint::resid_mid, l}, resid, {T_, sC}));
      norm(mlp_in, resid, T, L.ln2_w, L.ln2_b);
    }
    if (c_.gated_mlp) {
      const View gate = slot(kGate);
      const LinearTarget up_gate[] = {{hidden.with_ld(sF), L.w_up, L.b_up, F},
                                      {gate.with_ld(sF), L.w_gate, L.b_gate, F}};
      sch_.linear_multi(mlp_in.with_ld(sC), T, C, up_gate);
      sch_.activate(gate, TF, c_.activation);
      sch_.multiply(hidden, gate, TF);
    } else {
      linear(hidden, mlp_in, L.w_up, L.b_up, T, C, F);
      sch_.activate(hidden, TF, c_.activation);
    }
    ATTNSCOPE_TRY(hook({HookPoint::mlp_post, l}, hidden, {T_, sF}));
    linear(mlp_out, hidden, L.w_down, L.b_down, T, F, C);
    ATTNSCOPE_TRY(hook({HookPoint::mlp_out, l}, mlp_out, {T_, sC}));

    if (c_.parallel_residual) sch_.add(resid, attn_out, TC);
    sch_.add(resid, mlp_out, TC);
    ATTNSCOPE_TRY(hook({HookPoint::resid_post, l}, resid, {T_, sC}));
    return {};
  }

  const ModelConfig& c_;
  const BoundWeights& w_;
  const HookPlan& hooks_;
  const HookSet set_;
  Cache* cache_;
  Scheduler sch_;
  std::size_t T_;
  bool last_logits_only_;
  bool logits_into_cache_;
  KvCache* kv_;
  std::size_t past_;
  Arena arena_;
  std::vector<std::unique_ptr<Buffer>> borrowed_;  // wrapped host tensors, uploaded sources
  std::vector<std::pair<const Tensor*, View>> sources_;
};

}  // namespace

Result<Tensor> Model::forward(std::span<const int> ids, const HookPlan& hooks, Cache* cache) const {
  ATTNSCOPE_TRY(check_ids(ids));
  ForwardPass pass(*config_, *bound_, hooks, cache, ids.size(), false);
  return pass.run(ids);
}

Status Model::forward_into(std::span<const int> ids, const HookPlan& hooks, Cache& cache) const {
  ATTNSCOPE_TRY(check_ids(ids));
  ForwardPass pass(*config_, *bound_, hooks, &cache, ids.size(), false, true);
  Result<Tensor> logits = pass.run(ids);
  if (!logits) return logits.error();
  return {};
}

Result<Tensor> Model::forward_step(std::span<const int> ids, KvCache& kv, const HookPlan& hooks,
                                   Cache* cache, bool last_logits_only) const {
  ATTNSCOPE_TRY(check_ids(ids));
  if (!kv.fits(*config_, backend()))
    return make_error("this key/value cache was made for another model or backend",
                      "create it with KvCache::create(model, capacity)");
  const std::size_t past = std::size_t(kv.length()), end = past + ids.size();
  if (end > std::size_t(kv.capacity()))
    return make_error("this step reaches position " + std::to_string(end) +
                          ", past the key/value cache's " + std::to_string(kv.capacity()) +
                          " positions",
                      "create the cache with room for the prompt and every new token");
  ForwardPass pass(*config_, *bound_, hooks, cache, ids.size(), last_logits_only, false, &kv);
  ATTNSCOPE_ASSIGN(Tensor logits, pass.run(ids));
  kv.length_ = int(end);
  return logits;
}

Result<Tensor> Model::forward_from(int layer, const Tensor& resid_pre, const HookPlan& hooks,
                                   Cache* cache, bool last_logits_only) const {
  // layer == n_layers runs no block: the final norm and the unembedding alone (the logit lens).
  if (layer < 0 || layer > config_->n_layers)
    return make_error("layer " + std::to_string(layer) + " is outside the model (0.." +
                      std::to_string(config_->n_layers) + ")");
  if (resid_pre.dimension() != 2 || resid_pre.shape()[1] != std::size_t(config_->d_model) ||
      resid_pre.shape()[0] == 0 || resid_pre.shape()[0] > std::size_t(config_->n_ctx))
    return make_error("forward_from: the residual stream must be [pos, " +
                      std::to_string(config_->d_model) + "], got " +
                      shape_string(shape_of(resid_pre)));
  ForwardPass pass(*config_, *bound_, hooks, cache, resid_pre.shape()[0], last_logits_only);
  return pass.run_from(layer, resid_pre);
}

}  // namespace attnscope
