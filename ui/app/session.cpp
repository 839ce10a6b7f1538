// session.cpp — writing and reading session files (session.h). Each piece is written and read
// by one pair of functions below, the two kept side by side so that they cannot drift; names
// shared with links (tabs, heads, views) come from view_names.h.
#include "ui/app/session.h"

#include <cmath>

#include "core/version.h"
#include "ui/app/actions.h"
#include "ui/app/json_read.h"
#include "ui/app/view_names.h"

namespace attnscope::ui {

namespace {

using json = nlohmann::json;

constexpr int kMaxDepth = 16;               // the deepest a session nests is 5
constexpr int kMaxPositions = 1 << 20;      // token positions, ids and map columns
constexpr std::size_t kMaxText = 16 << 20;  // a prompt or a typed prompt list

json head_list(const std::vector<HeadRef>& heads) {
  json out = json::array();
  for (const HeadRef& h : heads) out.push_back(head_label(h));
  return out;
}

// A list of "L1H2" labels: a label that is not one is an error (a file is not a hand-typed
// link); heads the model lacks are dropped later, when it is known.
void read_heads(JsonReader& r, const char* key, std::vector<HeadRef>& out) {
  const json* value = r.find(key);
  if (!value) return;
  if (!value->is_array()) return r.fail(key, "expected a list of heads like \"L1H2\"");
  out.clear();
  for (const json& item : *value) {
    const auto head =
        item.is_string() ? parse_head_label(item.get_ref<const std::string&>()) : std::nullopt;
    if (!head) return r.fail(key, "expected heads like \"L1H2\" (layer and head under 4096)");
    if (std::find(out.begin(), out.end(), *head) == out.end()) out.push_back(*head);
  }
}

void read_head(JsonReader& r, const char* key, HeadRef& out) {
  std::string label;
  if (!r.text(key, label, 32)) return;
  if (auto head = parse_head_label(label))
    out = *head;
  else
    r.fail(key, "expected a head like \"L1H2\"");
}

// A name from a fixed set: `parse` turns it into the value or nothing.
template <typename T, typename Parse>
void read_name(JsonReader& r, const char* key, T& out, Parse parse, const char* expected) {
  std::string name;
  if (!r.text(key, name, 64)) return;
  if (auto v = parse(name))
    out = *v;
  else
    r.fail(key, std::string("expected ") + expected);
}

json rows_json(const Tensor& t) {
  json rows = json::array();
  for (std::size_t r = 0; r < t.shape()[0]; r++) {
    json row = json::array();
    for (std::size_t c = 0; c < t.shape()[1]; c++)
      row.push_back(std::isfinite(t(r, c)) ? json(t(r, c)) : json(nullptr));  // NaN: null
    rows.push_back(std::move(row));
  }
  return rows;
}

// A [rows, cols] table of numbers (null: NaN, as written).
bool read_rows(JsonReader& r, const char* key, std::size_t rows, std::size_t cols, Tensor& out) {
  const json* value = r.find(key);
  if (!value || !value->is_array() || value->size() != rows)
    return r.fail(key, "expected " + std::to_string(rows) + " rows"), false;
  out = xt::zeros<float>({rows, cols});
  for (std::size_t i = 0; i < rows; i++) {
    const json& row = (*value)[i];
    if (!row.is_array() || row.size() != cols)
      return r.fail(key, "expected rows of " + std::to_string(cols) + " numbers"), false;
    for (std::size_t j = 0; j < cols; j++) {
      if (row[j].is_null()) {
        out(i, j) = NAN;
      } else if (row[j].is_number() && std::fabs(row[j].get<double>()) < 1e30) {
        out(i, j) = row[j].get<float>();
      } else {
        return r.fail(key, "expected numbers (or null)"), false;
      }
    }
  }
  return true;
}

bool read_strings(JsonReader& r, const char* key, std::vector<std::string>& out,
                  std::size_t max_items) {
  const json* value = r.find(key);
  if (!value || !value->is_array() || value->size() > max_items)
    return r.fail(key, "expected a list of strings"), false;
  out.clear();
  for (const json& item : *value) {
    if (!item.is_string() || item.get_ref<const std::string&>().size() > 4096)
      return r.fail(key, "expected a list of strings"), false;
    out.push_back(item.get_ref<const std::string&>());
  }
  return true;
}

// ---- the model and the prompt

json model_json(const AppState& state) {
  bool bundled = false;
  for (const ModelEntry& m : state.bundled) bundled = bundled || m.name == state.model_name;
  json j = {{"name", state.model_name}, {"bundled", bundled}};
  if (!bundled)
    j["note"] =
        "your own model, named by its folder: it is not in this file; open it again (Model › "
        "Open your model…) and the session continues";
  return j;
}

void read_model(JsonReader r, Session& s) {
  if (!r.text("name", s.model, 256) || s.model.empty()) r.fail("name", "expected the model's name");
  r.flag("bundled", s.bundled);
}

json prompt_json(const AppState& state) {
  return {{"mode", state.prompt_is_ids ? "ids" : "text"},
          {"text", state.prompt},
          {"ids", state.prompt_ids},
          {"keep_last_tokens", state.keep_last_tokens}};
}

void read_prompt(JsonReader r, Session& s) {
  std::string mode = "text";
  r.text("mode", mode, 8);
  if (mode != "text" && mode != "ids") r.fail("mode", "expected \"text\" or \"ids\"");
  s.prompt_is_ids = mode == "ids";
  r.text("text", s.prompt, kMaxText);
  r.text("ids", s.prompt_ids, kMaxText);
  r.flag("keep_last_tokens", s.keep_last_tokens);
}

// ---- the view

json view_json(const AppState& state) {
  return {{"tab", tab_name(state.tab)},
          {"focus", head_label(state.focus)},
          {"attention", attention_view_name(state.attention_view)},
          {"aggregate", aggregate_name(state.aggregate)},
          {"backend", backend_choice_name(state.backend_choice)}};
}

void read_view(JsonReader r, Session& s) {
  read_name(r, "tab", s.tab, parse_tab,
            "a tab (attention, sinks, ablation, circuits, patching, lens)");
  read_head(r, "focus", s.focus);
  read_name(r, "attention", s.attention_view, parse_attention_view, "\"heatmap\" or \"lines\"");
  read_name(r, "aggregate", s.aggregate, parse_aggregate, "\"head\", \"layer\" or \"all\"");
  read_name(r, "backend", s.backend, parse_backend_choice, "\"automatic\", \"cpu\" or \"webgpu\"");
}

// ---- ablation and calibration

json ablation_json(const AblationState& a) {
  return {{"mode", std::string(ablation_mode_name(a.mode))},
          {"heads", head_list(a.heads)},
          {"answer", a.answer},
          {"distractor", a.distractor},
          {"corrupted", a.corrupted_text}};
}

void read_ablation(JsonReader r, AblationState& a) {
  read_name(r, "mode", a.mode, parse_ablation_mode, "\"zero\", \"mean\" or \"resample\"");
  read_heads(r, "heads", a.heads);
  r.text("answer", a.answer, 256);
  r.text("distractor", a.distractor, 256);
  r.text("corrupted", a.corrupted_text, kMaxText);
}

json calibration_json(const CalibrationState& c) {
  // `applied` is what the last result calibrated (with every hidden sink, found by the run):
  // recomputed on opening, kept here for whoever reads the file.
  return {{"enabled", c.enabled},
          {"beta", c.beta},
          {"all_hidden", c.all_hidden},
          {"heads", head_list(c.heads)},
          {"applied", head_list(c.applied)}};
}

void read_calibration(JsonReader r, CalibrationState& c) {
  r.flag("enabled", c.enabled);
  r.number("beta", c.beta, 0.0f, 1.0f);
  r.flag("all_hidden", c.all_hidden);
  read_heads(r, "heads", c.heads);
}

// ---- patching

std::optional<MetricKind> parse_patch_metric(std::string_view name) {
  if (name == "logit_diff") return MetricKind::logit_diff;
  if (name == "probability") return MetricKind::probability;
  return std::nullopt;
}

std::optional<CorruptionSource> parse_corruption_source(std::string_view name) {
  if (name == "swap") return CorruptionSource::swap;
  if (name == "typed") return CorruptionSource::typed;
  return std::nullopt;
}

json patching_json(const AppState& state) {
  const PatchingState& p = state.patching;
  json j = {{"source", p.source == CorruptionSource::swap ? "swap" : "typed"},
            {"swap_position", p.swap_position},
            {"swap_token", p.swap_token},
            {"corrupted", p.corrupted_text},
            {"metric", p.metric == MetricKind::probability ? "probability" : "logit_diff"},
            {"answer", p.answer},
            {"distractor", p.distractor},
            {"target", std::string(patch_target_name(p.target))}};
  // The sweep goes in only if it is for the run on screen (the map the user sees).
  if (p.result && state.run && p.run_serial == state.run->serial)
    j["result"] = {{"model", state.model_name},
                   {"ids", state.run->ids},
                   {"target", std::string(patch_target_name(p.result->target))},
                   {"head", head_label(p.head)},
                   {"clean", p.result->clean},
                   {"corrupted", p.result->corrupted},
                   {"rows", p.row_labels},
                   {"cols", p.col_labels},
                   {"corrupted_tokens", p.corrupted_tokens},
                   {"patched", rows_json(p.result->patched)},
                   {"recovered", rows_json(p.result->normalised)}};
  return j;
}

void read_patching_result(JsonReader r, std::optional<SavedPatching>& out) {
  SavedPatching saved;
  r.text("model", saved.model, 256);
  const json* ids = r.find("ids");
  if (!ids || !ids->is_array() || ids->empty() || ids->size() > std::size_t(kMaxPositions))
    return r.fail("ids", "expected the run's token ids");
  for (const json& id : *ids) {
    const auto v = json_integer(id, 0, (1 << 30));
    if (!v) return r.fail("ids", "expected token ids (whole numbers from 0)");
    saved.ids.push_back(int(*v));
  }
  read_name(r, "target", saved.result.target, parse_patch_target, "a patching target");
  read_head(r, "head", saved.head);
  r.number("clean", saved.result.clean, -1e30, 1e30);
  r.number("corrupted", saved.result.corrupted, -1e30, 1e30);
  if (!read_strings(r, "rows", saved.row_labels, 4096) ||
      !read_strings(r, "cols", saved.col_labels, std::size_t(kMaxPositions)) ||
      !read_strings(r, "corrupted_tokens", saved.corrupted_tokens, std::size_t(kMaxPositions)))
    return;
  const std::size_t rows = saved.row_labels.size(), cols = saved.col_labels.size();
  if (rows == 0 || cols == 0) return r.fail("rows", "an empty map");
  if (!read_rows(r, "patched", rows, cols, saved.result.patched) ||
      !read_rows(r, "recovered", rows, cols, saved.result.normalised))
    return;
  if (r.ok()) out = std::move(saved);
}

void read_patching(JsonReader r, Session& s) {
  PatchingState& p = s.patching;
  read_name(r, "source", p.source, parse_corruption_source, "\"swap\" or \"typed\"");
  r.integer("swap_position", p.swap_position, -1, kMaxPositions);
  r.text("swap_token", p.swap_token, 256);
  r.text("corrupted", p.corrupted_text, kMaxText);
  read_name(r, "metric", p.metric, parse_patch_metric, "\"logit_diff\" or \"probability\"");
  r.text("answer", p.answer, 256);
  r.text("distractor", p.distractor, 256);
  read_name(r, "target", p.target, parse_patch_target,
            "resid_pre, attn_out, mlp_out, head_z or head_z_position");
  if (r.find("result")) read_patching_result(r.object("result"), s.patching_result);
}

// ---- lens

json lens_json(const LensState& l) {
  return {{"target", l.target}, {"position", l.position}};
}

void read_lens(JsonReader r, Session& s) {
  r.text("target", s.lens_target, 256);
  r.integer("position", s.lens_position, -1, kMaxPositions);
}

// ---- circuits

std::optional<CircuitMethod> parse_circuit_method(std::string_view name) {
  for (CircuitMethod m : {CircuitMethod::sae, CircuitMethod::eap, CircuitMethod::acdc})
    if (name == circuit_method_name(m)) return m;
  return std::nullopt;
}

std::optional<CorruptionMode> parse_corruption_mode(std::string_view name) {
  for (CorruptionMode m :
       {CorruptionMode::pooled_mean, CorruptionMode::positional_mean, CorruptionMode::paired})
    if (name == corruption_mode_name(m)) return m;
  return std::nullopt;
}

std::optional<GraphMetric> parse_graph_metric(std::string_view name) {
  if (name == "kl") return GraphMetric::kl;
  if (name == "logit_diff") return GraphMetric::logit_diff;
  return std::nullopt;
}

std::optional<SaeProtocol> parse_protocol(std::string_view name) {
  for (SaeProtocol p : {SaeProtocol::published, SaeProtocol::attnscope_v1})
    if (name == protocol_name(p)) return p;
  return std::nullopt;
}

std::optional<int> parse_task(std::string_view name) {
  for (std::size_t i = 0; i < task_names().size(); i++)
    if (name == task_names()[i]) return int(i);
  return std::nullopt;
}

// The settings the Circuits panel shows (panel_circuits.cpp, panel_discovery.cpp), within the
// ranges it allows.
json circuits_json(const CircuitState& c) {
  const bool found = c.method == CircuitMethod::sae   ? c.result.has_value()
                     : c.method == CircuitMethod::eap ? c.eap.has_value()
                                                      : c.acdc.has_value();
  const DiscoveryOptions& d = c.discovery;
  const SaeCircuitOptions& o = c.options;
  return {{"task", task_names()[std::size_t(std::clamp(c.task, 0, int(task_names().size()) - 1))]},
          {"typed", c.typed},
          {"positive", c.positive_text},
          {"negative", c.negative_text},
          {"method", std::string(circuit_method_name(c.method))},
          {"discovery",
           {{"prompts", d.prompts},
            {"corruption", std::string(corruption_mode_name(d.corruption))},
            {"seed", d.seed ? json(int(*d.seed)) : json(-1)},
            {"rank_abs", d.rank_abs},
            {"metric", d.metric == GraphMetric::kl ? "kl" : "logit_diff"},
            {"absolute", d.absolute}}},
          {"acdc", {{"from", c.acdc_from}, {"to", c.acdc_to}, {"steps", c.acdc_steps}}},
          {"sae",
           {{"protocol", protocol_name(o.protocol)},
            {"train", o.n_train},
            {"positive", o.n_positive},
            {"negative", o.n_negative},
            {"paired", o.paired},
            {"seed", int(o.seed)},
            {"hidden", o.sae.n_hidden},
            {"epochs", o.sae.epochs},
            {"l1", o.sae.l1_coefficient},
            {"learning_rate", o.sae.learning_rate},
            {"codes_per_head", o.top_k_codes},
            {"per_position", o.activations.per_position},
            {"normalise", o.scores.normalize},
            {"top_k", o.cut.top_k}}},
          // The results hold trained weights and activations: not stored. `found` says the shown
          // method had one; a session saved on the Circuits tab finds it again on opening.
          {"found", found}};
}

void read_circuits(JsonReader r, CircuitState& c) {
  read_name(r, "task", c.task, parse_task,
            "a bundled task (induction, ioi, greater_than, docstring)");
  r.flag("typed", c.typed);
  r.flag("found", c.run_on_load);  // kept only if the session opens on the Circuits tab
  r.text("positive", c.positive_text, kMaxText);
  r.text("negative", c.negative_text, kMaxText);
  read_name(r, "method", c.method, parse_circuit_method, "\"sae\", \"eap\" or \"acdc\"");
  JsonReader d = r.object("discovery");
  d.integer("prompts", c.discovery.prompts, 1, 400);
  read_name(d, "corruption", c.discovery.corruption, parse_corruption_mode, "a corruption mode");
  int seed = c.discovery.seed ? int(*c.discovery.seed) : -1;
  if (d.integer("seed", seed, -1, 1 << 30))
    c.discovery.seed = seed < 0 ? std::nullopt : std::optional<std::uint64_t>(seed);
  d.flag("rank_abs", c.discovery.rank_abs);
  read_name(d, "metric", c.discovery.metric, parse_graph_metric, "\"kl\" or \"logit_diff\"");
  d.flag("absolute", c.discovery.absolute);
  JsonReader a = r.object("acdc");
  a.number("from", c.acdc_from, -12.0f, 3.0f);
  a.number("to", c.acdc_to, c.acdc_from, 3.0f);
  a.integer("steps", c.acdc_steps, 1, 41);
  JsonReader o = r.object("sae");
  SaeCircuitOptions& so = c.options;
  read_name(o, "protocol", so.protocol, parse_protocol, "\"published\" or \"attnscope-v1\"");
  o.integer("train", so.n_train, 1, 400);
  o.integer("positive", so.n_positive, 1, 200);
  o.integer("negative", so.n_negative, 1, 200);
  o.flag("paired", so.paired);
  int sae_seed = int(so.seed);
  if (o.integer("seed", sae_seed, 0, 1 << 30)) so.seed = std::uint64_t(sae_seed);
  o.integer("hidden", so.sae.n_hidden, 1, 4096);
  o.integer("epochs", so.sae.epochs, 1, 20000);
  o.number("l1", so.sae.l1_coefficient, 0.0, 1e6);
  o.number("learning_rate", so.sae.learning_rate, 1e-7, 1e3);
  o.integer("codes_per_head", so.top_k_codes, 1, 16);
  o.flag("per_position", so.activations.per_position);
  o.flag("normalise", so.scores.normalize);
  o.integer("top_k", so.cut.top_k, 0, 1 << 20);
}

}  // namespace

std::string session_json(const AppState& state) {
  json j = {{"format", kSessionFormat},
            {"version", kSessionVersion},
            {"saved_by", std::string("attnscope ") + version()},
            {"model", model_json(state)},
            {"prompt", prompt_json(state)},
            {"view", view_json(state)},
            {"ablation", ablation_json(state.ablation)},
            {"calibration", calibration_json(state.calibration)},
            {"patching", patching_json(state)},
            {"lens", lens_json(state.lens)},
            {"circuits", circuits_json(state.circuit)}};
  return j.dump(1, ' ', false, json::error_handler_t::replace);
}

Result<Session> parse_session(std::string_view text) {
  ATTNSCOPE_ASSIGN(const json root, parse_untrusted_json(text, kMaxSessionBytes, kMaxDepth));
  std::string error;
  JsonReader r(&root, "", &error);
  std::string format;
  if (!root.is_object() || !r.text("format", format, 64) || format != kSessionFormat)
    return make_error("not an attnscope session file (no \"format\": \"attnscope-session\")");
  int file_version = 0;
  if (!r.integer("version", file_version, 1, 1 << 30))
    return make_error(error.empty() ? "the session file has no version" : error);
  if (file_version != kSessionVersion)
    return make_error("the session file is version " + std::to_string(file_version) +
                          "; this attnscope reads version " + std::to_string(kSessionVersion),
                      "open it with the attnscope that saved it (" +
                          (r.text("saved_by", format, 64) ? format : std::string("a newer one")) +
                          ")");
  Session s;
  if (!r.find("model")) return make_error("the session file names no model");
  read_model(r.object("model"), s);
  read_prompt(r.object("prompt"), s);
  read_view(r.object("view"), s);
  read_ablation(r.object("ablation"), s.ablation);
  read_calibration(r.object("calibration"), s.calibration);
  read_patching(r.object("patching"), s);
  read_lens(r.object("lens"), s);
  read_circuits(r.object("circuits"), s.circuit);
  if (!error.empty()) return make_error(error);
  return s;
}

}  // namespace attnscope::ui
