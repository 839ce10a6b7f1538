// test_session.cpp — session files (ui/app/session.h) without a window: saved from one explorer,
// opened in a fresh one to the same view, settings and patching map; files that are not sessions
// (damaged, another version, wrong types, huge numbers, heads out of range) refused with one
// message and no change; a session of the user's own model waiting for it.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "tests/ui/test_host.h"
#include "ui/app/actions.h"
#include "ui/app/session.h"

using namespace attnscope;
using namespace attnscope::ui;
using namespace attnscope::ui::testing;

namespace {

// A model loaded and the prompt run, as the explorer starts.
void start(AppState& state, TestHost& host, const std::string& model) {
  state.host = &host;
  state.bundled = host.bundled_models();
  load_bundled_model(state, model);
  settle(state);
  REQUIRE(state.run);
}

std::string saved_text(const TestHost& host, const std::string& name) {
  const auto it = host.saved.find(name);
  REQUIRE(it != host.saved.end());
  return std::string(it->second.begin(), it->second.end());
}

}  // namespace

TEST_CASE("a saved session reopens in a fresh explorer to the same view, settings and map") {
  TestHost host;
  AppState a;
  a.prompt = "In the beginning God created the heaven and the earth. In the beginning God";
  start(a, host, "attnscope-kjv");
  // A view far from the defaults, each piece set as its panel sets it.
  choose_backend(a, BackendChoice::cpu);  // named, so it is saved
  settle(a);
  a.focus = {1, 2};
  a.attention_view = AttentionView::lines;
  a.aggregate = Aggregate::layer_mean;
  a.ablation.mode = AblationMode::mean;
  a.ablation.heads = {{0, 1}, {3, 7}};
  a.ablation.answer = " heaven";
  a.ablation.distractor = " earth";
  a.calibration.enabled = true;
  a.calibration.beta = 0.25f;
  a.calibration.all_hidden = false;
  a.calibration.heads = {{1, 0}, {2, 3}};
  refresh_ablation(a);  // then calibration
  settle(a);
  REQUIRE(a.calibration.effect);
  PatchingState& p = a.patching;
  const auto& ids = a.run->ids;
  const int swapped =
      int(std::find(ids.begin(), ids.end(), *a.model->single_token(" created")) - ids.begin());
  p.source = CorruptionSource::swap;
  p.swap_position = swapped;
  p.swap_token = " made";
  p.answer = " created";
  p.distractor = " made";
  p.target = PatchTarget::attn_out;
  start_patching(a);
  settle(a);
  REQUIRE(p.result);
  a.tab = Tab::patching;
  a.lens.target = " God";
  a.lens.position = 3;
  a.circuit.method = CircuitMethod::acdc;
  a.circuit.task = 2;
  a.circuit.discovery.prompts = 20;
  a.circuit.discovery.seed = 7;
  a.circuit.acdc_steps = 5;
  a.circuit.options.sae.epochs = 123;
  a.circuit.typed = true;
  a.circuit.positive_text = "one\ntwo";

  save_session(a);
  CHECK(a.last_export == "saved attnscope-kjv_session.json");
  const std::string text = saved_text(host, "attnscope-kjv_session.json");
  const auto doc = nlohmann::json::parse(text);
  CHECK(doc["format"] == "attnscope-session");
  CHECK(doc["version"] == 1);
  CHECK(doc["model"]["bundled"] == true);
  CHECK(doc["view"]["backend"] == "cpu");

  // A fresh explorer on the other model: the session loads its own and runs its prompt.
  TestHost host_b;
  AppState b;
  start(b, host_b, "attnscope-tasks");
  const int serial_before = b.error_serial;
  open_session(b, text);
  settle(b);
  CHECK(b.error_serial == serial_before);
  CHECK(b.error.empty());
  REQUIRE(b.run);
  CHECK(b.model_name == "attnscope-kjv");
  CHECK(b.ran_prompt == a.prompt);
  CHECK(view_query(b) == view_query(a));  // model, prompt, head, tab, views, ablation, patching
  CHECK(b.backend_choice == BackendChoice::cpu);
  CHECK(b.ablation.answer == " heaven");
  CHECK(b.ablation.distractor == " earth");
  REQUIRE(b.ablation.effect);
  CHECK(b.ablation.effect->kl == doctest::Approx(a.ablation.effect->kl));
  CHECK(b.calibration.enabled);
  CHECK(b.calibration.beta == 0.25f);
  CHECK_FALSE(b.calibration.all_hidden);
  CHECK(b.calibration.heads == a.calibration.heads);
  CHECK(b.calibration.applied == a.calibration.applied);
  REQUIRE(b.calibration.effect);
  CHECK(b.calibration.effect->kl == doctest::Approx(a.calibration.effect->kl));
  // The patching map is the saved one, for this run, without a sweep.
  const PatchingState& q = b.patching;
  CHECK(q.target == PatchTarget::attn_out);
  CHECK(q.swap_position == swapped);
  CHECK(q.swap_token == " made");
  CHECK(q.answer == " created");
  CHECK(q.distractor == " made");
  REQUIRE(q.result);
  CHECK(q.run_serial == b.run->serial);
  CHECK_FALSE(q.run_on_load);
  CHECK(q.serial == 1);  // adopted once; a sweep would have said "patched ..." in the status
  CHECK(b.status.find("patched") == std::string::npos);
  CHECK(q.result->target == PatchTarget::attn_out);
  CHECK(q.result->clean == doctest::Approx(p.result->clean));
  CHECK(q.row_labels == p.row_labels);
  CHECK(q.col_labels == p.col_labels);
  CHECK(q.corrupted_tokens == p.corrupted_tokens);
  REQUIRE(q.result->normalised.shape() == p.result->normalised.shape());
  for (std::size_t i = 0; i < p.result->normalised.size(); i++)
    CHECK(q.result->normalised.data()[i] == doctest::Approx(p.result->normalised.data()[i]));
  CHECK(b.lens.target == " God");
  CHECK(b.lens.position == 3);
  CHECK(b.circuit.method == CircuitMethod::acdc);
  CHECK(b.circuit.task == 2);
  CHECK(b.circuit.discovery.prompts == 20);
  CHECK(b.circuit.discovery.seed == std::optional<std::uint64_t>(7));
  CHECK(b.circuit.acdc_steps == 5);
  CHECK(b.circuit.options.sae.epochs == 123);
  CHECK(b.circuit.typed);
  CHECK(b.circuit.positive_text == "one\ntwo");
  // And the same state the browser tests read, result included.
  const auto ja = nlohmann::json::parse(state_json(a)), jb = nlohmann::json::parse(state_json(b));
  for (const char* key : {"model", "prompt", "tab", "focus", "tokens", "ablationMode"})
    CHECK(ja[key] == jb[key]);
  CHECK(ja["ablation"]["heads"] == jb["ablation"]["heads"]);
  CHECK(ja["calibration"]["heads"] == jb["calibration"]["heads"]);
  CHECK(ja["patching"]["recovered"] == jb["patching"]["recovered"]);

  // Saved again, the reopened session is the same file (apart from nothing).
  save_session(b);
  CHECK(saved_text(host_b, "attnscope-kjv_session.json") == text);

  // A session whose prompt no longer gives the map's tokens sweeps again (the Patching tab is
  // open), as a link to it does; heads the model lacks are dropped, as a link's are.
  auto edited = doc;
  edited["prompt"]["text"] = "In the beginning God created the heaven and the earth. And God";
  edited["ablation"]["heads"] = {"L0H1", "L9H0", "L1H99"};
  edited["view"]["focus"] = "L9H9";
  open_session(b, edited.dump());
  settle(b);
  CHECK(b.error.empty());
  CHECK(b.ablation.heads == std::vector<HeadRef>{{0, 1}});
  CHECK(b.focus == HeadRef{0, 0});
  CHECK(b.patching.run_on_load);
  CHECK_FALSE(b.patching.result);
  CHECK_FALSE(b.circuit.run_on_load);  // no circuit result was saved

  // Circuit results are not stored: a session saved on the Circuits tab with one finds it again
  // (the panel starts it); on another tab it does not.
  CHECK(doc["circuits"]["found"] == false);
  auto circuits = doc;
  circuits["circuits"]["found"] = true;
  open_session(b, circuits.dump());
  settle(b);
  CHECK_FALSE(b.circuit.run_on_load);  // saved on the Patching tab
  circuits["view"]["tab"] = "circuits";
  open_session(b, circuits.dump());
  settle(b);
  CHECK(b.tab == Tab::circuits);
  CHECK(b.circuit.run_on_load);
}

TEST_CASE("a session file that is not one changes nothing and says why, once") {
  TestHost host;
  AppState state;
  start(state, host, "attnscope-kjv");
  state.focus = {2, 1};
  state.ablation.heads = {{1, 1}};
  save_session(state);
  const std::string good = saved_text(host, "attnscope-kjv_session.json");
  const auto doc = nlohmann::json::parse(good);
  const auto with = [&](const char* section, const char* key, nlohmann::json value) {
    auto d = doc;
    if (section)
      d[section][key] = std::move(value);
    else
      d[key] = std::move(value);
    return d.dump();
  };
  const std::string before = view_query(state);
  const struct {
    std::string text, says;
  } cases[] = {
      {"not json at all", "not valid JSON"},
      {good.substr(0, good.size() / 2), "not valid JSON"},  // cut short
      {"", "not valid JSON"},
      {"[1, 2, 3]", "not an attnscope session file"},
      {with(nullptr, "format", "attnscope-report"), "not an attnscope session file"},
      {with(nullptr, "version", 2), "version 2; this attnscope reads version 1"},
      {with(nullptr, "version", "1"), "version: expected a whole number"},
      {with(nullptr, "version", 1e300), "version: expected a whole number"},
      {with(nullptr, "version", 18446744073709551615ull), "version: expected a whole number"},
      {with(nullptr, "model", "attnscope-kjv"), "model: expected an object"},
      {with("model", "name", 5), "model.name: expected a string"},
      {with("prompt", "text", nlohmann::json::array()), "prompt.text: expected a string"},
      {with("prompt", "mode", "bytes"), "prompt.mode: expected \"text\" or \"ids\""},
      {with("view", "tab", "nope"), "view.tab: expected a tab"},
      {with("view", "focus", "L-1H2"), "view.focus: expected a head"},
      {with("view", "backend", "tpu"),
       "view.backend: expected \"automatic\", \"cpu\" or \"webgpu\""},
      {with("ablation", "heads", nlohmann::json::array({"L99999H1"})),
       "ablation.heads: expected heads like"},
      {with("ablation", "heads", "L1H2"), "ablation.heads: expected a list"},
      {with("ablation", "mode", 3), "ablation.mode: expected a string"},
      {with("calibration", "beta", 1e308), "calibration.beta: expected a number from 0 to 1"},
      {with("patching", "swap_position", 1e300), "patching.swap_position: expected a whole number"},
      {with("patching", "swap_position", 3.5), "patching.swap_position: expected a whole number"},
      {with("patching", "target", "everything"), "patching.target: expected resid_pre"},
      {with("patching", "result",
            nlohmann::json::parse(R"({"ids": [1, 2], "rows": ["L0"], "cols": ["a"],
                                      "corrupted_tokens": ["a"], "patched": [[1, 2]]})")),
       "patching.result.patched: expected rows of 1 numbers"},
      {with("circuits", "discovery", nlohmann::json::parse(R"({"prompts": -5})")),
       "circuits.discovery.prompts: expected a whole number from 1 to 400"},
      {with("lens", "position", nullptr), "lens.position: expected a whole number"},
      {std::string(100000, '['), "nested deeper than"},
      {"\"" + std::string(kMaxSessionBytes, 'x') + "\"", "at most 64 MiB are read"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.says);
    const int errors = state.error_serial;
    open_session(state, c.text);
    settle(state);
    CHECK(state.error_serial == errors + 1);  // one message
    CHECK(state.error.rfind("session: ", 0) == 0);
    CHECK(state.error.find(c.says) != std::string::npos);
    CHECK(view_query(state) == before);  // nothing changed
    CHECK_FALSE(state.pending_session);
  }
  // The good file still opens after all that, and the last file's message goes.
  state.focus = {0, 0};
  open_session(state, good);
  settle(state);
  CHECK(state.focus == HeadRef{2, 1});
  CHECK(state.error.empty());
}

TEST_CASE("a session made with the user's own model waits for it") {
  TestHost host;
  AppState state;
  start(state, host, "attnscope-kjv");
  auto doc = nlohmann::json::parse(session_json(state));
  CHECK(doc["model"]["bundled"] == true);
  doc["model"] = {{"name", "user"}, {"bundled", false}};
  doc["view"]["focus"] = "L1H1";
  open_session(state, doc.dump());
  CHECK(state.error.find("open that model") != std::string::npos);
  CHECK(state.model_name == "attnscope-kjv");  // nothing else changed yet
  CHECK(state.focus == HeadRef{0, 0});
  // TestHost names an opened folder "user": the session applies to it.
  host.open_user_model(state, std::string(ATTNSCOPE_SOURCE_DIR) + "/models/attnscope-tasks");
  settle(state);
  CHECK(state.model_name == "user");
  CHECK(state.focus == HeadRef{1, 1});
  CHECK_FALSE(state.pending_session);
  // Its own session says it is the user's model.
  CHECK(nlohmann::json::parse(session_json(state))["model"]["bundled"] == false);
}
