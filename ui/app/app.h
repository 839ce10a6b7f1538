// app.h — the attnscope explorer, one Dear ImGui application for the desktop and the browser.
//
// All UI state lives in AppState; each panel is one function drawing from it (panels.h). Long work
// runs as jobs (jobs.h). What differs between the desktop and the browser (files, downloads, the
// URL, bundled models) is behind Host (host.h), so nothing under ui/app needs an #ifdef.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/analysis/ablation.h"
#include "core/analysis/activation_patching.h"
#include "core/analysis/calibration.h"
#include "core/analysis/logit_lens.h"
#include "core/analysis/massive_activations.h"
#include "core/analysis/next_token.h"
#include "core/analysis/pattern.h"
#include "core/analysis/sinks.h"
#include "core/analysis/task_prompts.h"
#include "core/circuits/discovery.h"
#include "core/model/model.h"
#include "core/sae/sae_circuit.h"
#include "ui/app/jobs.h"

namespace attnscope::ui {

class Host;
struct Session;        // session.h
struct SavedPatching;  // session.h

enum class Theme { dark, light };
enum class Tab { attention, sinks, ablation, circuits, patching, lens };
enum class AttentionView { heatmap, lines };
enum class Aggregate { head, layer_mean, all_mean };
// Where the model runs: automatic (WebGPU on a hardware adapter, else the CPU:
// core/gpu/automatic_backend.h), or the backend the user named.
enum class BackendChoice { automatic, cpu, webgpu };

// One forward pass of the current prompt, clean (no intervention).
struct Run {
  std::vector<int> ids;
  std::vector<std::string> tokens;     // token_display() strings, one per position
  std::vector<std::string> token_hex;  // raw bytes of each token, as hex
  std::vector<Tensor> patterns;        // per layer [head, query, key]
  Tensor last_logits;                  // [1, vocab]
  std::optional<SinkSummary> sinks;
  int dropped_tokens = 0;  // tokens cut from the front to fit the context (keep_last_tokens)
  double seconds = 0;
  // Unique over the whole session (AppState::runs_started), across model switches: views cache
  // their textures by it, so two runs never share a serial.
  int serial = 0;
};

// Head ablation and its effect on the next token.
struct AblationState {
  AblationMode mode = AblationMode::zero;
  std::vector<HeadRef> heads;
  std::string corrupted_text;  // resample source; empty: the prompt's tokens in reverse order
  std::string answer = " the", distractor = " and";  // the logit difference's two tokens
  std::optional<NextTokenEffect> effect;
  double logit_diff_before = 0, logit_diff_after = 0;
  bool metric_valid = false;
  std::string metric_error;
  std::optional<SweepResult> sweep;
  int sweep_serial = 0;
  int effect_serial = 0;  // bumps when an ablation result arrives (tests wait on it)
};

struct CalibrationState {
  bool enabled = false;
  float beta = 0.4f;
  bool all_hidden = true;      // calibrate every head with a hidden sink
  std::vector<HeadRef> heads;  // else these
  std::optional<NextTokenEffect> effect;
  std::vector<HeadRef> applied;  // heads calibrated in the last result
  int effect_serial = 0;
};

struct SinkSettings {
  SinkOptions options;
};

// A circuit found by edge attribution patching or ACDC, with what the panel shows of it.
struct DiscoveredCircuit {
  DiscoveryResult result;
  std::vector<std::pair<std::string, double>> top_edges;  // "L0H5 -> logits", score
  std::optional<CircuitEvaluation> evaluation;            // with ground truth
  std::optional<RocCurve> threshold_roc;                  // ACDC: the authors' per-threshold ROC
  std::string task;
};

enum class CircuitMethod { sae, eap, acdc };
std::string_view circuit_method_name(CircuitMethod method);  // "sae", "eap", "acdc"

// The Circuits panel: the SAE circuit codes, EAP and ACDC, on the same prompts.
struct CircuitState {
  int task = 1;                              // index into the bundled task list
  bool typed = false;                        // prompts typed by the user instead of a bundled task
  std::string positive_text, negative_text;  // one prompt per line (typed mode)
  CircuitMethod method = CircuitMethod::sae;
  DiscoveryOptions discovery = [] {
    DiscoveryOptions o;
    o.prompts = 50;
    o.corruption = CorruptionMode::paired;
    return o;
  }();
  // ACDC's thresholds: 10^from … 10^to in `steps` values.
  float acdc_from = -4, acdc_to = 0;
  int acdc_steps = 9;
  std::optional<DiscoveredCircuit> eap, acdc;  // each method's last result
  SaeCircuitOptions options;
  std::optional<SaeCircuitResult> result;
  std::optional<CircuitEvaluation> evaluation;       // with ground truth
  std::optional<CircuitEvaluation> edge_evaluation;  // the edge-derived node scores' ROC
  std::string evaluated_task;
  // A session saved on this tab with the shown method's result: found again once the task
  // prompts are here (the panel starts it, as the Patching tab does for a link).
  bool run_on_load = false;
  int serial = 0;
};

// Activation patching (core/analysis/activation_patching.h) from the current prompt (clean) into
// a corrupted one of the same length: typed, or the clean prompt with one token swapped.
enum class CorruptionSource { typed, swap };

struct PatchingState {
  CorruptionSource source = CorruptionSource::swap;
  std::string corrupted_text;  // typed: text, or token ids when the prompt is typed as ids
  int swap_position = -1;      // swap: the position replaced (-1: the first the user picks)
  std::string swap_token;      // ... and the token put there (one token)
  MetricKind metric = MetricKind::logit_diff;
  std::string answer = " mat", distractor = " cat";  // the metric's tokens (one each)
  PatchTarget target = PatchTarget::resid_pre;
  bool run_on_load = false;  // a shared link's patching view: sweep once the prompt has run
  // The last sweep, for the run it was computed on (dropped on a new prompt or model).
  std::optional<PatchingResult> result;
  std::vector<std::string> row_labels, col_labels;  // "L0".., tokens or "H0"..
  HeadRef head;                                     // head_z_position: the head patched
  std::vector<std::string> corrupted_tokens;        // the corrupted run's tokens
  int run_serial = -1;                              // the clean run the result is for
  std::string error;                                // why the last sweep did not run
  std::string check;  // what is wrong with the corrupted prompt as set up ("" when it is fine)
  int serial = 0;     // bumps when a result arrives (tests)
  int hover_row = -1, hover_col = -1;
  float hover_value = 0;  // the map's value under the mouse (published for tests)
};

// Continuing the prompt (core/analysis/generation.h): the new tokens join the prompt, which runs
// again, so every view shows the longer sequence.
struct GenerationState {
  int new_tokens = 10;
  bool sample = false;  // false: greedy
  float temperature = 0.8f;
  int top_k = 40;
  float top_p = 0.95f;
  int seed = 1;
  std::string error;
  std::string last;  // the last continuation, as the token strip shows it, with probabilities
  int serial = 0;    // bumps when a continuation has joined the prompt (tests)
  bool run_on_load = false;  // a link's generate=N: continue (greedy) once its prompt has run
};

// The logit lens of the current run, computed when its tab is open.
struct LensState {
  std::string target;        // the followed token; empty: the model's own top next token
  std::string target_input;  // the box's text, taken as `target` on Enter
  int position = -1;         // where heads are attributed; -1: the last
  std::optional<LogitLens> result;
  std::string target_shown;  // the target's display text, as computed
  int run_serial = -1;       // the run the result (or the error) is for
  std::string asked;         // target + position of the result or job, to recompute on change
  std::string error;
  int serial = 0;
  int hover_row = -1, hover_col = -1;  // top-token table cell or DLA head under the mouse
  std::string hover_token;
  float hover_value = 0;
};

// Massive activations (core/analysis/massive_activations.h) of the current run, per layer.
struct MassiveState {
  std::vector<MassiveLayer> layers;
  int run_serial = -1;  // the run `layers` (or the error) is for
  std::string error;
  int serial = 0;
};

struct ModelEntry {
  std::string name;         // folder name under models/
  std::string description;  // one line from the model card
};

struct AppState {
  Host* host = nullptr;

  // Model and prompt.
  std::shared_ptr<const Model> model;
  std::string model_name;           // "attnscope-kjv", or the user's folder
  std::vector<ModelEntry> bundled;  // the models the host can load
  std::string model_path_input;     // desktop: a folder typed or browsed to
  std::string model_requested;      // the bundled model asked for last
  float load_progress = -1;         // 0..1 while the browser downloads files; -1 idle
  std::string load_stage;
  std::string prompt = "The cat sat on the mat. The cat sat on the mat.";
  // The prompt as token ids ("464, 3797, 3332"), like the CLI's --ids: for models without a
  // tokenizer, or to run exact ids.
  bool prompt_is_ids = false;
  std::string prompt_ids;
  // A prompt longer than the context runs its last n_ctx tokens instead of failing.
  bool keep_last_tokens = false;
  std::string ran_prompt;  // the prompt of `run`
  std::optional<Run> run;
  // Where the model runs: chosen automatically, or named. WebGPU named but not to be had leaves
  // the model on the CPU with the reason in backend_note (a warning); Automatic's reason for the
  // CPU is backend_reason (information, not an error).
  BackendChoice backend_choice = BackendChoice::automatic;
  std::string backend_note;
  std::string backend_reason;
  int runs_started = 0;       // source of Run::serial
  std::string run_error;      // why the last run of the prompt failed ("" if it ran)
  bool run_too_long = false;  // ... because the prompt is longer than the context

  // Views.
  Tab tab = Tab::attention;
  bool tab_requested = false;  // select `tab` on the next frame
  HeadRef focus{0, 0};
  AttentionView attention_view = AttentionView::heatmap;
  Aggregate aggregate = Aggregate::head;
  float cell_px = 0;  // focused heatmap zoom; 0: fit the panel
  int hover_query = -1, hover_key = -1;
  float hover_value = 0;  // the focused map's value under the mouse (published for tests)

  SinkSettings sinks;
  CalibrationState calibration;
  AblationState ablation;
  CircuitState circuit;
  PatchingState patching;
  LensState lens;
  GenerationState generation;
  MassiveState massive;

  JobRunner jobs;        // quick work: loading, running the prompt, ablation and calibration
  JobRunner background;  // long work that may run beside it: the sweep, SAE training
  std::map<std::string, std::string> task_files;  // bundled task files by name, once fetched
  bool task_files_requested = false;              // a fetch is under way (or done)
  int request_serial = 0;                         // makes every file request's name unique
  int model_choice = 0;  // request_serial of the newest model asked for (older ones are dropped)
  std::string status;    // last message for the status bar
  std::string error;     // last error, shown until dismissed
  std::string error_source;  // what it is about (set_error)
  std::string start_notice;  // said once the first model has loaded (a link's unknown model)
  int error_serial = 0;      // counts errors (tests wait for a new one)
  std::string last_export;   // what the last export wrote or downloaded
  // A session file opened (session.h): waiting for its model to load (or for the user to open
  // theirs), and its patching map waiting for the run it was made on.
  std::shared_ptr<const Session> pending_session;
  int session_choice = 0;  // model_choice when it was opened: a model chosen later drops it
  std::shared_ptr<const SavedPatching> saved_patching;
  std::string session_path_input;  // desktop: the session file to open

  Theme theme = Theme::dark;
  int export_scale = 1;  // PNG exports at 1×, 2× or 4× (View menu; core/export/figure_raster.h)
  bool export_greys = false;  // exported sequential maps in greys, for print (View menu)
  bool show_help = false;
  bool show_about = false;
  bool show_imgui_metrics = false;
  bool show_file_browser = false;
  std::string platform;     // "desktop (GLFW + OpenGL)" or "browser (WebAssembly + WebGL2)"
  std::string gl_renderer;  // GL_RENDERER string, shown in About
  long long frame = 0;      // frames drawn so far; the browser test reads it
  // Screen rectangles of named widgets (x, y, w, h), published for end-to-end tests.
  std::map<std::string, std::array<float, 4>> widgets;
  double first_map_seconds = -1;  // time from start to the first attention map on screen
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// Apply theme and sizes once after ImGui::CreateContext(), and after a theme change.
void apply_style(const AppState& state);

// Draw one frame of the whole UI (between ImGui::NewFrame() and ImGui::Render()).
void draw_app(AppState& state);

}  // namespace attnscope::ui
