// long_jobs.cpp — the all-heads sweep (one step per head, so the browser's progress bar moves)
// and the SAE circuit pipeline, on the background runner.
#include <chrono>
#include <cstdio>
#include <optional>

#include "core/analysis/prompt.h"
#include "ui/app/actions.h"

namespace attnscope::ui {

namespace {

// Ablates every head in turn on the current prompt and scores each with the logit difference of
// the two metric tokens: core's AblationSweep, one head per step so the browser's progress bar
// moves.
class SweepJob final : public Job {
 public:
  SweepJob(std::shared_ptr<const Model> model, std::vector<int> ids, AblationState settings)
      : Job("Sweeping all heads"),
        model_(std::move(model)),
        ids_(std::move(ids)),
        settings_(std::move(settings)) {}

  bool step() override {
    if (!sweep_) return prepare();
    auto complete = sweep_->step();
    if (!complete) return fail(complete.error().to_string()), true;
    set_progress(float(sweep_->done()) / float(sweep_->total()));
    return *complete;
  }

  void finish(AppState& state) override {
    if (state.model != model_ || !state.run || state.run->ids != ids_) return;  // stale
    state.ablation.sweep = sweep_->result();
    state.ablation.sweep_serial++;
    char line[96];
    std::snprintf(line, sizeof line, "swept %d heads in %.2f s", sweep_->total(),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    set_status(state, line);
  }

 private:
  // The sweep's settings from the panel: metric tokens, the mean source (this prompt's mean z) or
  // the corrupted prompt (typed, or the prompt reversed).
  bool prepare() {
    start_ = std::chrono::steady_clock::now();
    auto answer = model_->single_token(settings_.answer);
    auto distractor = model_->single_token(settings_.distractor);
    if (!answer || !distractor) {
      fail("the sweep scores the logit difference of two single tokens: " +
           (!answer ? answer.error() : distractor.error()).to_string());
      return true;
    }
    Prompt prompt;
    prompt.ids = ids_;
    prompt.answers = {*answer};
    prompt.distractors = {*distractor};
    SweepOptions options;
    options.mode = settings_.mode;
    options.metric = MetricKind::logit_diff;
    if (settings_.mode == AblationMode::mean) {
      const std::vector<std::vector<int>> set = {ids_};
      auto z = mean_head_z(*model_, set);
      if (!z) return fail(z.error().to_string()), true;
      options.mean_z = std::make_shared<const Tensor>(std::move(*z));
    } else if (settings_.mode == AblationMode::resample) {
      std::vector<int> corrupted(ids_.rbegin(), ids_.rend());
      if (!settings_.corrupted_text.empty()) {
        auto c2 = model_->tokenize(settings_.corrupted_text);
        if (!c2 || c2->size() != ids_.size())
          return fail("the corrupted prompt must have as many tokens as the prompt"), true;
        corrupted = *c2;
      }
      options.resample_ids = {corrupted};
    }
    auto sweep = AblationSweep::start(*model_, {prompt}, std::move(options));
    if (!sweep) return fail(sweep.error().to_string()), true;
    sweep_.emplace(std::move(*sweep));
    return false;
  }

  std::shared_ptr<const Model> model_;
  std::vector<int> ids_;
  AblationState settings_;
  std::optional<AblationSweep> sweep_;  // empty before the first step
  std::chrono::steady_clock::time_point start_;
};

// Prompts typed one per line.
std::vector<Prompt> typed_prompts(const Model& model, const std::string& text, std::string& error) {
  std::vector<Prompt> out;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(begin, end - begin);
    if (line.find_first_not_of(" \t\r") != std::string::npos) {
      auto ids = model.tokenize(line);
      if (!ids) {
        error = ids.error().to_string();
        return {};
      }
      Prompt p;
      p.ids = std::move(*ids);
      out.push_back(std::move(p));
    }
    begin = end + 1;
  }
  return out;
}

}  // namespace

void start_sweep(AppState& state) {
  if (!state.model || !state.run) return;
  state.background.cancel();
  state.background.start(std::make_unique<SweepJob>(state.model, state.run->ids, state.ablation));
}

bool circuit_prompts(AppState& state, CircuitPrompts& out) {
  CircuitState& cs = state.circuit;
  if (cs.typed) {
    std::string error;
    out.positives = typed_prompts(*state.model, cs.positive_text, error);
    if (error.empty()) out.negatives = typed_prompts(*state.model, cs.negative_text, error);
    if (!error.empty()) return set_error(state, "circuit prompts: " + error), false;
    return true;
  }
  if (state.task_files.empty()) {
    ensure_task_files(state);
    return set_status(state, "fetching the bundled task prompts; press Run again"), false;
  }
  out.task = task_names()[std::size_t(cs.task)];
  auto pos = parse_task_prompts(state.task_files[out.task + "_positive.jsonl"], *state.model);
  auto neg = parse_task_prompts(state.task_files[out.task + "_negative.jsonl"], *state.model);
  if (!pos || !neg)
    return set_error(state, "task prompts: " + (!pos ? pos.error() : neg.error()).to_string()),
           false;
  out.positives = std::move(*pos);
  out.negatives = std::move(*neg);
  out.ground_truth = state.task_files["ground_truth.json"];
  return true;
}

void start_circuit(AppState& state) {
  if (!state.model) return;
  CircuitState& cs = state.circuit;
  CircuitPrompts prompts;
  if (!circuit_prompts(state, prompts)) return;
  std::vector<Prompt> positives = std::move(prompts.positives);
  std::vector<Prompt> negatives = std::move(prompts.negatives);
  const std::string task = prompts.task, ground_truth = prompts.ground_truth;
  auto model = state.model;
  SaeCircuitOptions options = cs.options;
  struct Out {
    std::optional<SaeCircuitResult> result;
    std::optional<CircuitEvaluation> evaluation, edge_evaluation;
    std::string evaluation_error;
  };
  auto out = std::make_shared<Out>();
  state.background.cancel();
  auto job = make_job(
      "Finding the circuit (SAE)",
      [model, positives, negatives, options, task, ground_truth, out](Job& job) -> std::string {
        SaeCircuitOptions o = options;
        o.sae.progress = [&job, epochs = o.sae.epochs](int epoch, double) {
          job.set_progress(float(epoch + 1) / float(std::max(epochs, 1)));
          return !job.cancel_requested();
        };
        auto r = sae_circuit(*model, positives, negatives, o);
        if (!r) return r.error().to_string();
        if (!ground_truth.empty()) {
          const ModelConfig& c = model->config();
          auto e = evaluate_circuit(r->scores.node, c.n_layers, c.n_heads, ground_truth, task,
                                    options.cut);
          if (e)
            out->evaluation = std::move(*e);
          else
            out->evaluation_error = e.error().to_string();
          if (e && !r->scores.edge_node.empty())
            if (auto edge = evaluate_circuit(r->scores.edge_node, c.n_layers, c.n_heads,
                                             ground_truth, task))
              out->edge_evaluation = std::move(*edge);
        }
        out->result = std::move(*r);
        return "";
      },
      [out, task, model](AppState& s) {
        if (s.model != model) return;  // the user switched models meanwhile
        s.circuit.result = std::move(out->result);
        s.circuit.evaluation = std::move(out->evaluation);
        s.circuit.edge_evaluation = std::move(out->edge_evaluation);
        s.circuit.evaluated_task = task;
        s.circuit.serial++;
        const SaeCircuitResult& r = *s.circuit.result;
        char line[160];
        std::snprintf(
            line, sizeof line, "circuit: %zu heads; activations %.2f s, SAE %.2f s, scoring %.2f s",
            r.circuit.size(), r.seconds_activations, r.seconds_training, r.seconds_scoring);
        set_status(s, line);
        if (!out->evaluation_error.empty()) set_error(s, "ground truth: " + out->evaluation_error);
      });
  state.background.start(std::move(job));
}

}  // namespace attnscope::ui
