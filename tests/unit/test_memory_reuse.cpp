// keep_freed_memory_for_reuse (core/io/memory_reuse.h): a large block freed and allocated again
// comes back without touching fresh pages. Counted in page faults (getrusage), not in time. Only
// where glibc's allocator is the one in use: a sanitizer brings its own.
#include <doctest/doctest.h>

#include <cstring>
#include <memory>

#include "core/io/memory_reuse.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ATTNSCOPE_OWN_ALLOCATOR 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ATTNSCOPE_OWN_ALLOCATOR 1
#endif

#if defined(__GLIBC__) && !defined(ATTNSCOPE_OWN_ALLOCATOR)
#include <sys/resource.h>

namespace attnscope {
namespace {

long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// A 64 MB block (larger than glibc's 32 MB ceiling for heap blocks), every page written.
char touch_block() {
  constexpr std::size_t n = std::size_t(64) << 20;
  const std::unique_ptr<char[]> block(new char[n]);
  std::memset(block.get(), 1, n);
  return block[n - 1];
}

TEST_CASE("a freed 64 MB block is reused without page faults once freed memory is kept") {
  keep_freed_memory_for_reuse();
  CHECK(touch_block() == 1);  // faults its 16,384 pages in once
  const long before = minor_faults();
  CHECK(touch_block() == 1);
  // Unmapped at free, as glibc does by default, the second block would fault all 16,384 pages
  // again; kept in the heap, it faults none of them (the margin is for the test's own work).
  CHECK(minor_faults() - before < 1000);
}

}  // namespace
}  // namespace attnscope
#endif
