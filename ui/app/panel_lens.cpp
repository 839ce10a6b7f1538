// panel_lens.cpp — the logit lens of the run on screen (core/analysis/logit_lens.h, computed in
// readout_jobs.cpp): each layer's residual stream read through the final norm and the
// unembedding. A table of the top token per layer × position (hover: the top five and their
// probabilities), the rank and probability of one followed token per layer, and each head's
// direct logit attribution to that token as a layer × head map.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ui/app/actions.h"
#include "ui/app/figure_export.h"
#include "ui/app/panels.h"
#include "ui/app/widgets.h"

namespace attnscope::ui {

namespace {

// Rows are each block's input stream, then the final stream (logit_lens.h).
std::string row_name(int row, int n_layers) {
  return row < n_layers ? "L" + std::to_string(row) + " in" : "final";
}

void draw_settings(AppState& state) {
  LensState& lens = state.lens;
  const int T = int(state.run->ids.size());
  ImGui::SetNextItemWidth(120);
  // Taken on Enter, so that a half-typed token does not start a lens (and an error) per key.
  if (input_text("followed token", lens.target_input, ImGuiInputTextFlags_EnterReturnsTrue))
    lens.target = lens.target_input;
  mark_widget(state, "lens.target");
  help_marker(
      "One token whose probability and rank are read at every layer, and that each head's "
      "direct logit attribution is measured towards. Empty: the model's own top next token. "
      "Press Enter after typing.");
  ImGui::SameLine();
  int position = lens.position < 0 || lens.position >= T ? T - 1 : lens.position;
  ImGui::SetNextItemWidth(180);
  if (ImGui::SliderInt("position", &position, 0, T - 1))
    lens.position = position == T - 1 ? -1 : position;  // -1 follows the last as prompts change
  mark_widget(state, "lens.position");
  help_marker("Where the followed token's rank, probability and the heads' attribution are read.");
  if (lens.result) {
    ImGui::SameLine();
    ImGui::Text("following %s at position %d", lens.target_shown.c_str(), lens.result->position);
  }
}

// The top token of every row × position as coloured cells (probability, viridis); only the
// columns in view are drawn, so a long prompt costs what the screen shows.
void draw_top_tokens(AppState& state, const LogitLens& r) {
  LensState& lens = state.lens;
  const Model& model = *state.model;
  const Run& run = *state.run;
  const int n_layers = model.config().n_layers;
  const float line_h = ImGui::GetTextLineHeight();
  const float cell_w = 84, cell_h = line_h + 8, label_w = 64, header_h = line_h + 6;
  const ImGuiStyle& style = ImGui::GetStyle();
  const ImVec2 content(label_w + cell_w * float(r.positions), header_h + cell_h * float(r.rows));
  // Room for the rows and the horizontal scrollbar a long prompt needs.
  const float height = std::min(ImGui::GetContentRegionAvail().y * 0.5f,
                                content.y + 2 * style.WindowPadding.y + style.ScrollbarSize + 2);
  ImGui::SetNextWindowContentSize(content);
  ImGui::BeginChild("lens_table", ImVec2(0, height), true, ImGuiWindowFlags_HorizontalScrollbar);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::Dummy(content);
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImVec2 win_pos = ImGui::GetWindowPos(), win_size = ImGui::GetWindowSize();
  const float scroll_x = ImGui::GetScrollX();
  const int first = std::max(0, int((scroll_x - label_w) / cell_w));
  const int last = std::min(r.positions - 1, int((scroll_x + win_size.x) / cell_w) + 1);
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  const ImU32 dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  const bool window_hovered = ImGui::IsWindowHovered();
  lens.hover_row = lens.hover_col = -1;
  for (int t = first; t <= last; t++) {
    const float x = origin.x + label_w + cell_w * float(t);
    char head[64];
    std::snprintf(head, sizeof head, "%d %s", t, run.tokens[std::size_t(t)].c_str());
    draw->AddText(ImVec2(x + 3, origin.y + 2), dim, fit_text(head, cell_w - 6).c_str());
    for (int row = 0; row < r.rows; row++) {
      const LensToken& top = r.top_at(row, t, 0);
      const ImVec2 lo(x, origin.y + header_h + cell_h * float(row));
      const ImVec2 hi(lo.x + cell_w - 2, lo.y + cell_h - 2);
      const Rgb rgb = sample(Colormap::viridis, std::clamp(top.prob, 0.0f, 1.0f));
      draw->AddRectFilled(lo, hi, to_imu32(rgb), 2);
      const float lum = 0.299f * rgb.r + 0.587f * rgb.g + 0.114f * rgb.b;
      draw->AddText(ImVec2(lo.x + 4, lo.y + 4),
                    lum > 140 ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255),
                    fit_text(model.token_display(top.id), cell_w - 10).c_str());
      if (window_hovered && mouse.x >= lo.x && mouse.x < hi.x + 2 && mouse.y >= lo.y &&
          mouse.y < hi.y + 2 && mouse.x > win_pos.x + label_w) {
        draw->AddRect(lo, hi, IM_COL32(255, 255, 255, 230), 2, 0, 2);
        lens.hover_row = row;
        lens.hover_col = t;
        lens.hover_token = model.token_display(top.id);
        lens.hover_value = top.prob;
        ImGui::BeginTooltip();
        ImGui::Text("%s, position %d %s", row_name(row, n_layers).c_str(), t,
                    run.tokens[std::size_t(t)].c_str());
        for (int i = 0; i < r.top_k; i++) {
          const LensToken& k = r.top_at(row, t, i);
          ImGui::Text("%d. %-14s p = %.4f", i + 1, model.token_display(k.id).c_str(),
                      double(k.prob));
        }
        if (r.target >= 0 && r.target_prob.dimension() == 2 && r.target_prob.shape()[0] > 0)
          ImGui::TextDisabled("%s: p = %.4f, rank %d", state.lens.target_shown.c_str(),
                              double(r.target_prob(row, t)), int(r.target_rank(row, t)));
        ImGui::EndTooltip();
      }
    }
  }
  // Row names, pinned to the left while the table scrolls sideways.
  draw->AddRectFilled(ImVec2(win_pos.x + 1, win_pos.y + 1),
                      ImVec2(win_pos.x + label_w, win_pos.y + win_size.y - 1),
                      ImGui::GetColorU32(ImGuiCol_WindowBg));
  for (int row = 0; row < r.rows; row++)
    draw->AddText(ImVec2(win_pos.x + 6, origin.y + header_h + cell_h * float(row) + 4), text,
                  row_name(row, n_layers).c_str());
  ImGui::EndChild();
  mark_widget(state, "lens.table");
  state.widgets["lens.cells"] = {origin.x + label_w - scroll_x, origin.y + header_h,
                                 cell_w * float(r.positions), cell_h * float(r.rows)};
}

// The followed token's probability and rank per layer, at the chosen position.
void draw_target_rows(AppState& state, const LogitLens& r) {
  const int n_layers = state.model->config().n_layers;
  std::vector<float> probs;
  for (int row = 0; row < r.rows; row++) probs.push_back(r.target_prob(row, r.position));
  char overlay[64];
  std::snprintf(overlay, sizeof overlay, "p(%s) by layer", state.lens.target_shown.c_str());
  ImGui::PlotLines("##lensprob", probs.data(), int(probs.size()), 0, overlay, 0.0f, 1.0f,
                   ImVec2(ImGui::GetContentRegionAvail().x, 80));
  const ExportRequest request = export_buttons(state, "lens_prob");
  if (request.any()) {
    LineChartSpec chart;
    chart.title =
        "p(" + state.lens.target_shown + ") by layer at position " + std::to_string(r.position);
    chart.x_axis = "residual stream";
    chart.y_axis = "probability";
    chart.y_min = 0;
    chart.y_max = 1;
    LineSeries s;
    s.markers = true;
    for (int row = 0; row < r.rows; row++) {
      chart.x_categories.push_back(row_name(row, n_layers));
      s.x.push_back(row);
      s.y.push_back(probs[std::size_t(row)]);
    }
    chart.series.push_back(std::move(s));
    export_chart(state, request, std::move(chart), "lens_probability");
  }
  if (!ImGui::BeginTable(
          "lens_target", 3,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit))
    return;
  // Fixed widths: the table's first frame has no measured content to fit (see panel_massive).
  const float em = ImGui::GetFontSize();
  ImGui::TableSetupColumn("layer", ImGuiTableColumnFlags_WidthFixed, 5 * em);
  ImGui::TableSetupColumn("probability", ImGuiTableColumnFlags_WidthFixed, 7 * em);
  ImGui::TableSetupColumn("rank", ImGuiTableColumnFlags_WidthFixed, 5 * em);
  ImGui::TableHeadersRow();
  for (int row = 0; row < r.rows; row++) {
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);
    ImGui::TextUnformatted(row_name(row, n_layers).c_str());
    ImGui::TableSetColumnIndex(1);
    ImGui::Text("%.4f", double(r.target_prob(row, r.position)));
    ImGui::TableSetColumnIndex(2);
    ImGui::Text("%d", int(r.target_rank(row, r.position)));
  }
  ImGui::EndTable();
  mark_widget(state, "lens.rank");
}

void draw_dla(AppState& state, const LogitLens& r) {
  LensState& lens = state.lens;
  ImGui::Text("Direct logit attribution to %s", lens.target_shown.c_str());
  ImGui::SameLine();
  const ExportRequest request = export_buttons(state, "dla", true);
  if (request.any()) {
    MapExport map;
    map.values = &r.head_dla;
    map.name = "dla_" + std::to_string(r.position);
    map.title = "direct logit attribution to " + lens.target_shown + " at position " +
                std::to_string(r.position);
    map.row_axis = "layer";
    map.col_axis = "head";
    map.value_label = "logit contribution";
    map.row_labels = index_labels("L", int(r.head_dla.shape()[0]));
    map.col_labels = index_labels("H", int(r.head_dla.shape()[1]));
    map.colormap = Colormap::diverging;
    map.annotate = true;
    map.meta = {{"target", lens.target_shown}, {"target_id", r.target}, {"position", r.position}};
    export_map(state, request, map);
  }
  help_marker(
      "What each head writes into the residual stream at this position, read through the "
      "unembedding of the followed token (the final norm's scale taken from the final stream). "
      "Positive: the head pushes the token up.");
  const float vmax = std::max(1e-6f, float(xt::amax(xt::abs(r.head_dla))()));
  HeadMapStyle style;
  style.colormap = Colormap::diverging;
  style.vmin = -vmax;
  style.vmax = vmax;
  style.cell = std::clamp((ImGui::GetContentRegionAvail().x - 120) / float(r.head_dla.shape()[1]),
                          20.0f, 52.0f);
  style.value_name = "logit contribution";
  style.format = "%+.3f";
  style.show_values = true;
  style.marks = &state.widgets;
  style.mark_prefix = "dla.";
  std::optional<HeadRef> hovered;
  style.hovered = &hovered;
  if (auto head = draw_head_map("dla", r.head_dla, {}, state.focus, style)) state.focus = *head;
  if (hovered) {
    lens.hover_row = hovered->layer;
    lens.hover_col = hovered->head;
    lens.hover_token.clear();
    lens.hover_value = r.head_dla(hovered->layer, hovered->head);
  }
  ImGui::SameLine();
  draw_colorbar(
      Colormap::diverging, -vmax, vmax,
      std::min(ImGui::GetTextLineHeight() + style.cell * float(r.head_dla.shape()[0]), 240.0f));
}

}  // namespace

void draw_lens_panel(AppState& state) {
  if (!state.run) {
    ImGui::TextDisabled("The logit lens appears here once the prompt has run.");
    return;
  }
  ensure_lens(state);
  draw_settings(state);
  LensState& lens = state.lens;
  if (!lens.error.empty()) {
    ImGui::TextColored(ImVec4(1, 0.55f, 0.5f, 1), "%s", lens.error.c_str());
    return;
  }
  if (!lens.result) {
    ImGui::TextDisabled("reading every layer through the unembedding…");
    return;
  }
  const LogitLens& r = *lens.result;
  ImGui::TextDisabled("Top token per layer × position (colour: its probability; hover: top %d)",
                      r.top_k);
  draw_top_tokens(state, r);
  const float left_w = std::min(ImGui::GetContentRegionAvail().x * 0.4f, 420.0f);
  ImGui::BeginChild("lens_rank", ImVec2(left_w, 0), false);
  ImGui::Text("%s at position %d, by layer", lens.target_shown.c_str(), r.position);
  draw_target_rows(state, r);
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("lens_dla", ImVec2(0, 0), false);
  draw_dla(state, r);
  ImGui::EndChild();
}

}  // namespace attnscope::ui
