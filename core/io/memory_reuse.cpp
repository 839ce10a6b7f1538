#include "core/io/memory_reuse.h"

#include <cstdlib>
#include <string_view>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace attnscope {

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  const char* setting = std::getenv("ATTNSCOPE_REUSE_MEMORY");
  if (setting && std::string_view(setting) == "off") return;
  // No block through mmap (the threshold cannot be raised past 32 MB, smaller than one layer's
  // patterns at T = 1024), and no trimming of the heap's top back to the system (up to 2 GiB).
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
#endif
}

}  // namespace attnscope
