// cli_io.h — what the analysis subcommands share: files in and out, task prompt files, answer
// tokens, token labels, the --ablate options (ablate and dump) and progress lines on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/analysis/ablation.h"
#include "core/analysis/next_token.h"
#include "core/analysis/prompt.h"
#include "core/error.h"
#include "core/model/model.h"

namespace attnscope::cli {

// Files: the core has no file system, so the CLI reads and writes them.
Result<std::string> read_text_file(const std::string& path);
Status write_file(const std::string& path, std::span<const std::uint8_t> bytes);
Status write_file(const std::string& path, const std::string& text);

// A figure's file format, from the name's extension (case-insensitive): .png or .svg; anything
// else is an error naming `option`.
enum class FigureFormat { png, svg };
Result<FigureFormat> figure_format(const std::string& path, const std::string& option);

// "attnscope-kjv" for "models/attnscope-kjv/" (the folder's name, for titles and JSON).
std::string model_name(const std::string& model_path);

// Text from a file (a model_type, a tensor name, a typed word) safe for a terminal: control
// bytes (ESC sequences among them) become \xHH.
std::string printable(std::string_view text);

// A token as the UI shows it (Model::token_display: "<id N>" without a tokenizer).
std::string token_text(const Model& model, int id);
std::vector<std::string> token_texts(const Model& model, std::span<const int> ids);

// `text` padded with spaces to `width` characters (UTF-8 code points, so "·c" is 2 wide).
std::string pad(const std::string& text, int width);

// The id of `text` (e.g. " Mary"), which must tokenize to exactly one token; `option` names the
// flag in errors ("--answer").
Result<int> single_token(const Model& model, const std::string& text, const std::string& option);

// A models/tasks/*.jsonl file parsed with the model's tokenizer; limit > 0 keeps the first ones.
Result<std::vector<Prompt>> load_task_prompts(const Model& model, const std::string& path,
                                              int limit = 0);
std::vector<std::vector<int>> prompt_ids_of(std::span<const Prompt> prompts);
// The task of a models/tasks file: "ioi" for ".../ioi_positive.jsonl"; empty when the name has
// no "_positive" (the default --task of circuit and discover).
std::string task_of(const std::string& positive_path);

// The options that choose an ablation, shared by `ablate` and `dump --ablate`.
struct AblationInput {
  std::string mode = "zero";
  std::string reference;  // mean: a .jsonl of reference prompts
  std::string corrupted;  // resample: the corrupted prompt's text
};
void add_ablation_mode_options(CLI::App* cmd, AblationInput& input, const std::string& mode_flag);
Result<AblationMode> ablation_mode(const AblationInput& input, const std::string& mode_flag);
// The --corrupted prompt of a resample ablation, checked to have n_tokens tokens.
Result<std::vector<int>> corrupted_ids(const Model& model, const AblationInput& input,
                                       std::size_t n_tokens);
// The ablation of `heads` for a prompt of `ids`: the mean z of --reference, or the z of
// --corrupted (which must have as many tokens as the prompt). `limit` as for load_task_prompts.
Result<Ablation> make_ablation(const Model& model, const AblationInput& input,
                               const std::string& mode_flag, std::vector<HeadRef> heads,
                               std::span<const int> ids, int limit = 0);

// Top-k tables as JSON ({"id", "token", "before", "after"} each).
nlohmann::json token_changes_json(const Model& model, const std::vector<TokenChange>& changes);
// Prints the top-k tokens before and after, side by side, and the KL divergence.
void print_next_token_effect(const Model& model, const NextTokenEffect& effect);

// Progress of a long loop on stderr, "\rlabel: done/total unit", at most 10 times a second and
// only when stderr is a terminal (so pipes and logs stay clean); ends the line when done.
class Progress {
 public:
  Progress(std::string label, std::string unit);
  bool operator()(int done, int total);  // always true (never cancels)

 private:
  std::string label_, unit_;
  bool enabled_;
  std::chrono::steady_clock::time_point last_{};
};

// Prints a JSON value to stdout, indented.
void print_json(const nlohmann::json& value);
// A 2-D map as JSON rows of numbers.
nlohmann::json rows_json(const Tensor& map);

}  // namespace attnscope::cli
