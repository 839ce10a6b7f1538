// ablation.h — head ablation: replace heads' outputs (their slice of hook_z) and measure what
// changes.
//
// Modes, as interpretability papers use them:
//   zero      z_h = 0 (the head's output is only its share of the output bias, if any)
//   mean      z_h = the head's mean z over every position of a reference prompt set
//   resample  z_h = the head's z on a corrupted prompt of the same length, position by position
// The sweep ablates one head at a time and returns a layer×head map of the metric's change; it
// captures each block's hook_resid_pre once and restarts the forward pass at the ablated head's
// layer, so the layers before it are not recomputed (forward_from).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/analysis/pattern.h"
#include "core/analysis/prompt.h"
#include "core/model/model.h"

namespace attnscope {

enum class AblationMode { zero, mean, resample };
std::string_view ablation_mode_name(AblationMode mode);
std::optional<AblationMode> parse_ablation_mode(std::string_view name);

// Each head's mean z over all positions of a prompt set: [layer, head, d_head].
Result<Tensor> mean_head_z(const Model& model, std::span<const std::vector<int>> prompts);
// Every layer's hook_z on one prompt (the resample source): [layer, pos, head, d_head].
Result<Tensor> head_z(const Model& model, std::span<const int> ids);

struct Ablation {
  AblationMode mode = AblationMode::zero;
  std::vector<HeadRef> heads;
  std::shared_ptr<const Tensor>
      source;  // mean: mean_head_z(); resample: head_z() of the corrupted prompt
};

// Adds the edits; checks heads, the source's shape and (resample) the prompt length.
Status add_ablation(HookPlan& plan, const ModelConfig& config, const Ablation& ablation,
                    std::size_t n_tokens);

// Parses "0.1,2.3" (layer.head) into heads of the model; errors name the bad item.
Result<std::vector<HeadRef>> parse_heads(std::string_view list, const ModelConfig& config);

// How a run is scored. The sweep reports how much ablating a head hurts the metric.
enum class MetricKind {
  logit_diff,   // mean logit of answers − mean logit of distractors, last position
  loss,         // mean next-token cross-entropy over the prompt (reported as loss, not −loss)
  probability,  // probability of answers[0] at the last position
};
std::string_view metric_name(MetricKind kind);
double evaluate(MetricKind kind, const Tensor& logits, const Prompt& prompt);

struct SweepOptions {
  AblationMode mode = AblationMode::zero;
  MetricKind metric = MetricKind::logit_diff;
  std::shared_ptr<const Tensor> mean_z;        // mode == mean
  std::vector<std::vector<int>> resample_ids;  // mode == resample: one corrupted prompt per prompt
  std::function<bool(int done, int total)> progress;  // return false to cancel
};

struct SweepResult {
  double clean = 0.0;  // the metric averaged over the prompts, nothing ablated
  Tensor ablated;      // [layer, head]: the metric with that head ablated
  Tensor effect;  // [layer, head]: how much ablating hurts: clean − ablated (loss: ablated − clean)
  Tensor relative;  // [layer, head]: effect / |clean| (0 where clean == 0)
};

// The sweep a step at a time, for callers that must return between steps (the explorer's frame
// loop in the browser): each step ablates one head of one prompt (the prompt's clean run comes
// with its first head). ablation_sweep runs it to the end.
class AblationSweep {
 public:
  // Checks the options against the prompts; the model must outlive the sweep.
  static Result<AblationSweep> start(const Model& model, std::vector<Prompt> prompts,
                                     SweepOptions options);
  // Runs the next step; true once every head of every prompt is done.
  Result<bool> step();
  int done() const { return done_; }
  int total() const { return int(prompts_.size()) * layers_ * heads_; }
  // The averaged maps; complete once step() has returned true.
  SweepResult result() const;

 private:
  AblationSweep(const Model& model, std::vector<Prompt> prompts, SweepOptions options);
  Status clean_run();  // the prompt's metric, resample source and every block's resid_pre
  const Model* model_;
  std::vector<Prompt> prompts_;
  SweepOptions options_;
  int layers_, heads_;
  int done_ = 0;
  double clean_sum_ = 0;
  Tensor ablated_sum_;  // [layer, head]
  Ablation ablation_;
  std::vector<Tensor> resid_pre_;  // the current prompt's, per block
};

// Ablates every head, one at a time, over a prompt set (the metric is averaged over prompts).
Result<SweepResult> ablation_sweep(const Model& model, std::span<const Prompt> prompts,
                                   const SweepOptions& options);

// Heads whose relative effect is at least `threshold`, in layer-major order.
std::vector<HeadRef> heads_above(const SweepResult& sweep, double threshold);

}  // namespace attnscope
