// memory_budget.cpp — see memory_budget.h.
#include "core/io/memory_budget.h"

#include <atomic>
#include <cstdio>

namespace attnscope {

namespace {
// 32-bit builds (WASM) have at most a 4 GB address space, which also holds the model's files.
constexpr std::uint64_t kDefaultBudget = sizeof(void*) < 8 ? (3ULL << 29) : (8ULL << 30);
std::atomic<std::uint64_t> g_budget{kDefaultBudget};
}  // namespace

std::uint64_t memory_budget() {
  return g_budget.load(std::memory_order_relaxed);
}

void set_memory_budget(std::uint64_t bytes) {
  g_budget.store(bytes, std::memory_order_relaxed);
}

std::string format_bytes(std::uint64_t bytes) {
  char text[32];
  if (bytes >= (1ULL << 30)) {
    std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(bytes) / (1ULL << 30));
  } else if (bytes >= (1ULL << 20)) {
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1ULL << 20));
  } else {
    std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
  }
  return text;
}

}  // namespace attnscope
