// fuzz_common.h — what the libFuzzer targets share: a small memory budget (so a hostile size is
// refused by the budget check, not by libFuzzer's RSS limit), and the committed fixtures.
#pragma once

#include <cstddef>
#include <cstdint>
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

inline std::string read_fixture(const std::string& relative) {
  std::ifstream file(std::string(ATTNSCOPE_SOURCE_DIR) + "/" + relative, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

// Called once from each target's first input.
inline void limit_memory() {
  set_memory_budget(64ULL << 20);
}

}  // namespace attnscope::fuzz
