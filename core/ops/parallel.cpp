// parallel.cpp — the persistent thread pool behind parallel_for (see parallel.h).
//
// One loop at a time holds the pool: the caller publishes the loop (fn, n, chunk size), bumps a
// generation counter that the workers wait on, and takes chunks itself; a worker that wakes while
// the loop is still open joins it and takes chunks too. When no chunk is left the caller closes the
// loop and waits for the workers that joined. So on a busy machine, where a worker may not get a
// core for milliseconds, the caller does the work instead of waiting. Workers and the caller take
// chunks from one atomic counter: which thread runs a chunk varies, what a chunk computes does
// not. Waits spin for 250 µs before sleeping on the atomic (a futex): a forward pass runs
// hundreds of kernels in quick succession, with a little serial work between them, and a worker
// woken from a futex joins tens of microseconds late (OpenMP runtimes spin longer still).
#include "core/ops/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

// Native builds only. WASM builds run every loop on the calling thread, the threaded explorer build
// (-pthread) too: its pthread pool holds exactly its two job runners (web/emscripten.cmake), and
// starting more threads from a page can block.
#ifndef __EMSCRIPTEN__
#define ATTNSCOPE_THREADS 1
#else
#define ATTNSCOPE_THREADS 0
#endif

namespace attnscope {

#if ATTNSCOPE_THREADS

namespace {

// The environment's ATTNSCOPE_THREADS (1 to 256) if set, else the hardware's count: users (and
// benchmarks) can pin the kernels to fewer cores without a flag in every program.
int hardware_threads() {
  if (const char* env = std::getenv("ATTNSCOPE_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1) return std::min(n, 256);
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(std::min(n, 256u));
}

std::atomic<int> g_threads{0};  // 0: the hardware's count

thread_local bool t_inside_loop = false;

void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Returns once `a` no longer holds `old`: spins for a short while, then sleeps on the atomic.
template <typename T>
T wait_for_change(const std::atomic<T>& a, T old) {
  constexpr auto kSpin = std::chrono::microseconds(250);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 1;; i++) {
    const T now = a.load(std::memory_order_acquire);
    if (now != old) return now;
    relax();
    if (i % 256 == 0 && std::chrono::steady_clock::now() - start > kSpin) break;
  }
  for (;;) {
    a.wait(old, std::memory_order_acquire);
    const T now = a.load(std::memory_order_acquire);
    if (now != old) return now;
  }
}

class Pool {
 public:
  ~Pool() { resize(0); }

  // Runs the loop on this thread and whichever of the n_workers workers join in time; false when
  // another loop holds the pool.
  bool run(std::size_t n, std::size_t chunk,
           const std::function<void(std::size_t, std::size_t)>& fn, int n_workers) {
    std::unique_lock<std::mutex> lock(busy_, std::try_to_lock);
    if (!lock.owns_lock()) return false;
    if (static_cast<int>(workers_.size()) != n_workers) resize(n_workers);
    fn_ = &fn;
    n_ = n;
    chunk_ = chunk;
    next_.store(0, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    joined_.store(0, std::memory_order_release);  // open: workers may join
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    t_inside_loop = true;
    take_chunks();
    t_inside_loop = false;
    // Close the loop; wait only for the workers that joined it (a worker that another process
    // keeps off its core does not hold the loop up: this thread has taken its chunks).
    const int joined = joined_.fetch_or(kClosed, std::memory_order_acq_rel);
    for (int done = done_.load(std::memory_order_acquire); done != joined;)
      done = wait_for_change(done_, done);
    fn_ = nullptr;
    return true;
  }

 private:
  static constexpr int kClosed = 1 << 30;

  void take_chunks() {
    for (;;) {
      const std::size_t begin = next_.fetch_add(chunk_, std::memory_order_relaxed);
      if (begin >= n_) return;
      (*fn_)(begin, std::min(n_, begin + chunk_));
    }
  }

  // Joins the open loop, if any: true when this worker may take chunks of it.
  bool join() {
    int j = joined_.load(std::memory_order_acquire);
    while (!(j & kClosed))
      if (joined_.compare_exchange_weak(j, j + 1, std::memory_order_acq_rel)) return true;
    return false;
  }

  void work(std::uint32_t seen) {
    t_inside_loop = true;
    for (;;) {
      seen = wait_for_change(generation_, seen);
      if (stop_.load(std::memory_order_acquire)) return;
      if (!join()) continue;
      take_chunks();
      done_.fetch_add(1, std::memory_order_acq_rel);
      done_.notify_one();
    }
  }

  // Called with busy_ held (or from the destructor).
  void resize(int n_workers) {
    if (!workers_.empty()) {
      stop_.store(true, std::memory_order_release);
      generation_.fetch_add(1, std::memory_order_release);
      generation_.notify_all();
      for (std::thread& w : workers_) w.join();
      workers_.clear();
      stop_.store(false, std::memory_order_release);
    }
    const std::uint32_t seen = generation_.load(std::memory_order_acquire);
    for (int i = 0; i < n_workers; i++) workers_.emplace_back([this, seen] { work(seen); });
  }

  std::mutex busy_;
  std::vector<std::thread> workers_;
  std::atomic<std::uint32_t> generation_{0};
  std::atomic<int> joined_{kClosed};  // workers in the current loop, | kClosed once it is closed
  std::atomic<int> done_{0};          // workers that finished their part of it
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> next_{0};
  const std::function<void(std::size_t, std::size_t)>* fn_ = nullptr;
  std::size_t n_ = 0, chunk_ = 1;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

int cpu_threads() {
  const int n = g_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : hardware_threads();
}

void set_cpu_threads(int n) {
  g_threads.store(n < 1 ? 0 : std::min(n, 256), std::memory_order_relaxed);
}

void parallel_for(std::size_t n, std::size_t grain,
                  const std::function<void(std::size_t, std::size_t)>& fn) {
  if (n == 0) return;
  grain = std::max<std::size_t>(grain, 1);
  const std::size_t n_grains = (n + grain - 1) / grain;
  const int threads = cpu_threads();
  if (threads <= 1 || n_grains <= 1 || t_inside_loop) return fn(0, n);
  // About four chunks per thread, so that a thread slowed by other work on the machine does not
  // hold up the others for long. Every worker joins every loop (one with no chunk left returns at
  // once), so the pool keeps its size.
  const std::size_t chunks = std::min<std::size_t>(n_grains, std::size_t(threads) * 4);
  const std::size_t chunk = (n_grains + chunks - 1) / chunks * grain;
  if (!pool().run(n, chunk, fn, threads - 1)) fn(0, n);
}

#else  // no threads: every loop on the calling thread

int cpu_threads() {
  return 1;
}

void set_cpu_threads(int) {}

void parallel_for(std::size_t n, std::size_t,
                  const std::function<void(std::size_t, std::size_t)>& fn) {
  if (n > 0) fn(0, n);
}

#endif

}  // namespace attnscope
