#include "core/model/kv_cache.h"

#include <string>

#include "core/io/memory_budget.h"
#include "core/model/model.h"

namespace attnscope {

Result<KvCache> KvCache::create(const Model& model, int capacity) {
  const ModelConfig& c = model.config();
  if (capacity < 1 || capacity > c.n_ctx)
    return make_error("a key/value cache of " + std::to_string(capacity) +
                          " positions does not fit the model's context of " +
                          std::to_string(c.n_ctx) + " positions",
                      "generate fewer tokens, or shorten the prompt");
  KvCache kv;
  kv.backend_ = &model.backend();
  kv.layers_ = c.n_layers;
  kv.row_ = c.n_kv_heads * c.d_head;
  kv.capacity_ = capacity;
  // Checked before allocating: a long context times many layers must be refused with a message,
  // not fail inside the allocator (an abort natively, a dead tab in the browser).
  if (kv.bytes() > memory_budget())
    return make_error("a key/value cache of " + std::to_string(capacity) + " positions needs " +
                          format_bytes(kv.bytes()) + ", more than the " +
                          format_bytes(memory_budget()) + " attnscope may use here",
                      "generate fewer tokens, or shorten the prompt");
  const std::size_t layer_bytes = std::size_t(capacity) * std::size_t(kv.row_) * sizeof(float);
  Backend& backend = model.backend();
  for (int l = 0; l < c.n_layers; l++) {
    kv.keys_.push_back(backend.alloc(layer_bytes));
    kv.values_.push_back(backend.alloc(layer_bytes));
  }
  return kv;
}

std::uint64_t KvCache::bytes() const {
  return 2 * std::uint64_t(layers_) * std::uint64_t(capacity_) * std::uint64_t(row_) *
         sizeof(float);
}

bool KvCache::fits(const ModelConfig& config, const Backend& backend) const {
  return &backend == backend_ && config.n_layers == layers_ &&
         config.n_kv_heads * config.d_head == row_;
}

}  // namespace attnscope
