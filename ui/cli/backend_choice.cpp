#include "ui/cli/backend_choice.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>

#include "core/gpu/webgpu_backend.h"

namespace attnscope::cli {
namespace {

// The process's WebGPU backend, opened at the first request; null with the reason when there is
// none (asked again, it answers the same without retrying).
Backend* webgpu_backend(std::string* why) {
  static std::string reason;
  static std::unique_ptr<Backend> backend = []() -> std::unique_ptr<Backend> {
    const char* library = std::getenv("ATTNSCOPE_WEBGPU_LIBRARY");
    auto device = open_dawn_device(library ? library : ATTNSCOPE_WEBGPU_LIBRARY_DEFAULT, &reason);
    if (!device) return nullptr;
    return make_webgpu_backend(std::move(device));
  }();
  if (!backend) *why = reason;
  return backend.get();
}

void say_fallback(const std::string& why) {
  std::fprintf(stderr, "webgpu unavailable (%s); running on the CPU (%.*s)\n", why.c_str(),
               int(default_backend().name().size()), default_backend().name().data());
}

}  // namespace

std::string backend_names() {
  std::string names = "cpu";
  for (const Backend* b : available_backends()) names += ", " + std::string(b->name());
  return names + ", webgpu";
}

Result<Backend*> choose_backend(const std::string& name) {
  if (name == "cpu") return &default_backend();
  for (Backend* b : available_backends())
    if (b->name() == name) return b;
  if (name == "webgpu") {
    std::string why;
    if (Backend* b = webgpu_backend(&why)) return b;
    say_fallback(why);
    return &default_backend();
  }
  return make_error("--backend: no backend '" + name + "'", "available: " + backend_names());
}

Result<Model> bind_model(Model model, const std::string& name) {
  ATTNSCOPE_ASSIGN(Backend * backend, choose_backend(name));
  if (backend == &model.backend()) return model;
  try {
    return model.bound_to(*backend);
  } catch (const std::exception& e) {
    // A device backend refuses what it cannot hold (a tensor past its largest binding, memory
    // exhausted); the CPU can hold what was loaded.
    say_fallback(e.what());
    return model.bound_to(default_backend());
  }
}

Result<Model> load_model(const std::string& path, const std::string& name) {
  ATTNSCOPE_ASSIGN(Model model, load_model(path));
  return bind_model(std::move(model), name);
}

}  // namespace attnscope::cli
