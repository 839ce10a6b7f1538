// tensor_edit.h — edits of a hook's tensor that every backend runs where the tensor lives.
//
// A callback edit (HookPlan::edit with a function) sees the tensor on the host, so a device
// backend must copy it there and back. These declarative edits are backend ops instead (fill,
// copy, scale on a strided region), for what interventions mostly do: zero, mean or replace a
// head's slice, set a position's vector, scale the attention to chosen keys.
#pragma once

#include <memory>
#include <string>

#include "core/tensor.h"

namespace attnscope {

struct TensorEdit {
  enum class Kind { fill, copy, scale };
  Kind kind = Kind::fill;
  // The region of the hook's tensor (row-major, flat): rows × cols elements from element
  // `first`, rows `ld` elements apart.
  std::size_t first = 0, ld = 0;
  int rows = 0, cols = 0;
  float value = 0.0f;  // fill: the value written; scale: the factor
  // copy: the new values, rows × cols elements of *source from source_first, rows source_ld
  // apart; source_ld 0 repeats one row for every row of the region (a mean over positions).
  std::shared_ptr<const Tensor> source;
  std::size_t source_first = 0, source_ld = 0;

  // Elements of the hook's tensor, and of the source, the edit reaches (for bounds checks).
  std::size_t extent() const { return first + (rows ? (rows - 1) * ld + cols : 0); }
  std::size_t source_extent() const {
    return source_first + (rows ? (rows - 1) * source_ld + cols : 0);
  }
  std::string describe() const;
};

// Regions of the usual hooks, T tokens:
// head `h`'s slice of a [pos, head, d] hook (z, q, k, v, result): every position.
TensorEdit head_fill(int T, int heads, int d, int h, float value);
TensorEdit head_scale(int T, int heads, int d, int h, float factor);
// ... its new values from `source`, rows source_ld apart (0: the same d values at every position).
TensorEdit head_copy(int T, int heads, int d, int h, std::shared_ptr<const Tensor> source,
                     std::size_t source_first, std::size_t source_ld);
// Position `pos`'s vector of a [pos, d] hook (resid, attn_out, mlp_out): set to source's d values.
TensorEdit position_copy(int d, int pos, std::shared_ptr<const Tensor> source,
                         std::size_t source_first);
// The attention of head h (-1: every head) to key `key`, in a [head, query, key] pattern of T
// tokens, times `factor` (the rows are not renormalised).
TensorEdit key_scale(int T, int heads, int h, int key, float factor);

}  // namespace attnscope
