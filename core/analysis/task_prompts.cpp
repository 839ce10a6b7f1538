#include "core/analysis/task_prompts.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/io/json_limits.h"

namespace attnscope {

namespace {

Result<int> single_token(const Model& model, const std::string& text, std::size_t line) {
  ATTNSCOPE_ASSIGN(const std::vector<int> ids, model.tokenize(text));
  if (ids.size() != 1)
    return make_error("line " + std::to_string(line) + ": '" + text + "' is " +
                      std::to_string(ids.size()) + " tokens, not one");
  return ids[0];
}

Result<std::vector<int>> token_list(const Model& model, const nlohmann::json& list, const char* key,
                                    std::size_t line) {
  if (!list.is_array())
    return make_error("line " + std::to_string(line) + ": '" + key + "' must be a list of strings");
  std::vector<int> ids;
  for (const auto& item : list) {
    if (!item.is_string())
      return make_error("line " + std::to_string(line) + ": '" + key + "' must hold strings");
    ATTNSCOPE_ASSIGN(const int id, single_token(model, item.get<std::string>(), line));
    ids.push_back(id);
  }
  return ids;
}

// One JSON document, or a discarded value when it is malformed or nested too deep.
nlohmann::json parse_or_discard(std::string_view text) {
  try {
    return parse_json_limited(text);
  } catch (const std::exception&) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

// "L3H11" → {3, 11}: digits only, each within the largest model attnscope loads (1024 layers,
// 4096 heads), so "L4294967296H1" is refused instead of wrapping around to L0H1.
std::optional<HeadRef> parse_head_label(std::string_view s) {
  auto number = [&](char prefix, int max) -> std::optional<int> {
    if (s.empty() || s[0] != prefix) return std::nullopt;
    s.remove_prefix(1);
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') digits++;
    int value = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + digits, value);
    if (digits == 0 || ec != std::errc() || value > max) return std::nullopt;
    s.remove_prefix(digits);
    return value;
  };
  const std::optional<int> layer = number('L', 1023);
  if (!layer) return std::nullopt;
  const std::optional<int> head = number('H', 4095);
  if (!head || !s.empty()) return std::nullopt;
  return HeadRef{*layer, *head};
}

}  // namespace

Result<std::vector<Prompt>> parse_task_prompts(std::string_view jsonl, const Model& model) {
  std::vector<Prompt> prompts;
  std::size_t start = 0, line = 0;
  while (start < jsonl.size()) {
    std::size_t end = jsonl.find('\n', start);
    if (end == std::string_view::npos) end = jsonl.size();
    const std::string_view text = jsonl.substr(start, end - start);
    start = end + 1;
    line++;
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const nlohmann::json json = parse_or_discard(text);
    if (json.is_discarded() || !json.is_object() || !json.contains("text") ||
        !json["text"].is_string())
      return make_error(
          "line " + std::to_string(line) + " is not a prompt",
          "each line must be a JSON object with \"text\", \"answers\", \"distractors\"");
    Prompt prompt;
    prompt.label = json["text"].get<std::string>();
    ATTNSCOPE_ASSIGN(prompt.ids, model.tokenize(prompt.label));
    ATTNSCOPE_TRY(model.check_ids(prompt.ids));
    if (json.contains("answers")) {
      ATTNSCOPE_ASSIGN(prompt.answers, token_list(model, json["answers"], "answers", line));
    }
    if (json.contains("distractors")) {
      ATTNSCOPE_ASSIGN(prompt.distractors,
                       token_list(model, json["distractors"], "distractors", line));
    }
    if (!prompt.answers.empty()) prompt.target = prompt.answers[0];
    prompts.push_back(std::move(prompt));
  }
  if (prompts.empty()) return make_error("the prompt file holds no prompts");
  return prompts;
}

Result<GroundTruth> parse_ground_truth(std::string_view text, std::string_view task) {
  const nlohmann::json json = parse_or_discard(text);
  if (json.is_discarded() || !json.is_object())
    return make_error("ground truth is not a JSON object",
                      "is the file complete? real ones nest a few levels");
  const auto it = json.find(std::string(task));
  if (it == json.end() || !it->is_object() || !it->contains("heads") || !(*it)["heads"].is_array())
    return make_error("ground truth has no heads for task '" + std::string(task) + "'");
  GroundTruth truth;
  if (it->contains("threshold") && (*it)["threshold"].is_number())
    truth.threshold = (*it)["threshold"].get<double>();
  const auto heads_of = [](const nlohmann::json& list, std::vector<HeadRef>& out) -> Status {
    for (const auto& head : list) {
      const std::optional<HeadRef> ref =
          head.is_string() ? parse_head_label(head.get_ref<const std::string&>()) : std::nullopt;
      if (!ref)
        return make_error("ground truth: bad head " + json_snippet(head),
                          "heads are written L<layer>H<head>, layer < 1024, head < 4096");
      out.push_back(*ref);
    }
    return {};
  };
  ATTNSCOPE_TRY(heads_of((*it)["heads"], truth.heads));
  if (const auto above = it->find("heads_above_threshold"); above != it->end() && above->is_array())
    ATTNSCOPE_TRY(heads_of(*above, truth.heads_above_threshold));
  if (const auto effects = it->find("effects"); effects != it->end() && effects->is_array())
    for (const auto& row : *effects) {
      if (!row.is_array()) return make_error("ground truth: effects must be rows of numbers");
      truth.effects.emplace_back();
      for (const auto& v : row) {
        if (!v.is_number()) return make_error("ground truth: effects must be rows of numbers");
        truth.effects.back().push_back(v.get<double>());
      }
    }
  return truth;
}

}  // namespace attnscope
