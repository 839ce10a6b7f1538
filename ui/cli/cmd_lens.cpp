// cmd_lens.cpp — `attnscope lens`: the logit lens (core/analysis/logit_lens.h): every layer's
// residual stream through the final norm and the unembedding, the top tokens per layer ×
// position, and for a target token its rank and probability there and each head's direct logit
// attribution to it at one position.
//
//   attnscope lens --model DIR --text "The cat sat on the" --target " mat" --top 5 --json
#include <cstdio>

#include "core/analysis/logit_lens.h"
#include "core/analysis/residual_stream.h"
#include "ui/cli/backend_choice.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

struct LensOptions {
  PromptOptions prompt;
  std::string target;
  int target_id = -1;  // the same as a token id (models without a tokenizer)
  int top_k = 5;
  int position = -1;  // -1: the last
  bool json = false;
};

// "L0" .. "L{n−1}" for each block's hook_resid_pre, "final" for the stream the final norm reads.
std::vector<std::string> row_labels(int n_layers) {
  std::vector<std::string> labels;
  for (int l = 0; l < n_layers; l++) labels.push_back("L" + std::to_string(l));
  labels.push_back("final");
  return labels;
}

nlohmann::json hook_names_json(int n_layers) {
  nlohmann::json names = nlohmann::json::array();
  for (const HookId& id : residual_stream_hooks(n_layers)) names.push_back(hook_name(id));
  return names;
}

nlohmann::json lens_json(const Model& model, const LensOptions& o, const std::vector<int>& ids,
                         const LogitLens& lens) {
  const int L = model.config().n_layers;
  nlohmann::json top = nlohmann::json::array();
  for (int r = 0; r < lens.rows; r++) {
    nlohmann::json row = nlohmann::json::array();
    for (int t = 0; t < lens.positions; t++) {
      nlohmann::json cell = nlohmann::json::array();
      for (int i = 0; i < lens.top_k; i++) {
        const LensToken& k = lens.top_at(r, t, i);
        cell.push_back({{"id", k.id}, {"token", token_text(model, k.id)}, {"prob", k.prob}});
      }
      row.push_back(cell);
    }
    top.push_back(row);
  }
  nlohmann::json j = {{"model", model_name(o.prompt.model_path)},
                      {"tokens", token_texts(model, ids)},
                      {"ids", ids},
                      {"rows", row_labels(L)},
                      {"hooks", hook_names_json(L)},
                      {"top_k", lens.top_k},
                      {"top", top},
                      {"target", nullptr},
                      {"position", lens.position}};
  if (lens.target >= 0) {
    j["target"] = {{"id", lens.target}, {"token", token_text(model, lens.target)}};
    j["target_prob"] = rows_json(lens.target_prob);
    j["target_rank"] = rows_json(lens.target_rank);
    j["dla"] = rows_json(lens.head_dla);  // [layer, head]
  }
  return j;
}

void print_lens(const Model& model, const std::vector<int>& ids, const LogitLens& lens) {
  const std::vector<std::string> labels = row_labels(model.config().n_layers);
  const std::vector<std::string> tokens = token_texts(model, ids);
  auto header = [&] {
    std::printf("%-6s", "");
    for (const std::string& t : tokens) std::printf(" %s", pad(printable(t), 16).c_str());
    std::printf("\n");
  };
  std::printf("logit lens: the most likely token per layer × position (probability)\n");
  header();
  for (int r = 0; r < lens.rows; r++) {
    std::printf("%-6s", labels[std::size_t(r)].c_str());
    for (int t = 0; t < lens.positions; t++) {
      const LensToken& k = lens.top_at(r, t, 0);
      std::printf(" %s %5.3f", pad(printable(token_text(model, k.id)), 10).c_str(), k.prob);
    }
    std::printf("\n");
  }
  if (lens.target < 0) return;
  std::printf("\nrank (probability) of %s per layer × position\n",
              printable(token_text(model, lens.target)).c_str());
  header();
  for (int r = 0; r < lens.rows; r++) {
    std::printf("%-6s", labels[std::size_t(r)].c_str());
    for (int t = 0; t < lens.positions; t++)
      std::printf(" %s", pad(std::to_string(int(lens.target_rank(r, t))) + " (" +
                                 std::to_string(lens.target_prob(r, t)).substr(0, 6) + ")",
                             16)
                             .c_str());
    std::printf("\n");
  }
  std::printf("\ndirect logit attribution of each head to %s at position %d (%s)\n%-6s",
              printable(token_text(model, lens.target)).c_str(), lens.position,
              printable(tokens[std::size_t(lens.position)]).c_str(), "");
  for (std::size_t h = 0; h < lens.head_dla.shape()[1]; h++)
    std::printf(" %8s", ("H" + std::to_string(h)).c_str());
  std::printf("\n");
  for (std::size_t l = 0; l < lens.head_dla.shape()[0]; l++) {
    std::printf("%-6s", ("L" + std::to_string(l)).c_str());
    for (std::size_t h = 0; h < lens.head_dla.shape()[1]; h++)
      std::printf(" %8.4f", lens.head_dla(l, h));
    std::printf("\n");
  }
}

Status lens(const LensOptions& o) {
  if (!o.target.empty() && o.target_id >= 0)
    return make_error("give --target or --target-id, not both");
  ATTNSCOPE_ASSIGN(Model model, load_model(o.prompt.model_path, o.prompt.backend));
  ATTNSCOPE_ASSIGN(const std::vector<int> ids, prompt_ids(model, o.prompt));
  LogitLensOptions options;
  options.top_k = o.top_k;
  options.position = o.position;
  options.target = o.target_id;
  if (!o.target.empty()) {
    ATTNSCOPE_ASSIGN(options.target, single_token(model, o.target, "--target"));
  }
  ATTNSCOPE_ASSIGN(const LogitLens result, logit_lens(model, ids, options));
  if (o.json) {
    print_json(lens_json(model, o, ids, result));
    return {};
  }
  print_lens(model, ids, result);
  return {};
}

}  // namespace

void register_lens(CLI::App& app) {
  auto o = std::make_shared<LensOptions>();
  CLI::App* cmd = app.add_subcommand(
      "lens", "Logit lens: every layer's residual stream through the final norm and unembedding");
  add_prompt_options(cmd, o->prompt);
  cmd->add_option("--target", o->target,
                  "A token to follow (one token, e.g. ' mat'): its rank, probability and each "
                  "head's direct logit attribution");
  cmd->add_option("--target-id", o->target_id, "... the target as a token id")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--top", o->top_k, "Tokens kept per layer × position")->capture_default_str();
  cmd->add_option("--position", o->position,
                  "The position heads are attributed at (default: the last)");
  cmd->add_flag("--json", o->json, "Print JSON instead of tables");
  cmd->callback([o]() { finish(lens(*o)); });
}

}  // namespace attnscope::cli
