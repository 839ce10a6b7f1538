// calibration.h — ACT, the attention calibration technique of Yu et al. 2024 ("Unveiling and
// Harnessing Hidden Attention Sinks", arXiv 2406.15765), as an intervention on hook_pattern.
//
// For a chosen head, in every forward pass:
//   1. the sinks of the head are detected on the pattern of that same pass (sinks.h; by default
//      score > τ = 0.1, as the authors' code);
//   2. one sink is kept as it is — by default the earliest detected one, as the authors' code
//      does (it drops the first index of its sink list), which is the first token whenever the
//      first token is a sink (KeepSink says which, if any, is kept);
//   3. in every query row, the attention to each other sink is multiplied by β (0.4 by default)
//      and the freed mass (1 − β)·Σ_sinks p(q, s) is given to the row's other visible keys
//      (non-sink, k <= q, the kept sink included) in proportion to their attention:
//          p'(q, s) = β·p(q, s)                         for calibrated sinks s <= q
//          p'(q, k) = p(q, k)·(1 + (1 − β)·S_q / R_q)   for the other keys k <= q
//      with S_q the row's mass on calibrated sinks and R_q the rest, so every row still sums to 1.
//      A row with no mass on the calibrated sinks is unchanged (queries before the sink included);
//      so is a row whose whole mass is on calibrated sinks (R_q = 0: there is no attention to
//      follow, and inventing some — e.g. uniform — would add a pattern the head never had; the
//      authors' code divides by zero there). The query that is itself a sink treats its own
//      column like any other sink column.
// Then the forward pass continues from the calibrated pattern (hook_z, the output, the logits).
//
// Head search (the paper's offline step): calibrate one head at a time over a prompt set, keep the
// heads that improve the mean metric, then measure all kept heads calibrated together.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "core/analysis/next_token.h"
#include "core/analysis/pattern.h"
#include "core/analysis/prompt.h"
#include "core/analysis/sinks.h"
#include "core/model/model.h"

namespace attnscope {

enum class KeepSink {
  first_detected,  // the earliest detected sink stays (the authors' code; default)
  first_token,     // position 0 stays whether or not it is a sink; later sinks are calibrated
  none,            // every detected sink is calibrated
};

struct CalibrationOptions {
  float beta = 0.4f;  // in [0, 1]: 1 changes nothing, 0 removes the sinks' attention
  SinkOptions sinks;  // detection on the pattern being calibrated
  KeepSink keep = KeepSink::first_detected;
};

Status check_calibration_options(const CalibrationOptions& options);

// The detected sinks (ascending) minus the one `keep` says to leave alone.
std::vector<int> sinks_to_calibrate(std::vector<int> detected, KeepSink keep);

// Calibrates head `head` of a pattern [head, query, key] in place: the columns `sinks` scaled by
// beta, the freed mass redistributed (see above). No validation; positions must be < T.
void calibrate_head(Tensor& pattern, int head, std::span<const int> sinks, float beta);

// Detects the head's sinks and calibrates them; returns the calibrated positions.
std::vector<int> calibrate_head(Tensor& pattern, int head, const CalibrationOptions& options);

// What one forward pass calibrated in one head.
struct CalibratedHead {
  HeadRef head;
  std::vector<int> positions;
};
using CalibrationLog = std::vector<CalibratedHead>;

// Adds one edit per layer concerned on blocks.{l}.attn.hook_pattern that calibrates `heads`
// (duplicates ignored). Errors for heads outside the model or invalid options. When `log` is
// given, every forward pass run with the plan appends what it calibrated (not thread-safe: one
// forward pass at a time per log).
Status add_calibration(HookPlan& plan, const ModelConfig& config, std::vector<HeadRef> heads,
                       const CalibrationOptions& options,
                       std::shared_ptr<CalibrationLog> log = nullptr);

// The effect of calibrating `heads` on the next-token distribution of one prompt (last position).
Result<NextTokenEffect> calibration_effect(const Model& model, std::span<const int> ids,
                                           std::vector<HeadRef> heads,
                                           const CalibrationOptions& options, int top_k = 10);

struct HeadSearchOptions {
  CalibrationOptions calibration;
  std::vector<HeadRef> candidates;  // the heads to try, in order; empty: every head of the model
  double min_gain = 0.0;            // a head is kept when its gain is > min_gain
  // Called after each candidate with (done, total); returning false stops the search (an error).
  std::function<bool(int done, int total)> progress;
};

struct HeadGain {
  HeadRef head;
  double metric = 0;  // mean metric over the prompts with this head alone calibrated
  double gain = 0;    // metric − baseline
  bool kept = false;
};

struct HeadSearchResult {
  double baseline = 0;          // mean metric without calibration
  std::vector<HeadGain> heads;  // one per candidate, in candidate order
  std::vector<HeadRef> kept;    // the candidates with gain > min_gain
  double combined = 0;          // mean metric with every kept head calibrated (baseline if none)
  double combined_gain = 0;     // combined − baseline
};

// Runs every prompt (1 + candidates + 1) times. The metric must return finite numbers; higher is
// better. Errors: no prompts, a prompt the model rejects, a non-finite metric, cancellation.
Result<HeadSearchResult> search_calibration_heads(const Model& model,
                                                  std::span<const Prompt> prompts,
                                                  const PromptMetric& metric,
                                                  const HeadSearchOptions& options);

}  // namespace attnscope
