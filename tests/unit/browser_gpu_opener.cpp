// browser_gpu_opener.cpp — in the threaded WASM test build, the WebGPU backend under test is the
// browser's device (navigator.gpu, which tests/wasm/gpu_tests.mjs gives node through dawn.node).
// This build exists to test it, so a missing adapter is a failure (ATTNSCOPE_WEBGPU=required),
// not a skipped backend.
#include <cstdlib>

#include "core/gpu/shared_webgpu.h"
#include "wasm/webgpu_browser.h"

namespace {

// Before main(): the tests open the backend at their first use.
[[maybe_unused]] const bool installed = [] {
  attnscope::set_gpu_device_opener(attnscope::open_browser_gpu_device);
  setenv("ATTNSCOPE_WEBGPU", "required", 0);
  return true;
}();

}  // namespace
