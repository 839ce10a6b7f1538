// calibration.cpp — shape legend: H heads, T tokens. Row factors in double.
#include "core/analysis/calibration.h"

#include <algorithm>
#include <cmath>

namespace attnscope {
namespace {

Status check_heads(const ModelConfig& config, const std::vector<HeadRef>& heads) {
  for (const HeadRef& h : heads) ATTNSCOPE_TRY(check_head(h, config.n_layers, config.n_heads));
  return {};
}

// The mean metric over the prompts, with `plan`'s interventions.
Result<double> mean_metric(const Model& model, std::span<const Prompt> prompts,
                           const PromptMetric& metric, const HookPlan& plan) {
  double sum = 0;
  for (std::size_t i = 0; i < prompts.size(); i++) {
    auto logits = model.forward(prompts[i].ids, plan);
    if (!logits.ok())
      return make_error("prompt " + std::to_string(i) + ": " + logits.error().message,
                        logits.error().hint);
    const double value = metric(*logits, prompts[i]);
    if (!std::isfinite(value))
      return make_error("the metric is not a finite number on prompt " + std::to_string(i),
                        "a metric must score every prompt (does each prompt have a target?)");
    sum += value;
  }
  return sum / static_cast<double>(prompts.size());
}

}  // namespace

Status check_calibration_options(const CalibrationOptions& options) {
  if (!(options.beta >= 0.0f && options.beta <= 1.0f))
    return make_error("beta must be between 0 and 1, got " + std::to_string(options.beta),
                      "0.4 is the paper's value; 1 leaves the pattern unchanged");
  return check_sink_options(options.sinks);
}

std::vector<int> sinks_to_calibrate(std::vector<int> detected, KeepSink keep) {
  if (keep == KeepSink::first_detected && !detected.empty()) detected.erase(detected.begin());
  if (keep == KeepSink::first_token && !detected.empty() && detected.front() == 0)
    detected.erase(detected.begin());
  return detected;
}

void calibrate_head(Tensor& pattern, int head, std::span<const int> sinks, float beta) {
  if (sinks.empty()) return;
  const std::size_t T = pattern.shape()[1];
  std::vector<char> is_sink(T, 0);
  for (int s : sinks) is_sink[static_cast<std::size_t>(s)] = 1;
  for (std::size_t q = 0; q < T; q++) {
    float* row = pattern_row(pattern, static_cast<std::size_t>(head), q);
    double sink_mass = 0, rest = 0;
    for (std::size_t k = 0; k <= q; k++) (is_sink[k] ? sink_mass : rest) += row[k];
    if (sink_mass <= 0 || rest <= 0) continue;  // nothing to move, or nowhere to move it
    const auto grow = static_cast<float>(1.0 + (1.0 - beta) * sink_mass / rest);
    for (std::size_t k = 0; k <= q; k++) row[k] *= is_sink[k] ? beta : grow;
  }
}

std::vector<int> calibrate_head(Tensor& pattern, int head, const CalibrationOptions& options) {
  std::vector<int> sinks =
      sinks_to_calibrate(sink_positions(pattern, head, options.sinks), options.keep);
  calibrate_head(pattern, head, sinks, options.beta);
  return sinks;
}

Status add_calibration(HookPlan& plan, const ModelConfig& config, std::vector<HeadRef> heads,
                       const CalibrationOptions& options, std::shared_ptr<CalibrationLog> log) {
  ATTNSCOPE_TRY(check_calibration_options(options));
  ATTNSCOPE_TRY(check_heads(config, heads));
  for (int l = 0; l < config.n_layers; l++) {
    std::vector<int> layer_heads;
    for (const HeadRef& h : heads)
      if (h.layer == l &&
          std::find(layer_heads.begin(), layer_heads.end(), h.head) == layer_heads.end())
        layer_heads.push_back(h.head);
    if (layer_heads.empty()) continue;
    plan.edit({HookPoint::attn_pattern, l}, [l, layer_heads, options, log](Tensor& pattern) {
      for (int h : layer_heads) {
        std::vector<int> done = calibrate_head(pattern, h, options);
        if (log) log->push_back({{l, h}, std::move(done)});
      }
    });
  }
  return {};
}

Result<NextTokenEffect> calibration_effect(const Model& model, std::span<const int> ids,
                                           std::vector<HeadRef> heads,
                                           const CalibrationOptions& options, int top_k) {
  HookPlan plan;
  ATTNSCOPE_TRY(add_calibration(plan, model.config(), std::move(heads), options));
  ATTNSCOPE_ASSIGN(const Tensor before, model.forward(ids));
  ATTNSCOPE_ASSIGN(const Tensor after, model.forward(ids, plan));
  return next_token_effect(before, after, top_k);
}

Result<HeadSearchResult> search_calibration_heads(const Model& model,
                                                  std::span<const Prompt> prompts,
                                                  const PromptMetric& metric,
                                                  const HeadSearchOptions& options) {
  const ModelConfig& config = model.config();
  if (prompts.empty()) return make_error("the head search needs at least one prompt");
  if (!metric) return make_error("the head search needs a metric");
  ATTNSCOPE_TRY(check_calibration_options(options.calibration));
  const std::vector<HeadRef> candidates =
      options.candidates.empty() ? all_heads(config.n_layers, config.n_heads) : options.candidates;
  ATTNSCOPE_TRY(check_heads(config, candidates));

  HeadSearchResult result;
  ATTNSCOPE_ASSIGN(result.baseline, mean_metric(model, prompts, metric, {}));
  const int total = static_cast<int>(candidates.size());
  for (int i = 0; i < total; i++) {
    HookPlan plan;
    ATTNSCOPE_TRY(add_calibration(plan, config, {candidates[i]}, options.calibration));
    HeadGain gain;
    gain.head = candidates[i];
    ATTNSCOPE_ASSIGN(gain.metric, mean_metric(model, prompts, metric, plan));
    gain.gain = gain.metric - result.baseline;
    gain.kept = gain.gain > options.min_gain;
    if (gain.kept) result.kept.push_back(gain.head);
    result.heads.push_back(gain);
    if (options.progress && !options.progress(i + 1, total))
      return make_error("the head search was cancelled after " + std::to_string(i + 1) + " of " +
                        std::to_string(total) + " heads");
  }
  result.combined = result.baseline;
  if (!result.kept.empty()) {
    HookPlan plan;
    ATTNSCOPE_TRY(add_calibration(plan, config, result.kept, options.calibration));
    ATTNSCOPE_ASSIGN(result.combined, mean_metric(model, prompts, metric, plan));
  }
  result.combined_gain = result.combined - result.baseline;
  return result;
}

}  // namespace attnscope
