// hooks.h — named points in the forward pass, TransformerLens's names exactly.
//
// Internally a hook is a point + a layer (an enum and an int, no strings in the forward pass);
// the string ("blocks.3.attn.hook_pattern") is for display, export and comparison with Python.
// A HookPlan says, for one run, which hooks are captured into a Cache and which are edited by an
// intervention (ablation, calibration). Hooks neither captured nor edited cost nothing, and the
// expensive one (hook_result, [pos, head, d_model]) is only computed when asked for.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/tensor_edit.h"
#include "core/ops/backend.h"
#include "core/tensor.h"

namespace attnscope {

// Shapes use TransformerLens's letters: pos (tokens), head, d_head, d_model, d_mlp, vocab.
enum class HookPoint {
  embed,         // hook_embed               [pos, d_model]  token embeddings
  pos_embed,     // hook_pos_embed           [pos, d_model]  learned positions (GPT-2 only)
  resid_pre,     // blocks.{l}.hook_resid_pre  [pos, d_model]
  attn_q,        // blocks.{l}.attn.hook_q     [pos, head, d_head]   before rotary
  attn_k,        // blocks.{l}.attn.hook_k     [pos, kv_head, d_head]
  attn_v,        // blocks.{l}.attn.hook_v     [pos, kv_head, d_head]
  attn_rot_q,    // blocks.{l}.attn.hook_rot_q [pos, head, d_head]   after rotary (rotary models)
  attn_rot_k,    // blocks.{l}.attn.hook_rot_k [pos, kv_head, d_head]
  attn_scores,   // blocks.{l}.attn.hook_attn_scores [head, query, key], masked = -inf
  attn_pattern,  // blocks.{l}.attn.hook_pattern     [head, query, key]
  attn_z,        // blocks.{l}.attn.hook_z      [pos, head, d_head]
  attn_result,   // blocks.{l}.attn.hook_result [pos, head, d_model]  each head's output
  attn_out,      // blocks.{l}.hook_attn_out    [pos, d_model]
  resid_mid,     // blocks.{l}.hook_resid_mid   [pos, d_model]  (sequential-residual models)
  mlp_post,      // blocks.{l}.mlp.hook_post    [pos, d_mlp]    after the activation (and gate)
  mlp_out,       // blocks.{l}.hook_mlp_out     [pos, d_model]
  resid_post,    // blocks.{l}.hook_resid_post  [pos, d_model]
  ln_final,      // ln_final.hook_normalized    [pos, d_model]
  logits,        // logits                      [pos, vocab]
};
inline constexpr int kHookPointCount = static_cast<int>(HookPoint::logits) + 1;

struct HookId {
  HookPoint point;
  int layer = -1;  // -1 for the hooks outside the blocks
  bool operator==(const HookId&) const = default;
};

bool is_block_hook(HookPoint point);
std::string hook_name(const HookId& id);
// Parses a TransformerLens hook name; nullopt if it is not one of attnscope's hooks.
std::optional<HookId> parse_hook_name(std::string_view name);
// Every hook of a model with n_layers blocks, in forward order.
std::vector<HookId> all_hooks(int n_layers);

// Shell-style glob: '*' any run of characters (dots included), '?' one character.
bool glob_match(std::string_view pattern, std::string_view text);

using HookEdit = std::function<void(Tensor&)>;

class HookSet;

class HookPlan {
 public:
  // Capture every hook whose name matches the glob ("blocks.*.attn.hook_pattern", "logits").
  void capture(std::string glob) { globs_.push_back(std::move(glob)); }
  // Capture every glob of a comma-separated list ("logits, blocks.*.attn.hook_pattern").
  void capture_list(std::string_view globs);
  // Edit the tensor at `id` in place before the forward pass continues from it: a function of
  // the tensor on the host (a device backend copies it there and back), or a declarative edit
  // that runs as backend ops where the tensor lives. Edits of one hook run in the order given.
  void edit(HookId id, HookEdit fn) { edits_.push_back({id, std::move(fn), {}}); }
  void edit(HookId id, TensorEdit op) { edits_.push_back({id, {}, std::move(op)}); }

  struct Edit {
    HookId id;
    HookEdit fn;    // set for a callback edit
    TensorEdit op;  // used when fn is empty
  };
  const std::vector<Edit>& edit_list() const { return edits_; }

  bool empty() const { return globs_.empty() && edits_.empty(); }
  bool captures(const HookId& id) const;
  bool edits(const HookId& id) const;
  bool wants(const HookId& id) const { return captures(id) || edits(id); }
  // Every hook of a model with n_layers blocks matched once against the globs and edits.
  HookSet resolve(int n_layers) const;

 private:
  std::vector<std::string> globs_;
  std::vector<Edit> edits_;
};

// A plan resolved for a model of n_layers blocks: one bit per hook for "captured" and one for
// "edited", so that the forward pass asks with an index, never a glob match. Built once per pass
// (HookPlan::resolve); every query is O(1).
class HookSet {
 public:
  HookSet() = default;
  bool captures(const HookId& id) const { return bit(captured_, id); }
  bool edits(const HookId& id) const { return bit(edited_, id); }
  bool wants(const HookId& id) const { return captures(id) || edits(id); }
  bool empty() const { return !any_; }

 private:
  friend class HookPlan;
  bool bit(const std::vector<bool>& bits, const HookId& id) const {
    const std::size_t i = index(id);
    return i < bits.size() && bits[i];
  }
  static std::size_t index(const HookId& id) {
    return static_cast<std::size_t>(id.layer + 1) * kHookPointCount + static_cast<int>(id.point);
  }
  std::vector<bool> captured_, edited_;
  bool any_ = false;
};

// Captured tensors, in forward order (core/model/cache.cpp).
//
// An entry is a host tensor, or — on a backend that computes in its own memory (a GPU) — the
// backend's buffer, left there and read back the first time the tensor is asked for. So a pass
// that captures every pattern costs no transfer for the patterns never shown or exported, and a
// benchmark's captures stay on the GPU as PyTorch's do. Resident entries hold their backend's
// buffers: a cache must go before its backend (the backends models are bound to live until the
// program exits).
class Cache {
 public:
  void put(const HookId& id, Tensor t);
  // A tensor of `shape` f32 elements at the start of `backend`'s `buffer`, left where it is until
  // asked for.
  void put_resident(const HookId& id, Backend& backend, std::shared_ptr<Buffer> buffer,
                    const Shape& shape);
  // Reads every resident entry back in one batch (one wait for the backend, not one per entry):
  // for a caller about to use them all, as the explorer does with a prompt's patterns.
  void to_host() const;

  class Entry {
   public:
    Entry(const HookId& id, Tensor host, Backend* backend, std::shared_ptr<Buffer> buffer,
          const Shape& shape);
    std::string name;
    HookId id;
    // The tensor on the host. A resident entry is read back once, on the first call (which
    // waits for the backend's queued work); safe from several threads.
    const Tensor& tensor() const;
    const Shape& shape() const { return stored_->shape; }
    std::size_t bytes() const;
    // Whether the tensor is still only in its backend's memory.
    bool resident() const;

   private:
    friend class Cache;
    struct Stored {
      Shape shape;
      std::mutex mutex;
      Tensor host;
      Backend* backend = nullptr;
      std::shared_ptr<Buffer> buffer;  // until read back
    };
    std::shared_ptr<Stored> stored_;  // shared by copies of the cache
  };

  const Tensor* find(std::string_view name) const;
  const Tensor* find(const HookId& id) const;
  const std::vector<Entry>& entries() const { return entries_; }
  // Bytes of every entry, and of those still resident.
  std::size_t bytes() const;
  std::size_t resident_bytes() const;
  void clear() { entries_.clear(); }

 private:
  std::vector<Entry> entries_;
};

}  // namespace attnscope
