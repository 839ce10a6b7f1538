// view_state.cpp — the view as URL parameters (shareable links in the browser) and the state the
// end-to-end tests read.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/gpu/webgpu_backend.h"
#include "ui/app/actions.h"
#include "ui/app/view_names.h"

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

}  // namespace

std::string view_query(const AppState& state) {
  std::string q = "model=" + percent_encode(state.model_name);
  q += "&prompt=" + percent_encode(state.prompt);
  q += "&head=" + head_label(state.focus);
  q += std::string("&tab=") + tab_name(state.tab);
  if (state.attention_view != AttentionView::heatmap)
    q += std::string("&view=") + attention_view_name(state.attention_view);
  if (state.aggregate != Aggregate::head)
    q += std::string("&mean=") + aggregate_name(state.aggregate);
  // Automatic is the default and is left out: the link's reader gets their own machine's choice.
  if (state.backend_choice != BackendChoice::automatic)
    q += std::string("&backend=") + backend_choice_name(state.backend_choice);
  if (!state.ablation.heads.empty()) {
    std::string heads;
    for (const HeadRef& h : state.ablation.heads)
      heads += (heads.empty() ? "" : ",") + head_label(h);
    q += "&ablate=" + percent_encode(heads);
    q += "&mode=";
    q += ablation_mode_name(state.ablation.mode);
  }
  // The patching setup and the lens's token travel with their own tab (a link to the patching
  // view sweeps once the prompt has run: it shows what the sender saw).
  if (state.tab == Tab::patching) {
    const PatchingState& p = state.patching;
    q += "&patch=" + std::string(patch_target_name(p.target));
    if (p.metric == MetricKind::probability) q += "&metric=probability";
    q += "&answer=" + percent_encode(p.answer);
    if (p.metric == MetricKind::logit_diff) q += "&distractor=" + percent_encode(p.distractor);
    if (p.source == CorruptionSource::typed && !p.corrupted_text.empty())
      q += "&corrupted=" + percent_encode(p.corrupted_text);
    if (p.source == CorruptionSource::swap && p.swap_position >= 0 && !p.swap_token.empty())
      q += "&swap=" + std::to_string(p.swap_position) + "&with=" + percent_encode(p.swap_token);
  }
  if (state.tab == Tab::lens && !state.lens.target.empty())
    q += "&follow=" + percent_encode(state.lens.target);
  return q;
}

void apply_view_query(AppState& state, const std::string& query) {
  std::size_t begin = 0;
  bool patch_link = false, corruption = false;
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
      if (auto head = parse_head_label(value)) state.focus = *head;
    } else if (key == "view") {
      state.attention_view = parse_attention_view(value).value_or(AttentionView::heatmap);
    } else if (key == "mean") {
      state.aggregate = parse_aggregate(value).value_or(Aggregate::head);
    } else if (key == "ablate") {
      // Heads the model lacks are dropped once it has loaded.
      state.ablation.heads = parse_head_list(value);
    } else if (key == "backend") {
      // Read before the first model loads: it goes there.
      state.backend_choice = parse_backend_choice(value).value_or(BackendChoice::automatic);
    } else if (key == "mode") {
      if (auto mode = parse_ablation_mode(value)) state.ablation.mode = *mode;
    } else if (key == "patch") {
      if (auto target = parse_patch_target(value)) {
        state.patching.target = *target;
        patch_link = true;
      }
    } else if (key == "metric") {
      state.patching.metric =
          value == "probability" ? MetricKind::probability : MetricKind::logit_diff;
    } else if (key == "answer") {
      state.patching.answer = value;
    } else if (key == "distractor") {
      state.patching.distractor = value;
    } else if (key == "corrupted" && !value.empty()) {
      state.patching.corrupted_text = value;
      state.patching.source = CorruptionSource::typed;
      corruption = true;
    } else if (key == "swap") {
      int position = -1;
      char end = 0;
      if (std::sscanf(value.c_str(), "%d%c", &position, &end) == 1 && position >= 0 &&
          position < 1 << 20) {
        state.patching.swap_position = position;
        state.patching.source = CorruptionSource::swap;
        corruption = true;
      }
    } else if (key == "with") {
      state.patching.swap_token = value;
    } else if (key == "generate") {
      // generate=N: continue the prompt by N tokens (greedy) once it has run, once.
      int n = 0;
      char end = 0;
      if (std::sscanf(value.c_str(), "%d%c", &n, &end) == 1 && n >= 1 && n <= 4096) {
        state.generation.new_tokens = n;
        state.generation.sample = false;
        state.generation.run_on_load = true;
      }
    } else if (key == "follow") {
      state.lens.target = state.lens.target_input = value;
    } else if (key == "tab") {
      if (auto tab = parse_tab(value)) state.tab = *tab, state.tab_requested = true;
    }
  }
  state.patching.run_on_load = patch_link && corruption && state.tab == Tab::patching;
}

namespace {

nlohmann::json rows_of(const Tensor& t) {
  nlohmann::json rows = nlohmann::json::array();
  if (t.dimension() != 2) return rows;
  for (std::size_t r = 0; r < t.shape()[0]; r++) {
    nlohmann::json row = nlohmann::json::array();
    for (std::size_t c = 0; c < t.shape()[1]; c++) row.push_back(t(r, c));
    rows.push_back(row);
  }
  return rows;
}

nlohmann::json patching_json(const AppState& state) {
  const PatchingState& p = state.patching;
  nlohmann::json j = {
      {"serial", p.serial},
      {"error", p.error},
      {"running", patching_running(state)},
      {"hover", {{"row", p.hover_row}, {"col", p.hover_col}, {"value", p.hover_value}}}};
  j["check"] = p.check;
  if (p.result && state.run && p.run_serial == state.run->serial) {
    j["target"] = std::string(patch_target_name(p.result->target));
    j["clean"] = p.result->clean;
    j["corrupted"] = p.result->corrupted;
    j["rows"] = p.row_labels;
    j["cols"] = p.col_labels;
    j["recovered"] = rows_of(p.result->normalised);
  }
  return j;
}

nlohmann::json lens_json(const AppState& state) {
  const LensState& l = state.lens;
  nlohmann::json j = {{"serial", l.serial},
                      {"error", l.error},
                      {"hover",
                       {{"row", l.hover_row},
                        {"col", l.hover_col},
                        {"token", l.hover_token},
                        {"value", l.hover_value}}}};
  if (l.result && state.run && l.run_serial == state.run->serial) {
    const LogitLens& r = *l.result;
    j["rows"] = r.rows;
    j["positions"] = r.positions;
    j["target"] = l.target_shown;
    j["position"] = r.position;
    nlohmann::json top = nlohmann::json::array();  // the top-1 token of each row × position
    for (int row = 0; row < r.rows; row++) {
      nlohmann::json line = nlohmann::json::array();
      for (int t = 0; t < r.positions; t++)
        line.push_back({{"token", state.model->token_display(r.top_at(row, t, 0).id)},
                        {"p", r.top_at(row, t, 0).prob}});
      top.push_back(line);
    }
    j["top"] = top;
    j["dla"] = rows_of(r.head_dla);
  }
  return j;
}

nlohmann::json massive_json(const AppState& state) {
  const MassiveState& m = state.massive;
  nlohmann::json layers = nlohmann::json::array();
  if (state.run && m.run_serial == state.run->serial)
    for (const MassiveLayer& l : m.layers)
      layers.push_back({{"max", l.top.empty() ? 0.0 : std::fabs(double(l.top.front().value))},
                        {"position", l.top.empty() ? -1 : l.top.front().position},
                        {"channel", l.top.empty() ? -1 : l.top.front().channel},
                        {"median", l.median_abs},
                        {"ratio", std::isfinite(l.ratio) ? l.ratio : -1.0},
                        {"over100", l.over_100},
                        {"over1000", l.over_1000},
                        {"massive", l.massive}});
  return {{"serial", m.serial}, {"error", m.error}, {"layers", layers}};
}

}  // namespace

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
  j["useWebgpu"] = state.model && webgpu_info(state.model->backend()) != nullptr;
  j["backendChoice"] = backend_choice_name(state.backend_choice);
  j["backend"] = backend_label(state);
  j["backendNote"] = state.backend_note;
  j["backendReason"] = state.backend_reason;
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
  j["generation"] = {{"serial", state.generation.serial},
                     {"error", state.generation.error},
                     {"last", state.generation.last},
                     {"running", generation_running(state)}};
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
  j["patching"] = patching_json(state);
  j["lens"] = lens_json(state);
  j["massive"] = massive_json(state);
  nlohmann::json widgets = nlohmann::json::object();
  for (const auto& [name, r] : state.widgets) widgets[name] = {r[0], r[1], r[2], r[3]};
  j["widgets"] = widgets;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace attnscope::ui
