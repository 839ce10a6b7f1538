// fuzz_config.cpp — config.json of every family, then the size estimates drawn from it.
#include "core/model/config.h"
#include "core/model/memory_estimate.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attnscope;
  auto config = parse_model_config(fuzz::as_text(data, size));
  if (!config.ok()) return 0;
  (void)describe(*config);
  (void)check_weight_memory(*config);
  (void)check_forward_memory(*config, static_cast<std::uint64_t>(config->n_ctx));
  return 0;
}
