// automatic_backend.h — the explorer's "Automatic" backend: WebGPU when this machine has a GPU
// worth using, else the CPU, with the reason in one line.
//
// A software adapter (SwiftShader, llvmpipe, lavapipe) runs its kernels on the same CPU cores as
// the CPU backend, and slower than it (README, "Compute"), so Automatic takes WebGPU only on a
// hardware adapter. Asked for by name, WebGPU runs on any adapter.
#pragma once

#include <string>

#include "core/gpu/gpu_device.h"
#include "core/model/model.h"

namespace attnscope {

// Whether Automatic runs on a WebGPU device with this adapter; when not, *why says why
// ("SwiftShader Device (Subzero) (Vulkan) is a software adapter, which ...").
bool webgpu_worth_using(const GpuInfo& info, std::string* why);

// `model` bound where Automatic runs it: on the process's WebGPU backend (shared_webgpu.h) when
// its adapter is worth using and the model fits the device, else on the default CPU backend with
// *why saying why (never empty then). *why is cleared when the model is on WebGPU.
Model bind_automatically(const Model& model, std::string* why);

}  // namespace attnscope
