// webgpu_backend.h — the Backend on a WebGPU device: weights and activations in GPU buffers,
// every op a WGSL kernel (wgsl_kernels.h), captures read back only when asked.
#pragma once

#include <memory>
#include <string>

#include "core/gpu/gpu_device.h"
#include "core/ops/backend.h"

namespace attnscope {

// A backend over `device` (open_dawn_device natively). Its name is "webgpu"; description()
// names the adapter.
std::unique_ptr<Backend> make_webgpu_backend(std::unique_ptr<GpuDevice> device);

// The adapter a WebGPU backend runs on ("SwiftShader Device (Subzero)"), or empty for any other
// backend.
std::string webgpu_adapter_name(const Backend& backend);
// The optional features its device was given, comma-separated ("shader-f16,subgroups"); empty
// when it has none or the backend is not WebGPU's.
std::string webgpu_features(const Backend& backend);

}  // namespace attnscope
