// actions.h — what the explorer does, apart from drawing: load a model, run the prompt, ablate,
// calibrate, sweep, find circuits, export. Panels call these; each starts a job (jobs.h) and the
// job's finish() puts the result into AppState.
#pragma once

#include <memory>
#include <string>

#include "core/export/data_export.h"
#include "core/io/file_source.h"
#include "ui/app/app.h"

namespace attnscope::ui {

// The files a bundled-model request fetches.
const std::vector<std::string>& model_file_names();
// The bundled task files ("ioi_positive.jsonl", ..., "ground_truth.json").
const std::vector<std::string>& task_file_names();
// The bundled tasks, in the Circuits panel's order.
const std::vector<std::string>& task_names();

void load_bundled_model(AppState& state, const std::string& name);
// At start: the view of a shared link (browser hash, desktop --view), then the model it names if
// it is bundled; otherwise the default model, and a message saying so.
void open_initial_view(AppState& state, const std::string& query);
// Download progress of a request's files (browser); ignored for superseded requests.
void load_progress(AppState& state, const std::string& request, double fraction,
                   const std::string& stage);
// Files answering a Host request ("model:NAME" or "tasks"), or why they could not be had.
void deliver_files(AppState& state, const std::string& request,
                   Result<std::shared_ptr<const FileSource>> files);

// Moves the model to the chosen backend (the models loaded later follow), then runs the prompt
// again there. WebGPU named but not to be had, or unable to hold the model, leaves it on the CPU
// with a warning (AppState::backend_note); Automatic says why it chose the CPU
// (AppState::backend_reason).
void choose_backend(AppState& state, BackendChoice choice);
// "cpu-simd", or "webgpu: <adapter>": where the model on screen runs.
std::string backend_label(const AppState& state);

// The title of the job that runs the prompt (errors from it carry it as their source).
inline constexpr const char* kRunPromptJob = "Running the prompt";

// Runs the prompt through the model (patterns, sinks, next token), then refreshes the
// ablation and calibration results.
void run_prompt(AppState& state);
// What the prompt box holds in its current mode: the text, or the typed token ids.
const std::string& prompt_source(const AppState& state);
void refresh_ablation(AppState& state);
void refresh_calibration(AppState& state);
void toggle_ablated(AppState& state, HeadRef head);
void start_sweep(AppState& state);
void start_circuit(AppState& state);    // the SAE circuit codes
void start_discovery(AppState& state);  // EAP or ACDC, as the panel's method says
void ensure_task_files(AppState& state);

// Activation patching (patching_job.cpp): the corrupted prompt's ids as the panel sets it up
// (typed, or the prompt with one token swapped), or why there are none (different lengths, ...);
// the sweep on the background runner, its error kept in PatchingState::error.
Result<std::vector<int>> patching_corrupted_ids(const AppState& state);
void start_patching(AppState& state);
// Continues the prompt on screen (generation_job.cpp) on the background runner, a token per
// step; the new tokens then join the prompt and it runs again.
void start_generation(AppState& state);
bool generation_running(const AppState& state);
// The run on screen as one self-contained HTML report, saved as an export (report_export.cpp).
void export_report(AppState& state);
bool patching_running(const AppState& state);
// The logit lens and massive activations of the run on screen, when their views ask
// (readout_jobs.cpp); a job starts only for a new run or new settings.
void ensure_lens(AppState& state);
void ensure_massive(AppState& state);
// Drops every analysis result of the previous run or model (a new prompt, a model switch).
void discard_analyses(AppState& state);

// The Circuits panel's prompts: a bundled task's (with its name and the ground truth) or those
// typed; false after an error or while the task files are still being fetched (said in the
// status bar).
struct CircuitPrompts {
  std::vector<Prompt> positives, negatives;
  std::string task, ground_truth;
};
bool circuit_prompts(AppState& state, CircuitPrompts& out);

// Shown in the status bar and published to tests.
void set_status(AppState& state, std::string message);
// `source` names what the error is about (a job's title), so that a later success of the same
// kind can clear it: a prompt that runs clears the error of one that did not.
void set_error(AppState& state, std::string message, std::string source = {});

// A name safe for a download or a file: spaces and punctuation become one "_" ("your model
// L1 mean" → "your_model_L1_mean").
std::string export_file_name(const std::string& name);

// Saves an export through the host (under export_file_name(filename)) and records the outcome.
void save_export(AppState& state, const std::string& filename,
                 const std::vector<std::uint8_t>& bytes, const std::string& mime);
void save_export(AppState& state, const std::string& filename, const std::string& text,
                 const std::string& mime);

// A tensor's numbers as `stem`.csv and/or `stem`.json (core/export/data_export.h).
void save_data_exports(AppState& state, bool csv, bool json, const Tensor& values,
                       const ExportInfo& info, const std::string& stem);

// The view as URL parameters and back.
std::string view_query(const AppState& state);
void apply_view_query(AppState& state, const std::string& query);

// The state the end-to-end tests read (JSON).
std::string state_json(const AppState& state);

}  // namespace attnscope::ui
