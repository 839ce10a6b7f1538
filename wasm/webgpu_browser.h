// webgpu_browser.h — the GpuDevice of the browser: navigator.gpu, driven from C++.
//
// WebGPU in a page answers through promises on the thread that made the device, so the device
// lives on the page's main thread (webgpu_browser.js) and the engine runs on a job's thread
// (the threaded build). The C++ half records the work as a stream of commands and hands it over
// at each submission; at synchronize() its thread sleeps on a futex until the main thread has
// run the stream, awaited the GPU and copied the reads into WASM memory. The main thread never
// waits, so the explorer keeps drawing frames while the GPU works.
#pragma once

#include <memory>
#include <string>

#include "core/gpu/gpu_device.h"

namespace attnscope {

// The page's GPU device, or null with the reason in *why: no navigator.gpu, no adapter, no
// device, or a build without threads (the single-threaded build has no thread to wait on).
// Call from a job's thread, never the main one (it waits for the main thread's answer).
std::unique_ptr<GpuDevice> open_browser_gpu_device(std::string* why);

}  // namespace attnscope
