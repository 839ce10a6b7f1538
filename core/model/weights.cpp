// weights.cpp — matrices kept in their checkpoint's dtype (see weights.h).
#include "core/model/weights.h"

#include "core/io/dtype.h"

namespace attnscope {

Matrix Matrix::narrowed(WeightType type) const {
  if (type == WeightType::f32 || type_ != WeightType::f32) return *this;
  Matrix m;
  m.type_ = type;
  m.bits_.resize(f32_.size());
  for (std::size_t i = 0; i < f32_.size(); i++)
    m.bits_[i] = type == WeightType::f16 ? f32_to_f16(f32_[i]) : f32_to_bf16(f32_[i]);
  return m;
}

namespace {
template <class T>
std::vector<T> transpose(const std::vector<T>& m, std::size_t rows, std::size_t cols) {
  std::vector<T> t(m.size());
  for (std::size_t r = 0; r < rows; r++)
    for (std::size_t c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
  return t;
}
template <class T>
std::vector<T> block(const std::vector<T>& m, std::size_t begin, std::size_t end,
                     std::size_t cols) {
  return std::vector<T>(m.begin() + std::ptrdiff_t(begin * cols),
                        m.begin() + std::ptrdiff_t(end * cols));
}
}  // namespace

Matrix Matrix::transposed(std::size_t rows, std::size_t cols) const {
  if (type_ == WeightType::f32) return Matrix(transpose(f32_, rows, cols));
  return from_bits(type_, transpose(bits_, rows, cols));
}

Matrix Matrix::row_block(std::size_t begin, std::size_t end, std::size_t cols) const {
  if (type_ == WeightType::f32) return Matrix(block(f32_, begin, end, cols));
  return from_bits(type_, block(bits_, begin, end, cols));
}

float Matrix::at(std::size_t i) const {
  switch (type_) {
    case WeightType::f32:
      return f32_[i];
    case WeightType::f16:
      return f16_to_f32(bits_[i]);
    case WeightType::bf16:
      return bf16_to_f32(bits_[i]);
  }
  return 0.0f;
}

void narrow_matrices(LayerWeights& L, WeightType type) {
  for (Matrix* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_up, &L.w_gate, &L.w_down})
    if (m->type() == WeightType::f32) *m = m->narrowed(type);  // read as 16 bits: kept as is
}

void narrow_matrices(ModelWeights& w, WeightType type) {
  for (Matrix* m : {&w.token_embed, &w.pos_embed, &w.unembed})
    if (m->type() == WeightType::f32) *m = m->narrowed(type);
}

std::size_t parameter_bytes(const ModelWeights& w) {
  auto floats = [](const std::vector<float>& v) { return v.size() * sizeof(float); };
  std::size_t n = w.token_embed.bytes() + w.pos_embed.bytes() + w.unembed.bytes() +
                  floats(w.lnf_w) + floats(w.lnf_b) + floats(w.unembed_b);
  for (const LayerWeights& L : w.layers) {
    for (const Matrix* m : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_up, &L.w_gate, &L.w_down})
      n += m->bytes();
    for (const std::vector<float>* v : {&L.ln1_w, &L.ln1_b, &L.bq, &L.bk, &L.bv, &L.bo, &L.ln2_w,
                                        &L.ln2_b, &L.b_up, &L.b_gate, &L.b_down})
      n += floats(*v);
  }
  return n;
}

}  // namespace attnscope
