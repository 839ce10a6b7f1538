// panel_model.cpp — the sidebar: bundled models, the user's own model, the prompt, compute.
#include <imgui.h>

#include "core/ops/backend.h"
#include "core/version.h"
#include "ui/app/actions.h"
#include "ui/app/host.h"
#include "ui/app/panels.h"
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

  section("Prompt");
  const bool enter = input_text_multiline(
      "##prompt", state.prompt, ImVec2(-1, ImGui::GetTextLineHeight() * 5),
      ImGuiInputTextFlags_CtrlEnterForNewLine | ImGuiInputTextFlags_EnterReturnsTrue);
  mark_widget(state, "prompt");
  ImGui::BeginDisabled(!state.model);
  if (ImGui::Button("Run", ImVec2(80, 0)) || enter) run_prompt(state);
  mark_widget(state, "prompt.run");
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::TextDisabled("Enter runs; Ctrl+Enter: new line");
  if (state.run && state.ran_prompt != state.prompt) ImGui::TextDisabled("(edited: press Enter)");

  section("Compute");
  for (const Backend* backend : available_backends())
    ImGui::BulletText("%.*s", static_cast<int>(backend->name().size()), backend->name().data());
  ImGui::TextDisabled("jobs: %s", JobRunner::mode());
  ImGui::TextDisabled("%s", state.platform.c_str());
}

void draw_token_strip(AppState& state) {
  if (!state.run) {
    ImGui::TextDisabled(state.model ? "Running…" : "Load a model to begin.");
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
