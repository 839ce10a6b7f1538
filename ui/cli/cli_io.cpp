#include "ui/cli/cli_io.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/analysis/task_prompts.h"

namespace attnscope::cli {

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return make_error("cannot read '" + path + "'", "no such file, or not readable");
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return make_error("reading '" + path + "' failed");
  return text.str();
}

Status write_file(const std::string& path, std::span<const std::uint8_t> bytes) {
  std::ofstream file(path, std::ios::binary);
  if (!file) return make_error("cannot write '" + path + "'", "does its folder exist?");
  file.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  if (!file) return make_error("writing '" + path + "' failed (disk full?)");
  return {};
}

Status write_file(const std::string& path, const std::string& text) {
  return write_file(path, std::span<const std::uint8_t>(
                              reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

Result<FigureFormat> figure_format(const std::string& path, const std::string& option) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (ext == ".png") return FigureFormat::png;
  if (ext == ".svg") return FigureFormat::svg;
  return make_error(option + " " + printable(path) + ": a figure is written as .png or .svg",
                    "end the file name in .png or .svg");
}

std::string model_name(const std::string& model_path) {
  std::filesystem::path path(model_path);
  if (path.has_filename() && path.extension() == ".safetensors") path = path.parent_path();
  if (!path.has_filename()) path = path.parent_path();  // "models/attnscope-kjv/"
  const std::string name = std::filesystem::absolute(path).lexically_normal().filename().string();
  return name.empty() ? model_path : name;
}

std::string token_text(const Model& model, int id) {
  return model.token_display(id);
}

std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> token_texts(const Model& model, std::span<const int> ids) {
  std::vector<std::string> texts;
  texts.reserve(ids.size());
  for (int id : ids) texts.push_back(token_text(model, id));
  return texts;
}

std::string pad(const std::string& text, int width) {
  int n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;  // count the first byte of each character
  return n >= width ? text : text + std::string(static_cast<std::size_t>(width - n), ' ');
}

Result<int> single_token(const Model& model, const std::string& text, const std::string& option) {
  if (text.empty()) return make_error(option + " is empty", "give a token, e.g. ' Mary'");
  auto id = model.single_token(text);
  if (!id) return make_error(option + " " + id.error().message, id.error().hint);
  return id;
}

Result<std::vector<Prompt>> load_task_prompts(const Model& model, const std::string& path,
                                              int limit) {
  ATTNSCOPE_ASSIGN(const std::string text, read_text_file(path));
  auto prompts = parse_task_prompts(text, model);
  if (!prompts.ok()) return make_error(path + ": " + prompts.error().message, prompts.error().hint);
  std::vector<Prompt> result = std::move(prompts).value();
  if (result.empty()) return make_error(path + " holds no prompts");
  if (limit > 0 && result.size() > static_cast<std::size_t>(limit))
    result.resize(static_cast<std::size_t>(limit));
  return result;
}

std::vector<std::vector<int>> prompt_ids_of(std::span<const Prompt> prompts) {
  std::vector<std::vector<int>> ids;
  for (const Prompt& p : prompts) ids.push_back(p.ids);
  return ids;
}

void add_ablation_mode_options(CLI::App* cmd, AblationInput& input, const std::string& mode_flag) {
  cmd->add_option(mode_flag, input.mode,
                  "Ablation: zero, mean (needs --reference) or resample "
                  "(needs --corrupted)")
      ->capture_default_str();
  cmd->add_option("--reference", input.reference,
                  "Reference prompts (.jsonl, models/tasks format): mean ablation uses each "
                  "head's mean output over them");
  cmd->add_option("--corrupted", input.corrupted,
                  "Corrupted prompt text for resample ablation (same number of tokens)");
}

Result<AblationMode> ablation_mode(const AblationInput& input, const std::string& mode_flag) {
  const auto mode = parse_ablation_mode(input.mode);
  if (!mode)
    return make_error(mode_flag + " '" + input.mode + "' is not an ablation mode",
                      "use zero, mean or resample");
  if (*mode == AblationMode::mean && input.reference.empty())
    return make_error("mean ablation needs --reference FILE.jsonl",
                      "e.g. models/tasks/ioi_negative.jsonl");
  return *mode;
}

Result<std::vector<int>> corrupted_ids(const Model& model, const AblationInput& input,
                                       std::size_t n_tokens) {
  if (input.corrupted.empty())
    return make_error("resample ablation needs --corrupted TEXT",
                      "a prompt with as many tokens as the clean one");
  ATTNSCOPE_ASSIGN(std::vector<int> corrupted, model.tokenize(input.corrupted));
  if (corrupted.size() != n_tokens)
    return make_error("--corrupted is " + std::to_string(corrupted.size()) +
                          " tokens but the prompt is " + std::to_string(n_tokens),
                      "resample ablation swaps outputs position by position: give a corrupted "
                      "prompt of the same length; attnscope tokenize shows the tokens");
  return corrupted;
}

Result<Ablation> make_ablation(const Model& model, const AblationInput& input,
                               const std::string& mode_flag, std::vector<HeadRef> heads,
                               std::span<const int> ids, int limit) {
  ATTNSCOPE_ASSIGN(const AblationMode mode, ablation_mode(input, mode_flag));
  Ablation ablation{mode, std::move(heads), nullptr};
  if (mode == AblationMode::mean) {
    ATTNSCOPE_ASSIGN(const std::vector<Prompt> reference,
                     load_task_prompts(model, input.reference, limit));
    const auto reference_ids = prompt_ids_of(reference);
    ATTNSCOPE_ASSIGN(Tensor mean, mean_head_z(model, reference_ids));
    ablation.source = std::make_shared<const Tensor>(std::move(mean));
  } else if (mode == AblationMode::resample) {
    ATTNSCOPE_ASSIGN(const std::vector<int> corrupted, corrupted_ids(model, input, ids.size()));
    ATTNSCOPE_ASSIGN(Tensor z, head_z(model, corrupted));
    ablation.source = std::make_shared<const Tensor>(std::move(z));
  }
  return ablation;
}

nlohmann::json token_changes_json(const Model& model, const std::vector<TokenChange>& changes) {
  nlohmann::json list = nlohmann::json::array();
  for (const TokenChange& c : changes)
    list.push_back({{"id", c.id},
                    {"token", token_text(model, c.id)},
                    {"before", c.before},
                    {"after", c.after}});
  return list;
}

void print_next_token_effect(const Model& model, const NextTokenEffect& effect) {
  std::printf("next token  %-22s %8s %8s    %-22s %8s %8s\n", "top before", "before", "after",
              "top after", "before", "after");
  const std::size_t n = std::max(effect.top_before.size(), effect.top_after.size());
  for (std::size_t i = 0; i < n; i++) {
    std::printf("  %2zu       ", i + 1);
    for (const auto* list : {&effect.top_before, &effect.top_after}) {
      if (i < list->size()) {
        const TokenChange& c = (*list)[i];
        const std::string token = pad("'" + token_text(model, c.id) + "'", 22);
        std::printf(" %s %8.4f %8.4f   ", token.c_str(), c.before, c.after);
      } else {
        std::printf(" %-22s %8s %8s   ", "", "", "");
      }
    }
    std::printf("\n");
  }
  std::printf("KL(before || after) = %.6g nats, largest probability change %.4f\n", effect.kl,
              effect.max_abs_change);
}

Progress::Progress(std::string label, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), enabled_(isatty(STDERR_FILENO) != 0) {}

bool Progress::operator()(int done, int total) {
  if (!enabled_) return true;
  const auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_ < std::chrono::milliseconds(100)) return true;
  last_ = now;
  std::fprintf(stderr, "\r%s: %d/%d %s", label_.c_str(), done, total, unit_.c_str());
  if (done >= total) std::fprintf(stderr, "\n");
  std::fflush(stderr);
  return true;
}

nlohmann::json rows_json(const Tensor& map) {
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t r = 0; r < map.shape()[0]; r++) {
    nlohmann::json row = nlohmann::json::array();
    for (std::size_t c = 0; c < map.shape()[1]; c++) row.push_back(map(r, c));
    rows.push_back(row);
  }
  return rows;
}

void print_json(const nlohmann::json& value) {
  std::printf("%s\n", value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

std::string task_of(const std::string& positive_path) {
  const std::string name = std::filesystem::path(positive_path).filename().string();
  const std::size_t at = name.find("_positive");
  return at == std::string::npos || at == 0 ? std::string() : name.substr(0, at);
}

}  // namespace attnscope::cli
