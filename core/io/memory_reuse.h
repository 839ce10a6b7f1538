// memory_reuse.h — keeping the memory the process frees for its next allocations, instead of
// handing it back to the system.
//
// A forward pass allocates its captures and logits afresh (GPT-2 small at T = 1024 keeping every
// pattern: 576 MB of patterns and 206 MB of logits). glibc maps each block over 32 MB anew and
// unmaps it when it is freed, so every pass paid the page faults of touching all of it again:
// on this project's 2-core EPYC, one thread, 1.02 million minor faults in 4 passes, against 0.38
// million with this on, and 13% of a pass's time (tests/bench/memory_reuse.sh; the README's engine
// section has the table). With every block from the heap and the heap never trimmed, the next pass
// reuses the pages the last one freed. PyTorch allocates its outputs afresh the same way.
#pragma once

namespace attnscope {

// Call once at start-up (the CLI's and the desktop app's main), before the large allocations. A
// no-op outside glibc, and when ATTNSCOPE_REUSE_MEMORY=off (to measure what it saves, or to give
// memory back between passes at the price of those faults).
void keep_freed_memory_for_reuse();

}  // namespace attnscope
