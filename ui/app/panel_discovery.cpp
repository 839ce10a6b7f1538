// panel_discovery.cpp — the Circuits panel for edge attribution patching and ACDC: settings, a
// run with progress, the head score map, the ROC against the ground truth (ACDC: also the
// authors' per-threshold ROC) and the strongest edges. The work is core/circuits/discovery's.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ui/app/actions.h"
#include "ui/app/panels.h"
#include "ui/app/widgets.h"

namespace attnscope::ui {

void export_head_map(AppState& state, const ExportRequest& request, const Tensor& values,
                     const std::string& name, const std::string& title, Colormap colormap,
                     const std::string& value_label);

namespace {

const std::optional<DiscoveredCircuit>& shown(const CircuitState& cs) {
  return cs.method == CircuitMethod::eap ? cs.eap : cs.acdc;
}

const char* job_title(CircuitMethod method) {
  return method == CircuitMethod::eap ? "Edge attribution patching" : "ACDC: pruning edges";
}

}  // namespace

void draw_discovery_settings(AppState& state) {
  CircuitState& cs = state.circuit;
  DiscoveryOptions& o = cs.discovery;
  ImGui::PushItemWidth(110);
  int corruption = int(o.corruption);
  ImGui::TextUnformatted("corruption");
  ImGui::SameLine();
  ImGui::RadioButton("paired", &corruption, int(CorruptionMode::paired));
  mark_widget(state, "circuit.corruption.paired");
  ImGui::SameLine();
  ImGui::RadioButton("mean", &corruption, int(CorruptionMode::pooled_mean));
  mark_widget(state, "circuit.corruption.pooled");
  ImGui::SameLine();
  ImGui::RadioButton("mean per position", &corruption, int(CorruptionMode::positional_mean));
  o.corruption = CorruptionMode(corruption);
  help_marker(
      "paired: each positive patched toward its own corrupted twin (line i of the negatives), as "
      "both papers do. mean: toward each component's mean output over every negative, the "
      "ground truth's ablation; per position: its mean at each position.");
  ImGui::InputInt("prompts", &o.prompts, 0);  // no step buttons: a count is typed
  o.prompts = std::clamp(o.prompts, 1, 400);
  mark_widget(state, "circuit.discovery.prompts");
  ImGui::SameLine();
  int seed = o.seed ? int(*o.seed) : -1;
  if (ImGui::InputInt("seed", &seed))
    o.seed = seed < 0 ? std::nullopt : std::optional<std::uint64_t>(std::uint64_t(seed));
  help_marker("The positives that run: drawn with this seed; -1: the first ones.");
  if (cs.method == CircuitMethod::eap) {
    ImGui::Checkbox("rank heads by |score|", &o.rank_abs);
    help_marker(
        "The authors rank by |score|. Unchecked, a head scores by how much ablating it is "
        "predicted to hurt the logit difference: heads that work against the task rank last.");
  } else {
    int metric = int(o.metric);
    ImGui::TextUnformatted("metric");
    ImGui::SameLine();
    ImGui::RadioButton("KL divergence", &metric, int(GraphMetric::kl));
    ImGui::SameLine();
    ImGui::RadioButton("logit difference", &metric, int(GraphMetric::logit_diff));
    o.metric = GraphMetric(metric);
    if (o.metric == GraphMetric::logit_diff) {
      ImGui::SameLine();
      ImGui::Checkbox("|change|", &o.absolute);
    }
    ImGui::SetNextItemWidth(70);
    ImGui::InputFloat("τ from 10^", &cs.acdc_from, 0, 0, "%.1f");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(70);
    ImGui::InputFloat("to 10^", &cs.acdc_to, 0, 0, "%.1f");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(70);
    ImGui::InputInt("steps", &cs.acdc_steps, 0);
    cs.acdc_from = std::clamp(cs.acdc_from, -12.0f, 3.0f);
    cs.acdc_to = std::clamp(cs.acdc_to, cs.acdc_from, 3.0f);
    cs.acdc_steps = std::clamp(cs.acdc_steps, 1, 41);
    help_marker(
        "One ACDC run per threshold τ, evenly spaced in log10. An edge goes when removing it "
        "worsens the metric (KL from the clean model, or the logit difference's drop divided by "
        "its clean value) by less than τ. Each run tests up to every edge on every prompt: "
        "fewer prompts and steps finish sooner.");
  }
  ImGui::PopItemWidth();
}

void draw_discovery_left(AppState& state, float width) {
  CircuitState& cs = state.circuit;
  const ModelConfig& c = state.model->config();
  const bool running = state.background.busy() &&
                       state.background.current()->title() == std::string(job_title(cs.method));
  ImGui::BeginDisabled(running);
  if (ImGui::Button("Find the circuit")) start_discovery(state);
  mark_widget(state, "circuit.run");
  ImGui::EndDisabled();
  if (running) {
    ImGui::SameLine();
    ImGui::ProgressBar(state.background.current()->progress(), ImVec2(-70, 0),
                       cs.method == CircuitMethod::eap ? "prompts" : "edges");
    ImGui::SameLine();
    if (ImGui::SmallButton("Cancel")) state.background.cancel();
  }
  const auto& d = shown(cs);
  if (!d) return;
  const DiscoveryResult& r = d->result;
  ImGui::TextWrapped("%s; %zu prompts, %d references; %.2f s", r.description.c_str(),
                     r.prompts.size(), r.references, r.seconds);
  Tensor scores = xt::zeros<float>({std::size_t(c.n_layers), std::size_t(c.n_heads)});
  if (r.head_scores.size() != scores.size()) return;  // another model's (cannot happen: reset)
  for (std::size_t i = 0; i < r.head_scores.size(); i++) scores.data()[i] = float(r.head_scores[i]);
  const bool eap = r.method == DiscoveryMethod::eap;
  const bool signed_scores = eap && xt::amin(scores)() < 0;
  ImGui::TextUnformatted(eap ? "Head score (predicted metric drop when ablated)"
                             : "Head score (largest τ at which the head is kept)");
  ImGui::SameLine();
  const ExportRequest req = export_buttons(state, "discovery");
  const std::string name = eap ? "eap_head_scores" : "acdc_head_scores";
  if (req.any())
    export_head_map(state, req, scores, name, eap ? "EAP head scores" : "ACDC head scores",
                    signed_scores ? Colormap::diverging : Colormap::viridis, "head score");
  HeadMapStyle style;
  const float top = std::max(1e-9f, float(xt::amax(xt::abs(scores))()));
  style.colormap = signed_scores ? Colormap::diverging : Colormap::viridis;
  style.vmin = signed_scores ? -top : 0;
  style.vmax = top;
  style.value_name = "head score";
  style.format = "%.4g";
  style.cell = std::clamp((width - 40) / float(c.n_heads), 20.0f, 52.0f);
  std::vector<HeadRef> circuit;
  if (d->evaluation) circuit = d->evaluation->selected;
  std::optional<HeadRef> focus;
  if (auto head = draw_head_map("discovery_scores", scores, circuit, focus, style))
    state.focus = *head;
  if (d->evaluation) {
    std::string list;
    for (const HeadRef& h : circuit) list += (list.empty() ? "" : " ") + head_label(h);
    ImGui::TextWrapped("Outlined: score above 1/%d of the total (%s)", c.n_layers * c.n_heads,
                       list.empty() ? "none" : list.c_str());
  }
}

void draw_discovery_right(AppState& state) {
  const CircuitState& cs = state.circuit;
  const auto& d = shown(cs);
  if (!d) return;
  const ModelConfig& c = state.model->config();
  if (d->evaluation) {
    const CircuitEvaluation& e = *d->evaluation;
    ImGui::Text("Against the ablation ground truth of '%s':", d->task.c_str());
    ImGui::Text("node ROC AUC %.3f (heads ranked by score)", e.roc.auc);
    if (d->threshold_roc)
      ImGui::Text("the authors' way: %.3f (a point per threshold, steps)", d->threshold_roc->auc);
    ImGui::Text("precision %.2f, recall %.2f at the outline (%d of %d heads)", e.at_cut.precision,
                e.at_cut.recall, e.at_cut.selected, c.n_layers * c.n_heads);
    draw_roc(e.roc, std::min(220.0f, ImGui::GetContentRegionAvail().x - 20));
    const bool eap = d->result.method == DiscoveryMethod::eap;
    std::vector<std::pair<std::string, const RocCurve*>> curves = {{"heads by score", &e.roc}};
    if (d->threshold_roc) curves.push_back({"a point per threshold", &*d->threshold_roc});
    roc_export_buttons(state, eap ? "eap" : "acdc",
                       std::string(eap ? "EAP" : "ACDC") + " vs ablation ground truth", curves);
  }
  section(d->result.method == DiscoveryMethod::eap ? "Strongest edges (score)"
                                                   : "Edges kept longest (largest τ)");
  for (const auto& [edge, score] : d->top_edges) ImGui::BulletText("%s: %.4g", edge.c_str(), score);
  if (d->result.acdc) {
    section("Runs");
    if (ImGui::BeginTable("acdc_runs", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
      ImGui::TableSetupColumn("τ");
      ImGui::TableSetupColumn("edges kept");
      ImGui::TableSetupColumn("edges tested");
      ImGui::TableSetupColumn("metric");
      ImGui::TableHeadersRow();
      const AcdcSweep& sweep = *d->result.acdc;
      for (std::size_t t = 0; t < sweep.runs.size(); t++) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::Text("%.2g", sweep.thresholds[t]);
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("%d", sweep.runs[t].kept_edges);
        ImGui::TableSetColumnIndex(2);
        ImGui::Text("%d", sweep.runs[t].edge_tests);
        ImGui::TableSetColumnIndex(3);
        ImGui::Text("%.4g", sweep.runs[t].metric);
      }
      ImGui::EndTable();
    }
  }
}

}  // namespace attnscope::ui
