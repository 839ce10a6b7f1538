#include "ui/cli/backend_choice.h"

#include <cstdio>

#include "core/gpu/shared_webgpu.h"

namespace attnscope::cli {
namespace {

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
    if (Backend* b = shared_webgpu_backend(&why)) return b;
    say_fallback(why);
    return &default_backend();
  }
  return make_error("--backend: no backend '" + name + "'", "available: " + backend_names());
}

Result<Model> bind_model(Model model, const std::string& name) {
  ATTNSCOPE_ASSIGN(Backend * backend, choose_backend(name));
  std::string why;
  Model bound = bind_or_fall_back(model, *backend, &why);
  if (!why.empty()) say_fallback(why);
  return bound;
}

Result<Model> load_model(const std::string& path, const std::string& name) {
  ATTNSCOPE_ASSIGN(Model model, load_model(path));
  return bind_model(std::move(model), name);
}

}  // namespace attnscope::cli
