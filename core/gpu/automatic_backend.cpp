#include "core/gpu/automatic_backend.h"

#include <cassert>

#include "core/gpu/shared_webgpu.h"
#include "core/gpu/webgpu_backend.h"

namespace attnscope {

bool webgpu_worth_using(const GpuInfo& info, std::string* why) {
  why->clear();
  if (!info.software) return true;
  *why = (info.adapter.empty() ? std::string("the adapter") : info.adapter) +
         " is a software adapter, which runs on these CPU cores slower than the CPU backend";
  return false;
}

Model bind_to_webgpu(const Model& model, AdapterRule rule, std::string* why) {
  why->clear();
  std::string reason, ignored;
  const auto without_prefix = [](std::string s) {  // the clause names WebGPU already
    return s.rfind("WebGPU: ", 0) == 0 ? s.substr(8) : s;
  };
  Backend* gpu = shared_webgpu_backend(&reason);
  if (!gpu) {
    *why = "WebGPU is unavailable: " + without_prefix(reason);
  } else {
    const GpuInfo* info = webgpu_info(*gpu);
    assert(info && "shared_webgpu_backend returns a WebGPU backend, which names its adapter");
    if (rule == AdapterRule::any || webgpu_worth_using(*info, why)) {
      Model bound = bind_or_fall_back(model, *gpu, &reason);
      if (reason.empty()) return bound;
      *why = "the GPU cannot hold this model: " + without_prefix(reason);
    }
  }
  return bind_or_fall_back(model, default_backend(), &ignored);
}

}  // namespace attnscope
