// patching_job.cpp — the Patching panel's sweep: core's PatchingSweep one patch per step on the
// background runner, so the browser's progress bar moves and Cancel is heard between patches.
// The clean prompt is the run on screen; the corrupted one is typed or the clean one with a token
// swapped (PatchingState).
#include <chrono>
#include <cstdio>

#include "ui/app/actions.h"

namespace attnscope::ui {

inline constexpr const char* kPatchingJob = "Patching activations";

Result<std::vector<int>> patching_corrupted_ids(const AppState& state) {
  if (!state.model || !state.run) return make_error("run the prompt first");
  const Model& model = *state.model;
  const PatchingState& p = state.patching;
  const std::vector<int>& clean = state.run->ids;
  if (p.source == CorruptionSource::swap) {
    if (p.swap_position < 0 || p.swap_position >= int(clean.size()))
      return make_error("pick the position whose token the corrupted prompt swaps");
    if (p.swap_token.empty()) return make_error("type the token to put at that position");
    ATTNSCOPE_ASSIGN(const int id, model.single_token(p.swap_token));
    std::vector<int> ids = clean;
    if (ids[std::size_t(p.swap_position)] == id)
      return make_error("the swap puts back the same token: the prompts would not differ",
                        "type another token");
    ids[std::size_t(p.swap_position)] = id;
    return ids;
  }
  // Typed: in the same form as the prompt (token ids for a model without a tokenizer).
  const bool as_ids = state.prompt_is_ids || !model.tokenizer();
  if (p.corrupted_text.find_first_not_of(" ,\n") == std::string::npos)
    return make_error(as_ids ? "type the corrupted prompt's token ids"
                             : "type the corrupted prompt");
  ATTNSCOPE_ASSIGN(std::vector<int> ids,
                   as_ids ? parse_token_ids(p.corrupted_text) : model.tokenize(p.corrupted_text));
  if (ids.size() != clean.size())
    return make_error("the corrupted prompt has " + std::to_string(ids.size()) +
                          " tokens and the prompt " + std::to_string(clean.size()) +
                          ": patching needs the same number",
                      "patching swaps activations position by position");
  return ids;
}

namespace {

class PatchingJob final : public Job {
 public:
  PatchingJob(std::shared_ptr<const Model> model, Prompt clean, std::vector<int> corrupted,
              PatchingOptions options, int run_serial)
      : Job(kPatchingJob),
        model_(std::move(model)),
        clean_(std::move(clean)),
        corrupted_(std::move(corrupted)),
        options_(std::move(options)),
        run_serial_(run_serial) {}

  bool step() override {
    if (!sweep_) {  // both runs, then a patch per step
      start_ = std::chrono::steady_clock::now();
      auto sweep = PatchingSweep::start(*model_, clean_, corrupted_, options_);
      if (!sweep) return fail(sweep.error().to_string()), true;
      sweep_.emplace(std::move(*sweep));
      return false;
    }
    auto complete = sweep_->step();
    if (!complete) return fail(complete.error().to_string()), true;
    set_progress(float(sweep_->done()) / float(sweep_->total()));
    return *complete;
  }

  void finish(AppState& s) override {
    // A result for a model or prompt no longer on screen is dropped.
    if (s.model != model_ || !s.run || s.run->serial != run_serial_) return;
    PatchingState& p = s.patching;
    p.result = sweep_->result();
    p.run_serial = run_serial_;
    p.head = options_.head;
    p.error.clear();
    const Model& m = *model_;
    p.row_labels.clear();
    p.col_labels.clear();
    p.corrupted_tokens.clear();
    for (int id : corrupted_) p.corrupted_tokens.push_back(m.token_display(id));
    const int rows = int(p.result->normalised.shape()[0]),
              cols = int(p.result->normalised.shape()[1]);
    for (int r = 0; r < rows; r++)
      p.row_labels.push_back(options_.target == PatchTarget::head_z_position
                                 ? head_label(options_.head)
                                 : "L" + std::to_string(r));
    for (int c = 0; c < cols; c++)
      p.col_labels.push_back(options_.target == PatchTarget::head_z
                                 ? "H" + std::to_string(c)
                                 : s.run->tokens[std::size_t(c)]);
    p.hover_row = p.hover_col = -1;
    p.serial++;
    char line[160];
    std::snprintf(line, sizeof line,
                  "patched %s: %d cells in %.2f s (metric clean %.3f, corrupted %.3f)",
                  std::string(patch_target_name(options_.target)).c_str(), sweep_->total(),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(),
                  p.result->clean, p.result->corrupted);
    set_status(s, line);
  }

  void failed(AppState& s, const std::string& error) override {
    if (s.model == model_) s.patching.error = error;  // beside the view, too
  }

 private:
  std::shared_ptr<const Model> model_;
  Prompt clean_;
  std::vector<int> corrupted_;
  PatchingOptions options_;
  int run_serial_;
  std::optional<PatchingSweep> sweep_;  // empty before the first step
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

bool patching_running(const AppState& state) {
  return state.background.busy() && state.background.current()->title() == kPatchingJob;
}

void start_patching(AppState& state) {
  if (!state.model || !state.run) return;
  PatchingState& p = state.patching;
  p.error.clear();
  auto corrupted = patching_corrupted_ids(state);
  if (!corrupted) return void(p.error = corrupted.error().to_string());
  const Model& model = *state.model;
  Prompt clean;
  clean.ids = state.run->ids;
  auto answer = model.single_token(p.answer);
  if (!answer) return void(p.error = "answer: " + answer.error().to_string());
  clean.answers = {*answer};
  if (p.metric == MetricKind::logit_diff) {
    auto distractor = model.single_token(p.distractor);
    if (!distractor) return void(p.error = "distractor: " + distractor.error().to_string());
    clean.distractors = {*distractor};
  }
  PatchingOptions options;
  options.target = p.target;
  options.metric = p.metric;
  options.head = state.focus;  // head_z_position patches the focused head
  state.background.cancel();
  state.background.start(std::make_unique<PatchingJob>(
      state.model, std::move(clean), std::move(*corrupted), std::move(options), state.run->serial));
}

}  // namespace attnscope::ui
