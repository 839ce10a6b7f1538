#include "core/ops/kernels.h"

#include <algorithm>

namespace attnscope {

void Kernels::fill(float* x, std::size_t ld, int rows, int cols, float value) {
  for (int r = 0; r < rows; r++) std::fill_n(x + r * ld, cols, value);
}

void Kernels::copy(float* dst, std::size_t ldd, const float* src, std::size_t lds, int rows,
                   int cols) {
  for (int r = 0; r < rows; r++) std::copy_n(src + r * lds, cols, dst + r * ldd);
}

void Kernels::scale(float* x, std::size_t ld, int rows, int cols, float factor) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) x[r * ld + c] *= factor;
}

std::vector<Kernels*> available_kernels() {
  return {&cpu_reference_kernels(), &cpu_simd_kernels()};
}

Kernels& default_kernels() {
  return cpu_simd_kernels();
}

}  // namespace attnscope
