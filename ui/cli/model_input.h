// model_input.h — what several subcommands share: opening --model, reading --text / --ids.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model/model.h"

namespace attnscope::cli {

struct PromptOptions {
  std::string model_path;
  std::string text;
  std::string ids;  // "1,2,3"
  std::string backend = "cpu";
};

// Adds --model, --text and --ids (the last two exclusive; prompt_ids() requires one) and
// --backend to `cmd`.
void add_prompt_options(CLI::App* cmd, PromptOptions& options);
void add_model_option(CLI::App* cmd, std::string& model_path);

Result<Model> load_model(const std::string& path);
// "1, 2,3" → {1, 2, 3}; anything else is an error naming the bad item.
Result<std::vector<int>> parse_ids(const std::string& list);
// The prompt's token ids, from --ids or by tokenizing --text; checked against the model.
Result<std::vector<int>> prompt_ids(const Model& model, const PromptOptions& options);

}  // namespace attnscope::cli
