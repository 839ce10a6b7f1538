// panel_massive.cpp — massive activations (Sun et al. 2024) beside the sinks: per layer of the
// residual stream the largest |value| against the median, where it sits (position, channel) and
// the 100× / 1000× flags, from core's massive_activations(). A sink token usually carries one,
// so the position column says when the tokens there is a sink of some head.
#include <imgui.h>

#include <cmath>
#include <cstdio>

#include "ui/app/actions.h"
#include "ui/app/panels.h"
#include "ui/app/widgets.h"

namespace attnscope::ui {

namespace {

// Heads (of the run's sink summary) that have a sink at `position`.
int sink_heads_at(const Run& run, int position) {
  if (!run.sinks) return 0;
  int n = 0;
  for (const HeadSinks& h : run.sinks->heads)
    for (const SinkToken& s : h.sinks)
      if (s.position == position) n++;
  return n;
}

std::string layer_name(int row, int n_layers) {
  return row < n_layers ? "L" + std::to_string(row) + " in" : "final";
}

}  // namespace

void draw_massive_activations(AppState& state) {
  section("Massive activations (Sun et al. 2024)");
  if (!state.run) return;
  ensure_massive(state);
  MassiveState& m = state.massive;
  if (!m.error.empty()) {
    ImGui::TextColored(ImVec4(1, 0.55f, 0.5f, 1), "%s", m.error.c_str());
    return;
  }
  if (m.layers.empty()) {
    ImGui::TextDisabled("computing…");
    return;
  }
  const Run& run = *state.run;
  const int n_layers = state.model->config().n_layers;
  int flagged = 0;
  for (const MassiveLayer& l : m.layers) flagged += l.over_100 ? 1 : 0;
  ImGui::Text("%d of %zu layers over 100× their median", flagged, m.layers.size());
  help_marker(
      "Per layer, the largest |value| of the residual stream entering the block (and the final "
      "stream) against the median |value| over every position and channel. Flagged over 100× "
      "and over 1000× the median; 'massive' when also larger than 100 in absolute terms, the "
      "paper's rule. They usually sit on the first token or a delimiter, the tokens sinks form "
      "on.");
  if (!ImGui::BeginTable("massive", 6,
                         ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                             ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingFixedFit,
                         ImVec2(0, 0)))
    return;
  ImGui::TableSetupScrollFreeze(0, 1);
  // Fixed widths: a table measures its content only from its second frame on, and the first
  // one would otherwise show (or be screenshotted) with columns a character wide.
  const float em = ImGui::GetFontSize();
  ImGui::TableSetupColumn("layer", ImGuiTableColumnFlags_WidthFixed, 3.5f * em);
  ImGui::TableSetupColumn("max |a|", ImGuiTableColumnFlags_WidthFixed, 4.5f * em);
  ImGui::TableSetupColumn("median", ImGuiTableColumnFlags_WidthFixed, 4.0f * em);
  ImGui::TableSetupColumn("× median", ImGuiTableColumnFlags_WidthFixed, 4.5f * em);
  ImGui::TableSetupColumn("position (token), channel", ImGuiTableColumnFlags_WidthFixed,
                          12.0f * em);
  ImGui::TableSetupColumn("flags", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  const ImVec4 hot(1.0f, 0.45f, 0.35f, 1), warm(1.0f, 0.75f, 0.3f, 1);
  for (int r = 0; r < int(m.layers.size()); r++) {
    const MassiveLayer& l = m.layers[std::size_t(r)];
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::PushID(r);
    ImGui::Selectable(layer_name(r, n_layers).c_str(), false, ImGuiSelectableFlags_SpanAllColumns);
    const bool hovered = ImGui::IsItemHovered();
    ImGui::PopID();
    const MassiveValue* top = l.top.empty() ? nullptr : &l.top.front();
    ImGui::TableSetColumnIndex(1);
    ImGui::Text("%.4g", top ? std::fabs(double(top->value)) : 0.0);
    ImGui::TableSetColumnIndex(2);
    ImGui::Text("%.3g", l.median_abs);
    ImGui::TableSetColumnIndex(3);
    if (std::isinf(l.ratio))
      ImGui::TextUnformatted("∞ (median 0)");
    else if (l.over_1000)
      ImGui::TextColored(hot, "%.0f×", l.ratio);
    else if (l.over_100)
      ImGui::TextColored(warm, "%.0f×", l.ratio);
    else
      ImGui::Text("%.1f×", l.ratio);
    ImGui::TableSetColumnIndex(4);
    if (top) {
      const int sinks = sink_heads_at(run, top->position);
      ImGui::Text("%d %s, ch %d%s", top->position,
                  fit_text(run.tokens[std::size_t(top->position)], 90).c_str(), top->channel,
                  sinks > 0 ? "  (sink)" : "");
    }
    ImGui::TableSetColumnIndex(5);
    std::string flags;
    if (l.over_100) flags += "> 100×";
    if (l.over_1000) flags += "  > 1000×";
    if (l.massive) flags += "  massive";
    if (flags.empty())
      ImGui::TextDisabled("-");
    else
      ImGui::TextColored(l.over_1000 ? hot : warm, "%s", flags.c_str());
    if (hovered) {
      ImGui::BeginTooltip();
      ImGui::Text("%s: the largest values (of %zu kept)", layer_name(r, n_layers).c_str(),
                  l.top.size());
      for (const MassiveValue& v : l.top) {
        const int sinks = sink_heads_at(run, v.position);
        ImGui::Text("position %d %s, channel %d: %+.4g", v.position,
                    run.tokens[std::size_t(v.position)].c_str(), v.channel, double(v.value));
        if (sinks > 0) {
          ImGui::SameLine();
          ImGui::TextDisabled("(a sink in %d heads)", sinks);
        }
      }
      ImGui::EndTooltip();
    }
  }
  ImGui::EndTable();
  mark_widget(state, "massive.table");
}

}  // namespace attnscope::ui
