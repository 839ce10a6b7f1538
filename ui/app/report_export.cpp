// report_export.cpp — the explorer's "Report" button: the run on screen as one self-contained
// HTML file (core/report/prompt_report.h), saved through the host like every export (a download
// in the browser). The analyses run as a job; a patching sweep already on screen for this run is
// put in as it is, not run again.
#include "core/report/prompt_report.h"
#include "ui/app/actions.h"

namespace attnscope::ui {

namespace {

std::string head_list(const std::vector<HeadRef>& heads) {
  std::string out;
  for (const HeadRef& h : heads) out += (out.empty() ? "" : ", ") + head_label(h);
  return out;
}

// The patching tab's sweep, when it is for this run and the corrupted prompt it was run with is
// still the one set up (its tokens are kept with the result).
void add_patching(const AppState& state, PromptReportOptions& o) {
  const PatchingState& p = state.patching;
  if (!p.result || p.run_serial != state.run->serial) return;
  auto corrupted = patching_corrupted_ids(state);
  if (!corrupted || corrupted->size() != p.corrupted_tokens.size()) return;
  for (std::size_t i = 0; i < corrupted->size(); i++)
    if (state.model->token_display((*corrupted)[i]) != p.corrupted_tokens[i]) return;
  auto answer = state.model->single_token(p.answer);
  if (!answer) return;
  int distractor = -1;
  if (p.metric == MetricKind::logit_diff) {
    auto d = state.model->single_token(p.distractor);
    if (!d) return;
    distractor = *d;
  }
  o.corrupted_ids = std::move(*corrupted);
  o.answer = *answer;
  o.distractor = distractor;
  o.patching.push_back({*p.result, p.head});
}

}  // namespace

void export_report(AppState& state) {
  if (!state.model || !state.run) return set_error(state, "report: run a prompt first");
  PromptReportOptions o;
  o.model_name = state.model_name;
  o.ids = state.run->ids;
  o.facts.push_back({"prompt text", state.ran_prompt});
  if (!state.ablation.heads.empty())
    o.facts.push_back(
        {"ablated in the explorer (not in this report)", head_list(state.ablation.heads)});
  if (!state.calibration.applied.empty())
    o.facts.push_back(
        {"calibrated in the explorer (not in this report)", head_list(state.calibration.applied)});
  add_patching(state, o);
  if (!state.lens.target.empty()) {
    auto target = state.model->single_token(state.lens.target);
    if (target) o.target = *target;
  }
  auto model = state.model;
  auto html = std::make_shared<std::string>();
  const std::string file = state.model_name + "_report.html";
  state.jobs.start(make_job(
      "Writing the report",
      [model, o, html](Job&) -> std::string {
        auto report = prompt_report(*model, o);
        if (!report) return report.error().to_string();
        *html = report_html(*report);
        return "";
      },
      [html, file](AppState& s) { save_export(s, file, *html, "text/html"); },
      [](AppState& s, const std::string& error) { set_error(s, "report: " + error); }));
}

}  // namespace attnscope::ui
