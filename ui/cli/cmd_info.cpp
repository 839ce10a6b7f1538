// cmd_info.cpp — `attnscope info`: what this build is, and with --model, what a model is.
#include <cstdio>

#include "core/io/sharded.h"
#include "core/model/architecture.h"
#include "core/ops/backend.h"
#include "core/ops/simd_kernels.h"
#include "core/version.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

Status print_model(const std::string& path) {
  ATTNSCOPE_ASSIGN(auto files, open_path(path));
  ATTNSCOPE_ASSIGN(const Model model, Model::load(*files));
  ATTNSCOPE_ASSIGN(const WeightStore store, WeightStore::open(*files));
  std::printf("model: %s\n", printable(describe(model.config())).c_str());
  std::printf("weights: %zu tensors in %s, stored as %s\n", store.names().size(),
              files->describe().c_str(), dtype_name(store.dominant_dtype()).data());
  if (model.tokenizer())
    std::printf("tokenizer: byte-level BPE, %d tokens\n", model.tokenizer()->vocab_size());
  else
    std::printf("tokenizer: none (%s)\n", printable(model.tokenizer_error()).c_str());
  return {};
}

// Lists a .safetensors file's tensors: what `attnscope dump` wrote, or a checkpoint.
Status print_tensors(const std::string& path) {
  ATTNSCOPE_ASSIGN(auto files, open_path(path));
  ATTNSCOPE_ASSIGN(const Bytes bytes, files->read("model.safetensors"));
  ATTNSCOPE_ASSIGN(const SafetensorsFile file, SafetensorsFile::parse(bytes, path));
  for (const auto& [key, value] : file.metadata())
    std::printf("# %s: %s\n", printable(key).c_str(), printable(value).c_str());
  for (const TensorInfo& t : file.tensors())
    std::printf("%s %s %s\n", printable(t.name).c_str(), dtype_name(t.dtype).data(),
                shape_to_string(t.shape).c_str());
  return {};
}

}  // namespace

void register_info(CLI::App& app) {
  auto model_path = std::make_shared<std::string>();
  auto tensors_path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "info", "Print the build (version, SIMD, backends, architectures), or a model with --model");
  cmd->add_option("--model", *model_path, "Describe this model instead");
  cmd->add_option("--tensors", *tensors_path, "List the tensors of this .safetensors file instead");
  cmd->callback([model_path, tensors_path]() {
    if (!model_path->empty()) return finish(print_model(*model_path));
    if (!tensors_path->empty()) return finish(print_tensors(*tensors_path));
    std::printf("attnscope %s\n", version());
    std::printf("build: %s\n", build_info().c_str());
    std::printf("SIMD targets (ATTNSCOPE_SIMD_TARGET picks one):");
    for (const std::string& t : simd::simd_targets())
      std::printf(" %s%s", t.c_str(), t == simd::simd_target_name() ? " (in use)" : "");
    std::printf("\nbackends:");
    for (const Backend* backend : available_backends())
      std::printf(" %.*s", static_cast<int>(backend->name().size()), backend->name().data());
    std::printf("\narchitectures:\n");
    for (const Architecture* arch : architectures())
      std::printf("  %-10s %s\n", arch->model_type, arch->description);
  });
}

}  // namespace attnscope::cli
