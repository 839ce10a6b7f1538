#include "ui/cli/model_input.h"

namespace attnscope::cli {

void add_model_option(CLI::App* cmd, std::string& model_path) {
  cmd->add_option("--model", model_path,
                  "Model folder as Hugging Face saves it (config.json, model.safetensors, "
                  "tokenizer.json), or a .safetensors file beside its config.json")
      ->required();
}

void add_prompt_options(CLI::App* cmd, PromptOptions& options) {
  add_model_option(cmd, options.model_path);
  auto* text = cmd->add_option("--text", options.text, "Prompt text (tokenized by the model)");
  auto* ids = cmd->add_option("--ids", options.ids, "Prompt as token ids, e.g. 464,2068,7586");
  text->excludes(ids);
  ids->excludes(text);
  cmd->add_option("--backend", options.backend,
                  "Where the model runs: cpu, cpu-reference, cpu-simd or webgpu (falls back to "
                  "the CPU, saying why, when WebGPU cannot run it)")
      ->capture_default_str();
}

Result<Model> load_model(const std::string& path) {
  ATTNSCOPE_ASSIGN(auto files, open_path(path));
  return Model::load(*files);
}

Result<std::vector<int>> parse_ids(const std::string& list) {
  auto ids = parse_token_ids(list);
  if (!ids) return make_error("--ids: " + ids.error().message, ids.error().hint);
  return ids;
}

Result<std::vector<int>> prompt_ids(const Model& model, const PromptOptions& options) {
  std::vector<int> ids;
  if (options.ids.empty() && options.text.empty())
    return make_error("no prompt", "give --text or --ids");
  if (!options.ids.empty()) {
    ATTNSCOPE_ASSIGN(ids, parse_ids(options.ids));
  } else {
    ATTNSCOPE_ASSIGN(ids, model.tokenize(options.text));
  }
  ATTNSCOPE_TRY(model.check_ids(ids));
  return ids;
}

}  // namespace attnscope::cli
