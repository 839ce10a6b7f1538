// parallel.h — the threads of the CPU kernels: one small persistent pool that splits a loop over
// outputs into contiguous ranges.
//
// Determinism: kernels hand parallel_for a loop over their outputs (rows of a product, blocks of
// elements), never a sum, and compute each output the same way whichever range it falls in, so
// their results do not depend on the number of threads. A sum over many outputs (a loss) is
// summed per fixed block and then over the blocks in order, on one thread.
//
// Natively the pool has cpu_threads() − 1 workers plus the calling thread. WASM builds (with or
// without pthreads) run every loop on the calling thread: cpu_threads() is 1.
#pragma once

#include <cstddef>
#include <functional>

namespace attnscope {

// Threads the CPU kernels use natively: the environment's ATTNSCOPE_THREADS if set, else the
// hardware's count, unless set_cpu_threads() chose another; 1 in WASM builds.
int cpu_threads();

// Sets the number of threads (n < 1: back to the hardware's count); the next loop uses it.
// Ignored (stays 1) in WASM builds.
void set_cpu_threads(int n);

// Calls fn(begin, end) on disjoint ranges covering [0, n), each boundary a multiple of `grain`
// (or n), on up to cpu_threads() threads, and returns when every range is done. Runs everything
// inline on the calling thread when n ≤ grain, when called from inside a parallel loop, or while
// another thread's loop holds the pool. fn must not throw.
void parallel_for(std::size_t n, std::size_t grain,
                  const std::function<void(std::size_t begin, std::size_t end)>& fn);

}  // namespace attnscope
