// discovery_job.cpp — edge attribution patching and ACDC for the Circuits panel: core's
// CircuitDiscovery a step at a time (a prompt of EAP, an edge of ACDC), so the browser's progress
// bar moves and Cancel is heard, then the ROC against the task's ground truth.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ui/app/actions.h"

namespace attnscope::ui {

std::string_view circuit_method_name(CircuitMethod method) {
  switch (method) {
    case CircuitMethod::sae:
      return "sae";
    case CircuitMethod::eap:
      return "eap";
    case CircuitMethod::acdc:
      return "acdc";
  }
  return "?";
}

namespace {

class DiscoveryJob final : public Job {
 public:
  DiscoveryJob(std::shared_ptr<const Model> model, CircuitPrompts prompts, DiscoveryOptions options)
      : Job(options.method == DiscoveryMethod::eap ? "Edge attribution patching"
                                                   : "ACDC: pruning edges"),
        model_(std::move(model)),
        prompts_(std::move(prompts)),
        options_(std::move(options)) {}

  bool step() override {
    if (cancel_requested()) return true;
    if (!discovery_) return prepare();
    auto complete = discovery_->step();
    if (!complete) return fail(complete.error().to_string()), true;
    set_progress(float(discovery_->done()) / float(std::max(1, discovery_->total())));
    if (!*complete) return false;
    evaluate();
    return true;
  }

  void finish(AppState& s) override {
    if (s.model != model_) return;  // the user switched models meanwhile
    CircuitState& cs = s.circuit;
    const bool eap = options_.method == DiscoveryMethod::eap;
    (eap ? cs.eap : cs.acdc) = std::move(out_);
    const DiscoveredCircuit& d = *(eap ? cs.eap : cs.acdc);
    cs.serial++;
    char line[200];
    if (d.evaluation)
      std::snprintf(line, sizeof line, "%s: node ROC AUC %.3f on '%s', %zu prompts, %.2f s",
                    eap ? "edge attribution" : "ACDC", d.evaluation->roc.auc, d.task.c_str(),
                    d.result.prompts.size(), d.result.seconds);
    else
      std::snprintf(line, sizeof line, "%s: %zu prompts, %.2f s", eap ? "edge attribution" : "ACDC",
                    d.result.prompts.size(), d.result.seconds);
    set_status(s, line);
    if (!evaluation_error_.empty()) set_error(s, "ground truth: " + evaluation_error_);
  }

 private:
  bool prepare() {
    auto graph = CircuitGraph::build(*model_);
    if (!graph) return fail(graph.error().to_string()), true;
    graph_ = std::make_unique<CircuitGraph>(std::move(*graph));
    auto d = CircuitDiscovery::start(*graph_, prompts_.positives, prompts_.negatives, options_);
    if (!d) return fail(d.error().to_string()), true;
    discovery_.emplace(std::move(*d));
    return false;
  }

  void evaluate() {
    out_.result = discovery_->result();
    out_.task = prompts_.task;
    const DiscoveryResult& r = out_.result;
    for (std::size_t e : strongest_edges(r.edge_scores, 12))
      out_.top_edges.push_back({edge_name(*graph_, e), r.edge_scores[e]});
    if (prompts_.ground_truth.empty()) return;
    const ModelConfig& c = model_->config();
    auto e = evaluate_circuit(r.head_scores, c.n_layers, c.n_heads, prompts_.ground_truth,
                              prompts_.task);
    if (!e) return void(evaluation_error_ = e.error().to_string());
    if (r.acdc)
      if (auto roc = acdc_threshold_roc(*r.acdc, e->labels)) out_.threshold_roc = std::move(*roc);
    out_.evaluation = std::move(*e);
  }

  std::shared_ptr<const Model> model_;
  CircuitPrompts prompts_;
  DiscoveryOptions options_;
  std::unique_ptr<CircuitGraph> graph_;  // CircuitDiscovery points into it
  std::optional<CircuitDiscovery> discovery_;
  DiscoveredCircuit out_;
  std::string evaluation_error_;
};

}  // namespace

void start_discovery(AppState& state) {
  if (!state.model) return;
  CircuitState& cs = state.circuit;
  CircuitPrompts prompts;
  if (!circuit_prompts(state, prompts)) return;
  DiscoveryOptions options = cs.discovery;
  options.method = cs.method == CircuitMethod::eap ? DiscoveryMethod::eap : DiscoveryMethod::acdc;
  options.thresholds.clear();
  const int steps = std::max(1, cs.acdc_steps);
  for (int i = 0; i < steps; i++)
    options.thresholds.push_back(std::pow(
        10.0, cs.acdc_from + (steps == 1 ? 0.0 : (cs.acdc_to - cs.acdc_from) * i / (steps - 1))));
  state.background.cancel();
  state.background.start(
      std::make_unique<DiscoveryJob>(state.model, std::move(prompts), std::move(options)));
}

}  // namespace attnscope::ui
