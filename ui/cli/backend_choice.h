// backend_choice.h — the backend a command runs on, from --backend.
//
// Names: cpu (the fastest CPU backend, the default), cpu-reference, cpu-simd, webgpu. WebGPU is
// opened on first use, once per process, through Dawn's library ($ATTNSCOPE_WEBGPU_LIBRARY, else
// the one setup.sh installs under tests/browser/node_modules). When it cannot be had (no
// library, no adapter) or cannot hold the model (a tensor larger than the adapter's largest
// binding), the command runs on the CPU and says why in one line on stderr.
#pragma once

#include <string>

#include "core/error.h"
#include "core/model/model.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {

// Every backend name --backend takes, for help texts: "cpu, cpu-reference, cpu-simd, webgpu".
std::string backend_names();

// The backend called `name`; webgpu falls back to the CPU (with the line on stderr).
Result<Backend*> choose_backend(const std::string& name);

// `model` bound to the backend called `name`, falling back from webgpu as above.
Result<Model> bind_model(Model model, const std::string& name);

// The model at `path` (a folder or a .safetensors file), on the backend called `name`.
Result<Model> load_model(const std::string& path, const std::string& name);

}  // namespace attnscope::cli
