// session_open.cpp — a checked session (session.cpp) put into the explorer: the model first (it
// may have to load, or the user may have to open it), then the settings, then the prompt runs;
// a saved patching map returns when that run has the tokens it was made on.
#include <algorithm>

#include "ui/app/actions.h"
#include "ui/app/host.h"
#include "ui/app/session.h"

namespace attnscope::ui {

namespace {

constexpr const char* kSessionSource = "session";  // errors about session files (set_error)

// The session's settings, on the model now on screen (heads it lacks are dropped, as a link's
// are). Results computed for what was on screen before are dropped with it; the prompt's run
// recomputes the rest.
void apply_settings(AppState& state, const Session& s) {
  const ModelConfig& c = state.model->config();
  const auto fits = [&c](HeadRef h) { return h.layer < c.n_layers && h.head < c.n_heads; };
  state.prompt = s.prompt;
  state.prompt_ids = s.prompt_ids;
  state.prompt_is_ids = s.prompt_is_ids || !state.model->tokenizer();
  state.keep_last_tokens = s.keep_last_tokens;
  state.tab = s.tab;
  state.tab_requested = true;
  state.focus = fits(s.focus) ? s.focus : HeadRef{0, 0};
  state.attention_view = s.attention_view;
  state.aggregate = s.aggregate;

  AblationState& a = state.ablation;
  a.mode = s.ablation.mode;
  a.heads = s.ablation.heads;
  std::erase_if(a.heads, [&](HeadRef h) { return !fits(h); });
  a.answer = s.ablation.answer;
  a.distractor = s.ablation.distractor;
  a.corrupted_text = s.ablation.corrupted_text;
  a.effect.reset();
  a.sweep.reset();

  CalibrationState& cal = state.calibration;
  cal.enabled = s.calibration.enabled;
  cal.beta = s.calibration.beta;
  cal.all_hidden = s.calibration.all_hidden;
  cal.heads = s.calibration.heads;
  std::erase_if(cal.heads, [&](HeadRef h) { return !fits(h); });
  cal.effect.reset();
  cal.applied.clear();

  PatchingState& p = state.patching;
  p.source = s.patching.source;
  p.corrupted_text = s.patching.corrupted_text;
  p.swap_position = s.patching.swap_position;
  p.swap_token = s.patching.swap_token;
  p.metric = s.patching.metric;
  p.answer = s.patching.answer;
  p.distractor = s.patching.distractor;
  p.target = s.patching.target;
  p.run_on_load = false;
  p.error.clear();
  state.saved_patching.reset();
  if (s.patching_result) state.saved_patching = std::make_shared<SavedPatching>(*s.patching_result);

  state.lens.target = state.lens.target_input = s.lens_target;
  state.lens.position = s.lens_position;

  CircuitState& cs = state.circuit;
  cs.task = s.circuit.task;
  cs.typed = s.circuit.typed;
  cs.positive_text = s.circuit.positive_text;
  cs.negative_text = s.circuit.negative_text;
  cs.method = s.circuit.method;
  cs.discovery = s.circuit.discovery;
  cs.acdc_from = s.circuit.acdc_from;
  cs.acdc_to = s.circuit.acdc_to;
  cs.acdc_steps = s.circuit.acdc_steps;
  cs.options = s.circuit.options;
  cs.run_on_load = s.circuit.run_on_load && s.tab == Tab::circuits;
  // Results of other settings would sit beside these ones as if they were theirs.
  state.background.cancel();
  cs.result.reset();
  cs.evaluation.reset();
  cs.edge_evaluation.reset();
  cs.eap.reset();
  cs.acdc.reset();
}

}  // namespace

void session_error(AppState& state, const std::string& message) {
  if (!state.model) state.start_notice = message;  // a model's load clears older errors
  set_error(state, message, kSessionSource);
}

void save_session(AppState& state) {
  const std::string stem = state.model_name.empty() ? "attnscope" : state.model_name;
  save_export(state, stem + "_session.json", session_json(state), "application/json");
  // Desktop: the box to open a session from holds the one just saved ("saved <path>").
  const std::string saved = "saved ", tail = "_session.json";
  const std::string& e = state.last_export;
  if (state.host->has_file_system() && e.rfind(saved, 0) == 0 && e.size() > tail.size() &&
      e.compare(e.size() - tail.size(), tail.size(), tail) == 0)
    state.session_path_input = e.substr(saved.size());
}

void open_session(AppState& state, std::string_view text) {
  auto session = parse_session(text);
  if (!session) return session_error(state, "session: " + session.error().to_string());
  auto s = std::make_shared<const Session>(std::move(*session));
  if (state.error_source == kSessionSource) state.error.clear();  // an earlier file's problem
  if (state.model && state.model_name == s->model) {
    state.pending_session.reset();
    apply_settings(state, *s);
    set_status(state, "opened the session (" + s->model + ")");
    if (state.backend_choice != s->backend) return choose_backend(state, s->backend);  // runs
    return run_prompt(state);
  }
  const bool bundled = std::any_of(state.bundled.begin(), state.bundled.end(),
                                   [&](const ModelEntry& m) { return m.name == s->model; });
  state.pending_session = s;
  if (!bundled) {
    state.session_choice = state.model_choice;
    // Not a model this explorer ships: the user's own, which no file can carry.
    session_error(state, "session: made with your model '" + s->model +
                             "': open that model (Model › Open your model…) and the session "
                             "continues on it");
    return;
  }
  set_status(state, "opening the session: loading " + s->model);
  // The model already on its way (the start's default) is waited for, not loaded twice.
  const bool on_its_way = state.load_progress >= 0 && state.model_requested == s->model &&
                          state.backend_choice == s->backend;
  if (!on_its_way) {
    state.backend_choice = s->backend;  // the load binds it there
    load_bundled_model(state, s->model);
  }
  state.session_choice = state.model_choice;
}

void apply_pending_session(AppState& state) {
  if (!state.pending_session) return;
  if (state.pending_session->model != state.model_name) {
    // A model asked for before the session (the start's default) keeps it waiting; one the user
    // chose after it drops it.
    if (state.model_choice > state.session_choice) state.pending_session.reset();
    return;
  }
  const std::shared_ptr<const Session> s = std::exchange(state.pending_session, nullptr);
  apply_settings(state, *s);
  set_status(state, "opened the session (" + s->model + ")");
}

void adopt_saved_patching(AppState& state) {
  if (!state.saved_patching || !state.run || !state.model) return;
  const std::shared_ptr<const SavedPatching> saved = std::exchange(state.saved_patching, nullptr);
  const ModelConfig& c = state.model->config();
  const std::vector<int>& ids = state.run->ids;
  const PatchTarget target = saved->result.target;
  const std::size_t rows = target == PatchTarget::head_z_position ? 1 : std::size_t(c.n_layers);
  const std::size_t cols = target == PatchTarget::head_z ? std::size_t(c.n_heads) : ids.size();
  const Tensor& map = saved->result.normalised;
  PatchingState& p = state.patching;
  if (saved->model != state.model_name || saved->ids != ids || map.shape()[0] != rows ||
      map.shape()[1] != cols || saved->corrupted_tokens.size() != ids.size()) {
    // Another run than the one the map was made on: sweep again on the Patching tab, as a link
    // to it does.
    p.run_on_load = state.tab == Tab::patching;
    return;
  }
  p.result = saved->result;
  p.row_labels = saved->row_labels;
  p.col_labels = saved->col_labels;
  p.corrupted_tokens = saved->corrupted_tokens;
  p.head = saved->head;
  p.run_serial = state.run->serial;
  p.hover_row = p.hover_col = -1;
  p.serial++;
}

}  // namespace attnscope::ui
