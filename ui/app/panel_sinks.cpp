// panel_sinks.cpp — attention sinks (first token and hidden ones) per head, and ACT calibration
// (Yu et al. 2024) with the next-token distribution before and after.
#include <imgui.h>

#include <algorithm>
#include <cstdio>

#include "ui/app/actions.h"
#include "ui/app/figure_export.h"
#include "ui/app/panels.h"
#include "ui/app/widgets.h"

namespace attnscope::ui {

// Shared with the ablation panel: a before/after table of the top next tokens.
void draw_next_token_table(const AppState& state, const NextTokenEffect& effect, const char* id);

// A layer × head map as a figure, and its data, through the host.
void export_head_map(AppState& state, const ExportRequest& request, const Tensor& values,
                     const std::string& name, const std::string& title, Colormap colormap,
                     const std::string& value_label) {
  MapExport map;
  map.values = &values;
  map.name = name;
  map.title = title;
  map.row_axis = "layer";
  map.col_axis = "head";
  map.value_label = value_label;
  map.row_labels = index_labels("L", int(values.shape()[0]));
  map.col_labels = index_labels("H", int(values.shape()[1]));
  map.colormap = colormap;
  map.annotate = true;
  export_map(state, request, map);
}

void draw_next_token_table(const AppState& state, const NextTokenEffect& effect, const char* id) {
  if (!ImGui::BeginTable(id, 4,
                         ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                             ImGuiTableFlags_SizingStretchProp))
    return;
  ImGui::TableSetupColumn("before");
  ImGui::TableSetupColumn("p");
  ImGui::TableSetupColumn("after");
  ImGui::TableSetupColumn("p ");
  ImGui::TableHeadersRow();
  const Model& model = *state.model;
  const std::size_t n = std::max(effect.top_before.size(), effect.top_after.size());
  for (std::size_t i = 0; i < n; i++) {
    ImGui::TableNextRow();
    if (i < effect.top_before.size()) {
      const TokenChange& t = effect.top_before[i];
      ImGui::TableSetColumnIndex(0);
      ImGui::TextUnformatted(model.token_display(t.id).c_str());
      ImGui::TableSetColumnIndex(1);
      ImGui::Text("%.3f → %.3f", t.before, t.after);
    }
    if (i < effect.top_after.size()) {
      const TokenChange& t = effect.top_after[i];
      ImGui::TableSetColumnIndex(2);
      ImGui::TextUnformatted(model.token_display(t.id).c_str());
      ImGui::TableSetColumnIndex(3);
      ImGui::Text("%.3f", t.after);
    }
  }
  ImGui::EndTable();
  ImGui::Text("KL(before ‖ after) = %.4f nats", effect.kl);
}

void draw_sinks_panel(AppState& state) {
  if (!state.run || !state.run->sinks) {
    ImGui::TextDisabled("Sinks appear once the prompt has run.");
    return;
  }
  const SinkSummary& sinks = *state.run->sinks;
  const Run& run = *state.run;

  // Detection settings: the paper's fixed τ, or α / N that scales with the prompt.
  SinkOptions& o = state.sinks.options;
  bool changed = false;
  int criterion = int(o.criterion);
  ImGui::SetNextItemWidth(160);
  changed |= ImGui::Combo("##criterion", &criterion, "score > τ (paper)\0score > α / N\0");
  o.criterion = SinkCriterion(criterion);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(120);
  if (o.criterion == SinkCriterion::threshold)
    changed |= ImGui::SliderFloat("τ", &o.tau, 0.01f, 0.9f, "%.2f");
  else
    changed |= ImGui::SliderFloat("α", &o.alpha, 1.0f, 20.0f, "%.1f");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(100);
  changed |= ImGui::SliderInt("min queries", &o.min_queries, 1, 16);
  help_marker(
      "A key is a sink when the mean attention it gets from the queries that see it exceeds the "
      "cutoff (Yu et al. 2024). Keys near the end are seen by few queries; 'min queries' drops "
      "keys seen by fewer.");
  if (changed) run_prompt(state);
  ImGui::Text("%d heads with a first-token sink, %d with hidden sinks (cutoff %.3f)",
              sinks.heads_with_first_token_sink, sinks.heads_with_hidden_sink, sinks.cutoff);

  const float left_w = std::min(ImGui::GetContentRegionAvail().x * 0.5f, 520.0f);
  ImGui::BeginChild("sinkmaps", ImVec2(left_w, 0), false);
  ImGui::TextUnformatted("Sink mass per head");
  ImGui::SameLine();
  const ExportRequest mass_export = export_buttons(state, "sinkmass");
  if (mass_export.any())
    export_head_map(state, mass_export, sinks.mass, "sink_mass", "share of attention on sinks",
                    Colormap::magma, "sink mass");
  HeadMapStyle style;
  style.colormap = Colormap::magma;
  style.value_name = "sink mass";
  style.format = "%.2f";
  style.show_values = true;
  style.cell = std::clamp((left_w - 40) / float(sinks.n_heads), 20.0f, 48.0f);
  const std::vector<HeadRef>& picked = state.calibration.heads;
  if (auto head = draw_head_map("mass", sinks.mass,
                                state.calibration.all_hidden ? std::vector<HeadRef>{} : picked,
                                state.focus, style)) {
    state.focus = *head;
    if (!state.calibration.all_hidden) {
      auto& heads = state.calibration.heads;
      auto it = std::find(heads.begin(), heads.end(), *head);
      if (it == heads.end())
        heads.push_back(*head);
      else
        heads.erase(it);
      refresh_calibration(state);
    }
  }
  mark_widget(state, "sinks.map");
  ImGui::TextUnformatted("Hidden sink mass (sinks after the first token)");
  style.colormap = Colormap::viridis;
  draw_head_map("hidden", sinks.hidden_mass, {}, state.focus, style);

  section("ACT calibration");
  if (ImGui::Checkbox("Calibrate hidden sinks", &state.calibration.enabled)) {
    if (state.calibration.enabled) refresh_calibration(state);
  }
  mark_widget(state, "calibration.toggle");
  help_marker(
      "ACT (Yu et al. 2024): in the chosen heads, attention to every sink but the first is "
      "scaled by β and the freed mass goes to the other keys in proportion, at every forward "
      "pass. Compare the next-token distribution before and after.");
  ImGui::SetNextItemWidth(160);
  if (ImGui::SliderFloat("β", &state.calibration.beta, 0.0f, 1.0f, "%.2f") &&
      state.calibration.enabled)
    refresh_calibration(state);
  int which = state.calibration.all_hidden ? 0 : 1;
  if (ImGui::RadioButton("every head with a hidden sink", &which, 0) ||
      ImGui::RadioButton("heads I click in the map", &which, 1)) {
    state.calibration.all_hidden = which == 0;
    if (state.calibration.enabled) refresh_calibration(state);
  }
  if (state.calibration.enabled && state.calibration.effect) {
    ImGui::Text("%zu heads calibrated", state.calibration.applied.size());
    draw_next_token_table(state, *state.calibration.effect, "calibration_effect");
  }
  ImGui::EndChild();
  ImGui::SameLine();

  // Per-head table (the clipper draws only the visible rows), and below it the massive
  // activations the sinks usually sit on.
  ImGui::BeginChild("sinktable", ImVec2(0, 0), false);
  const float table_h = ImGui::GetContentRegionAvail().y * 0.55f;
  if (ImGui::BeginTable("sinks", 4,
                        ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                            ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable,
                        ImVec2(0, table_h))) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("head", ImGuiTableColumnFlags_WidthFixed, 50);
    ImGui::TableSetupColumn("mass", ImGuiTableColumnFlags_WidthFixed, 50);
    ImGui::TableSetupColumn("hidden", ImGuiTableColumnFlags_WidthFixed, 50);
    ImGui::TableSetupColumn("sinks (position token: score)");
    ImGui::TableHeadersRow();
    ImGuiListClipper clipper;
    clipper.Begin(int(sinks.heads.size()));
    while (clipper.Step())
      for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; i++) {
        const HeadSinks& h = sinks.heads[std::size_t(i)];
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        if (ImGui::Selectable(head_label(h.head).c_str(), state.focus == h.head,
                              ImGuiSelectableFlags_SpanAllColumns))
          state.focus = h.head;
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("%.2f", h.mass);
        ImGui::TableSetColumnIndex(2);
        ImGui::Text("%.2f", h.hidden_mass);
        ImGui::TableSetColumnIndex(3);
        std::string list;
        for (const SinkToken& s : h.sinks) {
          char buf[96];
          std::snprintf(buf, sizeof buf, "%s%d %s: %.2f", list.empty() ? "" : ", ", s.position,
                        run.tokens[std::size_t(s.position)].c_str(), s.score);
          list += buf;
        }
        ImGui::TextUnformatted(list.empty() ? "-" : list.c_str());
      }
    ImGui::EndTable();
  }
  draw_massive_activations(state);
  ImGui::EndChild();
}

}  // namespace attnscope::ui
