#include "core/model/tensor_edit.h"

namespace attnscope {

std::string TensorEdit::describe() const {
  const char* what = kind == Kind::fill ? "fill" : kind == Kind::copy ? "copy" : "scale";
  return std::string(what) + " of " + std::to_string(rows) + "×" + std::to_string(cols) +
         " elements from element " + std::to_string(first);
}

TensorEdit head_fill(int T, int heads, int d, int h, float value) {
  TensorEdit e;
  e.kind = TensorEdit::Kind::fill;
  e.first = std::size_t(h) * d;
  e.ld = std::size_t(heads) * d;
  e.rows = T;
  e.cols = d;
  e.value = value;
  return e;
}

TensorEdit head_scale(int T, int heads, int d, int h, float factor) {
  TensorEdit e = head_fill(T, heads, d, h, factor);
  e.kind = TensorEdit::Kind::scale;
  return e;
}

TensorEdit head_copy(int T, int heads, int d, int h, std::shared_ptr<const Tensor> source,
                     std::size_t source_first, std::size_t source_ld) {
  TensorEdit e = head_fill(T, heads, d, h, 0.0f);
  e.kind = TensorEdit::Kind::copy;
  e.source = std::move(source);
  e.source_first = source_first;
  e.source_ld = source_ld;
  return e;
}

TensorEdit position_copy(int d, int pos, std::shared_ptr<const Tensor> source,
                         std::size_t source_first) {
  TensorEdit e;
  e.kind = TensorEdit::Kind::copy;
  e.first = std::size_t(pos) * d;
  e.ld = std::size_t(d);
  e.rows = 1;
  e.cols = d;
  e.source = std::move(source);
  e.source_first = source_first;
  e.source_ld = std::size_t(d);
  return e;
}

TensorEdit key_scale(int T, int heads, int h, int key, float factor) {
  TensorEdit e;
  e.kind = TensorEdit::Kind::scale;
  // Column `key` of the T query rows of one head, or of all heads' H·T rows.
  e.first = (h < 0 ? 0 : std::size_t(h) * T * T) + std::size_t(key);
  e.ld = std::size_t(T);
  e.rows = h < 0 ? heads * T : T;
  e.cols = 1;
  e.value = factor;
  return e;
}

}  // namespace attnscope
