// test_ui_logic.cpp — the explorer's logic without a window: the job runner, the view in the URL,
// and the actions (load, run, ablate, calibrate, sweep, circuit) driven through a test Host, as
// the panels drive them.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/analysis/generation.h"
#include "core/gpu/automatic_backend.h"
#include "core/gpu/shared_webgpu.h"
#include "core/gpu/webgpu_backend.h"
#include "core/io/file_source.h"
#include "tests/ui/test_host.h"
#include "ui/app/actions.h"
#include "ui/app/figure_export.h"
#include "ui/app/host.h"

using namespace attnscope;
using namespace attnscope::ui;
using namespace attnscope::ui::testing;

namespace {

class CountingJob final : public Job {
 public:
  CountingJob(int steps, int* finished) : Job("count"), steps_(steps), finished_(finished) {}
  bool step() override {
    done_++;
    set_progress(float(done_) / float(steps_));
    return done_ == steps_;
  }
  void finish(AppState&) override { (*finished_)++; }

 private:
  int steps_, done_ = 0;
  int* finished_;
};

}  // namespace

TEST_CASE("the job runner finishes jobs on the UI thread, drops cancelled ones, reports errors") {
  AppState state;
  int finished = 0;
  state.jobs.start(std::make_unique<CountingJob>(50, &finished));
  CHECK(state.jobs.busy());
  settle(state);
  CHECK(finished == 1);
  CHECK_FALSE(state.jobs.busy());

  // A job started while another runs waits; the newest waiting one replaces older ones.
  state.jobs.start(std::make_unique<CountingJob>(20000, &finished));
  state.jobs.start(std::make_unique<CountingJob>(5, &finished));
  state.jobs.start(std::make_unique<CountingJob>(5, &finished));
  settle(state);
  CHECK(finished == 3);

  state.jobs.start(std::make_unique<CountingJob>(100000000, &finished));
  state.jobs.cancel();
  settle(state);
  CHECK(finished == 3);

  std::string failure;
  state.jobs.start(make_job(
      "failing", [](Job&) { return std::string("it broke"); }, [&](AppState&) { finished++; },
      [&](AppState&, const std::string& error) { failure = error; }));
  settle(state);
  CHECK(state.error == "failing: it broke");
  CHECK(failure == "it broke");  // the job's own clean-up saw why
  CHECK(finished == 3);

  // A waiting job is replaced only by one of the same kind: a model load queued behind a run is
  // never lost to a prompt typed meanwhile.
  std::vector<std::string> order;
  const auto job = [&](const std::string& title, const std::string& name) {
    return make_job(
        title, [](Job&) { return std::string(); },
        [&order, name](AppState&) { order.push_back(name); });
  };
  state.jobs.start(std::make_unique<CountingJob>(20000, &finished));
  state.jobs.start(job("Loading attnscope-tasks", "load"));
  state.jobs.start(job("Running the prompt", "run 1"));
  state.jobs.start(job("Running the prompt", "run 2"));
  settle(state);
  CHECK(order == std::vector<std::string>{"load", "run 2"});
}

TEST_CASE("export names have no spaces or path characters") {
  CHECK(export_file_name("your model_L1 mean of heads.png") == "your_model_L1_mean_of_heads.png");
  CHECK(export_file_name("../../etc/passwd") == ".._.._etc_passwd");
  CHECK(export_file_name("a  /\\:*?\"<>|b.csv") == "a_b.csv");
  CHECK(export_file_name("ünïcode L0H0.json") == "ünïcode_L0H0.json");
  CHECK(export_file_name("   ") == "attnscope-export");
}

TEST_CASE("the view round-trips through URL parameters, and hostile ones are ignored") {
  AppState a;
  a.model_name = "attnscope-kjv";
  a.prompt = "a&b=c %41 \"quoted\" — ünïcode\nline";
  a.focus = {2, 5};
  a.tab = Tab::ablation;
  a.attention_view = AttentionView::lines;
  a.aggregate = Aggregate::layer_mean;
  AppState b;
  apply_view_query(b, "#" + view_query(a));
  CHECK(b.model_name == a.model_name);
  CHECK(b.prompt == a.prompt);
  CHECK(b.focus == a.focus);
  CHECK(b.tab == Tab::ablation);
  CHECK(b.attention_view == AttentionView::lines);
  CHECK(b.aggregate == Aggregate::layer_mean);

  // Ablated heads and the mode travel too; heads outside any model are dropped.
  a.ablation.heads = {{1, 2}, {0, 3}};
  a.ablation.mode = AblationMode::mean;
  AppState d;
  apply_view_query(d, view_query(a));
  CHECK(d.ablation.heads == std::vector<HeadRef>{{1, 2}, {0, 3}});
  CHECK(d.ablation.mode == AblationMode::mean);
  AppState e;
  apply_view_query(e, "ablate=L1H2%2CL99999H1%2CLxH2%2CL1H2x%2CL1H2&mode=nope");
  CHECK(e.ablation.heads == std::vector<HeadRef>{{1, 2}});
  CHECK(e.ablation.mode == AblationMode::zero);

  // The backend travels when named; Automatic, the default, is left out of the link.
  CHECK(view_query(a).find("backend=") == std::string::npos);
  for (BackendChoice choice : {BackendChoice::cpu, BackendChoice::webgpu}) {
    a.backend_choice = choice;
    AppState f;
    apply_view_query(f, view_query(a));
    CHECK(f.backend_choice == choice);
  }

  AppState c;
  c.backend_choice = BackendChoice::cpu;
  apply_view_query(c, "head=L-1H3&tab=nope&prompt=%zz%4&&&=&model=&x&backend=tpu");
  CHECK(c.backend_choice == BackendChoice::automatic);  // a backend there is not: Automatic
  CHECK(c.focus == HeadRef{0, 0});
  CHECK(c.tab == Tab::attention);
  CHECK(c.prompt == "%zz%4");
  CHECK(c.model_name.empty());
}

TEST_CASE("the explorer's actions: load, run, ablate, calibrate, sweep, export") {
  TestHost host;
  AppState state;
  state.host = &host;
  state.prompt = "In the beginning God created the heaven and the earth. In the beginning God";
  load_bundled_model(state, "attnscope-kjv");
  settle(state);
  REQUIRE(state.error.empty());
  REQUIRE(state.model);
  REQUIRE(state.run);
  const Run& run = *state.run;
  CHECK(run.tokens.size() == run.ids.size());
  CHECK(run.patterns.size() == 4);
  CHECK(run.sinks->heads_with_first_token_sink > 0);
  REQUIRE(state.ablation.effect);
  CHECK(state.ablation.effect->kl == 0.0);  // nothing ablated yet

  // The induction heads (model card: L1H1–L1H5) carry " created" after "In the beginning God".
  state.ablation.answer = " created";
  state.ablation.distractor = " and";
  for (int h = 1; h <= 5; h++) toggle_ablated(state, {1, h});
  settle(state);
  REQUIRE(state.ablation.effect);
  CHECK(state.ablation.heads.size() == 5);
  CHECK(state.ablation.effect->kl > 0.01);
  REQUIRE(state.ablation.metric_valid);
  CHECK(state.ablation.logit_diff_after < state.ablation.logit_diff_before);

  for (AblationMode mode : {AblationMode::mean, AblationMode::resample}) {
    state.ablation.mode = mode;
    refresh_ablation(state);
    settle(state);
    CHECK(state.error.empty());
    CHECK(state.ablation.effect->kl > 0);
  }
  state.ablation.mode = AblationMode::resample;
  state.ablation.corrupted_text = "too short";
  refresh_ablation(state);
  settle(state);
  CHECK(state.error.find("as many as the prompt") != std::string::npos);
  state.error.clear();
  state.ablation.corrupted_text.clear();
  state.ablation.mode = AblationMode::zero;

  state.calibration.enabled = true;
  refresh_calibration(state);
  settle(state);
  REQUIRE(state.calibration.effect);
  CHECK_FALSE(state.calibration.applied.empty());

  start_sweep(state);
  settle(state);
  REQUIRE(state.ablation.sweep);
  CHECK(state.ablation.sweep->effect.shape()[0] == 4);
  CHECK(state.ablation.sweep->effect.shape()[1] == 8);
  // The sweep's head-by-head effects match ablating the strongest head alone.
  const Tensor& effect = state.ablation.sweep->effect;
  CHECK(xt::amax(effect)() > 0.5f);

  // A bad metric token is an error message, not a crash; so is a model that is not there.
  state.ablation.answer = " created and";
  refresh_ablation(state);
  settle(state);
  CHECK(state.ablation.metric_error.find("tokens") != std::string::npos);
  host.open_user_model(state, "/nonexistent/model");
  settle(state);
  CHECK_FALSE(state.error.empty());
  CHECK(state.model_name == "attnscope-kjv");

  save_export(state, "x.csv", std::string("a,b\r\n"), "text/csv");
  CHECK(host.saved.count("x.csv") == 1);
  CHECK(state.last_export == "saved x.csv");
  CHECK(state_json(state).find("\"model\":\"attnscope-kjv\"") != std::string::npos);
}

TEST_CASE("Automatic runs on WebGPU only on a hardware adapter; named, WebGPU runs on any") {
  TestHost host;
  AppState state;
  state.host = &host;
  REQUIRE(state.backend_choice == BackendChoice::automatic);
  load_bundled_model(state, "attnscope-kjv");
  settle(state);
  REQUIRE(state.run);
  std::string expected;
  Backend* webgpu = shared_webgpu_backend(&expected);
  const bool worth = webgpu && webgpu_worth_using(*webgpu_info(*webgpu), &expected);
  CAPTURE(expected);
  // No adapter, or a software one (SwiftShader, where CI runs): the CPU, with the reason as a
  // grey line, not an error.
  CHECK(&state.model->backend() == (worth ? webgpu : &default_backend()));
  if (worth)
    CHECK(state.backend_reason.empty());
  else if (webgpu)
    CHECK(state.backend_reason == "Automatic chose the CPU, because " + expected + ".");
  else
    CHECK(state.backend_reason.rfind("Automatic chose the CPU, because WebGPU is unavailable: ",
                                     0) == 0);
  CHECK(state.backend_note.empty());
  CHECK(state.error.empty());
  const auto j = nlohmann::json::parse(state_json(state));
  CHECK(j["backendChoice"] == "automatic");
  CHECK(j["useWebgpu"] == worth);
  CHECK(j["backendReason"] == state.backend_reason);

  // Named, the CPU: no reason to give. Named, WebGPU: any adapter, SwiftShader too.
  choose_backend(state, BackendChoice::cpu);
  settle(state);
  CHECK(&state.model->backend() == &default_backend());
  CHECK(state.backend_reason.empty());
  CHECK(view_query(state).find("&backend=cpu") != std::string::npos);
  if (!webgpu) return;
  const int runs = state.run->serial;
  choose_backend(state, BackendChoice::webgpu);
  settle(state);
  CHECK(&state.model->backend() == webgpu);
  CHECK(state.run->serial > runs);
  CHECK(state.backend_reason.empty());
  CHECK(state.backend_note.empty());
  // Back to Automatic: where the rule says, and the models loaded next follow it.
  choose_backend(state, BackendChoice::automatic);
  settle(state);
  CHECK(&state.model->backend() == (worth ? webgpu : &default_backend()));
  load_bundled_model(state, "attnscope-tasks");
  settle(state);
  REQUIRE(state.model_name == "attnscope-tasks");
  CHECK(&state.model->backend() == (worth ? webgpu : &default_backend()));
  CHECK(state.backend_reason.empty() == worth);
}

TEST_CASE("after a model switch every view belongs to the new model") {
  TestHost host;
  AppState state;
  state.host = &host;
  state.bundled = host.bundled_models();
  open_initial_view(state, "model=attnscope-kjv&ablate=L1H2%2CL9H9");
  settle(state);
  REQUIRE(state.run);
  CHECK(state.ablation.heads == std::vector<HeadRef>{{1, 2}});  // L9H9 is not in the model
  const int kjv_serial = state.run->serial;
  const std::vector<int> kjv_ids = state.run->ids;

  // Switch before typing anything: a new run with a serial never used before (the views' texture
  // cache is keyed on it), the tasks model's own tokens, nothing of the old model's left.
  int background_finished = 0;
  state.background.start(std::make_unique<CountingJob>(1, &background_finished));
  load_bundled_model(state, "attnscope-tasks");
  settle(state);
  REQUIRE(state.run);
  CHECK(state.model_name == "attnscope-tasks");
  CHECK(state.run->serial != kjv_serial);
  CHECK(state.run->ids != kjv_ids);
  CHECK(state.ablation.heads.empty());
  auto expected = state.model->tokenize(state.prompt);
  REQUIRE(expected);
  CHECK(state.run->ids == *expected);

  // A link to a model that is not bundled: the default, and a message that says so.
  AppState other;
  other.host = &host;
  other.bundled = host.bundled_models();
  open_initial_view(other, "model=gpt2-xl");
  settle(other);
  CHECK(other.model_name == "attnscope-kjv");
  CHECK(other.error.find("'gpt2-xl', which is not bundled here") != std::string::npos);

  // A prompt longer than the context: the reason beside the views, then its last tokens.
  std::string words;
  for (int i = 0; i < 200; i++) words += " and the LORD";
  state.prompt = words;
  run_prompt(state);
  settle(state);
  CHECK(state.run_too_long);
  CHECK(state.run_error.find("more than the model's context") != std::string::npos);
  state.keep_last_tokens = true;
  run_prompt(state);
  settle(state);
  REQUIRE(state.run);
  CHECK(int(state.run->ids.size()) == state.model->config().n_ctx);
  CHECK(state.run->dropped_tokens > 0);
  CHECK(state.run_error.empty());

  // Typed ids, as for a model without a tokenizer.
  state.prompt_is_ids = true;
  state.prompt_ids = "5, 6, 7";
  run_prompt(state);
  settle(state);
  CHECK(state.run->ids == std::vector<int>{5, 6, 7});
  state.prompt_ids = "5, x";
  run_prompt(state);
  settle(state);
  CHECK(state.run_error.find("'x' is not a token id") != std::string::npos);
}

TEST_CASE(
    "patching, the logit lens and massive activations from the explorer, and what is dropped") {
  TestHost host;
  AppState state;
  state.host = &host;
  state.prompt = "In the beginning God created the heaven and the earth. In the beginning God";
  load_bundled_model(state, "attnscope-kjv");
  settle(state);
  REQUIRE(state.run);
  const Model& kjv = *state.model;
  const auto created = kjv.single_token(" created");
  const auto made = kjv.single_token(" made");
  REQUIRE(created);
  REQUIRE(made);
  const std::vector<int>& ids = state.run->ids;
  const int T = int(ids.size());
  const int swapped = int(std::find(ids.begin(), ids.end(), *created) - ids.begin());
  REQUIRE(swapped < T);

  // The one-token swap: " created" → " made"; the metric logit(" created") − logit(" made").
  PatchingState& p = state.patching;
  p.source = CorruptionSource::swap;
  p.swap_position = swapped;
  p.swap_token = " made";
  p.answer = " created";
  p.distractor = " made";
  p.target = PatchTarget::resid_pre;
  auto corrupted = patching_corrupted_ids(state);
  REQUIRE(corrupted);
  CHECK((*corrupted)[std::size_t(swapped)] == *made);
  start_patching(state);
  settle(state);
  REQUIRE(state.error.empty());
  REQUIRE(p.result);
  const Tensor& rec = p.result->normalised;
  REQUIRE(rec.shape()[0] == 4);
  REQUIRE(int(rec.shape()[1]) == T);
  // The clean metric is the explorer's own run's logit difference.
  const Tensor& logits = state.run->last_logits;
  CHECK(p.result->clean ==
        doctest::Approx(double(logits(0, *created)) - logits(0, *made)).epsilon(1e-3));
  // Layer 0's input differs only at the swapped token: patching it there is the clean run
  // (recovered 1), anywhere else it changes nothing (0).
  for (int t = 0; t < T; t++)
    CHECK(rec(0, t) == doctest::Approx(t == swapped ? 1.0 : 0.0).epsilon(1e-4));
  CHECK(p.col_labels.size() == std::size_t(T));
  CHECK(p.row_labels.front() == "L0");
  const std::string json = state_json(state);
  CHECK(json.find("\"recovered\":[[") != std::string::npos);

  // Each head's z (layer × head), and one head's z per position.
  p.target = PatchTarget::head_z;
  start_patching(state);
  settle(state);
  REQUIRE(p.result);
  CHECK(p.result->normalised.shape()[0] == 4);
  CHECK(p.result->normalised.shape()[1] == 8);
  CHECK(p.col_labels.front() == "H0");
  state.focus = {1, 2};
  p.target = PatchTarget::head_z_position;
  start_patching(state);
  settle(state);
  REQUIRE(p.result);
  CHECK(p.result->normalised.shape()[0] == 1);
  CHECK(p.row_labels.front() == "L1H2");

  // Bad set-ups: one message each, no sweep.
  const int serial = p.serial;
  p.source = CorruptionSource::typed;
  p.corrupted_text = "In the beginning";
  start_patching(state);
  CHECK(p.error.find("patching needs the same number") != std::string::npos);
  CHECK_FALSE(state.background.busy());
  p.source = CorruptionSource::swap;
  p.swap_token = " created";
  start_patching(state);
  CHECK(p.error.find("same token") != std::string::npos);
  p.swap_token = " created and";
  start_patching(state);
  CHECK(p.error.find("not one") != std::string::npos);
  p.swap_token = " made";
  p.answer = "";
  start_patching(state);
  CHECK(p.error.find("answer") != std::string::npos);
  p.answer = " created";
  p.distractor = " created";  // both runs then score 0: nothing to recover
  p.target = PatchTarget::resid_pre;
  start_patching(state);
  settle(state);
  CHECK(p.error.find("score the same") != std::string::npos);
  CHECK(p.serial == serial);
  state.error.clear();
  p.distractor = " made";

  // Cancelled: no result, no error.
  start_patching(state);
  state.background.cancel();
  settle(state);
  CHECK(p.error.empty());

  // The lens: its last row is the model's own prediction; the default target is its top token.
  ensure_lens(state);
  settle(state);
  REQUIRE(state.lens.result);
  const LogitLens& lens = *state.lens.result;
  CHECK(lens.rows == 5);
  CHECK(lens.positions == T);
  const int top =
      int(std::max_element(logits.data(), logits.data() + logits.size()) - logits.data());
  CHECK(lens.top_at(4, T - 1, 0).id == top);
  CHECK(lens.target == top);
  CHECK(lens.target_rank(4, T - 1) == 1);
  const std::vector<double> logp = log_softmax(logits.data(), logits.size());
  CHECK(lens.target_prob(4, T - 1) ==
        doctest::Approx(std::exp(logp[std::size_t(top)])).epsilon(1e-4));
  CHECK(lens.head_dla.shape()[0] == 4);
  const int lens_serial = state.lens.serial;
  ensure_lens(state);  // the same run and settings: nothing recomputed
  settle(state);
  CHECK(state.lens.serial == lens_serial);
  state.lens.target = " nonexistent words";
  ensure_lens(state);
  settle(state);
  CHECK(state.lens.error.find("target") != std::string::npos);
  CHECK_FALSE(state.lens.result);
  state.lens.target = " created";
  state.lens.position = swapped - 1;  // where " created" comes next
  ensure_lens(state);
  settle(state);
  REQUIRE(state.lens.result);
  CHECK(state.lens.result->target == *created);
  CHECK(state.lens.result->position == swapped - 1);

  // Massive activations: a row per block input and the final stream.
  ensure_massive(state);
  settle(state);
  REQUIRE(state.massive.layers.size() == 5);
  for (const MassiveLayer& l : state.massive.layers) {
    REQUIRE_FALSE(l.top.empty());
    CHECK(l.top.front().position < T);
    CHECK(l.top.front().channel < kjv.config().d_model);
  }

  // A new prompt drops every result computed for the old one.
  start_patching(state);
  settle(state);
  REQUIRE(p.result);
  state.prompt = "And God said, Let there be light";
  run_prompt(state);
  settle(state);
  CHECK_FALSE(p.result);
  CHECK_FALSE(state.lens.result);
  CHECK(state.massive.layers.empty());
  CHECK(state_json(state).find("\"recovered\"") == std::string::npos);

  // A sweep still running when the model switches never lands on the new model.
  p.source = CorruptionSource::typed;
  p.corrupted_text = "And God said, Let there be darkness";
  p.answer = " and";
  p.distractor = ",";
  REQUIRE(patching_corrupted_ids(state));
  start_patching(state);
  load_bundled_model(state, "attnscope-tasks");
  settle(state);
  CHECK(state.model_name == "attnscope-tasks");
  CHECK_FALSE(p.result);
  state.lens.target.clear();  // the tasks model's own next token
  state.lens.position = -1;
  ensure_lens(state);
  ensure_massive(state);
  settle(state);
  REQUIRE(state.lens.result);
  CHECK(state.lens.result->rows == state.model->config().n_layers + 1);
  CHECK(state.lens.result->head_dla.shape()[1] == std::size_t(state.model->config().n_heads));
  CHECK(state.massive.layers.size() == std::size_t(state.model->config().n_layers + 1));
}

TEST_CASE("a link to the patching view carries its set-up and sweeps once the prompt has run") {
  AppState a;
  a.model_name = "attnscope-kjv";
  a.tab = Tab::patching;
  a.patching.target = PatchTarget::head_z;
  a.patching.source = CorruptionSource::swap;
  a.patching.swap_position = 4;
  a.patching.swap_token = " made";
  a.patching.answer = " created";
  a.patching.distractor = " made & more";
  AppState b;
  apply_view_query(b, view_query(a));
  CHECK(b.tab == Tab::patching);
  CHECK(b.patching.target == PatchTarget::head_z);
  CHECK(b.patching.swap_position == 4);
  CHECK(b.patching.swap_token == " made");
  CHECK(b.patching.answer == " created");
  CHECK(b.patching.distractor == " made & more");
  CHECK(b.patching.run_on_load);
  AppState c;  // no corruption named: nothing runs by itself
  apply_view_query(c, "tab=patching&patch=resid_pre&swap=x");
  CHECK_FALSE(c.patching.run_on_load);
  CHECK(c.patching.swap_position == -1);
  AppState d;
  apply_view_query(d, "tab=lens&follow=%20the");
  CHECK(d.tab == Tab::lens);
  CHECK(d.lens.target == " the");
}

TEST_CASE("the Report button saves one HTML file, with the patching sweep on screen for this run") {
  TestHost host;
  AppState state;
  state.host = &host;
  state.prompt = "In the beginning God created the heaven and the earth.";
  load_bundled_model(state, "attnscope-kjv");
  settle(state);
  REQUIRE(state.run);
  const auto html_of = [&]() {
    const auto it = host.saved.find("attnscope-kjv_report.html");
    REQUIRE(it != host.saved.end());
    return std::string(it->second.begin(), it->second.end());
  };
  // Without a sweep: attention, lens and massive activations, and nothing to fetch.
  export_report(state);
  settle(state);
  CHECK(state.error.empty());
  std::string html = html_of();
  CHECK(html.find("<h2>Activation patching</h2>") == std::string::npos);
  CHECK(html.find("<h2>Logit lens</h2>") != std::string::npos);
  CHECK(html.find("In the beginning God created") != std::string::npos);  // the prompt text

  // With the patching tab's sweep for this run: it is in the report as it is on screen.
  PatchingState& p = state.patching;
  p.source = CorruptionSource::typed;
  p.corrupted_text = "In the beginning God made the heaven and the earth.";
  p.answer = " created";
  p.distractor = " made";
  p.target = PatchTarget::mlp_out;
  start_patching(state);
  settle(state);
  REQUIRE(p.result);
  host.saved.clear();
  export_report(state);
  settle(state);
  html = html_of();
  CHECK(html.find("<h2>Activation patching</h2>") != std::string::npos);
  CHECK(html.find("\"mlp_out\":") != std::string::npos);  // the sweep shown, not one run anew
  CHECK(html.find("\"head_z\":") == std::string::npos);

  // A new prompt: the old sweep is not this run's, so the report leaves patching out.
  state.prompt = "And God said, Let there be light.";
  run_prompt(state);
  settle(state);
  host.saved.clear();
  export_report(state);
  settle(state);
  CHECK(html_of().find("<h2>Activation patching</h2>") == std::string::npos);
}

TEST_CASE("map exports: PNG at the chosen scale, SVG beside it") {
  TestHost host;
  AppState state;
  state.host = &host;
  state.model_name = "m";
  Tensor values = xt::zeros<float>({std::size_t(3), std::size_t(4)});
  values(1, 2) = 0.5f;
  MapExport map;
  map.values = &values;
  map.name = "effects";
  map.title = "effects";
  map.row_axis = "layer";
  map.col_axis = "head";
  map.row_labels = index_labels("L", 3);
  map.col_labels = index_labels("H", 4);
  const auto png_width = [&](const std::vector<std::uint8_t>& png) {
    REQUIRE(png.size() > 24);  // the IHDR chunk: width, big-endian, at byte 16
    return (png[16] << 24) | (png[17] << 16) | (png[18] << 8) | png[19];
  };
  ExportRequest request;
  request.png = request.svg = true;
  export_map(state, request, map);
  REQUIRE(host.saved.count("m_effects.png") == 1);
  REQUIRE(host.saved.count("m_effects.svg") == 1);
  const int width = png_width(host.saved["m_effects.png"]);
  const std::string svg(host.saved["m_effects.svg"].begin(), host.saved["m_effects.svg"].end());
  CHECK(svg.find("width=\"" + std::to_string(width) + "\"") != std::string::npos);
  for (const int scale : {2, 4}) {
    state.export_scale = scale;
    export_map(state, request, map);
    CHECK(png_width(host.saved["m_effects.png"]) == scale * width);
  }
  // Greys for print: a sequential map's colours become greys, a diverging map keeps its own.
  const auto svg_of = [&]() {
    return std::string(host.saved["m_effects.svg"].begin(), host.saved["m_effects.svg"].end());
  };
  const std::string viridis_low = "#440154";  // viridis at 0, the map's most common cell here
  state.export_scale = 1;
  export_map(state, request, map);
  CHECK(svg_of().find(viridis_low) != std::string::npos);
  state.export_greys = true;
  export_map(state, request, map);
  CHECK(svg_of().find(viridis_low) == std::string::npos);
  const Rgb grey = sample(Colormap::greys, 0.0f);
  char hex[8];
  std::snprintf(hex, sizeof hex, "#%02x%02x%02x", grey.r, grey.g, grey.b);
  CHECK(svg_of().find(hex) != std::string::npos);
  CHECK(export_colormap(state, Colormap::diverging) == Colormap::diverging);
  CHECK(export_colormap(state, Colormap::magma) == Colormap::greys);
}

TEST_CASE("chart exports: PNG at the chosen scale, SVG, and the points as CSV and JSON") {
  TestHost host;
  AppState state;
  state.host = &host;
  state.model_name = "m";
  LineChartSpec chart;
  chart.title = "p(x) by layer";
  chart.x_axis = "residual stream";
  chart.y_axis = "probability";
  chart.x_categories = {"L0 in", "final, \"quoted\""};
  chart.series = {{"p", {0, 1}, {0.25, 0.5}}};
  ExportRequest request;
  request.png = request.svg = request.csv = request.json = true;
  export_chart(state, request, chart, "lens_probability");
  REQUIRE(host.saved.count("m_lens_probability.png") == 1);
  const std::string svg(host.saved["m_lens_probability.svg"].begin(),
                        host.saved["m_lens_probability.svg"].end());
  CHECK(svg.find(">m: p(x) by layer</text>") != std::string::npos);
  const std::string csv(host.saved["m_lens_probability.csv"].begin(),
                        host.saved["m_lens_probability.csv"].end());
  CHECK(csv ==
        "series,residual stream,probability\np,L0 in,0.25\np,\"final, \"\"quoted\"\"\",0.5\n");
  const auto json = nlohmann::json::parse(host.saved["m_lens_probability.json"]);
  CHECK(json["series"][0]["y"][1] == 0.5);
  CHECK(json["x_categories"][1] == "final, \"quoted\"");
}

TEST_CASE("Generate: the continuation joins the prompt, runs again, and equals core's generate") {
  TestHost host;
  AppState state;
  state.host = &host;
  state.prompt = "In the beginning God created the heaven";
  load_bundled_model(state, "attnscope-kjv");
  settle(state);
  REQUIRE(state.run);
  const std::vector<int> prompt = state.run->ids;
  const int first_serial = state.run->serial;
  GenerationOptions o;
  o.max_new_tokens = 5;
  const Generation want = generate(*state.model, prompt, o).value();

  state.generation.new_tokens = 5;
  start_generation(state);
  settle(state);
  CHECK(state.generation.error.empty());
  CHECK(state.generation.serial == 1);
  REQUIRE(state.run);
  CHECK(state.run->serial > first_serial);  // the prompt ran again
  CHECK(state.run->ids == want.sequence);   // and holds the continuation, token for token
  CHECK(state.run->tokens.size() == want.sequence.size());
  CHECK_FALSE(state.generation.last.empty());

  // Sampled, from a seed: the same draw as core's.
  state.generation.sample = true;
  state.generation.seed = 7;
  state.generation.new_tokens = 4;
  GenerationOptions sampled;
  sampled.max_new_tokens = 4;
  sampled.sampling.temperature = state.generation.temperature;
  sampled.sampling.top_k = state.generation.top_k;
  sampled.sampling.top_p = state.generation.top_p;
  sampled.sampling.seed = 7;
  const Generation drawn = generate(*state.model, state.run->ids, sampled).value();
  start_generation(state);
  settle(state);
  CHECK(state.run->ids == drawn.sequence);

  // Past the context: one message beside the button, and nothing runs.
  const std::size_t before = state.run->ids.size();
  state.generation.new_tokens = state.model->config().n_ctx;
  start_generation(state);
  settle(state);
  CHECK(state.generation.error.find("room for") != std::string::npos);
  CHECK(state.run->ids.size() == before);
}

TEST_CASE("a link's generate=N continues its prompt once, greedy; a bad N is ignored") {
  TestHost host;
  AppState state;
  state.host = &host;
  apply_view_query(state, "prompt=In%20the%20beginning&generate=3");
  CHECK(state.generation.run_on_load);
  load_bundled_model(state, "attnscope-kjv");
  settle(state);
  REQUIRE(state.run);
  const Model& kjv = *state.model;
  GenerationOptions o;
  o.max_new_tokens = 3;
  const std::vector<int> prompt = kjv.tokenize("In the beginning").value();
  CHECK(state.run->ids == generate(kjv, prompt, o).value().sequence);
  CHECK(state.generation.serial == 1);
  CHECK_FALSE(state.generation.run_on_load);
  for (const char* bad :
       {"generate=0", "generate=-2", "generate=5000", "generate=3x", "generate="}) {
    AppState other;
    apply_view_query(other, bad);
    CHECK_FALSE(other.generation.run_on_load);
  }
}
