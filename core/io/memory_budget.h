// memory_budget.h — how much memory attnscope may allocate for one model and its forward pass,
// so that a hostile or oversized input is refused with a message before the allocation, not
// with std::bad_alloc (an abort natively, a dead tab in the browser).
//
// The core cannot ask the platform: the CLI sets the budget from the machine's physical memory;
// the default is 8 GiB natively and 1.5 GiB in 32-bit builds (WASM: a 4 GB address space that
// also holds the model's files).
#pragma once

#include <cstdint>
#include <string>

namespace attnscope {

std::uint64_t memory_budget();
void set_memory_budget(std::uint64_t bytes);

// "1.5 GiB", "12 MiB", "512 bytes".
std::string format_bytes(std::uint64_t bytes);

}  // namespace attnscope
