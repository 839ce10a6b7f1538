// amx_diag.cpp — where the AMX tiles fault on a machine that reports them (issue 12). On the GPU
// machine's VM (2026-12-07) attnscope's products died of SIGILL although CPUID reported AMX-TILE
// and AMX-BF16 and arch_prctl granted the tile state. This prints what the CPU, XCR0 and the
// kernel say, then tries the tiles under a SIGILL guard: before the kernel's permission, after
// it, twice in a row, and on threads made before and after the request and on one that asks for
// itself. `tests/bench/sigill_where.c` (LD_PRELOAD) names the instruction in a program that dies.
//   build/amx_diag
#include <cpuid.h>
#include <immintrin.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "core/ops/amx_tile_config.h"

namespace {

thread_local sigjmp_buf t_jump;
thread_local void* t_fault_at = nullptr;

void on_fault(int sig, siginfo_t* info, void*) {
  t_fault_at = info->si_addr;
  siglongjmp(t_jump, sig);
}

__attribute__((target("amx-tile,amx-bf16"))) void multiply_once() {
  alignas(64) static thread_local std::uint16_t a[16 * 32], b[16 * 32];
  alignas(64) static thread_local float c[16 * 16];
  _tile_zero(0);
  _tile_loadd(4, a, 64);
  _tile_loadd(6, b, 64);
  _tile_dpbf16ps(0, 4, 6);
  _tile_stored(0, c, 64);
}

__attribute__((target("amx-tile"))) void release() {
  _tile_release();
}

void configure_only() {
  attnscope::amx::load_tile_config_16x64();
}
void full_use() {
  attnscope::amx::load_tile_config_16x64();
  multiply_once();
  release();
}

// Runs f under a SIGILL and SIGSEGV guard and prints what happened.
void attempt(const char* what, void (*f)()) {
  struct sigaction guard = {};
  struct sigaction old_ill = {};
  struct sigaction old_segv = {};
  guard.sa_sigaction = on_fault;
  guard.sa_flags = SA_SIGINFO;
  sigemptyset(&guard.sa_mask);
  sigaction(SIGILL, &guard, &old_ill);
  sigaction(SIGSEGV, &guard, &old_segv);
  const int sig = sigsetjmp(t_jump, 1);
  if (sig == 0) f();
  sigaction(SIGILL, &old_ill, nullptr);
  sigaction(SIGSEGV, &old_segv, nullptr);
  if (sig)
    std::printf("  %-32s fault: signal %d at %p\n", what, sig, t_fault_at);
  else
    std::printf("  %-32s ran\n", what);
}

std::uint64_t xcr0() {
  std::uint32_t lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (std::uint64_t(hi) << 32) | lo;
}

std::uint64_t xcomp(int request) {
  std::uint64_t features = 0;
  syscall(SYS_arch_prctl, request, &features);
  return features;
}

}  // namespace

int main() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) std::printf("CPUID has no leaf 7\n");
  const std::uint64_t x = xcr0();
  std::printf("CPUID 7.0:EDX amx-tile %u amx-bf16 %u; XCR0 0x%llx (tile bits 17-18: %llu)\n",
              (d >> 24) & 1, (d >> 22) & 1, static_cast<unsigned long long>(x),
              static_cast<unsigned long long>((x >> 17) & 3));
  std::printf("ARCH_GET_XCOMP_SUPP 0x%llx, ARCH_GET_XCOMP_PERM 0x%llx before the request\n",
              static_cast<unsigned long long>(xcomp(0x1021)),
              static_cast<unsigned long long>(xcomp(0x1022)));
  std::mutex mutex;
  std::condition_variable cv;
  bool go = false;
  std::thread early([&] {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return go; });
    std::printf("a thread made before the request:\n");
    attempt("configure, multiply, release", full_use);
  });
  std::printf("main thread, before the request:\n");
  attempt("configure only", configure_only);
  const long granted = syscall(SYS_arch_prctl, 0x1023, 18);
  std::printf("ARCH_REQ_XCOMP_PERM(18) = %ld (%s); ARCH_GET_XCOMP_PERM 0x%llx\n", granted,
              granted ? std::strerror(errno) : "granted",
              static_cast<unsigned long long>(xcomp(0x1022)));
  std::printf("main thread, after the request:\n");
  attempt("configure only", configure_only);
  attempt("configure, multiply, release", full_use);
  attempt("... again", full_use);
  {
    const std::lock_guard lock(mutex);
    go = true;
  }
  cv.notify_all();
  early.join();
  std::thread late([] {
    std::printf("a thread made after the request:\n");
    attempt("configure, multiply, release", full_use);
  });
  late.join();
  std::thread self([] {
    std::printf("a thread that asks for itself:\n");
    std::printf("  ARCH_REQ_XCOMP_PERM(18) = %ld\n", syscall(SYS_arch_prctl, 0x1023, 18));
    attempt("configure, multiply, release", full_use);
  });
  self.join();
}
