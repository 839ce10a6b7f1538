// prompt_report.h — everything attnscope shows about one prompt, as one self-contained HTML file
// (core/export/html_report.h): every layer's and head's attention, sinks, the logit lens with each
// head's direct logit attribution, massive activations and, given a corrupted prompt, activation
// patching. Figures are inline SVG (text as text); the numbers are in tables and in the file's
// JSON. The analyses are core's own (core/analysis); this file only runs and arranges them.
#pragma once

#include <string>
#include <vector>

#include "core/analysis/activation_patching.h"
#include "core/error.h"
#include "core/export/html_report.h"
#include "core/model/model.h"

namespace attnscope {

// A patching sweep run already (the explorer's), to be shown as it is.
struct ReportedPatching {
  PatchingResult result;
  HeadRef head;  // head_z_position: the head patched
};

struct PromptReportOptions {
  std::string model_name;  // for the title
  std::vector<int> ids;    // the prompt (the clean one, with patching)
  // The token the logit lens and the attributions follow; -1: the answer if given, else the
  // model's own top prediction at the last position.
  int target = -1;
  // Patching, when corrupted_ids is given (as many tokens as ids): the clean run's answer and a
  // distractor (-1: the metric is the answer's probability).
  std::vector<int> corrupted_ids;
  int answer = -1, distractor = -1;
  // Sweeps done already, for corrupted_ids, answer and distractor above; empty: the report runs
  // resid_pre and head_z itself.
  std::vector<ReportedPatching> patching;
  std::vector<std::pair<std::string, std::string>> facts;  // shown first (the caller's setup)
};

Result<HtmlReport> prompt_report(const Model& model, const PromptReportOptions& options);

}  // namespace attnscope
