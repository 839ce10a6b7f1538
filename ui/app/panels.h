// panels.h — one function per panel, each drawing from AppState.
#pragma once

#include "ui/app/app.h"

namespace attnscope::ui {

void draw_model_panel(AppState& state);          // sidebar: models, the prompt, compute
void draw_token_strip(AppState& state);          // tokens of the run, sinks highlighted
void draw_too_long_offer(AppState& state);       // "Keep the last N tokens" after a too-long prompt
void draw_generation(AppState& state);           // continue the prompt: greedy or sampled
void draw_session_controls(AppState& state);     // sidebar: Save session…, Open session…
void draw_attention_panel(AppState& state);      // grid, focused head, line view, aggregates
void draw_sinks_panel(AppState& state);          // sink table and map, ACT calibration
void draw_massive_activations(AppState& state);  // beside the sinks: per-layer outliers
void draw_ablation_panel(AppState& state);       // ablate heads, next-token effect, sweep
void draw_circuits_panel(AppState& state);       // SAE codes, EAP and ACDC vs ground truth
void draw_patching_panel(AppState& state);       // clean → corrupted activation patching maps
void draw_lens_panel(AppState& state);           // logit lens table, target rank, head DLA
// Parts of the Circuits panel for edge attribution and ACDC (panel_discovery.cpp), and its ROC.
void draw_discovery_settings(AppState& state);
void draw_discovery_left(AppState& state, float width);  // run, progress, head score map
void draw_discovery_right(AppState& state);              // ROC, strongest edges, the runs
void draw_roc(const RocCurve& roc, float size);
// Export buttons for ROC curves against the ground truth (one per labelled curve) as a figure.
void roc_export_buttons(AppState& state, const char* id, const std::string& title,
                        const std::vector<std::pair<std::string, const RocCurve*>>& curves);
void draw_file_browser(AppState& state);  // desktop: pick a model folder
void draw_help_window(AppState& state);
void draw_about_window(AppState& state);

}  // namespace attnscope::ui
