// panels.cpp — the help and about windows and the desktop's model-folder browser.
#include <imgui.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "core/version.h"
#include "ui/app/host.h"
#include "ui/app/panels.h"
#include "ui/app/widgets.h"

namespace attnscope::ui {

void draw_help_window(AppState& state) {
  ImGui::SetNextWindowSize(ImVec2(520, 0), ImGuiCond_FirstUseEver);
  if (ImGui::Begin("Guide and shortcuts", &state.show_help)) {
    ImGui::TextWrapped(
        "attnscope shows what attention does in small transformer language models. Type a "
        "prompt on the left and press Enter. Attention: every head as a small map; click one to "
        "see it large, hover a cell for the query, key and weight. Sinks: tokens that soak up "
        "attention, and ACT calibration. Ablation: click heads to switch them off and watch the "
        "next token; sweep all heads. Circuits: a sparse autoencoder over head outputs finds the "
        "heads of a task. Patching: put pieces of the prompt's run into a corrupted prompt's and "
        "see "
        "how much of the answer comes back. Lens: every layer read through the unembedding, and "
        "each head's direct logit attribution. Every view exports PNG, CSV and JSON.");
    ImGui::Separator();
    if (ImGui::BeginTable("shortcuts", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
      ImGui::TableSetupColumn("Key", ImGuiTableColumnFlags_WidthFixed, 110.0f);
      ImGui::TableSetupColumn("Action");
      ImGui::TableHeadersRow();
      const char* rows[][2] = {{"F1", "Show or hide this guide"},
                               {"Ctrl+T", "Dark / light theme"},
                               {"1 … 6", "Attention, Sinks, Ablation, Circuits, Patching, Lens"},
                               {"Arrow keys", "Move the focused head (layer ↑↓, head ←→)"},
                               {"A", "Ablate / restore the focused head"},
                               {"Enter", "Run the prompt (in the prompt box)"},
                               {"Ctrl+Enter", "New line in the prompt box"},
                               {"Esc", "Dismiss the error"}};
      for (const auto& row : rows) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted(row[0]);
        ImGui::TableSetColumnIndex(1);
        ImGui::TextUnformatted(row[1]);
      }
      ImGui::EndTable();
    }
  }
  ImGui::End();
}

void draw_about_window(AppState& state) {
  if (ImGui::Begin("About attnscope", &state.show_about, ImGuiWindowFlags_AlwaysAutoResize)) {
    ImGui::Text("attnscope %s", version());
    ImGui::Text("Build: %s", build_info().c_str());
    ImGui::Text("Runs on: %s", state.platform.c_str());
    ImGui::Text("Renderer: %s", state.gl_renderer.c_str());
    ImGui::Text("Long work: %s", JobRunner::mode());
    ImGui::Text("Dear ImGui %s", IMGUI_VERSION);
    ImGui::Text("%.1f frames/s", static_cast<double>(ImGui::GetIO().Framerate));
  }
  ImGui::End();
}

void draw_file_browser(AppState& state) {
  namespace fs = std::filesystem;
  ImGui::SetNextWindowSize(ImVec2(560, 420), ImGuiCond_FirstUseEver);
  if (!ImGui::Begin("Open a model folder", &state.show_file_browser)) {
    ImGui::End();
    return;
  }
  static std::string dir;
  if (dir.empty()) {
    std::error_code ec;
    dir = fs::current_path(ec).string();
  }
  ImGui::TextWrapped("%s", dir.c_str());
  std::error_code ec;
  const bool is_model = fs::exists(fs::path(dir) / "config.json", ec);
  ImGui::BeginDisabled(!is_model);
  if (ImGui::Button("Open this folder")) {
    state.model_path_input = dir;
    state.host->open_user_model(state, dir);
    state.show_file_browser = false;
  }
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::TextDisabled(is_model ? "has config.json" : "a model folder holds config.json");
  ImGui::Separator();
  ImGui::BeginChild("entries");
  if (ImGui::Selectable("..")) dir = fs::path(dir).parent_path().string();
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec))
    entries.push_back(*it);
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  for (const fs::directory_entry& e : entries) {
    std::error_code e2;
    const bool folder = e.is_directory(e2);
    const std::string name = e.path().filename().string();
    if (!folder && e.path().extension() != ".safetensors") continue;
    if (ImGui::Selectable((folder ? "[dir] " + name : name).c_str())) {
      if (folder) {
        dir = e.path().string();
      } else {
        state.model_path_input = e.path().string();
        state.host->open_user_model(state, state.model_path_input);
        state.show_file_browser = false;
      }
    }
  }
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace attnscope::ui
