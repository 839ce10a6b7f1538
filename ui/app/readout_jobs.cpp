// readout_jobs.cpp — the logit lens and the massive activations of the run on screen, computed
// by core (logit_lens.h, massive_activations.h) when their view is open, once per run: each view
// asks every frame and a job starts only when its result (or error) is for another run or other
// settings. Results carry the run's serial, which is unique over the session, so a view never
// shows what was computed for an older prompt or another model.
#include <algorithm>
#include <cstdio>

#include "ui/app/actions.h"

namespace attnscope::ui {

namespace {

std::string lens_key(const LensState& lens) {
  return lens.target + "\n" + std::to_string(lens.position);
}

}  // namespace

void ensure_lens(AppState& state) {
  if (!state.model || !state.run) return;
  LensState& lens = state.lens;
  if (lens.run_serial == state.run->serial && lens.asked == lens_key(lens)) return;
  lens.run_serial = state.run->serial;
  lens.asked = lens_key(lens);
  lens.error.clear();
  lens.result.reset();  // never on screen beside a newer run
  auto model = state.model;
  const std::vector<int> ids = state.run->ids;
  const int serial = state.run->serial;
  const std::string key = lens.asked;
  // The followed token: the one typed, else the model's own top next token (the lens then shows
  // at which layer the final prediction forms).
  LogitLensOptions options;
  options.top_k = 5;
  options.position = lens.position;
  if (lens.position >= int(ids.size()))
    return void(lens.error = "the position is past the prompt's last (" +
                             std::to_string(ids.size() - 1) + ")");
  if (lens.target.empty()) {
    const Tensor& logits = state.run->last_logits;
    options.target = int(std::max_element(logits.data(), logits.data() + logits.size()) -
                         logits.data());  // the first of ties: the lower id, as core orders
  } else {
    auto id = model->single_token(lens.target);
    if (!id) return void(lens.error = "target: " + id.error().to_string());
    options.target = *id;
  }
  auto out = std::make_shared<std::optional<LogitLens>>();
  state.jobs.start(make_job(
      "Reading the logit lens",
      [model, ids, options, out](Job&) -> std::string {
        auto r = logit_lens(*model, ids, options);
        if (!r) return r.error().to_string();
        *out = std::move(*r);
        return "";
      },
      [model, serial, key, out](AppState& s) {
        if (s.model != model || !s.run || s.run->serial != serial || s.lens.asked != key) return;
        s.lens.result = std::move(*out);
        s.lens.target_shown = model->token_display(s.lens.result->target);
        s.lens.hover_row = s.lens.hover_col = -1;
        s.lens.serial++;
      },
      [model, serial](AppState& s, const std::string& error) {
        if (s.model == model && s.run && s.run->serial == serial) s.lens.error = error;
      }));
}

void ensure_massive(AppState& state) {
  if (!state.model || !state.run) return;
  MassiveState& m = state.massive;
  if (m.run_serial == state.run->serial) return;
  m.run_serial = state.run->serial;
  m.error.clear();
  m.layers.clear();
  auto model = state.model;
  const std::vector<int> ids = state.run->ids;
  const int serial = state.run->serial;
  auto out = std::make_shared<std::vector<MassiveLayer>>();
  state.jobs.start(make_job(
      "Finding massive activations",
      [model, ids, out](Job&) -> std::string {
        auto r = massive_activations(*model, ids, 3);
        if (!r) return r.error().to_string();
        *out = std::move(*r);
        return "";
      },
      [model, serial, out](AppState& s) {
        if (s.model != model || !s.run || s.run->serial != serial) return;
        s.massive.layers = std::move(*out);
        s.massive.serial++;
      },
      [model, serial](AppState& s, const std::string& error) {
        if (s.model == model && s.run && s.run->serial == serial) s.massive.error = error;
      }));
}

void discard_analyses(AppState& state) {
  state.patching.result.reset();
  state.patching.run_serial = -1;
  state.patching.hover_row = state.patching.hover_col = -1;
  state.lens.result.reset();
  state.lens.run_serial = -1;
  state.lens.hover_row = state.lens.hover_col = -1;
  state.massive.layers.clear();
  state.massive.run_serial = -1;
}

}  // namespace attnscope::ui
