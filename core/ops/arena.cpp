#include "core/ops/arena.h"

namespace attnscope {

Arena::Arena(Backend& backend, std::span<const std::size_t> slot_bytes) {
  constexpr std::size_t kAlign = 64;
  std::size_t end = 0;
  for (const std::size_t bytes : slot_bytes) {
    offsets_.push_back(end);
    end += (bytes + kAlign - 1) / kAlign * kAlign;
  }
  buffer_ = backend.alloc(end);
}

}  // namespace attnscope
