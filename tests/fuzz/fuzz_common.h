// fuzz_common.h — what the libFuzzer targets share: a small memory budget (so a hostile size is
// refused by the budget check, not by libFuzzer's RSS limit), and the committed fixtures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "core/io/bytes.h"
#include "core/io/memory_budget.h"

namespace attnscope::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A file of the source tree; ATTNSCOPE_SOURCE_DIR in the environment overrides the build's path
// (a fuzzer carried to another machine, as tests/fuzz/device_fuzz.sh does).
inline std::string read_fixture(const std::string& relative) {
  const char* root = std::getenv("ATTNSCOPE_SOURCE_DIR");
  std::ifstream file(std::string(root ? root : ATTNSCOPE_SOURCE_DIR) + "/" + relative,
                     std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

// Called once from each target's first input.
inline void limit_memory() {
  set_memory_budget(64ULL << 20);
}

}  // namespace attnscope::fuzz
