// webgpu_backend.h — the Backend on a WebGPU device: weights and activations in GPU buffers,
// every op a WGSL kernel (wgsl_kernels.h), captures read back only when asked.
#pragma once

#include <memory>
#include <string>

#include "core/gpu/gpu_device.h"
#include "core/ops/backend.h"

namespace attnscope {

struct WebGpuOptions {
  // Use the adapter's subgroup operations where a kernel has a subgroup form (linear for a few
  // tokens); false runs the form that works without them on any adapter.
  bool subgroups = true;
};

// A backend over `device` (open_dawn_device natively). Its name is "webgpu", or "webgpu (no
// subgroups)" when the adapter has subgroups and `options` leaves them unused
// (ATTNSCOPE_WEBGPU_SUBGROUPS=off leaves them unused too, keeping the name, for measuring). Two
// backends may share one device, but not from two threads at once.
std::unique_ptr<Backend> make_webgpu_backend(std::shared_ptr<GpuDevice> device,
                                             const WebGpuOptions& options = {});

// The adapter a WebGPU backend runs on ("SwiftShader Device (Subzero)"), or empty for any other
// backend.
std::string webgpu_adapter_name(const Backend& backend);
// Its adapter's name, features and limits, or null for any other backend.
const GpuInfo* webgpu_info(const Backend& backend);
// The optional features its device was given and its kernels use, comma-separated
// ("shader-f16,subgroups"); empty when none or the backend is not WebGPU's.
std::string webgpu_features(const Backend& backend);

}  // namespace attnscope
