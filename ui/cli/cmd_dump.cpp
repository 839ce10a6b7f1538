// cmd_dump.cpp — `attnscope dump`: run a prompt and write hook tensors to a .safetensors file,
// named as TransformerLens names them, so Python can read them with the safetensors package.
#include <cstdio>

#include "core/io/safetensors.h"
#include "core/version.h"
#include "ui/cli/backend_choice.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

struct DumpOptions {
  PromptOptions prompt;
  std::string hooks = "logits,blocks.*.attn.hook_pattern";
  std::string out;
  std::string ablate;  // heads, "L.H,..."
  AblationInput ablation;
};

Status dump(const DumpOptions& options) {
  ATTNSCOPE_ASSIGN(const Model model,
                   load_model(options.prompt.model_path, options.prompt.backend));
  ATTNSCOPE_ASSIGN(const std::vector<int> ids, prompt_ids(model, options.prompt));

  HookPlan plan;
  plan.capture_list(options.hooks);
  if (!options.ablate.empty()) {
    auto heads = parse_heads(options.ablate, model.config());
    if (!heads.ok()) return make_error("--ablate: " + heads.error().message, heads.error().hint);
    ATTNSCOPE_ASSIGN(
        const Ablation ablation,
        make_ablation(model, options.ablation, "--ablate-mode", std::move(heads).value(), ids));
    ATTNSCOPE_TRY(add_ablation(plan, model.config(), ablation, ids.size()));
  }
  Cache cache;
  ATTNSCOPE_TRY(model.forward(ids, plan, &cache));
  if (cache.entries().empty())
    return make_error("--hooks '" + options.hooks + "' matched no hook",
                      "e.g. 'logits,blocks.*.attn.hook_pattern' or '*' for every hook");

  std::vector<TensorToWrite> tensors;
  for (const Cache::Entry& e : cache.entries()) {
    std::vector<std::int64_t> shape(e.shape().begin(), e.shape().end());
    tensors.push_back(
        {e.name, shape, std::span<const float>(e.tensor().data(), e.tensor().size())});
  }
  std::string id_list;
  for (int id : ids) id_list += (id_list.empty() ? "" : ",") + std::to_string(id);
  std::map<std::string, std::string> metadata = {
      {"attnscope", version()}, {"model_type", model.config().model_type}, {"input_ids", id_list}};
  if (!options.ablate.empty()) metadata["ablation"] = options.ablation.mode + " " + options.ablate;
  ATTNSCOPE_TRY(write_file(options.out, write_safetensors(tensors, metadata)));
  std::fprintf(stderr, "attnscope: wrote %zu tensors for %zu tokens to %s\n", tensors.size(),
               ids.size(), options.out.c_str());
  return {};
}

}  // namespace

void register_dump(CLI::App& app) {
  auto options = std::make_shared<DumpOptions>();
  CLI::App* cmd = app.add_subcommand(
      "dump", "Run a prompt and write hook tensors (TransformerLens names) to a .safetensors file");
  add_prompt_options(cmd, options->prompt);
  cmd->add_option("--hooks", options->hooks,
                  "Comma-separated globs of hook names, e.g. 'blocks.*.attn.hook_z,logits'")
      ->capture_default_str();
  cmd->add_option("--out", options->out, "Output .safetensors file")->required();
  cmd->add_option("--ablate", options->ablate,
                  "Ablate these heads (L.H,...) in the run: the tensors are the ablated ones");
  add_ablation_mode_options(cmd, options->ablation, "--ablate-mode");
  cmd->callback([options]() { finish(dump(*options)); });
}

}  // namespace attnscope::cli
