// automatic_backend.h — binding a model to WebGPU, with the CPU to fall back on and the reason in
// one line: for the explorer's "Automatic" backend (a hardware adapter only) and for WebGPU chosen
// by name (any adapter).
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

enum class AdapterRule {
  any,            // WebGPU chosen by name
  hardware_only,  // Automatic: webgpu_worth_using decides
};

// `model` bound to the process's WebGPU backend (shared_webgpu.h) when it can be had, its adapter
// passes `rule` and the model fits the device; else bound to the default CPU backend, with *why
// saying why as a clause that names WebGPU (never empty then): "WebGPU is unavailable: …",
// "… is a software adapter, which …", "the GPU cannot hold this model: …". *why is cleared when
// the model is on WebGPU.
Model bind_to_webgpu(const Model& model, AdapterRule rule, std::string* why);

}  // namespace attnscope
