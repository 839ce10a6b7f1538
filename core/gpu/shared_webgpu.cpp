#include "core/gpu/shared_webgpu.h"

#include <cstdlib>
#include <exception>

#include "core/gpu/webgpu_backend.h"

namespace attnscope {
namespace {

GpuDeviceOpener& opener() {
  static GpuDeviceOpener f;
  return f;
}

std::unique_ptr<GpuDevice> open_default_device(std::string* why) {
#ifdef __EMSCRIPTEN__
  *why = "no WebGPU device in this build";
  return nullptr;
#else
  return open_dawn_device(dawn_library_path(), why);
#endif
}

}  // namespace

#ifndef __EMSCRIPTEN__
std::string dawn_library_path() {
  const char* library = std::getenv("ATTNSCOPE_WEBGPU_LIBRARY");
  return library ? library : ATTNSCOPE_WEBGPU_LIBRARY_DEFAULT;
}
#endif

void set_gpu_device_opener(GpuDeviceOpener f) {
  opener() = std::move(f);
}

namespace {

struct Shared {
  std::shared_ptr<GpuDevice> device;
  std::unique_ptr<Backend> backend, without_subgroups;
  std::string reason;
};

// Made by its initializer (thread-safe, once), after the device's library is loaded, so it is
// destroyed before that library's own statics at exit (SwiftShader's threads crash otherwise).
const Shared& shared() {
  static const Shared s = [] {
    Shared s;
    try {
      s.device = opener() ? opener()(&s.reason) : open_default_device(&s.reason);
      if (s.device) {
        s.backend = make_webgpu_backend(s.device);
        if (s.device->info().subgroups)
          s.without_subgroups = make_webgpu_backend(s.device, {.subgroups = false});
      }
    } catch (const std::exception& e) {
      s.reason = e.what();
    }
    if (!s.backend && s.reason.empty()) s.reason = "no WebGPU device";
    return s;
  }();
  return s;
}

}  // namespace

Backend* shared_webgpu_backend(std::string* why) {
  const Shared& s = shared();
  if (!s.backend && why) *why = s.reason;
  return s.backend.get();
}

Backend* shared_webgpu_backend_without_subgroups(std::string* why) {
  const Shared& s = shared();
  if (!s.without_subgroups && why)
    *why = s.backend ? "the adapter has no subgroups: every kernel runs without them already"
                     : s.reason;
  return s.without_subgroups.get();
}

Model bind_or_fall_back(const Model& model, Backend& backend, std::string* why) {
  why->clear();
  if (&backend == &model.backend()) return model;
  try {
    return model.bound_to(backend);
  } catch (const std::exception& e) {
    *why = e.what();
  }
  return &model.backend() == &default_backend() ? model : model.bound_to(default_backend());
}

}  // namespace attnscope
