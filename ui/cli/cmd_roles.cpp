// cmd_roles.cpp — `attnscope roles`: what each head does, from its attention: previous-token,
// duplicate-token, induction and sink scores and the role they give, on a prompt or (by default)
// on repeated random tokens, where induction heads show.
#include <cstdio>

#include "core/analysis/head_roles.h"
#include "ui/cli/backend_choice.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

struct RolesOptions {
  PromptOptions prompt;
  int repeated = 25;
  std::uint64_t seed = 0;
  float threshold = 0.4f;
  bool json = false;
};

Result<std::vector<int>> roles_prompt(const Model& model, const RolesOptions& options,
                                      bool& repeated) {
  repeated = options.prompt.text.empty() && options.prompt.ids.empty();
  if (!repeated) return prompt_ids(model, options.prompt);
  RepeatedTokensOptions random;
  random.segment_length = options.repeated;
  random.seed = options.seed;
  random.exclude = special_token_ids(model.config());
  ATTNSCOPE_ASSIGN(std::vector<int> ids, repeated_random_tokens(model.config().vocab_size, random));
  ATTNSCOPE_TRY(model.check_ids(ids));
  return ids;
}

Status roles(const RolesOptions& options) {
  ATTNSCOPE_ASSIGN(const Model model,
                   load_model(options.prompt.model_path, options.prompt.backend));
  bool repeated = false;
  ATTNSCOPE_ASSIGN(const std::vector<int> ids, roles_prompt(model, options, repeated));
  HeadRoleOptions role_options;
  role_options.previous_token_threshold = options.threshold;
  role_options.duplicate_token_threshold = options.threshold;
  role_options.induction_threshold = options.threshold;
  role_options.sink_threshold = options.threshold;
  ATTNSCOPE_ASSIGN(const HeadRoleTable table, head_roles(model, ids, role_options));

  const std::string prompt = repeated
                                 ? "repeated random tokens: " + std::to_string(options.repeated) +
                                       " twice, seed " + std::to_string(options.seed)
                                 : "prompt";
  if (options.json) {
    nlohmann::json heads = nlohmann::json::array();
    for (int l = 0; l < table.n_layers; l++)
      for (int h = 0; h < table.n_heads; h++)
        heads.push_back({{"head", head_label({l, h})},
                         {"layer", l},
                         {"index", h},
                         {"previous_token", table.previous_token(l, h)},
                         {"duplicate_token", table.duplicate_token(l, h)},
                         {"induction", table.induction(l, h)},
                         {"sink", table.sink(l, h)},
                         {"role", role_name(table.role(l, h))}});
    print_json({{"model", model_name(options.prompt.model_path)},
                {"prompt", repeated ? "repeated_random_tokens" : "prompt"},
                {"segment_length", repeated ? options.repeated : 0},
                {"seed", repeated ? options.seed : 0},
                {"ids", ids},
                {"threshold", options.threshold},
                {"n_tokens", table.n_tokens},
                {"n_duplicate_queries", table.n_duplicate_queries},
                {"n_induction_queries", table.n_induction_queries},
                {"heads", heads}});
    return {};
  }
  std::printf("%s (%d tokens; %d queries with an earlier copy, %d with an induction target)\n",
              prompt.c_str(), table.n_tokens, table.n_duplicate_queries, table.n_induction_queries);
  std::printf("%-6s %9s %9s %9s %6s  %s  (threshold %.2f)\n", "head", "previous", "duplicate",
              "induction", "sink", "role", options.threshold);
  for (int l = 0; l < table.n_layers; l++)
    for (int h = 0; h < table.n_heads; h++) {
      const HeadRole role = table.role(l, h);
      std::printf("%-6s %9.3f %9.3f %9.3f %6.3f  %s\n", head_label({l, h}).c_str(),
                  table.previous_token(l, h), table.duplicate_token(l, h), table.induction(l, h),
                  table.sink(l, h),
                  role == HeadRole::none ? "-" : std::string(role_name(role)).c_str());
    }
  return {};
}

}  // namespace

void register_roles(CLI::App& app) {
  auto options = std::make_shared<RolesOptions>();
  CLI::App* cmd = app.add_subcommand(
      "roles",
      "Head roles: previous-token, duplicate-token, induction and sink scores (default: on "
      "repeated random tokens)");
  add_prompt_options(cmd, options->prompt);
  auto* repeated = cmd->add_option("--repeated", options->repeated,
                                   "Without a prompt: a random segment of N tokens, repeated")
                       ->capture_default_str()
                       ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", options->seed, "Seed of the random tokens")->capture_default_str();
  repeated->excludes("--text")->excludes("--ids");
  cmd->add_option("--threshold", options->threshold, "Score a head needs for a role")
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "Print JSON instead of a table");
  cmd->callback([options]() { finish(roles(*options)); });
}

}  // namespace attnscope::cli
