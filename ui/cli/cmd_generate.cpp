// cmd_generate.cpp — `attnscope generate`: continues a prompt (core/analysis/generation.h),
// greedy or sampled, with the key/value cache or (--no-cache) a full forward pass per token.
//
//   attnscope generate --model models/attnscope-kjv --prompt "In the beginning" --tokens 12
//   attnscope generate --model DIR --prompt "..." --tokens 20 --temperature 0.8 --top-k 40
//       --top-p 0.95 --seed 3 --json
#include <cstdio>

#include "core/analysis/generation.h"
#include "ui/cli/backend_choice.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

struct GenerateOptions {
  PromptOptions prompt;
  GenerationOptions generation;
  bool no_cache = false;
  bool json = false;
};

// The continuation as text: the tokenizer's bytes, or the tokens' display forms ("<id 17>") for a
// model without a tokenizer.
std::string continuation_text(const Model& model, std::span<const int> ids) {
  if (const BpeTokenizer* tokenizer = model.tokenizer()) return tokenizer->decode(ids);
  std::string text;
  for (const std::string& t : token_texts(model, ids)) text += (text.empty() ? "" : " ") + t;
  return text;
}

// Generated text for a terminal: its lines and tabs kept, every other control byte (an ESC a
// model happened to produce) shown as \xHH.
std::string terminal_text(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); i++)
    if (text[i] == '\n' || text[i] == '\t') {
      out += printable(text.substr(start, i - start)) + text[i];
      start = i + 1;
    }
  return out + printable(text.substr(start));
}

nlohmann::json generation_json(const Model& model, const GenerateOptions& o, const Generation& g) {
  const std::span<const int> all(g.sequence);
  const std::span<const int> prompt = all.first(g.prompt_length),
                             generated = all.subspan(g.prompt_length);
  nlohmann::json probabilities = nlohmann::json::array();
  for (const GeneratedToken& t : g.tokens) probabilities.push_back(t.probability);
  const SamplingOptions& s = o.generation.sampling;
  return {{"model", model_name(o.prompt.model_path)},
          {"backend", model.backend().name()},
          {"prompt_ids", std::vector<int>(prompt.begin(), prompt.end())},
          {"prompt_tokens", token_texts(model, prompt)},
          {"ids", std::vector<int>(generated.begin(), generated.end())},
          {"tokens", token_texts(model, generated)},
          {"text", continuation_text(model, generated)},  // invalid UTF-8 replaced by print_json
          {"probabilities", probabilities},
          {"stop", stop_reason_name(g.stop)},
          {"cache", o.generation.use_cache},
          {"sampling",
           {{"greedy", s.greedy()},
            {"temperature", s.temperature},
            {"top_k", s.top_k},
            {"top_p", s.top_p},
            {"seed", s.seed}}}};
}

Status generate_command(GenerateOptions o) {
  o.generation.use_cache = !o.no_cache;
  ATTNSCOPE_ASSIGN(Model model, load_model(o.prompt.model_path, o.prompt.backend));
  ATTNSCOPE_ASSIGN(std::vector<int> ids, prompt_ids(model, o.prompt));
  ATTNSCOPE_ASSIGN(const Generation g, generate(model, std::move(ids), o.generation));
  if (o.json) {
    print_json(generation_json(model, o, g));
    return {};
  }
  const std::string text = continuation_text(model, std::span(g.sequence).subspan(g.prompt_length));
  std::printf("%s\n", terminal_text(text).c_str());
  return {};
}

}  // namespace

void register_generate(CLI::App& app) {
  auto o = std::make_shared<GenerateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "generate", "Continue a prompt (greedy, or sampled with temperature, top-k and top-p)");
  add_model_option(cmd, o->prompt.model_path);
  auto* text =
      cmd->add_option("--prompt,--text", o->prompt.text, "Prompt text (tokenized by the model)");
  auto* ids = cmd->add_option("--ids", o->prompt.ids, "Prompt as token ids, e.g. 464,2068,7586");
  text->excludes(ids);
  ids->excludes(text);
  cmd->add_option("--backend", o->prompt.backend,
                  "Where the model runs: " + backend_names() + " (webgpu falls back to the CPU)")
      ->capture_default_str();
  cmd->add_option("--tokens", o->generation.max_new_tokens,
                  "New tokens to generate (fewer when the model ends its text)")
      ->capture_default_str();
  cmd->add_option("--temperature", o->generation.sampling.temperature,
                  "0: greedy; above 0: sample from softmax(logits / temperature)")
      ->capture_default_str();
  cmd->add_option("--top-k", o->generation.sampling.top_k,
                  "Sample among the k most likely tokens only (0: all)")
      ->capture_default_str();
  cmd->add_option("--top-p", o->generation.sampling.top_p,
                  "Then among the fewest most likely tokens holding this probability, in (0, 1]")
      ->capture_default_str();
  cmd->add_option("--seed", o->generation.sampling.seed, "Seed of the draws")
      ->capture_default_str();
  cmd->add_flag("--no-cache", o->no_cache,
                "Run the whole sequence for every token instead of using the key/value cache");
  cmd->add_flag(
      "--no-stop", [o](std::int64_t) { o->generation.stop_at_end_of_text = false; },
      "Keep going after the end-of-text token");
  cmd->add_flag("--json", o->json,
                "Print JSON: the token ids, their strings and each one's probability");
  cmd->callback([o]() { finish(generate_command(*o)); });
}

}  // namespace attnscope::cli
