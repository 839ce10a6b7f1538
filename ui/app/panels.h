// panels.h — one function per panel, each drawing from AppState.
#pragma once

#include "ui/app/app.h"

namespace attnscope::ui {

void draw_model_panel(AppState& state);      // sidebar: models, the prompt, compute
void draw_token_strip(AppState& state);      // tokens of the run, sinks highlighted
void draw_too_long_offer(AppState& state);   // "Keep the last N tokens" after a too-long prompt
void draw_attention_panel(AppState& state);  // grid, focused head, line view, aggregates
void draw_sinks_panel(AppState& state);      // sink table and map, ACT calibration
void draw_ablation_panel(AppState& state);   // ablate heads, next-token effect, sweep
void draw_circuits_panel(AppState& state);   // SAE circuit codes vs ground truth
void draw_file_browser(AppState& state);     // desktop: pick a model folder
void draw_help_window(AppState& state);
void draw_about_window(AppState& state);

}  // namespace attnscope::ui
