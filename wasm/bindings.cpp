// bindings.cpp — the core's JavaScript API (embind), for the page and for node.
//
//   const core = await createAttnscopeCore();
//   const model = core.loadModel({'config.json': u8, 'model.safetensors': u8, ...});
//   if (!model) console.error(core.lastError());
//   model.describe();  model.tokenize('Hello');  // → Int32Array
//   const out = model.run(Int32Array.from([1, 2, 3]), 'logits,blocks.*.attn.hook_pattern');
//   out['blocks.0.attn.hook_pattern'] → {shape: [4, 3, 3], data: Float32Array}; out.error on
//   failure
//   const c = model.circuit(positiveJsonl, negativeJsonl, {epochs: 500, seed: 0});
//   c.scores → Float32Array [nLayers·nHeads], c.circuit → ['L0H5', ...]; c.error on failure
//   model.evaluateCircuit(c.scores, groundTruthJson, 'ioi') → {auc, precision, recall, roc}
//   const d = model.discover(positiveJsonl, negativeJsonl, {method: 'eap', corruption: 'paired'});
//   d.headScores → Float32Array [nLayers·nHeads] (EAP or ACDC), d.edges → [{edge, score}, ...]
//   model.delete();
//
// Bytes from JavaScript are copied once into WASM memory (a MemorySource); results are copied
// out into fresh typed arrays, so nothing handed to JS dangles when memory grows. Errors are
// returned (null + lastError(), or {error}), never thrown through WASM frames, which would skip
// C++ destructors.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cmath>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "core/analysis/task_prompts.h"
#include "core/circuits/discovery.h"
#include "core/io/file_source.h"
#include "core/io/memory_budget.h"
#include "core/model/model.h"
#include "core/ops/backend.h"
#include "core/sae/sae_circuit.h"
#include "core/version.h"

namespace attnscope {
namespace {

using emscripten::val;

std::string& last_error() {
  static std::string message;
  return message;
}

val error_object(const Error& error) {
  val out = val::object();
  out.set("error", error.to_string());
  return out;
}

std::vector<std::uint8_t> copy_bytes(const val& array) {
  const std::size_t n = array["length"].as<std::size_t>();
  std::vector<std::uint8_t> bytes(n);
  val(emscripten::typed_memory_view(n, bytes.data())).call<void>("set", array);
  return bytes;
}

val float_array(const float* data, std::size_t n) {
  return val::global("Float32Array").new_(emscripten::typed_memory_view(n, data));
}

val float_array(const std::vector<double>& values) {
  const std::vector<float> f(values.begin(), values.end());
  return float_array(f.data(), f.size());
}

val int_array(const std::vector<int>& values) {
  return val::global("Int32Array")
      .new_(emscripten::typed_memory_view(values.size(), values.data()));
}

val head_labels(const std::vector<HeadRef>& heads) {
  val out = val::array();
  for (const HeadRef& h : heads) out.call<void>("push", head_label(h));
  return out;
}

// A number option of a JS options object: `fallback` when absent (undefined or null), an error
// when it is not a finite number, or not an integer where one is needed.
Result<double> number_option(const val& options, const char* name, double fallback,
                             bool integer = false) {
  if (options.isUndefined() || options.isNull()) return fallback;
  const val v = options[name];
  if (v.isUndefined() || v.isNull()) return fallback;
  if (!v.isNumber()) return make_error(std::string("option '") + name + "' must be a number");
  const double x = v.as<double>();
  if (!std::isfinite(x) || (integer && x != std::floor(x)))
    return make_error(std::string("option '") + name + "' must be a finite " +
                      (integer ? "integer" : "number"));
  return x;
}

Result<bool> bool_option(const val& options, const char* name, bool fallback) {
  if (options.isUndefined() || options.isNull()) return fallback;
  const val v = options[name];
  if (v.isUndefined() || v.isNull()) return fallback;
  if (!v.isTrue() && !v.isFalse())
    return make_error(std::string("option '") + name + "' must be a boolean");
  return v.isTrue();
}

Result<std::string> string_option(const val& options, const char* name, const char* fallback) {
  if (options.isUndefined() || options.isNull()) return std::string(fallback);
  const val v = options[name];
  if (v.isUndefined() || v.isNull()) return std::string(fallback);
  if (v.typeOf().as<std::string>() != "string")
    return make_error(std::string("option '") + name + "' must be a string");
  return v.as<std::string>();
}

// The options of model.circuit(): {protocol ("published" | "attnscope-v1"), constraint
// ("published" | "decoder-columns"), silentOwnCode, prompts (published: training prompts drawn
// from the pool), nPositive, nNegative, paired (attnscope-v1), seed, hidden, l1, lr, beta1,
// beta2, adamEps, epochs, topKCodes, perPosition, normalize, edges, topK, threshold}.
Result<SaeCircuitOptions> circuit_options(const val& options) {
  if (!options.isUndefined() && !options.isNull() && options.typeOf().as<std::string>() != "object")
    return make_error("the options must be an object");
  SaeCircuitOptions s;
  ATTNSCOPE_ASSIGN(const std::string protocol, string_option(options, "protocol", "published"));
  if (protocol != "published" && protocol != "attnscope-v1")
    return make_error("option 'protocol' must be \"published\" or \"attnscope-v1\"");
  s.protocol = protocol == "published" ? SaeProtocol::published : SaeProtocol::attnscope_v1;
  ATTNSCOPE_ASSIGN(const std::string constraint, string_option(options, "constraint", "published"));
  if (constraint != "published" && constraint != "decoder-columns")
    return make_error("option 'constraint' must be \"published\" or \"decoder-columns\"");
  s.sae.constraint =
      constraint == "published" ? SaeConstraint::published : SaeConstraint::unit_decoder_columns;
  ATTNSCOPE_ASSIGN(const bool silent_own, bool_option(options, "silentOwnCode", false));
  s.silent_as_unit_zero = !silent_own;
  ATTNSCOPE_ASSIGN(const double prompts, number_option(options, "prompts", 10, true));
  if (prompts < (s.protocol == SaeProtocol::published ? 1 : 2))
    return make_error("option 'prompts' is too small");
  s.n_train = int(prompts);
  ATTNSCOPE_ASSIGN(const double n_positive,
                   number_option(options, "nPositive", std::floor((prompts + 1) / 2), true));
  ATTNSCOPE_ASSIGN(const double n_negative,
                   number_option(options, "nNegative", std::floor(prompts / 2), true));
  s.n_positive = int(n_positive);
  s.n_negative = int(n_negative);
  ATTNSCOPE_ASSIGN(s.paired, bool_option(options, "paired", false));
  ATTNSCOPE_ASSIGN(const double seed, number_option(options, "seed", 0, true));
  if (seed < 0) return make_error("option 'seed' must not be negative");
  s.seed = std::uint64_t(seed);
  ATTNSCOPE_ASSIGN(const double hidden, number_option(options, "hidden", s.sae.n_hidden, true));
  if (hidden < 1) return make_error("option 'hidden' must be at least 1");
  s.sae.n_hidden = int(hidden);
  ATTNSCOPE_ASSIGN(s.sae.l1_coefficient, number_option(options, "l1", s.sae.l1_coefficient));
  ATTNSCOPE_ASSIGN(s.sae.learning_rate, number_option(options, "lr", s.sae.learning_rate));
  ATTNSCOPE_ASSIGN(s.sae.beta1, number_option(options, "beta1", s.sae.beta1));
  ATTNSCOPE_ASSIGN(s.sae.beta2, number_option(options, "beta2", s.sae.beta2));
  ATTNSCOPE_ASSIGN(s.sae.adam_eps, number_option(options, "adamEps", s.sae.adam_eps));
  ATTNSCOPE_ASSIGN(const double epochs, number_option(options, "epochs", s.sae.epochs, true));
  if (epochs < 1) return make_error("option 'epochs' must be at least 1");
  s.sae.epochs = int(epochs);
  ATTNSCOPE_ASSIGN(const double top_k_codes, number_option(options, "topKCodes", 1, true));
  if (top_k_codes < 1) return make_error("option 'topKCodes' must be at least 1");
  s.top_k_codes = int(top_k_codes);
  ATTNSCOPE_ASSIGN(s.activations.per_position, bool_option(options, "perPosition", false));
  ATTNSCOPE_ASSIGN(s.scores.normalize, bool_option(options, "normalize", false));
  ATTNSCOPE_ASSIGN(s.scores.edges, bool_option(options, "edges", true));
  ATTNSCOPE_ASSIGN(const double top_k, number_option(options, "topK", 0, true));
  if (top_k < 0) return make_error("option 'topK' must not be negative");
  s.cut.top_k = int(top_k);
  if (!options.isUndefined() && !options.isNull() && !options["threshold"].isUndefined() &&
      !options["threshold"].isNull()) {
    ATTNSCOPE_ASSIGN(const double threshold, number_option(options, "threshold", 0));
    s.cut.threshold = threshold;
  }
  return s;
}

class JsModel {
 public:
  explicit JsModel(Model model) : model_(std::move(model)) {}

  std::string describe() const { return attnscope::describe(model_.config()); }
  val config() const {
    const ModelConfig& c = model_.config();
    val out = val::object();
    out.set("modelType", c.model_type);
    out.set("nLayers", c.n_layers);
    out.set("nHeads", c.n_heads);
    out.set("nKvHeads", c.n_kv_heads);
    out.set("dModel", c.d_model);
    out.set("dHead", c.d_head);
    out.set("vocabSize", c.vocab_size);
    out.set("nCtx", c.n_ctx);
    return out;
  }

  val tokenize(const std::string& text) const {
    auto ids = model_.tokenize(text);
    if (!ids) return error_object(ids.error());
    return val::global("Int32Array").new_(emscripten::typed_memory_view(ids->size(), ids->data()));
  }

  std::string token_display(int id) const {
    return model_.tokenizer() ? model_.tokenizer()->token_display(id) : std::to_string(id);
  }

  // hooks: comma-separated globs; the result maps hook names to {shape, data}.
  val run(const val& ids_array, const std::string& hooks) const {
    const std::vector<int> ids = emscripten::convertJSArrayToNumberVector<int>(ids_array);
    HookPlan plan;
    plan.capture_list(hooks);
    Cache cache;
    Result<Tensor> logits = make_error("not run");
    try {
      logits = model_.forward(ids, plan, &cache);
    } catch (const std::bad_alloc&) {
      return error_object(make_error(
          "out of memory in the forward pass of " + std::to_string(ids.size()) + " tokens",
          "shorten the prompt or capture fewer hooks"));
    }
    if (!logits) return error_object(logits.error());
    val out = val::object();
    for (const Cache::Entry& e : cache.entries()) {
      val shape = val::array();
      for (std::size_t d : e.tensor().shape()) shape.call<void>("push", d);
      val entry = val::object();
      entry.set("shape", shape);
      entry.set("data", float_array(e.tensor().data(), e.tensor().size()));
      out.set(e.name, entry);
    }
    return out;
  }

  // models/tasks-style JSONL text; errors say which set ("positive prompts: line 3 ...").
  Result<std::vector<Prompt>> task_prompts(const std::string& jsonl, const char* which) const {
    auto prompts = parse_task_prompts(jsonl, model_);
    if (!prompts)
      return make_error(std::string(which) + " prompts: " + prompts.error().message,
                        prompts.error().hint);
    return prompts;
  }

  // positive/negative: models/tasks-style JSONL text. See circuit_options for the options.
  // → {scores: Float32Array [L·H], nodeCounts, nLayers, nHeads, circuit: ["L0H5", ...], codes:
  // {shape: [R, L·H, K], data: Int32Array}, edges: Float32Array [A·A] (empty without edges),
  // losses: Float32Array, positivePrompts, negativePrompts: Int32Array, timings: {activations,
  // training, scoring} (seconds)}, or {error}.
  val circuit(const std::string& positive_jsonl, const std::string& negative_jsonl,
              const val& options_object) const {
    auto options = circuit_options(options_object);
    if (!options) return error_object(options.error());
    auto positives = task_prompts(positive_jsonl, "positive");
    if (!positives) return error_object(positives.error());
    auto negatives = task_prompts(negative_jsonl, "negative");
    if (!negatives) return error_object(negatives.error());
    auto r = sae_circuit(model_, *positives, *negatives, *options);
    if (!r) return error_object(r.error());
    val out = val::object();
    out.set("scores", float_array(r->scores.node));
    out.set("nodeCounts", float_array(r->scores.node_counts));
    out.set("nLayers", r->activations.n_layers);
    out.set("nHeads", r->activations.n_heads);
    out.set("circuit", head_labels(r->circuit));
    val codes = val::object();
    val shape = val::array();
    shape.call<void>("push", r->codes.n_rows);
    shape.call<void>("push", r->codes.n_heads);
    shape.call<void>("push", r->codes.top_k);
    codes.set("shape", shape);
    codes.set("data", int_array(r->codes.codes));
    out.set("codes", codes);
    out.set("edges", float_array(r->scores.edge_counts));
    out.set("edgeScores", float_array(r->scores.edge_node));
    out.set("protocol", std::string(protocol_name(r->protocol)));
    out.set("trainPrompts", int_array(r->train_prompts));
    out.set("losses", float_array(r->training.losses));
    out.set("positivePrompts", int_array(r->positive_prompts));
    out.set("negativePrompts", int_array(r->negative_prompts));
    val timings = val::object();
    timings.set("activations", r->seconds_activations);
    timings.set("training", r->seconds_training);
    timings.set("scoring", r->seconds_scoring);
    out.set("timings", timings);
    return out;
  }

  // Edge attribution patching or ACDC (core/circuits/discovery.h) on models/tasks-style JSONL
  // prompts. Options: {method ("eap" | "acdc"), corruption ("paired" | "pooled" | "positional"),
  // prompts (0: all for eap, 50 for acdc), seed (draw them; absent: the first ones), rankAbs,
  // metric ("kl" | "logit-diff"), absolute, thresholds (array; default 10^-4 … 1, 9 values)}.
  // → {method, description, headScores: Float32Array [L·H], nLayers, nHeads, prompts:
  // Int32Array (indices of the positives that ran), references, edges: [{edge, score}] (the 20
  // strongest), runs: [{threshold, keptEdges, edgeTests, metric, heads: Float32Array}] (acdc),
  // seconds}, or {error}. model.evaluateCircuit(d.headScores, ...) scores it.
  val discover(const std::string& positive_jsonl, const std::string& negative_jsonl,
               const val& o) const {
    if (!o.isUndefined() && !o.isNull() && o.typeOf().as<std::string>() != "object")
      return error_object(make_error("the options must be an object"));
    DiscoveryOptions options;
    auto method = string_option(o, "method", "eap");
    auto corruption = string_option(o, "corruption", "paired");
    auto metric = string_option(o, "metric", "kl");
    auto prompts = number_option(o, "prompts", 0, true);
    auto rank_abs = bool_option(o, "rankAbs", false);
    auto absolute = bool_option(o, "absolute", false);
    if (!method) return error_object(method.error());
    if (!corruption) return error_object(corruption.error());
    if (!metric) return error_object(metric.error());
    if (!prompts) return error_object(prompts.error());
    if (!rank_abs) return error_object(rank_abs.error());
    if (!absolute) return error_object(absolute.error());
    if (*method != "eap" && *method != "acdc")
      return error_object(make_error("option 'method' must be \"eap\" or \"acdc\""));
    options.method = *method == "eap" ? DiscoveryMethod::eap : DiscoveryMethod::acdc;
    if (*corruption == "paired")
      options.corruption = CorruptionMode::paired;
    else if (*corruption == "pooled")
      options.corruption = CorruptionMode::pooled_mean;
    else if (*corruption == "positional")
      options.corruption = CorruptionMode::positional_mean;
    else
      return error_object(
          make_error("option 'corruption' must be \"paired\", \"pooled\" or \"positional\""));
    if (*metric != "kl" && *metric != "logit-diff")
      return error_object(make_error("option 'metric' must be \"kl\" or \"logit-diff\""));
    options.metric = *metric == "kl" ? GraphMetric::kl : GraphMetric::logit_diff;
    if (*prompts < 0) return error_object(make_error("option 'prompts' must not be negative"));
    options.prompts = int(std::min(*prompts, 1e6));
    options.rank_abs = *rank_abs;
    options.absolute = *absolute;
    if (!o.isUndefined() && !o.isNull() && !o["seed"].isUndefined() && !o["seed"].isNull()) {
      auto seed = number_option(o, "seed", 0, true);
      if (!seed || *seed < 0)
        return error_object(make_error("option 'seed' must be an integer >= 0"));
      options.seed = std::uint64_t(*seed);
    }
    if (!o.isUndefined() && !o.isNull() && !o["thresholds"].isUndefined()) {
      if (!val::global("Array").call<bool>("isArray", o["thresholds"]))
        return error_object(make_error("option 'thresholds' must be an array of numbers"));
      options.thresholds = emscripten::convertJSArrayToNumberVector<double>(o["thresholds"]);
      if (options.thresholds.empty() || options.thresholds.size() > 100)
        return error_object(make_error("option 'thresholds' must hold 1 to 100 numbers"));
    }
    auto positives = task_prompts(positive_jsonl, "positive");
    if (!positives) return error_object(positives.error());
    auto negatives = task_prompts(negative_jsonl, "negative");
    if (!negatives) return error_object(negatives.error());
    auto graph = CircuitGraph::build(model_);
    if (!graph) return error_object(graph.error());
    auto r = discover_circuit(*graph, *positives, *negatives, options);
    if (!r) return error_object(r.error());
    const ModelConfig& c = model_.config();
    val out = val::object();
    out.set("method", std::string(discovery_method_name(r->method)));
    out.set("description", r->description);
    out.set("headScores", float_array(r->head_scores));
    out.set("nLayers", c.n_layers);
    out.set("nHeads", c.n_heads);
    out.set("prompts", int_array(std::vector<int>(r->prompts.begin(), r->prompts.end())));
    out.set("references", r->references);
    val edges = val::array();
    for (std::size_t k : strongest_edges(r->edge_scores, 20)) {
      val e = val::object();
      e.set("edge", edge_name(*graph, k));
      e.set("score", r->edge_scores[k]);
      edges.call<void>("push", e);
    }
    out.set("edges", edges);
    if (r->acdc) {
      val runs = val::array();
      for (std::size_t t = 0; t < r->acdc->runs.size(); t++) {
        const AcdcResult& run = r->acdc->runs[t];
        val v = val::object();
        v.set("threshold", r->acdc->thresholds[t]);
        v.set("keptEdges", run.kept_edges);
        v.set("edgeTests", run.edge_tests);
        v.set("metric", run.metric);
        v.set("heads", float_array(run.heads.data(), run.heads.size()));
        runs.call<void>("push", v);
      }
      out.set("runs", runs);
    }
    out.set("seconds", r->seconds);
    return out;
  }

  // scores: per-head scores (layer-major, L·H, e.g. circuit().scores); ground truth JSON as in
  // models/tasks/ground_truth.json. The circuit is cut at the default (score > 1/(L·H)).
  // → {auc, precision, recall, truePositive, selected, relevant, selectedHeads, roc: {fpr, tpr:
  // Float32Array}}, or {error}.
  val evaluate_circuit_scores(const val& scores_array, const std::string& ground_truth_json,
                              const std::string& task) const {
    if (!scores_array.instanceof (val::global("Float32Array")) && !scores_array.instanceof
        (val::global("Float64Array")) && !val::global("Array").call<bool>("isArray", scores_array))
      return error_object(make_error("scores must be a Float32Array"));
    const std::vector<double> scores =
        emscripten::convertJSArrayToNumberVector<double>(scores_array);
    const ModelConfig& c = model_.config();
    auto e = evaluate_circuit(scores, c.n_layers, c.n_heads, ground_truth_json, task);
    if (!e) return error_object(e.error());
    std::vector<double> fpr, tpr;
    for (const RocPoint& p : e->roc.points) fpr.push_back(p.fpr), tpr.push_back(p.tpr);
    val roc = val::object();
    roc.set("fpr", float_array(fpr));
    roc.set("tpr", float_array(tpr));
    val out = val::object();
    out.set("auc", e->roc.auc);
    out.set("precision", e->at_cut.precision);
    out.set("recall", e->at_cut.recall);
    out.set("truePositive", e->at_cut.true_positive);
    out.set("selected", e->at_cut.selected);
    out.set("relevant", e->at_cut.relevant);
    out.set("selectedHeads", head_labels(e->selected));
    out.set("roc", roc);
    return out;
  }

 private:
  Model model_;
};

// files: a plain object mapping file names to Uint8Arrays.
JsModel* load_model(const val& files) {
  MemorySource source("uploaded files");
  const val names = val::global("Object").call<val>("keys", files);
  const int n = names["length"].as<int>();
  for (int i = 0; i < n; i++) {
    const std::string name = names[i].as<std::string>();
    source.add(name, Bytes::from_vector(copy_bytes(files[name])));
  }
  // Limits are checked before allocating (memory_budget); an allocation that fails anyway
  // (the heap cannot grow) is reported, and the tab lives on.
  Result<Model> model = make_error("not loaded");
  try {
    model = Model::load(source);
  } catch (const std::bad_alloc&) {
    model = make_error("out of memory while loading the model (attnscope may use " +
                           format_bytes(memory_budget()) + " here)",
                       "open a smaller model, or reload the page to free memory");
  }
  if (!model) {
    last_error() = model.error().to_string();
    return nullptr;
  }
  last_error().clear();
  return new JsModel(std::move(model).value());
}

std::string version_string() {
  return version();
}
std::string get_last_error() {
  return last_error();
}

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const Backend* backend : available_backends()) names.emplace_back(backend->name());
  return names;
}

}  // namespace
}  // namespace attnscope

EMSCRIPTEN_BINDINGS(attnscope_core) {
  using namespace attnscope;
  emscripten::register_vector<std::string>("StringVector");
  emscripten::function("version", &version_string);
  emscripten::function("buildInfo", &build_info);
  emscripten::function("backends", &backend_names);
  emscripten::class_<JsModel>("Model")
      .function("describe", &JsModel::describe)
      .function("config", &JsModel::config)
      .function("tokenize", &JsModel::tokenize)
      .function("tokenDisplay", &JsModel::token_display)
      .function("run", &JsModel::run)
      .function("circuit", &JsModel::circuit)
      .function("evaluateCircuit", &JsModel::evaluate_circuit_scores)
      .function("discover", &JsModel::discover);
  emscripten::function("loadModel", &load_model, emscripten::allow_raw_pointers());
  emscripten::function("lastError", &get_last_error);
}
