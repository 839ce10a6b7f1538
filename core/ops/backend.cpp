#include "core/ops/backend.h"

namespace attnscope {

const char* op_name(Op op) {
  static const char* const names[kOpCount] = {
      "gather_rows",  "add",           "multiply",  "activate",  "layernorm",
      "rmsnorm",      "linear",        "rope",      "attention", "attention_scores",
      "softmax_rows", "attention_mix", "sum_heads", "fill",      "copy",
      "scale"};
  const int i = static_cast<int>(op);
  return i >= 0 && i < kOpCount ? names[i] : "?";
}

Backend& default_backend() {
  return cpu_simd_backend();
}

std::vector<Backend*> available_backends() {
  return {&cpu_reference_backend(), &cpu_simd_backend()};
}

}  // namespace attnscope
