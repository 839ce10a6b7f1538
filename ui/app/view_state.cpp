// view_state.cpp — the view as URL parameters (shareable links in the browser) and the state the
// end-to-end tests read.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/split_list.h"
#include "ui/app/actions.h"

namespace attnscope::ui {

namespace {

std::string percent_encode(const std::string& text) {
  std::string out;
  char buf[4];
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string percent_decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); i++) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && std::isxdigit((unsigned char)text[i + 1]) &&
               std::isxdigit((unsigned char)text[i + 2])) {
      out += char(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

const char* tab_name(Tab tab) {
  switch (tab) {
    case Tab::attention:
      return "attention";
    case Tab::sinks:
      return "sinks";
    case Tab::ablation:
      return "ablation";
    case Tab::circuits:
      return "circuits";
  }
  return "attention";
}

}  // namespace

std::string view_query(const AppState& state) {
  std::string q = "model=" + percent_encode(state.model_name);
  q += "&prompt=" + percent_encode(state.prompt);
  q += "&head=" + head_label(state.focus);
  q += std::string("&tab=") + tab_name(state.tab);
  if (state.attention_view == AttentionView::lines) q += "&view=lines";
  if (state.aggregate == Aggregate::layer_mean) q += "&mean=layer";
  if (state.aggregate == Aggregate::all_mean) q += "&mean=all";
  if (state.use_webgpu) q += "&backend=webgpu";
  if (!state.ablation.heads.empty()) {
    std::string heads;
    for (const HeadRef& h : state.ablation.heads)
      heads += (heads.empty() ? "" : ",") + head_label(h);
    q += "&ablate=" + percent_encode(heads);
    q += "&mode=";
    q += ablation_mode_name(state.ablation.mode);
  }
  return q;
}

void apply_view_query(AppState& state, const std::string& query) {
  std::size_t begin = 0;
  std::string text = query;
  if (!text.empty() && (text[0] == '#' || text[0] == '?')) text.erase(0, 1);
  while (begin < text.size()) {
    std::size_t end = text.find('&', begin);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(begin, end - begin);
    begin = end + 1;
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = item.substr(0, eq), value = percent_decode(item.substr(eq + 1));
    if (key == "model" && !value.empty()) {
      state.model_name = value;
    } else if (key == "prompt" && !value.empty()) {
      state.prompt = value;
    } else if (key == "head") {
      int layer = 0, head = 0;
      if (std::sscanf(value.c_str(), "L%dH%d", &layer, &head) == 2 && layer >= 0 && head >= 0)
        state.focus = {layer, head};
    } else if (key == "view") {
      state.attention_view = value == "lines" ? AttentionView::lines : AttentionView::heatmap;
    } else if (key == "mean") {
      state.aggregate = value == "layer" ? Aggregate::layer_mean
                        : value == "all" ? Aggregate::all_mean
                                         : Aggregate::head;
    } else if (key == "ablate") {
      state.ablation.heads.clear();
      for (std::string_view item : split_list(value)) {
        int layer = -1, head = -1;
        char end = 0;
        const std::string one(item);
        // Exactly "L<layer>H<head>"; heads the model lacks are dropped once it has loaded.
        if (std::sscanf(one.c_str(), "L%dH%d%c", &layer, &head, &end) == 2 && layer >= 0 &&
            head >= 0 && layer < 4096 && head < 4096 &&
            std::find(state.ablation.heads.begin(), state.ablation.heads.end(),
                      HeadRef{layer, head}) == state.ablation.heads.end())
          state.ablation.heads.push_back({layer, head});
      }
    } else if (key == "backend") {
      state.use_webgpu = value == "webgpu";  // read before the first model loads: it goes there
    } else if (key == "mode") {
      if (auto mode = parse_ablation_mode(value)) state.ablation.mode = *mode;
    } else if (key == "tab") {
      for (Tab t : {Tab::attention, Tab::sinks, Tab::ablation, Tab::circuits})
        if (value == tab_name(t)) state.tab = t, state.tab_requested = true;
    }
  }
}

std::string state_json(const AppState& state) {
  nlohmann::json j;
  j["frame"] = state.frame;
  j["model"] = state.model ? state.model_name : "";
  j["loading"] = state.load_progress >= 0;
  j["busy"] = state.jobs.busy();
  j["backgroundBusy"] = state.background.busy();
  j["backgroundProgress"] = state.background.busy() ? state.background.current()->progress() : 0.0f;
  j["prompt"] = state.prompt;
  j["tab"] = tab_name(state.tab);
  j["focus"] = head_label(state.focus);
  j["status"] = state.status;
  j["error"] = state.error;
  j["errorSerial"] = state.error_serial;
  j["jobsMode"] = JobRunner::mode();
  j["useWebgpu"] = state.use_webgpu;
  j["backend"] = backend_label(state);
  j["backendNote"] = state.backend_note;
  j["lastExport"] = state.last_export;
  j["firstMapSeconds"] = state.first_map_seconds;
  j["loadProgress"] = state.load_progress;
  j["promptIsIds"] = state.prompt_is_ids;
  j["promptIds"] = state.prompt_ids;
  j["keepLastTokens"] = state.keep_last_tokens;
  j["runError"] = state.run_error;
  j["runTooLong"] = state.run_too_long;
  j["hover"] = {
      {"query", state.hover_query}, {"key", state.hover_key}, {"value", state.hover_value}};
  j["ablationMode"] = std::string(ablation_mode_name(state.ablation.mode));
  if (state.run) {
    j["runSerial"] = state.run->serial;
    j["ranPrompt"] = state.ran_prompt;
    j["tokens"] = state.run->tokens;
    j["ids"] = state.run->ids;
    j["droppedTokens"] = state.run->dropped_tokens;
  }
  const auto token_list = [&](const std::vector<TokenChange>& top, bool after) {
    nlohmann::json list = nlohmann::json::array();
    for (const TokenChange& t : top)
      list.push_back({{"token", state.model ? state.model->token_display(t.id) : ""},
                      {"id", t.id},
                      {"p", after ? t.after : t.before}});
    return list;
  };
  nlohmann::json ablation;
  ablation["heads"] = nlohmann::json::array();
  for (const HeadRef& h : state.ablation.heads) ablation["heads"].push_back(head_label(h));
  ablation["serial"] = state.ablation.effect_serial;
  if (state.ablation.effect) {
    ablation["before"] = token_list(state.ablation.effect->top_before, false);
    ablation["after"] = token_list(state.ablation.effect->top_after, true);
    ablation["kl"] = state.ablation.effect->kl;
  }
  if (state.ablation.metric_valid) {
    ablation["logitDiffBefore"] = state.ablation.logit_diff_before;
    ablation["logitDiffAfter"] = state.ablation.logit_diff_after;
  }
  ablation["sweepSerial"] = state.ablation.sweep_serial;
  j["ablation"] = ablation;
  nlohmann::json calibration;
  calibration["enabled"] = state.calibration.enabled;
  calibration["serial"] = state.calibration.effect_serial;
  calibration["heads"] = nlohmann::json::array();
  for (const HeadRef& h : state.calibration.applied) calibration["heads"].push_back(head_label(h));
  if (state.calibration.effect) {
    calibration["before"] = token_list(state.calibration.effect->top_before, false);
    calibration["after"] = token_list(state.calibration.effect->top_after, true);
    calibration["kl"] = state.calibration.effect->kl;
  }
  j["calibration"] = calibration;
  j["circuitSerial"] = state.circuit.serial;
  j["circuitMethod"] = std::string(circuit_method_name(state.circuit.method));
  // The AUC of the method the panel shows.
  const auto& discovered =
      state.circuit.method == CircuitMethod::eap ? state.circuit.eap : state.circuit.acdc;
  if (state.circuit.method == CircuitMethod::sae && state.circuit.evaluation)
    j["circuitAuc"] = state.circuit.evaluation->roc.auc;
  else if (state.circuit.method != CircuitMethod::sae && discovered && discovered->evaluation)
    j["circuitAuc"] = discovered->evaluation->roc.auc;
  nlohmann::json widgets = nlohmann::json::object();
  for (const auto& [name, r] : state.widgets) widgets[name] = {r[0], r[1], r[2], r[3]};
  j["widgets"] = widgets;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace attnscope::ui
