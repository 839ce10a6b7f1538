// panel_ablation.cpp — ablate heads by clicking them, see the next token and a logit difference
// change, and sweep every head into a layer × head effect map.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ui/app/actions.h"
#include "ui/app/panels.h"
#include "ui/app/widgets.h"

namespace attnscope::ui {

void draw_next_token_table(const AppState& state, const NextTokenEffect& effect, const char* id);
void export_head_map(AppState& state, const ExportRequest& request, const Tensor& values,
                     const std::string& name, const std::string& title, Colormap colormap,
                     const std::string& value_label);

void draw_ablation_panel(AppState& state) {
  if (!state.run) {
    ImGui::TextDisabled("Ablation works on the prompt once it has run.");
    return;
  }
  AblationState& a = state.ablation;
  const ModelConfig& c = state.model->config();

  int mode = int(a.mode);
  ImGui::SetNextItemWidth(120);
  if (ImGui::Combo("mode", &mode, "zero\0mean\0resample\0")) {
    a.mode = AblationMode(mode);
    refresh_ablation(state);
  }
  mark_widget(state, "ablation.mode");
  help_marker(
      "zero: the head writes nothing. mean: its output averaged over the prompt's positions. "
      "resample: its output on a corrupted prompt of the same length (default: the prompt "
      "reversed).");
  if (a.mode == AblationMode::resample) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(300);
    if (input_text("corrupted prompt", a.corrupted_text, ImGuiInputTextFlags_EnterReturnsTrue))
      refresh_ablation(state);
  }
  ImGui::SetNextItemWidth(90);
  const bool a_done = input_text("answer", a.answer, ImGuiInputTextFlags_EnterReturnsTrue);
  mark_widget(state, "ablation.answer");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(90);
  const bool d_done = input_text("distractor", a.distractor, ImGuiInputTextFlags_EnterReturnsTrue);
  mark_widget(state, "ablation.distractor");
  help_marker(
      "The metric: logit(answer) − logit(distractor) at the last position. Each must be "
      "one token (a leading space matters: \" the\").");
  if (a_done || d_done) refresh_ablation(state);

  const float left_w = std::min(ImGui::GetContentRegionAvail().x * 0.5f, 560.0f);
  ImGui::BeginChild("ablate_left", ImVec2(left_w, 0), false);
  ImGui::TextUnformatted("Click heads to ablate them");
  ImGui::SameLine();
  if (ImGui::SmallButton("Clear")) {
    a.heads.clear();
    refresh_ablation(state);
  }
  mark_widget(state, "ablation.clear");
  // The map shows the sweep's relative effect once there is one, so the heads worth ablating
  // stand out; before that, plain cells.
  Tensor shown = xt::zeros<float>({std::size_t(c.n_layers), std::size_t(c.n_heads)});
  HeadMapStyle style;
  style.cell = std::clamp((left_w - 40) / float(c.n_heads), 20.0f, 52.0f);
  style.colormap = Colormap::diverging;
  style.value_name = "sweep: relative effect";
  style.format = "%+.2f";
  float vmax = 1;
  if (a.sweep) {
    shown = a.sweep->relative;
    vmax = std::max(1e-6f, float(xt::amax(xt::abs(shown))()));
    style.show_values = true;
  } else {
    shown.fill(NAN);
    style.value_name = "not swept yet";
  }
  style.vmin = -vmax;
  style.vmax = vmax;
  style.marks = &state.widgets;
  style.mark_prefix = "ablate.";
  if (auto head = draw_head_map("ablate", shown, a.heads, state.focus, style))
    toggle_ablated(state, *head);

  section("Sweep");
  const bool sweeping = state.background.busy() &&
                        state.background.current()->title() == std::string("Sweeping all heads");
  ImGui::BeginDisabled(sweeping);
  if (ImGui::Button("Sweep all heads")) start_sweep(state);
  mark_widget(state, "ablation.sweep");
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (sweeping) {
    ImGui::ProgressBar(state.background.current()->progress(), ImVec2(-70, 0));
    ImGui::SameLine();
    if (ImGui::SmallButton("Cancel")) state.background.cancel();
  } else if (a.sweep) {
    ImGui::Text("clean logit diff %.3f", a.sweep->clean);
    ImGui::SameLine();
    const ExportRequest r = export_buttons(state, "sweep");
    if (r.any())
      export_head_map(state, r, a.sweep->effect,
                      std::string("sweep_") + std::string(ablation_mode_name(a.mode)),
                      "logit difference lost when each head is " +
                          std::string(ablation_mode_name(a.mode)) + "-ablated",
                      Colormap::diverging, "effect (clean − ablated)");
  }
  help_marker(
      "Ablates each head alone and records how much the logit difference drops "
      "(clean − ablated; positive: the head helps the answer).");
  ImGui::EndChild();
  ImGui::SameLine();

  ImGui::BeginChild("ablate_right", ImVec2(0, 0), false);
  std::string list;
  for (const HeadRef& h : a.heads) list += (list.empty() ? "" : " ") + head_label(h);
  ImGui::Text("Ablated (%s): %s", std::string(ablation_mode_name(a.mode)).c_str(),
              list.empty() ? "none" : list.c_str());
  if (a.metric_valid) {
    const double delta = a.logit_diff_after - a.logit_diff_before;
    ImGui::Text("logit diff  %.3f → %.3f  (%+.3f)", a.logit_diff_before, a.logit_diff_after, delta);
  } else if (!a.metric_error.empty()) {
    ImGui::TextColored(ImVec4(1, 0.55f, 0.5f, 1), "%s", a.metric_error.c_str());
  }
  if (a.effect) draw_next_token_table(state, *a.effect, "ablation_effect");
  ImGui::EndChild();
}

}  // namespace attnscope::ui
