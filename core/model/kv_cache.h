// kv_cache.h — the keys and values of every position a sequence has run so far, per layer, so
// that generation runs only each step's new tokens (Model::forward_step) instead of the whole
// sequence again.
//
//   ATTNSCOPE_ASSIGN(KvCache kv, KvCache::create(model, prompt.size() + n_new));
//   model.forward_step(prompt, kv);   // positions 0..P−1; kv.length() == P
//   model.forward_step({next}, kv);   // position P, attending to keys 0..P
//
// The memory is the model's backend's (host memory on the CPU backends, device buffers on
// WebGPU), allocated once for `capacity` positions: a step never allocates it again.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/error.h"
#include "core/model/config.h"
#include "core/ops/backend.h"

namespace attnscope {

class Model;

class KvCache {
 public:
  // Room for `capacity` positions of `model`, in its backend's memory. Errors: a capacity outside
  // 1..n_ctx (the model's context), or more bytes than memory_budget() allows.
  static Result<KvCache> create(const Model& model, int capacity);

  int length() const { return length_; }  // positions held (the next step's first position)
  int capacity() const { return capacity_; }
  // In 64 bits: in a 32-bit (WASM) build a long context's cache could wrap size_t.
  std::uint64_t bytes() const;
  // Forgets every position (a new sequence); the memory is kept.
  void clear() { length_ = 0; }

  // Layer l's keys or values [capacity, G, D], rows G·D apart: rows < length() hold positions
  // run so far (keys after RoPE), the rest are undefined.
  View keys(int layer) const { return view(keys_, layer); }
  View values(int layer) const { return view(values_, layer); }

  // Whether this cache was made for a model of this shape on this backend.
  bool fits(const ModelConfig& config, const Backend& backend) const;

 private:
  friend class Model;  // forward_step advances the length after a step that succeeded
  KvCache() = default;
  View view(const std::vector<std::unique_ptr<Buffer>>& buffers, int layer) const {
    return {buffers[std::size_t(layer)].get(), 0, DType::f32, std::size_t(row_)};
  }

  const Backend* backend_ = nullptr;
  int layers_ = 0, row_ = 0;  // row_: G·D floats per position
  int capacity_ = 0, length_ = 0;
  std::vector<std::unique_ptr<Buffer>> keys_, values_;
};

}  // namespace attnscope
