// shared_webgpu.h — the process's one WebGPU backend, and binding a model to a backend that may
// refuse it.
//
// A GPU device is opened once per process, at the first request, through the opener the platform
// installs: natively Dawn's library (the default), in the browser navigator.gpu
// (wasm/webgpu_browser.h). The CLI's --backend and the explorer's backend selector both come
// here, so they fall back, and say why, the same way.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/gpu/gpu_device.h"
#include "core/model/model.h"
#include "core/ops/backend.h"

namespace attnscope {

// Opens the platform's GPU device, or returns null with the reason in *why.
using GpuDeviceOpener = std::function<std::unique_ptr<GpuDevice>(std::string* why)>;

// Installs the opener; call before the first shared_webgpu_backend(). Without one, natively the
// device is Dawn's library at $ATTNSCOPE_WEBGPU_LIBRARY, else the one setup.sh installs; in a
// WASM build there is none.
void set_gpu_device_opener(GpuDeviceOpener opener);

#ifndef __EMSCRIPTEN__
// Where the native device's Dawn library is: $ATTNSCOPE_WEBGPU_LIBRARY, else the one setup.sh
// installs (npm bun-webgpu-linux-x64 under tests/browser/node_modules).
std::string dawn_library_path();
#endif

// The process's WebGPU backend, opened at the first call (from any thread, once); null with the
// reason in *why when there is none. Asked again, it answers the same without retrying.
Backend* shared_webgpu_backend(std::string* why);

// A second backend on the same device that runs every kernel in its form without subgroup
// operations ("webgpu (no subgroups)"), so the tests check both forms on one adapter; null with
// the reason in *why when there is no device or the adapter has no subgroups. Not to be used
// from another thread while the first one runs.
Backend* shared_webgpu_backend_without_subgroups(std::string* why);

// `model` bound to `backend`. A device backend refuses what it cannot hold (a tensor past its
// largest binding, memory exhausted): then the model is bound to the default CPU backend instead
// and *why says what was refused. *why is cleared when the binding took.
Model bind_or_fall_back(const Model& model, Backend& backend, std::string* why);

}  // namespace attnscope
