// arena.h — one buffer of a backend's memory for a pass's activations, cut into slots.
//
// The forward pass knows every activation's size before it starts (they depend on the token
// count and the hooks, not on the layer), so it asks for one buffer and reuses each slot layer
// after layer instead of allocating per op.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "core/ops/backend.h"

namespace attnscope {

class Arena {
 public:
  // Slots of the given byte sizes (0: unused), each 64-byte aligned, in one buffer of `backend`.
  Arena(Backend& backend, std::span<const std::size_t> slot_bytes);
  // Slot i as float32 rows `ld` elements apart (0: flat), or as int32.
  View f32(int slot, std::size_t ld = 0) const {
    return {buffer_.get(), offsets_[slot], DType::f32, ld};
  }
  View i32(int slot) const { return {buffer_.get(), offsets_[slot], DType::i32, 0}; }
  std::size_t bytes() const { return buffer_->bytes(); }

 private:
  std::vector<std::size_t> offsets_;
  std::unique_ptr<Buffer> buffer_;
};

}  // namespace attnscope
