// matmul_precision.h — how exactly the CPU products of linear layers are computed, named after
// PyTorch's torch.set_float32_matmul_precision:
//   highest  float32 products everywhere (each output one fused multiply-add per feature);
//   high     on a CPU with AMX-BF16 (Intel Xeon 4th generation and later), F32 weights are
//            multiplied as three BF16 tile products, "bf16x3" (amx_gemm.h): relative error about
//            1e-5 on a whole pass instead of 1e-6 (tests/bench/results/amx_probe.txt measured such
//            products at 0.61–0.66× of float32's time). Elsewhere, and for F16/BF16 weights, it is
//            the same as highest.
// The default is kDefaultMatmulPrecision (matmul_precision.cpp says why);
// ATTNSCOPE_MATMUL_PRECISION=high|highest or set_matmul_precision chooses. The setting is read
// when a model is bound to a backend (the split weights are made then) and at each product, so
// set it before loading a model.
#pragma once

#include <optional>
#include <string_view>

namespace attnscope {

enum class MatmulPrecision { highest, high };

MatmulPrecision matmul_precision();
void set_matmul_precision(MatmulPrecision precision);
const char* matmul_precision_name(MatmulPrecision precision);
// "highest" or "high"; anything else is nullopt.
std::optional<MatmulPrecision> parse_matmul_precision(std::string_view name);

}  // namespace attnscope
