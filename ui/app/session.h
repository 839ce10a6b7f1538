// session.h — the whole explorer session as one JSON file ("attnscope-session", version 1): the
// model it ran, the prompt, the view, ablated and calibrated heads, the patching set-up (and its
// last sweep), the lens's token and the circuit panels' settings. Saved through Host::save as
// <model>_session.json; opened from a file the user picks or drops (browser) or a path (desktop).
//
// What is stored and what is computed again on opening:
//  - settings: all of the above, restored as saved;
//  - the patching sweep: stored with the run it was made on (model and token ids) and shown again
//    without sweeping when the reopened prompt gives the same tokens; otherwise, with the Patching
//    tab open, it sweeps again, as a shared link does;
//  - the run, ablation and calibration effects, the lens and massive activations: recomputed from
//    the prompt (a forward pass or two, quick on the bundled models);
//  - circuit results (trained SAE, EAP scores, ACDC sweeps): not stored (they hold trained weights
//    and activations); their settings are. A session saved on the Circuits tab with the shown
//    method's result finds it again on opening (a long job, on the background runner); on other
//    tabs, Find runs them again.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ui/app/app.h"

namespace attnscope::ui {

inline constexpr const char* kSessionFormat = "attnscope-session";
inline constexpr int kSessionVersion = 1;
// Read no further than this: a session with a patching map of a long prompt is well under 1 MiB.
inline constexpr std::size_t kMaxSessionBytes = std::size_t(64) << 20;

// A patching sweep as saved: the map with its labels, and the run it belongs to.
struct SavedPatching {
  std::string model;      // the model it ran on
  std::vector<int> ids;   // the clean run's token ids
  PatchingResult result;  // normalised and patched, [rows, cols]
  std::vector<std::string> row_labels, col_labels, corrupted_tokens;
  HeadRef head;
};

// Everything a session file restores, read and checked, before any of it touches AppState.
struct Session {
  std::string model;
  bool bundled = true;  // false: the user's own model, which the user must open again
  std::string prompt, prompt_ids;
  bool prompt_is_ids = false, keep_last_tokens = false;
  Tab tab = Tab::attention;
  HeadRef focus{0, 0};
  AttentionView attention_view = AttentionView::heatmap;
  Aggregate aggregate = Aggregate::head;
  BackendChoice backend = BackendChoice::automatic;
  AblationState ablation;        // settings only (mode, heads, metric tokens, corrupted text)
  CalibrationState calibration;  // settings only (enabled, beta, which heads)
  PatchingState patching;        // the set-up
  std::optional<SavedPatching> patching_result;
  std::string lens_target;
  int lens_position = -1;
  CircuitState circuit;  // settings only
};

// The session of `state` as JSON text.
std::string session_json(const AppState& state);
// Reads and checks a session file; the error says what is wrong, in one line. Changes nothing.
Result<Session> parse_session(std::string_view text);

// A session's error in the error line; before the first model is on screen (a session opened at
// start) it is said again once the model has loaded, which clears older errors.
void session_error(AppState& state, const std::string& message);

// Saves the session through the host (`<model>_session.json`), saying so in the status line.
void save_session(AppState& state);
// Opens a session file: on any problem one message in the error line and nothing changes.
// Otherwise the model it names loads if it is not on screen (a user's model: the message asks
// for it, and the session waits for it), then the settings apply and the prompt runs.
void open_session(AppState& state, std::string_view text);
// Called when a model has loaded (actions.cpp), before its prompt runs: a session waiting for
// this model applies now; one waiting for another model is dropped if the user chose this one
// after opening the session.
void apply_pending_session(AppState& state);
// Called when a run of the prompt arrives: a session's saved patching sweep for this very run is
// shown (no sweep); for another run, the Patching tab sweeps again.
void adopt_saved_patching(AppState& state);

}  // namespace attnscope::ui
