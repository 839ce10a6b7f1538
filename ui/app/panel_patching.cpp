// panel_patching.cpp — activation patching: the prompt on screen is the clean run, a corrupted
// prompt of the same length (typed, or the clean one with one token swapped) the corrupted one;
// core's PatchingSweep (patching_job.cpp) puts each piece of the clean run into the corrupted one
// and the map shows how much of the clean metric comes back, 0 = corrupted, 1 = clean.
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

const char* target_title(PatchTarget target) {
  switch (target) {
    case PatchTarget::resid_pre:
      return "residual stream (resid_pre): layer × position";
    case PatchTarget::attn_out:
      return "attention output (attn_out): layer × position";
    case PatchTarget::mlp_out:
      return "MLP output (mlp_out): layer × position";
    case PatchTarget::head_z:
      return "each head's z, all positions: layer × head";
    case PatchTarget::head_z_position:
      return "the focused head's z: per position";
  }
  return "";
}

// The corrupted prompt's check, redone only when its inputs change (tokenizing every frame would
// cost a long prompt's BPE each frame).
struct CorruptedCheck {
  std::string key;
  Result<std::vector<int>> ids = std::vector<int>{};
};

const Result<std::vector<int>>& corrupted_check(AppState& state) {
  static CorruptedCheck cache;
  PatchingState& p = state.patching;
  const std::string key = std::to_string(state.run->serial) + "\n" + std::to_string(int(p.source)) +
                          "\n" + std::to_string(p.swap_position) + "\n" + p.swap_token + "\n" +
                          p.corrupted_text + "\n" + (state.prompt_is_ids ? "ids" : "text");
  if (cache.key != key) {
    cache.key = key;
    cache.ids = patching_corrupted_ids(state);
    p.check = cache.ids ? std::string() : cache.ids.error().to_string();
  }
  return cache.ids;
}

// The corrupted prompt set up: the swap's position and token, or a text box.
void draw_corruption(AppState& state) {
  PatchingState& p = state.patching;
  const Run& run = *state.run;
  int source = int(p.source);
  ImGui::RadioButton("swap one token", &source, int(CorruptionSource::swap));
  mark_widget(state, "patching.source.swap");
  ImGui::SameLine();
  ImGui::RadioButton("type a corrupted prompt", &source, int(CorruptionSource::typed));
  mark_widget(state, "patching.source.typed");
  p.source = CorruptionSource(source);
  help_marker(
      "The prompt on the left is the clean run. The corrupted run must have as many tokens: "
      "swap one (a name, a number) for another, or type the whole prompt. A leading space is "
      "often part of a token: ' Mary'.");
  if (p.source == CorruptionSource::swap) {
    if (p.swap_position >= int(run.tokens.size())) p.swap_position = -1;
    char preview[96] = "pick a position";
    if (p.swap_position >= 0)
      std::snprintf(preview, sizeof preview, "%d %s", p.swap_position,
                    fit_text(run.tokens[std::size_t(p.swap_position)], 160).c_str());
    ImGui::SetNextItemWidth(220);
    if (ImGui::BeginCombo("position", preview)) {
      for (int i = 0; i < int(run.tokens.size()); i++) {
        char item[96];
        std::snprintf(item, sizeof item, "%d %s", i, run.tokens[std::size_t(i)].c_str());
        ImGui::PushID(i);
        if (ImGui::Selectable(item, p.swap_position == i)) p.swap_position = i;
        ImGui::PopID();
      }
      ImGui::EndCombo();
    }
    mark_widget(state, "patching.position");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(140);
    input_text("replacement token", p.swap_token);
    mark_widget(state, "patching.swap_token");
  } else {
    ImGui::SetNextItemWidth(std::min(ImGui::GetContentRegionAvail().x - 140, 640.0f));
    input_text("corrupted prompt", p.corrupted_text);
    mark_widget(state, "patching.corrupted");
  }
  const Result<std::vector<int>>& ids = corrupted_check(state);
  if (!ids) {
    ImGui::TextColored(ImVec4(1, 0.55f, 0.5f, 1), "%s", ids.error().to_string().c_str());
    mark_widget(state, "patching.check");
    return;
  }
  // The corrupted tokens, the ones that differ from the clean run marked.
  ImGui::TextDisabled("corrupted:");
  for (std::size_t i = 0; i < ids->size(); i++) {
    const bool differs = (*ids)[i] != run.ids[i];
    if (!differs && ids->size() > 24 && i + 3 < ids->size() && i > 2) {
      // Long prompts: only the swapped tokens and the ends, so the line stays readable.
      bool near = false;
      for (std::size_t j = (i > 2 ? i - 2 : 0); j < std::min(ids->size(), i + 3); j++)
        near |= (*ids)[j] != run.ids[j];
      if (!near) continue;
    }
    ImGui::SameLine(0, 4);
    const std::string token = state.model->token_display((*ids)[i]);
    if (differs)
      ImGui::TextColored(ImVec4(1.0f, 0.7f, 0.25f, 1), "[%s → %s]", run.tokens[i].c_str(),
                         token.c_str());
    else
      ImGui::TextUnformatted(token.c_str());
  }
  mark_widget(state, "patching.check");
}

void draw_settings(AppState& state) {
  PatchingState& p = state.patching;
  int metric = p.metric == MetricKind::probability ? 1 : 0;
  ImGui::SetNextItemWidth(170);
  if (ImGui::Combo("metric", &metric, "logit difference\0probability\0"))
    p.metric = metric == 1 ? MetricKind::probability : MetricKind::logit_diff;
  mark_widget(state, "patching.metric");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(90);
  input_text("answer", p.answer);
  mark_widget(state, "patching.answer");
  if (p.metric == MetricKind::logit_diff) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(90);
    input_text("distractor", p.distractor);
    mark_widget(state, "patching.distractor");
  }
  help_marker(
      "Scored at the last position: logit(answer) − logit(distractor), or p(answer). Each is one "
      "token. The map shows (patched − corrupted) / (clean − corrupted): 0 is the corrupted run, "
      "1 the clean run.");
  const PatchTarget targets[] = {PatchTarget::resid_pre, PatchTarget::attn_out,
                                 PatchTarget::mlp_out, PatchTarget::head_z,
                                 PatchTarget::head_z_position};
  ImGui::SetNextItemWidth(340);
  if (ImGui::BeginCombo("patched", target_title(p.target))) {
    for (PatchTarget t : targets)
      if (ImGui::Selectable(target_title(t), p.target == t)) p.target = t;
    ImGui::EndCombo();
  }
  mark_widget(state, "patching.target");
  if (p.target == PatchTarget::head_z_position) {
    ImGui::SameLine();
    ImGui::Text("head %s", head_label(state.focus).c_str());
    help_marker("The focused head: click one in the Attention grid, or move it with the arrows.");
  }
}

// The result as a layer × position (or one row) map, drawn as a texture with token labels.
void draw_position_map(AppState& state, const Tensor& values, float vmax) {
  PatchingState& p = state.patching;
  static MatrixImage image;
  static int image_serial = -1;
  static bool image_dark = true;
  const bool dark = state.theme == Theme::dark;
  const int rows = int(values.shape()[0]), cols = int(values.shape()[1]);
  if (image_serial != p.serial || image_dark != dark) {
    std::vector<float> v(values.data(), values.data() + values.size());
    set_matrix(image, std::move(v), rows, cols, Colormap::diverging, -vmax, vmax, false, dark);
    image_serial = p.serial;
    image_dark = dark;
  }
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float width = avail.x - 90;
  const float cell = std::clamp((width - 140) / float(cols), 6.0f, 48.0f);
  const float height = std::min(avail.y, 140.0f + rows * cell + 24);
  const MatrixHover hover = draw_matrix("patching_map", image, p.row_labels, p.col_labels, cell,
                                        rows == 1 ? "head" : "layer", "position",
                                        ImVec2(width, height), std::nullopt, {}, "recovered %.4f");
  state.widgets["patching.map"] = {hover.map_pos.x, hover.map_pos.y, hover.cell_px * cols,
                                   hover.cell_px * rows};
  p.hover_row = hover.row;
  p.hover_col = hover.col;
  if (hover.row >= 0) p.hover_value = hover.value;
  ImGui::SameLine();
  draw_colorbar(Colormap::diverging, -vmax, vmax, std::min(height - 10, 260.0f));
}

void draw_head_result(AppState& state, const Tensor& values, float vmax) {
  PatchingState& p = state.patching;
  const int H = int(values.shape()[1]);
  HeadMapStyle style;
  style.colormap = Colormap::diverging;
  style.vmin = -vmax;
  style.vmax = vmax;
  style.cell = std::clamp((ImGui::GetContentRegionAvail().x - 140) / float(H), 20.0f, 56.0f);
  style.value_name = "recovered";
  style.format = "%+.3f";
  style.show_values = true;
  style.marks = &state.widgets;
  style.mark_prefix = "patch.";
  std::optional<HeadRef> hovered;
  style.hovered = &hovered;
  if (auto head = draw_head_map("patch_heads", values, {}, state.focus, style))
    state.focus = *head;  // then "the focused head's z" patches that one per position
  p.hover_row = hovered ? hovered->layer : -1;
  p.hover_col = hovered ? hovered->head : -1;
  if (hovered) p.hover_value = values(hovered->layer, hovered->head);
  ImGui::SameLine();
  draw_colorbar(Colormap::diverging, -vmax, vmax,
                std::min(ImGui::GetTextLineHeight() + style.cell * values.shape()[0], 260.0f));
}

void draw_result(AppState& state) {
  PatchingState& p = state.patching;
  if (!p.result || p.run_serial != state.run->serial) {
    ImGui::TextDisabled("Set up the corrupted prompt and the metric, then run the sweep.");
    return;
  }
  const PatchingResult& r = *p.result;
  const std::string target(patch_target_name(r.target));
  ImGui::Text("%s  ·  metric clean %.4g, corrupted %.4g  ·  0 = corrupted, 1 = clean",
              target_title(r.target), r.clean, r.corrupted);
  ImGui::SameLine();
  const ExportRequest request = export_buttons(state, "patching", true);
  if (request.any()) {
    MapExport map;
    map.values = &r.normalised;
    map.name = "patch_" + target +
               (r.target == PatchTarget::head_z_position ? "_" + head_label(p.head) : "");
    // The colour bar's label is short (a long one is cut there); the title says what 0 and 1 are.
    map.title = "activation patching, " + target + ": recovered, 0 = corrupted, 1 = clean";
    map.row_axis = r.target == PatchTarget::head_z_position ? "head" : "layer";
    map.col_axis = r.target == PatchTarget::head_z ? "head" : "position";
    map.value_label = "recovered";
    map.row_labels = p.row_labels;
    map.col_labels = p.col_labels;
    map.colormap = Colormap::diverging;
    map.annotate = r.target == PatchTarget::head_z;
    map.meta = {{"target", target},
                {"metric", std::string(metric_name(state.patching.metric))},
                {"clean", r.clean},
                {"corrupted", r.corrupted},
                {"corrupted_tokens", p.corrupted_tokens}};
    export_map(state, request, map);
  }
  // Symmetric around 0, at least ±1 so that "fully recovered" always has the same colour.
  const float vmax = std::max(1.0f, float(xt::amax(xt::abs(r.normalised))()));
  if (r.target == PatchTarget::head_z)
    draw_head_result(state, r.normalised, vmax);
  else
    draw_position_map(state, r.normalised, vmax);
}

}  // namespace

void draw_patching_panel(AppState& state) {
  if (!state.run) {
    ImGui::TextDisabled("Activation patching works on the prompt once it has run.");
    return;
  }
  PatchingState& p = state.patching;
  const bool running = patching_running(state);
  // A shared link to this view sweeps once its prompt has run.
  if (p.run_on_load && !running) {
    p.run_on_load = false;
    start_patching(state);
  }
  ImGui::Text("Clean: the prompt (%zu tokens)", state.run->ids.size());
  draw_corruption(state);
  draw_settings(state);

  ImGui::BeginDisabled(running || !corrupted_check(state));
  if (ImGui::Button("Run the sweep")) start_patching(state);
  mark_widget(state, "patching.run");
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (patching_running(state)) {
    ImGui::ProgressBar(state.background.current()->progress(), ImVec2(240, 0));
    ImGui::SameLine();
    if (ImGui::SmallButton("Cancel")) state.background.cancel();
    mark_widget(state, "patching.cancel");
  } else if (!p.error.empty()) {
    ImGui::TextColored(ImVec4(1, 0.55f, 0.5f, 1), "%s", p.error.c_str());
  } else {
    ImGui::TextDisabled("each patch restarts the forward pass at the patched layer");
  }
  ImGui::Separator();
  draw_result(state);
}

}  // namespace attnscope::ui
