// panel_circuits.cpp — SAE circuit codes (O'Neill & Bui 2024): prompts, settings, a run with
// progress, the head score map, the codes, the edges, and the ROC against ablation ground truth.
#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <set>

#include "ui/app/actions.h"
#include "ui/app/figure_export.h"
#include "ui/app/panels.h"
#include "ui/app/widgets.h"

namespace attnscope::ui {

void export_head_map(AppState& state, const ExportRequest& request, const Tensor& values,
                     const std::string& name, const std::string& title, Colormap colormap,
                     const std::string& value_label);

namespace {

// Where the prompts come from, shared by every method.
void draw_prompt_source(AppState& state) {
  CircuitState& cs = state.circuit;
  SaeCircuitOptions& o = cs.options;
  int source = cs.typed ? 1 : 0;
  ImGui::RadioButton("bundled task", &source, 0);
  ImGui::SameLine();
  ImGui::RadioButton("my prompts", &source, 1);
  cs.typed = source == 1;
  if (!cs.typed) {
    std::string items;
    for (const std::string& t : task_names()) items += t + '\0';
    ImGui::SetNextItemWidth(160);
    if (ImGui::Combo("task", &cs.task, items.c_str()) && o.protocol == SaeProtocol::published)
      o.sae.l1_coefficient = published_l1(task_names()[std::size_t(cs.task)]);
    mark_widget(state, "circuit.task");
    if (state.model_name != "attnscope-tasks") {
      ImGui::TextColored(ImVec4(1, 0.75f, 0.4f, 1), "The tasks were made for attnscope-tasks.");
      if (ImGui::SmallButton("Load attnscope-tasks")) load_bundled_model(state, "attnscope-tasks");
    }
    if (state.task_files.empty()) ensure_task_files(state);
  } else {
    ImGui::TextDisabled("One prompt per line.");
    input_text_multiline("positive", cs.positive_text, ImVec2(-90, 70));
    input_text_multiline("negative", cs.negative_text, ImVec2(-90, 70));
  }
}

void draw_method(AppState& state) {
  CircuitState& cs = state.circuit;
  int method = int(cs.method);
  ImGui::TextUnformatted("method");
  ImGui::SameLine();
  ImGui::RadioButton("SAE codes", &method, int(CircuitMethod::sae));
  mark_widget(state, "circuit.method.sae");
  ImGui::SameLine();
  ImGui::RadioButton("edge attribution", &method, int(CircuitMethod::eap));
  mark_widget(state, "circuit.method.eap");
  ImGui::SameLine();
  ImGui::RadioButton("ACDC", &method, int(CircuitMethod::acdc));
  mark_widget(state, "circuit.method.acdc");
  cs.method = CircuitMethod(method);
  help_marker(
      "SAE codes: O'Neill & Bui 2024. Edge attribution patching: Syed, Rager & Conmy 2023, each "
      "edge's effect from one backward pass per prompt. ACDC: Conmy et al. 2023, edges pruned one "
      "by one while the metric holds, at every threshold of a sweep. Edge attribution and ACDC "
      "need a GPT-2-family model.");
}

void draw_sae_settings(AppState& state) {
  CircuitState& cs = state.circuit;
  SaeCircuitOptions& o = cs.options;
  ImGui::PushItemWidth(110);
  int protocol = int(o.protocol);
  ImGui::SetNextItemWidth(230);
  ImGui::Combo("protocol", &protocol, "published (O'Neill & Bui)\0attnscope 0.1\0");
  o.protocol = SaeProtocol(protocol);
  mark_widget(state, "circuit.protocol");
  help_marker(
      "published: the authors' code — the SAE trains on 'prompts' prompts drawn from the whole "
      "pool, and every prompt of the pool is scored; unit-norm encoder and decoder rows; λ 0.05 "
      "for docstring, 0.02 otherwise. attnscope 0.1: half positives, half negatives drawn, and "
      "only those scored.");
  if (o.protocol == SaeProtocol::published) {
    ImGui::InputInt("prompts", &o.n_train);
    o.n_train = std::clamp(o.n_train, 1, 400);
    help_marker("Prompts the SAE trains on, drawn from positives and negatives together.");
  } else {
    int prompts = o.n_positive + o.n_negative;
    if (ImGui::InputInt("prompts", &prompts)) {
      prompts = std::clamp(prompts, 2, 400);
      o.n_positive = (prompts + 1) / 2;
      o.n_negative = prompts / 2;
    }
    ImGui::SameLine();
    ImGui::Checkbox("paired", &o.paired);
    help_marker("Draw the same task lines for positives and negatives (minimal pairs).");
  }
  int seed = int(o.seed);
  if (ImGui::InputInt("seed", &seed)) o.seed = std::uint64_t(std::max(seed, 0));
  ImGui::SameLine();
  ImGui::InputInt("hidden", &o.sae.n_hidden);
  o.sae.n_hidden = std::clamp(o.sae.n_hidden, 1, 4096);
  ImGui::InputInt("epochs", &o.sae.epochs);
  o.sae.epochs = std::clamp(o.sae.epochs, 1, 20000);
  ImGui::SameLine();
  float l1 = float(o.sae.l1_coefficient), lr = float(o.sae.learning_rate);
  if (ImGui::InputFloat("λ (L1)", &l1, 0, 0, "%.4f")) o.sae.l1_coefficient = std::max(0.0f, l1);
  if (ImGui::InputFloat("learning rate", &lr, 0, 0, "%.5f"))
    o.sae.learning_rate = std::max(1e-7f, lr);
  ImGui::SameLine();
  ImGui::InputInt("codes per head", &o.top_k_codes);
  o.top_k_codes = std::clamp(o.top_k_codes, 1, 16);
  ImGui::Checkbox("per position", &o.activations.per_position);
  help_marker("One row per token position instead of the head's output averaged over the prompt.");
  ImGui::SameLine();
  ImGui::Checkbox("normalise counts", &o.scores.normalize);
  ImGui::SameLine();
  ImGui::InputInt("top k", &o.cut.top_k);
  help_marker("The circuit: the k highest-scoring heads; 0: every head scoring above 1 / heads.");
  o.cut.top_k = std::max(0, o.cut.top_k);
  ImGui::PopItemWidth();
}

}  // namespace

void draw_roc(const RocCurve& roc, float size) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImVec2 pos = ImGui::GetCursorScreenPos();
  const ImU32 axis = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  draw->AddRect(pos, ImVec2(pos.x + size, pos.y + size), axis);
  draw->AddLine(ImVec2(pos.x, pos.y + size), ImVec2(pos.x + size, pos.y), axis);
  const auto at = [&](double fpr, double tpr) {
    return ImVec2(pos.x + float(fpr) * size, pos.y + size - float(tpr) * size);
  };
  for (std::size_t i = 1; i < roc.points.size(); i++) {
    const RocPoint &a = roc.points[i - 1], &b = roc.points[i];
    draw->AddLine(at(a.fpr, a.tpr), at(b.fpr, b.tpr), IM_COL32(90, 170, 255, 255), 2.5f);
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, "AUC %.3f", roc.auc);
  draw->AddText(ImVec2(pos.x + size * 0.45f, pos.y + size * 0.8f),
                ImGui::GetColorU32(ImGuiCol_Text), buf);
  ImGui::Dummy(ImVec2(size, size));
  ImGui::TextDisabled("false positive rate → (y: true positive rate)");
}

void roc_export_buttons(AppState& state, const char* id, const std::string& title,
                        const std::vector<std::pair<std::string, const RocCurve*>>& curves) {
  const ExportRequest request = export_buttons(state, id);
  if (!request.any()) return;
  LineChartSpec chart;
  chart.title = title;
  chart.x_axis = "false positive rate";
  chart.y_axis = "true positive rate";
  chart.chance_diagonal = true;
  chart.x_min = chart.y_min = 0;
  chart.x_max = chart.y_max = 1;
  chart.plot_width = chart.plot_height = 320;
  for (const auto& [label, roc] : curves) {
    LineSeries s;
    char auc[32];
    std::snprintf(auc, sizeof auc, " (AUC %.3f)", roc->auc);
    s.label = label + auc;
    s.colour = series_colour(chart.series.size());
    for (const RocPoint& p : roc->points) {
      s.x.push_back(p.fpr);
      s.y.push_back(p.tpr);
    }
    chart.series.push_back(std::move(s));
  }
  export_chart(state, request, std::move(chart), std::string(id) + "_roc");
}

void draw_circuits_panel(AppState& state) {
  if (!state.model) {
    ImGui::TextDisabled("Load a model first.");
    return;
  }
  CircuitState& cs = state.circuit;
  if (cs.run_on_load && !state.background.busy() && (cs.typed || !state.task_files.empty())) {
    cs.run_on_load = false;
    if (cs.method == CircuitMethod::sae)
      start_circuit(state);
    else
      start_discovery(state);
  }
  const ModelConfig& c = state.model->config();
  const float left_w = std::min(ImGui::GetContentRegionAvail().x * 0.48f, 560.0f);
  ImGui::BeginChild("circuit_left", ImVec2(left_w, 0), false);
  draw_prompt_source(state);
  draw_method(state);
  if (cs.method != CircuitMethod::sae) {
    draw_discovery_settings(state);
    draw_discovery_left(state, left_w);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("circuit_right", ImVec2(0, 0), false);
    draw_discovery_right(state);
    ImGui::EndChild();
    return;
  }
  draw_sae_settings(state);
  const bool running = state.background.busy() && state.background.current()->title() ==
                                                      std::string("Finding the circuit (SAE)");
  ImGui::BeginDisabled(running);
  if (ImGui::Button("Find the circuit")) start_circuit(state);
  mark_widget(state, "circuit.run");
  ImGui::EndDisabled();
  if (running) {
    ImGui::SameLine();
    ImGui::ProgressBar(state.background.current()->progress(), ImVec2(-70, 0), "training the SAE");
    ImGui::SameLine();
    if (ImGui::SmallButton("Cancel")) state.background.cancel();
  }
  if (cs.result) {
    const SaeCircuitResult& r = *cs.result;
    ImGui::Text("activations %.2f s · SAE %.2f s · scoring %.3f s · final loss %.4f",
                r.seconds_activations, r.seconds_training, r.seconds_scoring,
                r.training.losses.empty() ? 0.0 : r.training.losses.back());
    Tensor scores = xt::zeros<float>({std::size_t(c.n_layers), std::size_t(c.n_heads)});
    for (std::size_t i = 0; i < r.scores.node.size(); i++)
      scores.data()[i] = float(r.scores.node[i]);
    ImGui::TextUnformatted("Node score (softmax of positive-only codes)");
    ImGui::SameLine();
    const ExportRequest req = export_buttons(state, "circuit");
    if (req.any())
      export_head_map(state, req, scores, "sae_node_scores", "SAE circuit node scores",
                      Colormap::viridis, "node score");
    HeadMapStyle style;
    style.vmin = 0;
    style.vmax = std::max(1e-9f, float(xt::amax(scores)()));
    style.value_name = "node score";
    style.format = "%.3f";
    style.cell = std::clamp((left_w - 40) / float(c.n_heads), 20.0f, 52.0f);
    std::optional<HeadRef> focus;
    if (auto head = draw_head_map("scores", scores, r.circuit, focus, style)) state.focus = *head;
    std::string list;
    for (const HeadRef& h : r.circuit) list += (list.empty() ? "" : " ") + head_label(h);
    ImGui::TextWrapped("Circuit (outlined): %s", list.empty() ? "none" : list.c_str());
  }
  ImGui::EndChild();
  ImGui::SameLine();

  ImGui::BeginChild("circuit_right", ImVec2(0, 0), false);
  if (cs.evaluation) {
    const CircuitEvaluation& e = *cs.evaluation;
    ImGui::Text("Against the ablation ground truth of '%s' (protocol: %s):",
                cs.evaluated_task.c_str(), cs.result ? protocol_name(cs.result->protocol) : "?");
    if (cs.edge_evaluation)
      ImGui::Text("node ROC AUC %.3f; from edges %.3f", e.roc.auc, cs.edge_evaluation->roc.auc);
    ImGui::Text("precision %.2f, recall %.2f at the cut (%d of %d heads selected)",
                e.at_cut.precision, e.at_cut.recall, e.at_cut.selected,
                int(c.n_layers * c.n_heads));
    draw_roc(e.roc, std::min(220.0f, ImGui::GetContentRegionAvail().x - 20));
    std::vector<std::pair<std::string, const RocCurve*>> curves = {{"heads", &e.roc}};
    if (cs.edge_evaluation) curves.push_back({"heads from edges", &cs.edge_evaluation->roc});
    roc_export_buttons(state, "sae_circuit", "SAE circuit vs ablation ground truth", curves);
  }
  if (cs.result) {
    const SaeCircuitResult& r = *cs.result;
    section("Codes per head (top heads)");
    std::vector<int> order(r.scores.node.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return r.scores.node[a] > r.scores.node[b]; });
    const int n_pos = int(r.positive_prompts.size());
    if (ImGui::BeginTable(
            "codes", 4,
            ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerV,
            ImVec2(0, 220))) {
      ImGui::TableSetupScrollFreeze(0, 1);
      ImGui::TableSetupColumn("head", ImGuiTableColumnFlags_WidthFixed, 50);
      ImGui::TableSetupColumn("only +", ImGuiTableColumnFlags_WidthFixed, 50);
      ImGui::TableSetupColumn("codes on positives");
      ImGui::TableSetupColumn("codes on negatives");
      ImGui::TableHeadersRow();
      for (int i = 0; i < std::min<int>(int(order.size()), 32); i++) {
        const int head = order[std::size_t(i)];
        std::set<int> pos, neg;
        for (int row = 0; row < r.codes.n_rows; row++)
          for (int k = 0; k < r.codes.top_k; k++) {
            const int code = r.codes.at(row, head, k);
            if (code < 0) continue;
            (r.activations.prompt[std::size_t(row)] < n_pos ? pos : neg).insert(code);
          }
        const auto join = [](const std::set<int>& s) {
          std::string out;
          for (int v : s) out += (out.empty() ? "" : " ") + std::to_string(v);
          return out.empty() ? std::string("-") : out;
        };
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted(head_label({head / c.n_heads, head % c.n_heads}).c_str());
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("%.0f", r.scores.node_counts[std::size_t(head)]);
        ImGui::TableSetColumnIndex(2);
        ImGui::TextUnformatted(join(pos).c_str());
        ImGui::TableSetColumnIndex(3);
        ImGui::TextUnformatted(join(neg).c_str());
      }
      ImGui::EndTable();
    }
    if (!r.scores.edge_counts.empty()) {
      section("Strongest edges (code pairs seen only on positives)");
      const int A = r.scores.n_heads;
      std::vector<std::pair<double, std::pair<int, int>>> edges;
      for (int i = 0; i < A; i++)
        for (int j = i + 1; j < A; j++)
          if (double v = r.scores.edge_counts[std::size_t(i) * A + j]; v > 0)
            edges.push_back({v, {i, j}});
      std::sort(edges.begin(), edges.end(),
                [](const auto& a, const auto& b) { return a.first > b.first; });
      for (std::size_t k = 0; k < std::min<std::size_t>(edges.size(), 10); k++) {
        const auto [i, j] = edges[k].second;
        ImGui::BulletText("%s — %s: %.0f", head_label({i / c.n_heads, i % c.n_heads}).c_str(),
                          head_label({j / c.n_heads, j % c.n_heads}).c_str(), edges[k].first);
      }
    }
  }
  ImGui::EndChild();
}

}  // namespace attnscope::ui
