// panel_model.cpp — the sidebar: bundled models, the user's own model, the prompt, compute.
#include <imgui.h>

#include <algorithm>

#include "core/gpu/webgpu_backend.h"
#include "core/ops/backend.h"
#include "core/version.h"
#include "ui/app/actions.h"
#include "ui/app/host.h"
#include "ui/app/panels.h"
#include "ui/app/session.h"
#include "ui/app/view_names.h"
#include "ui/app/widgets.h"

namespace attnscope::ui {

void draw_model_panel(AppState& state) {
  ImGui::TextUnformatted("attnscope");
  ImGui::SameLine();
  ImGui::TextDisabled("%s", version());

  section("Model");
  for (const ModelEntry& entry : state.bundled) {
    const bool current = state.model && state.model_name == entry.name;
    if (ImGui::Selectable(entry.name.c_str(), current)) load_bundled_model(state, entry.name);
    mark_widget(state, "model." + entry.name);
    if (ImGui::IsItemHovered() && !entry.description.empty())
      ImGui::SetTooltip("%s", entry.description.c_str());
  }
  if (state.host->has_file_system()) {
    ImGui::TextDisabled("Your model (Hugging Face folder):");
    ImGui::SetNextItemWidth(-60);
    input_text("##path", state.model_path_input);
    ImGui::SameLine();
    if (ImGui::Button("Open")) state.host->open_user_model(state, state.model_path_input);
    if (ImGui::Button("Browse…")) state.show_file_browser = true;
  } else {
    if (ImGui::Button("Open your model…")) state.host->open_user_model(state, "");
    mark_widget(state, "model.open");
    help_marker(
        "Pick (or drop on the page) a Hugging Face model folder's files: config.json, "
        "model.safetensors and tokenizer.json. They stay on this computer.");
  }
  if (state.load_progress >= 0) {
    ImGui::ProgressBar(state.load_progress, ImVec2(-1, 0), state.load_stage.c_str());
  } else if (state.model) {
    const ModelConfig& c = state.model->config();
    ImGui::TextDisabled("%s · %d layers × %d heads · d_model %d", c.model_type.c_str(), c.n_layers,
                        c.n_heads, c.d_model);
  }

  draw_session_controls(state);

  section("Prompt");
  const bool has_tokenizer = state.model && state.model->tokenizer();
  if (state.model && !has_tokenizer) state.prompt_is_ids = true;
  ImGui::BeginDisabled(state.model && !has_tokenizer);
  if (ImGui::Checkbox("Token ids", &state.prompt_is_ids) && state.prompt_is_ids &&
      state.prompt_ids.empty() && state.run) {
    // Start from the ids on screen, so switching modes loses nothing.
    for (int id : state.run->ids)
      state.prompt_ids += (state.prompt_ids.empty() ? "" : ", ") + std::to_string(id);
  }
  ImGui::EndDisabled();
  mark_widget(state, "prompt.ids_mode");
  help_marker(has_tokenizer || !state.model
                  ? "Type the prompt as token ids separated by commas (like the CLI's --ids)."
                  : "This model has no tokenizer: type the prompt as token ids separated by "
                    "commas (like the CLI's --ids).");
  const ImGuiInputTextFlags prompt_flags =
      ImGuiInputTextFlags_CtrlEnterForNewLine | ImGuiInputTextFlags_EnterReturnsTrue;
  const ImVec2 prompt_size(-1, ImGui::GetTextLineHeight() * 5);
  const bool enter =
      state.prompt_is_ids
          ? input_text_multiline("##prompt_ids", state.prompt_ids, prompt_size, prompt_flags)
          : input_text_multiline("##prompt", state.prompt, prompt_size, prompt_flags);
  mark_widget(state, "prompt");
  ImGui::BeginDisabled(!state.model);
  if (ImGui::Button("Run", ImVec2(80, 0)) || enter) run_prompt(state);
  mark_widget(state, "prompt.run");
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::TextDisabled("Enter runs; Ctrl+Enter: new line");
  ImGui::BeginDisabled(!state.run || state.jobs.busy());
  if (ImGui::Button("Report…", ImVec2(80, 0))) export_report(state);
  mark_widget(state, "prompt.report");
  ImGui::EndDisabled();
  help_marker(
      "Save this prompt's attention, sinks, logit lens, massive activations and (when the "
      "Patching tab has a sweep for it) patching as one HTML file: figures as SVG, the numbers "
      "as tables and JSON. It opens offline in any browser, without attnscope.");
  if (state.run && state.ran_prompt != prompt_source(state))
    ImGui::TextDisabled("(edited: press Enter)");
  draw_too_long_offer(state);
  if (state.keep_last_tokens) {
    ImGui::Checkbox("Keep the last tokens of a long prompt", &state.keep_last_tokens);
    mark_widget(state, "prompt.keep_last");
  }

  draw_generation(state);

  section("Compute");
  ImGui::SetNextItemWidth(160);
  // The combo is marked while closed (inside BeginCombo the last item is its popup); its items
  // while open.
  const auto label = [](BackendChoice c) {
    return c == BackendChoice::automatic ? "Automatic" : c == BackendChoice::cpu ? "CPU" : "WebGPU";
  };
  std::string preview = label(state.backend_choice);
  if (state.backend_choice == BackendChoice::automatic && state.model)
    preview += webgpu_info(state.model->backend()) ? " (WebGPU)" : " (CPU)";
  if (ImGui::BeginCombo("Backend", preview.c_str())) {
    for (BackendChoice c : {BackendChoice::automatic, BackendChoice::cpu, BackendChoice::webgpu}) {
      if (ImGui::Selectable(label(c), state.backend_choice == c) && state.backend_choice != c)
        choose_backend(state, c);
      mark_widget(state, std::string("compute.backend.") + backend_choice_name(c));
    }
    ImGui::EndCombo();
  } else {
    mark_widget(state, "compute.backend");
  }
  help_marker(
      "Where the model runs. WebGPU uses this machine's GPU (in the browser through "
      "navigator.gpu, on the desktop through Dawn). Automatic takes WebGPU when the GPU is a "
      "hardware one and the model fits it, else the CPU; a software adapter (SwiftShader) runs on "
      "the CPU's own cores, slower than the CPU backend, so it is used only when WebGPU is "
      "chosen by name. Named WebGPU that cannot be had, or cannot hold the model, leaves the "
      "model on the CPU and the line below says why.");
  if (state.model) ImGui::TextDisabled("running on %s", backend_label(state).c_str());
  if (!state.backend_reason.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("%s", state.backend_reason.c_str());
    ImGui::PopTextWrapPos();
  }
  if (!state.backend_note.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(ImVec4(1.0f, 0.75f, 0.4f, 1.0f), "%s", state.backend_note.c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::TextDisabled("jobs: %s", JobRunner::mode());
  ImGui::TextDisabled("%s", state.platform.c_str());
}

// Continuing the prompt: greedy, or sampled with temperature, top-k and top-p from a seed.
void draw_generation(AppState& state) {
  GenerationState& g = state.generation;
  section("Continue the prompt");
  const bool running = generation_running(state);
  ImGui::PushItemWidth(110);
  ImGui::InputInt("new tokens", &g.new_tokens);
  mark_widget(state, "generate.tokens");
  g.new_tokens = std::clamp(g.new_tokens, 1, 4096);
  ImGui::Checkbox("sample", &g.sample);
  mark_widget(state, "generate.sample");
  help_marker(
      "Off: greedy, the most likely token each step. On: a draw from the softmax at this "
      "temperature, among the top-k tokens and the smallest set reaching top-p; the seed "
      "makes it repeatable. The model's key/value cache runs only the newest token.");
  if (g.sample) {
    ImGui::SliderFloat("temperature", &g.temperature, 0.05f, 2.0f, "%.2f");
    ImGui::InputInt("top-k (0: all)", &g.top_k);
    g.top_k = std::max(0, g.top_k);
    ImGui::SliderFloat("top-p", &g.top_p, 0.01f, 1.0f, "%.2f");
    ImGui::InputInt("seed", &g.seed);
  }
  ImGui::PopItemWidth();
  ImGui::BeginDisabled(!state.run || running || state.jobs.busy());
  if (ImGui::Button("Generate", ImVec2(80, 0))) start_generation(state);
  mark_widget(state, "generate.run");
  ImGui::EndDisabled();
  if (running) {
    ImGui::SameLine();
    ImGui::ProgressBar(state.background.current()->progress(), ImVec2(120, 0));
    ImGui::SameLine();
    if (ImGui::SmallButton("Cancel")) state.background.cancel();
    mark_widget(state, "generate.cancel");
  }
  if (!g.error.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(ImVec4(1, 0.55f, 0.5f, 1), "%s", g.error.c_str());
    ImGui::PopTextWrapPos();
  } else if (!g.last.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("last: %s", g.last.c_str());
    ImGui::PopTextWrapPos();
  }
}

void draw_session_controls(AppState& state) {
  ImGui::BeginDisabled(!state.model);
  if (ImGui::Button("Save session…")) save_session(state);
  mark_widget(state, "session.save");
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (state.host->has_file_system()) {
    // Desktop: a path, like a model's (a saved session's path is filled in); room is left for
    // Open and the help marker.
    ImGui::SetNextItemWidth(-95);
    input_text("##session_path", state.session_path_input);
    mark_widget(state, "session.path");
    ImGui::SameLine();
    if (ImGui::Button("Open##session"))
      state.host->open_session_file(state, state.session_path_input);
    mark_widget(state, "session.open");
  } else {
    if (ImGui::Button("Open session…")) state.host->open_session_file(state, "");
    mark_widget(state, "session.open");
  }
  help_marker(
      "A session is one JSON file: the model's name, the prompt, the view, ablated and calibrated "
      "heads, the patching set-up with its map, the lens's token and the circuit settings. "
      "Opening one loads its model and runs the prompt (a model of your own must be opened "
      "again: the file holds only its name). Circuit results are not saved: a session saved on "
      "the Circuits tab finds its circuit again when opened; elsewhere, Find does. In the "
      "browser a session file can also be dropped on the page.");
}

void draw_too_long_offer(AppState& state) {
  if (!state.run_too_long || !state.model) return;
  const std::string label =
      "Keep the last " + std::to_string(state.model->config().n_ctx) + " tokens";
  if (ImGui::Button(label.c_str())) {
    state.keep_last_tokens = true;
    run_prompt(state);
  }
  mark_widget(state, "prompt.keep_last_offer");
  help_marker("The prompt is longer than the model's context: run its last tokens instead.");
}

void draw_token_strip(AppState& state) {
  if (!state.run) {
    if (!state.model)
      ImGui::TextDisabled(state.load_progress >= 0 ? "Loading the model…"
                                                   : "Load a model to begin.");
    else if (!state.run_error.empty())
      ImGui::TextColored(ImVec4(1.0f, 0.55f, 0.5f, 1.0f), "%s", state.run_error.c_str());
    else if (state.jobs.busy())
      ImGui::TextDisabled("Running…");
    else
      ImGui::TextDisabled("Press Enter in the prompt box to run it.");
    if (state.model && !state.run_error.empty()) draw_too_long_offer(state);
    return;
  }
  const Run& run = *state.run;
  const std::vector<int>* per_position = run.sinks ? &run.sinks->heads_per_position : nullptr;
  const int total_heads = run.sinks ? run.sinks->n_layers * run.sinks->n_heads : 1;
  ImGui::BeginChild("tokens", ImVec2(0, ImGui::GetTextLineHeightWithSpacing() * 3.2f), false);
  const float right = ImGui::GetContentRegionAvail().x;
  float x = 0;
  ImDrawList* draw = ImGui::GetWindowDrawList();
  // Draw only what fits in the visible rows; a long prompt scrolls.
  for (std::size_t i = 0; i < run.tokens.size(); i++) {
    const std::string& text = run.tokens[i];
    const ImVec2 size = ImGui::CalcTextSize(text.c_str());
    const float w = std::max(size.x + 8, 14.0f);
    if (x > 0 && x + w > right)
      x = 0;
    else if (x > 0)
      ImGui::SameLine(0, 3);
    x += w + 3;
    const ImVec2 pos = ImGui::GetCursorScreenPos();
    const float sink_share = per_position ? float((*per_position)[i]) / float(total_heads) : 0.0f;
    ImU32 fill = ImGui::GetColorU32(ImGuiCol_FrameBg);
    if (sink_share > 0) fill = IM_COL32(230, 120, 30, int(70 + 185 * sink_share));
    const bool is_query = int(i) == state.hover_query, is_key = int(i) == state.hover_key;
    ImGui::InvisibleButton(("tok" + std::to_string(i)).c_str(), ImVec2(w, size.y + 4));
    draw->AddRectFilled(pos, ImVec2(pos.x + w, pos.y + size.y + 4), fill, 3.0f);
    if (is_query)
      draw->AddRect(pos, ImVec2(pos.x + w, pos.y + size.y + 4), IM_COL32(90, 170, 255, 255), 3.0f,
                    0, 2.0f);
    if (is_key)
      draw->AddRect(pos, ImVec2(pos.x + w, pos.y + size.y + 4), IM_COL32(255, 230, 90, 255), 3.0f,
                    0, 2.0f);
    draw->AddText(ImVec2(pos.x + 4, pos.y + 2), ImGui::GetColorU32(ImGuiCol_Text), text.c_str());
    if (ImGui::IsItemHovered()) {
      ImGui::BeginTooltip();
      ImGui::Text("position %zu, id %d", i, run.ids[i]);
      ImGui::Text("bytes: %s", run.token_hex[i].c_str());
      if (per_position) ImGui::Text("a sink in %d of %d heads", (*per_position)[i], total_heads);
      ImGui::EndTooltip();
    }
  }
  ImGui::EndChild();
}

}  // namespace attnscope::ui
