// generation_job.cpp — the explorer's "Generate": core's Generator (key/value cache) one token per
// job step on the background runner, so the bar moves and Cancel stops it between tokens. When it
// is done the new tokens join the prompt and the prompt runs again, so the token strip and every
// view show the longer sequence.
#include <cstdio>

#include "core/analysis/generation.h"
#include "ui/app/actions.h"

namespace attnscope::ui {

namespace {

inline constexpr const char* kGenerationJob = "Generating";

std::string joined_ids(const std::vector<int>& ids) {
  std::string out;
  for (const int id : ids) out += (out.empty() ? "" : ", ") + std::to_string(id);
  return out;
}

class GenerationJob final : public Job {
 public:
  GenerationJob(std::shared_ptr<const Model> model, std::vector<int> prompt,
                GenerationOptions options, int run_serial)
      : Job(kGenerationJob),
        model_(std::move(model)),
        prompt_(std::move(prompt)),
        options_(options),
        run_serial_(run_serial) {}

  bool step() override {
    if (!generator_) {
      auto g = Generator::start(*model_, prompt_, options_);
      if (!g) return fail(g.error().to_string()), true;
      generator_.emplace(std::move(*g));
    }
    auto token = generator_->step();
    if (!token) return fail(token.error().to_string()), true;
    set_progress(float(generator_->generated().size()) / float(options_.max_new_tokens));
    return generator_->done();
  }

  void finish(AppState& s) override {
    // A continuation of a prompt or model no longer on screen is dropped.
    if (s.model != model_ || !s.run || s.run->serial != run_serial_) return;
    const Model& m = *model_;
    GenerationState& g = s.generation;
    const std::vector<int>& sequence = generator_->sequence();
    std::string shown;
    for (const GeneratedToken& t : generator_->generated()) {
      char p[32];
      std::snprintf(p, sizeof p, " (%.2f)", t.probability);
      shown += (shown.empty() ? "" : " ") + m.token_display(t.id) + p;
    }
    g.last = shown;
    g.error.clear();
    // The continuation joins the prompt as text when the text tokenizes back to exactly these
    // tokens (BPE may merge across the seam otherwise); else the prompt becomes their ids.
    bool as_text = !s.prompt_is_ids && m.tokenizer() && s.run->dropped_tokens == 0;
    std::string text;
    if (as_text) {
      text = m.tokenizer()->decode(sequence);
      auto again = m.tokenize(text);
      as_text = again && *again == sequence;
    }
    if (as_text) {
      s.prompt = text;
    } else {
      s.prompt_is_ids = true;
      s.prompt_ids = joined_ids(sequence);
    }
    g.serial++;
    set_status(s, "generated " + std::to_string(generator_->generated().size()) + " tokens (" +
                      stop_reason_name(generator_->stop_reason()) + ")" +
                      (as_text ? "" : "; the prompt is now token ids, so they stay exact"));
    run_prompt(s);
  }

  void failed(AppState& s, const std::string& error) override {
    if (s.model == model_) s.generation.error = error;
  }

 private:
  std::shared_ptr<const Model> model_;
  std::vector<int> prompt_;
  GenerationOptions options_;
  int run_serial_;
  std::optional<Generator> generator_;  // empty before the first step
};

}  // namespace

bool generation_running(const AppState& state) {
  return state.background.busy() && state.background.current()->title() == kGenerationJob;
}

void start_generation(AppState& state) {
  if (!state.model || !state.run) return;
  GenerationState& g = state.generation;
  g.error.clear();
  GenerationOptions o;
  o.max_new_tokens = g.new_tokens;
  if (g.sample) {
    o.sampling.temperature = g.temperature;
    o.sampling.top_k = g.top_k;
    o.sampling.top_p = g.top_p;
    o.sampling.seed = std::uint64_t(g.seed);
  }
  // Checked here too, so a bad setting is one message beside the button, not a failed job.
  if (g.new_tokens < 1) return void(g.error = "generate at least one token");
  const int room = state.model->config().n_ctx - int(state.run->ids.size());
  if (g.new_tokens > room)
    return void(g.error = "the model's context has room for " + std::to_string(std::max(0, room)) +
                          " more tokens");
  state.background.cancel();
  state.background.start(
      std::make_unique<GenerationJob>(state.model, state.run->ids, o, state.run->serial));
}

}  // namespace attnscope::ui
