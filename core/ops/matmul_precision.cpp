#include "core/ops/matmul_precision.h"

#include <atomic>
#include <cstdlib>

namespace attnscope {
namespace {

// highest until the AMX tiles have run on a CPU that has them: the kernel was written and tested
// on a CPU without AMX, through the emulated tile unit (tests/unit/test_amx_gemm.cpp), and the
// device runs that check its hardware path (tests/bench/device_amx.sh) have not run yet.
constexpr MatmulPrecision kDefaultMatmulPrecision = MatmulPrecision::highest;

MatmulPrecision from_environment() {
  const char* env = std::getenv("ATTNSCOPE_MATMUL_PRECISION");
  if (!env) return kDefaultMatmulPrecision;
  // An unknown value keeps the default rather than stopping every program; the CLI's
  // --matmul-precision is where a typo gets its message.
  return parse_matmul_precision(env).value_or(kDefaultMatmulPrecision);
}

std::atomic<MatmulPrecision>& setting() {
  static std::atomic<MatmulPrecision> precision{from_environment()};
  return precision;
}

}  // namespace

MatmulPrecision matmul_precision() {
  return setting().load(std::memory_order_relaxed);
}

void set_matmul_precision(MatmulPrecision precision) {
  setting().store(precision, std::memory_order_relaxed);
}

const char* matmul_precision_name(MatmulPrecision precision) {
  return precision == MatmulPrecision::highest ? "highest" : "high";
}

std::optional<MatmulPrecision> parse_matmul_precision(std::string_view name) {
  if (name == "highest") return MatmulPrecision::highest;
  if (name == "high") return MatmulPrecision::high;
  return std::nullopt;
}

}  // namespace attnscope
