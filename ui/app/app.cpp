// app.cpp — layout, menu bar, status bar, keyboard shortcuts and the per-frame bookkeeping (jobs,
// URL, test state) of the explorer; panels live beside it.
#include "ui/app/app.h"

#include <imgui.h>
#include <imgui_internal.h>  // GImGui->NavId, ActivateItem: Enter in an open combo

#include "ui/app/actions.h"
#include "ui/app/host.h"
#include "ui/app/keys.h"
#include "ui/app/panels.h"
#include "ui/app/session.h"
#include "ui/app/widgets.h"

namespace attnscope::ui {

void apply_style(const AppState& state) {
  if (state.theme == Theme::dark)
    ImGui::StyleColorsDark();
  else
    ImGui::StyleColorsLight();
  ImGuiStyle& style = ImGui::GetStyle();
  style.WindowRounding = 4.0f;
  style.FrameRounding = 3.0f;
  style.GrabRounding = 3.0f;
  style.WindowBorderSize = 1.0f;
}

namespace {

void toggle_theme(AppState& state) {
  state.theme = state.theme == Theme::dark ? Theme::light : Theme::dark;
  apply_style(state);
}

void select_tab(AppState& state, Tab tab) {
  state.tab = tab;
  state.tab_requested = true;
}

void move_focus(AppState& state, int dl, int dh) {
  if (!state.model) return;
  const ModelConfig& c = state.model->config();
  state.focus.layer = std::clamp(state.focus.layer + dl, 0, c.n_layers - 1);
  state.focus.head = std::clamp(state.focus.head + dh, 0, c.n_heads - 1);
}

void handle_shortcuts(AppState& state) {
  ImGuiIO& io = ImGui::GetIO();
  // An open popup (the ablation-mode combo, a menu) takes the arrow keys and Enter through ImGui's
  // keyboard navigation; elsewhere the arrows move the focused head.
  const bool popup_open = ImGui::IsPopupOpen(nullptr, ImGuiPopupFlags_AnyPopupId);
  if (popup_open)
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
  else
    io.ConfigFlags &= ~ImGuiConfigFlags_NavEnableKeyboard;
  // ImGui's navigation activates with Space; Enter is what people press in a list.
  if (popup_open && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter), false) &&
      GImGui->NavId != 0)
    ImGui::ActivateItem(GImGui->NavId);
  if (io.WantTextInput || popup_open) return;  // typing never triggers a shortcut
  if (ImGui::IsKeyPressed(keys::f1)) state.show_help = !state.show_help;
  if (io.KeyCtrl && ImGui::IsKeyPressed(keys::t)) toggle_theme(state);
  if (io.KeyCtrl || io.KeyAlt) return;
  if (ImGui::IsKeyPressed(keys::n1)) select_tab(state, Tab::attention);
  if (ImGui::IsKeyPressed(keys::n2)) select_tab(state, Tab::sinks);
  if (ImGui::IsKeyPressed(keys::n3)) select_tab(state, Tab::ablation);
  if (ImGui::IsKeyPressed(keys::n4)) select_tab(state, Tab::circuits);
  if (ImGui::IsKeyPressed(keys::n5)) select_tab(state, Tab::patching);
  if (ImGui::IsKeyPressed(keys::n6)) select_tab(state, Tab::lens);
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_LeftArrow))) move_focus(state, 0, -1);
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_RightArrow))) move_focus(state, 0, 1);
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_UpArrow))) move_focus(state, -1, 0);
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_DownArrow))) move_focus(state, 1, 0);
  if (ImGui::IsKeyPressed(keys::a) && state.run) toggle_ablated(state, state.focus);
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) state.error.clear();
}

void draw_menu_bar(AppState& state) {
  if (!ImGui::BeginMainMenuBar()) return;
  if (ImGui::BeginMenu("Model")) {
    for (const ModelEntry& entry : state.bundled)
      if (ImGui::MenuItem(entry.name.c_str(), nullptr, state.model_name == entry.name))
        load_bundled_model(state, entry.name);
    ImGui::Separator();
    if (ImGui::MenuItem("Open your model…")) {
      if (state.host->has_file_system())
        state.show_file_browser = true;
      else
        state.host->open_user_model(state, "");
    }
    ImGui::Separator();
    if (ImGui::MenuItem("Save session…", nullptr, false, state.model != nullptr))
      save_session(state);
    // Desktop: the path in the sidebar's session box.
    if (ImGui::MenuItem("Open session…"))
      state.host->open_session_file(state, state.session_path_input);
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("View")) {
    if (ImGui::MenuItem("Attention", "1", state.tab == Tab::attention))
      select_tab(state, Tab::attention);
    if (ImGui::MenuItem("Sinks", "2", state.tab == Tab::sinks)) select_tab(state, Tab::sinks);
    if (ImGui::MenuItem("Ablation", "3", state.tab == Tab::ablation))
      select_tab(state, Tab::ablation);
    if (ImGui::MenuItem("Circuits", "4", state.tab == Tab::circuits))
      select_tab(state, Tab::circuits);
    if (ImGui::MenuItem("Patching", "5", state.tab == Tab::patching))
      select_tab(state, Tab::patching);
    if (ImGui::MenuItem("Logit lens", "6", state.tab == Tab::lens)) select_tab(state, Tab::lens);
    ImGui::Separator();
    if (ImGui::BeginMenu("PNG export size")) {
      for (const int scale : {1, 2, 4}) {
        const std::string label = std::to_string(scale) + "× (" +
                                  (scale == 1   ? "screen"
                                   : scale == 2 ? "slides"
                                                : "print") +
                                  ")";
        if (ImGui::MenuItem(label.c_str(), nullptr, state.export_scale == scale))
          state.export_scale = scale;
      }
      ImGui::EndMenu();
    }
    ImGui::MenuItem("Export maps in greys (print)", nullptr, &state.export_greys);
    if (ImGui::MenuItem("Light theme", "Ctrl+T", state.theme == Theme::light)) toggle_theme(state);
    ImGui::MenuItem("ImGui metrics", nullptr, &state.show_imgui_metrics);
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("Help")) {
    ImGui::MenuItem("Guide and shortcuts", "F1", &state.show_help);
    ImGui::MenuItem("About attnscope", nullptr, &state.show_about);
    ImGui::EndMenu();
  }
  ImGui::EndMainMenuBar();
}

void draw_tabs(AppState& state) {
  draw_token_strip(state);
  if (!ImGui::BeginTabBar("views")) return;
  const struct {
    Tab tab;
    const char* name;
    void (*draw)(AppState&);
  } tabs[] = {{Tab::attention, "Attention", draw_attention_panel},
              {Tab::sinks, "Sinks", draw_sinks_panel},
              {Tab::ablation, "Ablation", draw_ablation_panel},
              {Tab::circuits, "Circuits", draw_circuits_panel},
              {Tab::patching, "Patching", draw_patching_panel},
              {Tab::lens, "Lens", draw_lens_panel}};
  const bool requested = state.tab_requested;
  state.tab_requested = false;
  for (const auto& t : tabs) {
    const ImGuiTabItemFlags flags =
        requested && state.tab == t.tab ? ImGuiTabItemFlags_SetSelected : 0;
    const bool open = ImGui::BeginTabItem(t.name, nullptr, flags);
    mark_widget(state, std::string("tab.") + t.name);
    if (open) {
      if (!requested) state.tab = t.tab;
      t.draw(state);
      ImGui::EndTabItem();
    }
  }
  ImGui::EndTabBar();
}

void draw_status_bar(AppState& state) {
  for (JobRunner* runner : {&state.jobs, &state.background}) {
    if (const Job* job = runner->current()) {
      ImGui::TextUnformatted(job->title().c_str());
      ImGui::SameLine();
      ImGui::ProgressBar(job->progress(), ImVec2(120, 0));
      ImGui::SameLine();
    }
  }
  if (!state.error.empty()) {
    // The button first, so that a long message can never push it off the bar; the message is
    // cut to one line that fits, and shown whole on hover.
    if (ImGui::SmallButton("dismiss")) state.error.clear();
    mark_widget(state, "error.dismiss");
    ImGui::SameLine();
    const std::string line = fit_text(state.error, ImGui::GetContentRegionAvail().x - 8);
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "%s", line.c_str());
    mark_widget(state, "error");
    if (line != state.error && ImGui::IsItemHovered()) {
      ImGui::BeginTooltip();
      ImGui::PushTextWrapPos(ImGui::GetFontSize() * 40.0f);
      ImGui::TextUnformatted(state.error.c_str());
      ImGui::PopTextWrapPos();
      ImGui::EndTooltip();
    }
  } else {
    ImGui::TextDisabled("%s", state.status.c_str());
  }
}

}  // namespace

void draw_app(AppState& state) {
  for (JobRunner* runner : {&state.jobs, &state.background})
    if (std::string error = runner->poll(state); !error.empty())
      set_error(state, error, runner->failed_title());

  handle_shortcuts(state);
  draw_menu_bar(state);

  // Fixed layout: a sidebar on the left, the views filling the rest, a status bar at the bottom.
  const ImGuiViewport* viewport = ImGui::GetMainViewport();
  const float sidebar_width = 300.0f, status_height = ImGui::GetFrameHeightWithSpacing() + 8;
  const ImVec2 origin = viewport->WorkPos;
  const ImVec2 size = viewport->WorkSize;
  const ImGuiWindowFlags fixed = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                 ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings;

  ImGui::SetNextWindowPos(origin);
  ImGui::SetNextWindowSize(ImVec2(sidebar_width, size.y - status_height));
  if (ImGui::Begin("Model and prompt", nullptr, fixed)) draw_model_panel(state);
  ImGui::End();

  ImGui::SetNextWindowPos(ImVec2(origin.x + sidebar_width, origin.y));
  ImGui::SetNextWindowSize(ImVec2(size.x - sidebar_width, size.y - status_height));
  if (ImGui::Begin("Explorer", nullptr, fixed | ImGuiWindowFlags_NoTitleBar)) draw_tabs(state);
  ImGui::End();

  ImGui::SetNextWindowPos(ImVec2(origin.x, origin.y + size.y - status_height));
  ImGui::SetNextWindowSize(ImVec2(size.x, status_height));
  if (ImGui::Begin("status", nullptr,
                   fixed | ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoScrollbar))
    draw_status_bar(state);
  ImGui::End();

  if (state.show_file_browser) draw_file_browser(state);
  if (state.show_help) draw_help_window(state);
  if (state.show_about) draw_about_window(state);
  if (state.show_imgui_metrics) ImGui::ShowMetricsWindow(&state.show_imgui_metrics);

  if (state.model) {
    static std::string last_view;
    if (std::string view = view_query(state); view != last_view) {
      state.host->set_view(view);
      last_view = std::move(view);
    }
  }
  state.host->publish(state_json(state));
  state.frame++;
}

}  // namespace attnscope::ui
