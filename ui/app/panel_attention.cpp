// panel_attention.cpp — the attention view: a layer × head grid of small maps (click to focus),
// the focused head (or an average over heads) as a large heatmap or a BertViz-style line view.
#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/export/attention_lines.h"
#include "core/export/data_export.h"
#include "core/export/figure_svg.h"
#include "core/export/heatmap_png.h"
#include "ui/app/actions.h"
#include "ui/app/figure_export.h"
#include "ui/app/panels.h"
#include "ui/app/widgets.h"

namespace attnscope::ui {

namespace {

// GPU images of the current run, rebuilt when the run, the focus or the theme changes.
struct AttentionImages {
  int serial = -1;
  bool dark = true;
  std::vector<MatrixImage> thumbs;  // layer-major
  MatrixImage focused;
  HeadRef focused_head{-1, -1};
  Aggregate aggregate = Aggregate::head;
};

AttentionImages& images() {
  static AttentionImages cache;
  return cache;
}

// The matrix the detail view shows: one head, or the mean over the layer's or all heads.
std::vector<float> detail_values(const Run& run, HeadRef focus, Aggregate aggregate) {
  const std::size_t T = run.ids.size(), TT = T * T;
  std::vector<float> out(TT, 0.0f);
  int count = 0;
  for (int l = 0; l < int(run.patterns.size()); l++) {
    const Tensor& p = run.patterns[l];
    const int H = int(p.shape()[0]);
    for (int h = 0; h < H; h++) {
      const bool take = aggregate == Aggregate::all_mean ||
                        (aggregate == Aggregate::layer_mean && l == focus.layer) ||
                        (aggregate == Aggregate::head && l == focus.layer && h == focus.head);
      if (!take) continue;
      const float* src = p.data() + std::size_t(h) * TT;
      for (std::size_t i = 0; i < TT; i++) out[i] += src[i];
      count++;
    }
  }
  if (count > 1)
    for (float& v : out) v /= float(count);
  return out;
}

std::string detail_title(const AppState& state) {
  switch (state.aggregate) {
    case Aggregate::head:
      return head_label(state.focus);
    case Aggregate::layer_mean:
      return "L" + std::to_string(state.focus.layer) + " mean of heads";
    case Aggregate::all_mean:
      return "mean of all heads";
  }
  return "";
}

void refresh_images(AppState& state) {
  AttentionImages& im = images();
  const Run& run = *state.run;
  const bool dark = state.theme == Theme::dark;
  const int T = int(run.ids.size());
  if (im.serial != run.serial || im.dark != dark) {
    im.thumbs.clear();
    for (const Tensor& p : run.patterns) {
      const int H = int(p.shape()[0]);
      for (int h = 0; h < H; h++) {
        int r = 0, c = 0;
        std::vector<float> small = downsample(p.data() + std::size_t(h) * T * T, T, T, 64, r, c);
        MatrixImage image;
        set_matrix(image, std::move(small), r, c, Colormap::sequential, 0, 1, true, dark);
        im.thumbs.push_back(std::move(image));
      }
    }
    im.focused_head = {-1, -1};
  }
  if (im.serial != run.serial || im.dark != dark || im.focused_head != state.focus ||
      im.aggregate != state.aggregate) {
    std::vector<float> values = detail_values(run, state.focus, state.aggregate);
    float vmax = 0;
    for (float v : values) vmax = std::max(vmax, v);
    set_matrix(im.focused, std::move(values), T, T, Colormap::sequential, 0,
               state.aggregate == Aggregate::head ? 1.0f : std::max(vmax, 1e-6f), true, dark);
    im.focused_head = state.focus;
    im.aggregate = state.aggregate;
  }
  im.serial = run.serial;
  im.dark = dark;
}

void draw_grid(AppState& state, float width) {
  const Run& run = *state.run;
  const AttentionImages& im = images();
  const int L = int(run.patterns.size()), H = int(run.patterns[0].shape()[0]);
  const float label_w = ImGui::CalcTextSize("L00").x + 6;
  const float thumb = std::clamp((width - label_w) / float(H) - 4, 22.0f, 96.0f);
  ImGui::BeginChild("grid", ImVec2(width, 0), true);
  ImDrawList* draw = ImGui::GetWindowDrawList();
  ImGui::Dummy(ImVec2(label_w, 0));
  for (int h = 0; h < H; h++) {
    ImGui::SameLine(label_w + 8 + h * (thumb + 4));
    if (thumb >= 26 || h % 2 == 0) ImGui::Text("H%d", h);
  }
  for (int l = 0; l < L; l++) {
    ImGui::AlignTextToFramePadding();
    ImGui::Text("L%d", l);
    for (int h = 0; h < H; h++) {
      ImGui::SameLine(label_w + 8 + h * (thumb + 4));
      const HeadRef head{l, h};
      const MatrixImage& image = im.thumbs[std::size_t(l) * H + h];
      ImGui::PushID(l * 4096 + h);
      const ImVec2 pos = ImGui::GetCursorScreenPos();
      if (ImGui::InvisibleButton("thumb", ImVec2(thumb, thumb))) {
        state.focus = head;
        if (state.aggregate == Aggregate::all_mean) state.aggregate = Aggregate::head;
      }
      mark_widget(state, "grid." + head_label(head));
      draw->AddImage(image.texture.id(), pos, ImVec2(pos.x + thumb, pos.y + thumb));
      const bool ablated = std::find(state.ablation.heads.begin(), state.ablation.heads.end(),
                                     head) != state.ablation.heads.end();
      if (ablated)
        draw->AddRect(pos, ImVec2(pos.x + thumb, pos.y + thumb), IM_COL32(255, 64, 64, 255), 0, 0,
                      3);
      if (state.focus == head)
        draw->AddRect(ImVec2(pos.x - 2, pos.y - 2), ImVec2(pos.x + thumb + 2, pos.y + thumb + 2),
                      ImGui::GetColorU32(ImGuiCol_Text), 0, 0, 2);
      if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::Text("%s%s", head_label(head).c_str(), ablated ? " (ablated)" : "");
        if (run.sinks) {
          const HeadSinks& s = run.sinks->at(l, h);
          ImGui::Text("sink mass %.2f (hidden %.2f), %zu sinks", s.mass, s.hidden_mass,
                      s.sinks.size());
        }
        ImGui::TextDisabled("click to focus");
        ImGui::EndTooltip();
      }
      ImGui::PopID();
    }
  }
  ImGui::EndChild();
}

// BertViz-style: queries on the left, keys on the right, a line per (query, key) whose opacity is
// the weight. Hovering a query shows only its lines. Only visible rows are drawn.
void draw_lines(AppState& state, const MatrixImage& image) {
  const Run& run = *state.run;
  const int T = image.rows;
  const float row_h = ImGui::GetTextLineHeightWithSpacing() + 2;
  ImGui::BeginChild("lines", ImVec2(0, 0), true);
  const float width = ImGui::GetContentRegionAvail().x;
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::Dummy(ImVec2(width, row_h * T));
  const float scroll = ImGui::GetScrollY(), view_h = ImGui::GetWindowHeight();
  const int first = std::max(0, int(scroll / row_h) - 1);
  const int last = std::min(T - 1, int((scroll + view_h) / row_h) + 1);
  const float col_w = std::min(180.0f, width * 0.3f);
  const float left_x = origin.x + col_w, right_x = origin.x + width - col_w;
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  int hovered = -1;
  if (ImGui::IsWindowHovered() && mouse.x < left_x + 10) {
    hovered = int((mouse.y - origin.y) / row_h);
    if (hovered < 0 || hovered >= T) hovered = -1;
  }
  if (hovered >= 0) state.hover_query = hovered;
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  for (int q = first; q <= last; q++) {
    const float y = origin.y + q * row_h + row_h * 0.5f;
    const std::string& tok = run.tokens[q];
    const float tw = ImGui::CalcTextSize(tok.c_str()).x;
    draw->AddText(ImVec2(left_x - tw - 8, y - row_h * 0.4f),
                  q == hovered ? IM_COL32(90, 170, 255, 255) : text, tok.c_str());
    draw->AddText(ImVec2(right_x + 8, y - row_h * 0.4f), text, tok.c_str());
  }
  // Lines: for the hovered query, or for every visible query when none is hovered.
  const int q0 = hovered >= 0 ? hovered : first, q1 = hovered >= 0 ? hovered : last;
  for (int q = q0; q <= q1; q++) {
    const float yq = origin.y + q * row_h + row_h * 0.5f;
    for (int k = 0; k <= std::min(q, T - 1); k++) {
      const float w = image.values[std::size_t(q) * T + k];
      if (w < 0.02f) continue;
      const float yk = origin.y + k * row_h + row_h * 0.5f;
      const int alpha = int(std::min(1.0f, w) * (hovered >= 0 ? 255 : 160));
      draw->AddLine(ImVec2(left_x, yq), ImVec2(right_x, yk), IM_COL32(90, 170, 255, alpha),
                    1.0f + 3.0f * w);
    }
  }
  ImGui::EndChild();
}

void export_detail(AppState& state, const ExportRequest& request) {
  const Run& run = *state.run;
  const MatrixImage& image = images().focused;
  const std::string title = detail_title(state);
  std::string stem = title;
  std::replace(stem.begin(), stem.end(), ' ', '_');
  stem = state.model_name + "_" + stem;
  if ((request.png || request.svg) && state.attention_view == AttentionView::lines) {
    // The line view exports as lines (every query's), the heatmap view as a heatmap.
    AttentionLinesSpec lines;
    lines.pattern = image.values.data();
    lines.tokens = image.rows;
    lines.labels = run.tokens;
    lines.title = state.model_name + " " + title;
    if (request.png) {
      auto png = render_attention_lines_png(lines, state.export_scale);
      if (!png) return set_error(state, png.error().to_string());
      save_export(state, stem + "_lines.png", *png, "image/png");
    }
    if (request.svg) {
      auto svg = render_attention_lines_svg(lines);
      if (!svg) return set_error(state, svg.error().to_string());
      save_export(state, stem + "_lines.svg", *svg, "image/svg+xml");
    }
  } else if (request.png || request.svg) {
    HeatmapSpec spec = attention_pattern_spec(image.values.data(), image.rows, run.tokens);
    spec.title = state.model_name + " " + title;
    spec.vmax = image.vmax;  // a mean over heads may not reach 1
    spec.colormap = export_colormap(state, spec.colormap);
    if (request.png) {
      auto png = render_heatmap_png(spec, state.export_scale);
      if (!png) return set_error(state, png.error().to_string());
      save_export(state, stem + ".png", *png, "image/png");
    }
    if (request.svg) {
      auto svg = render_heatmap_svg(spec);
      if (!svg) return set_error(state, svg.error().to_string());
      save_export(state, stem + ".svg", *svg, "image/svg+xml");
    }
  }
  Tensor matrix = xt::zeros<float>({std::size_t(image.rows), std::size_t(image.cols)});
  std::copy(image.values.begin(), image.values.end(), matrix.data());
  ExportInfo info{{{"query", run.tokens}, {"key", run.tokens}},
                  {{"model", state.model_name}, {"view", title}, {"prompt", state.ran_prompt}}};
  save_data_exports(state, request.csv, request.json, matrix, info, stem);
}

void export_grid(AppState& state, bool svg) {
  const Run& run = *state.run;
  std::vector<HeatmapSpec> cells;
  for (int l = 0; l < int(run.patterns.size()); l++) {
    const int H = int(run.patterns[l].shape()[0]);
    for (int h = 0; h < H; h++) {
      const int T = int(run.tokens.size());
      HeatmapSpec spec = attention_pattern_spec(
          run.patterns[l].data() + std::size_t(h) * std::size_t(T) * std::size_t(T), T, run.tokens);
      spec.title = head_label({l, h});
      spec.colormap = export_colormap(state, spec.colormap);
      cells.push_back(std::move(spec));
    }
  }
  const int H = int(run.patterns[0].shape()[0]);
  const std::string title = state.model_name + ": attention of every head";
  if (svg) {
    auto text = render_heatmap_grid_svg(cells, H, title);
    if (!text) return set_error(state, text.error().to_string());
    return save_export(state, state.model_name + "_grid.svg", *text, "image/svg+xml");
  }
  auto png = render_heatmap_grid_png(cells, H, title, state.export_scale);
  if (!png) return set_error(state, png.error().to_string());
  save_export(state, state.model_name + "_grid.png", *png, "image/png");
}

}  // namespace

void draw_attention_panel(AppState& state) {
  if (!state.run) {
    ImGui::TextDisabled("The attention of every head appears here once the prompt has run.");
    return;
  }
  refresh_images(state);
  const float avail = ImGui::GetContentRegionAvail().x;
  const int H = int(state.run->patterns[0].shape()[0]);
  const float grid_w = std::min(avail * 0.42f, 40.0f + H * 70.0f);
  ImGui::BeginGroup();
  ImGui::TextDisabled("Layer × head (click to focus)");
  ImGui::SameLine();
  if (ImGui::SmallButton("Grid PNG")) export_grid(state, false);
  mark_widget(state, "export.grid.png");
  ImGui::SameLine();
  if (ImGui::SmallButton("SVG##grid")) export_grid(state, true);
  mark_widget(state, "export.grid.svg");
  draw_grid(state, grid_w);
  ImGui::EndGroup();
  ImGui::SameLine();

  ImGui::BeginGroup();
  const char* shows[] = {"focused head", "mean over the layer's heads", "mean over all heads"};
  int aggregate = int(state.aggregate);
  ImGui::SetNextItemWidth(200);
  if (ImGui::Combo("##aggregate", &aggregate, shows, 3)) state.aggregate = Aggregate(aggregate);
  ImGui::SameLine();
  int view = int(state.attention_view);
  ImGui::RadioButton("Heatmap", &view, 0);
  ImGui::SameLine();
  ImGui::RadioButton("Lines", &view, 1);
  state.attention_view = AttentionView(view);
  ImGui::SameLine();
  bool fit = state.cell_px <= 0;
  if (ImGui::Checkbox("Fit", &fit)) state.cell_px = fit ? 0 : 16;
  if (!fit) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(100);
    ImGui::SliderFloat("##zoom", &state.cell_px, 2, 64, "%.0f px");
  }
  ImGui::SameLine();
  const ExportRequest request = export_buttons(state, "detail");
  if (request.any()) export_detail(state, request);

  ImGui::Text("%s", detail_title(state).c_str());
  const MatrixImage& image = images().focused;
  const ImVec2 region = ImGui::GetContentRegionAvail();
  if (state.attention_view == AttentionView::heatmap) {
    ImGui::BeginGroup();
    // The focused head's sinks are marked above their key columns.
    std::vector<int> sinks;
    if (state.aggregate == Aggregate::head && state.run->sinks)
      for (const SinkToken& s : state.run->sinks->at(state.focus.layer, state.focus.head).sinks)
        sinks.push_back(s.position);
    const MatrixHover hover = draw_matrix(
        "detail", image, state.run->tokens, state.run->tokens, state.cell_px, "query", "key",
        ImVec2(region.x - 80, 0),
        state.hover_query >= 0 ? std::optional<int>(state.hover_query) : std::nullopt, sinks);
    mark_widget(state, "detail");
    // The cells' own rectangle, for tests that hover a given (query, key).
    state.widgets["detail.map"] = {hover.map_pos.x, hover.map_pos.y, hover.cell_px * image.cols,
                                   hover.cell_px * image.rows};
    ImGui::EndGroup();
    state.hover_query = hover.row;
    state.hover_key = hover.col;
    state.hover_value = hover.value;
    ImGui::SameLine();
    draw_colorbar(Colormap::sequential, image.vmin, image.vmax, std::min(region.y - 20, 300.0f));
  } else {
    state.hover_query = -1;
    state.hover_key = -1;
    draw_lines(state, image);
  }
  ImGui::EndGroup();
  if (state.first_map_seconds < 0)
    state.first_map_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - state.started).count();
}

}  // namespace attnscope::ui
