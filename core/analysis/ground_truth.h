// ground_truth.h — a task's circuit by mean ablation, chosen by a rule fixed before looking.
//
// The ground truth every circuit-discovery method is scored against (models/tasks/
// ground_truth.json). For each head, its effect on the task metric over the positive prompts when
// its hook_z is replaced by a mean over the negatives (index-paired corruptions of the
// positives), in two ways:
//   pooled      the head's mean z over every position of every negative (the same vector at
//               every position), as the ablation panel's "mean" mode;
//   positional  the head's mean z at position t over the negatives that reach t.
// Effects keep their sign: (clean − ablated) / |clean|, positive when ablating the head hurts.
//
// The circuit rule (stated in the model card, applied without tuning): order the heads by their
// effect, largest first; the circuit is the shortest prefix of that order whose heads, run with
// every other head ablated, keep at least `keep` (80%) of the metric the ablations remove:
//   faithfulness(S) = (m(S only) − m(no head)) / (m(clean) − m(no head)) >= keep.
// faithfulness is computed for every prefix, so a reader sees where the rule cut.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "core/analysis/ablation.h"

namespace attnscope {

enum class MeanAblation { pooled, positional };
std::string_view mean_ablation_name(MeanAblation kind);

// Each head's mean z at every position: [layer, T_max, head, d_head], position t averaged over
// the prompts that reach t.
Result<Tensor> positional_mean_head_z(const Model& model,
                                      std::span<const std::vector<int>> prompts);

struct GroundTruthOptions {
  double keep = 0.8;                                  // the rule's share of the effect
  std::function<bool(int done, int total)> progress;  // forward passes; false cancels
};

struct AblationGroundTruth {
  MeanAblation ablation = MeanAblation::pooled;
  double clean = 0.0;                // logit difference over the positives
  double all_ablated = 0.0;          // every head ablated
  Tensor effect;                     // [layer, head]: (clean − ablated) / |clean|, signed
  std::vector<HeadRef> order;        // heads by effect, largest first
  std::vector<double> faithfulness;  // [0..heads]: of the first k heads of `order` kept
  std::vector<HeadRef> circuit;      // the rule's: the first k with faithfulness >= keep
};

// Both ablations for one task; the negatives must cover every positive's length (positional).
Result<std::vector<AblationGroundTruth>> task_ground_truth(const Model& model,
                                                           std::span<const Prompt> positives,
                                                           std::span<const Prompt> negatives,
                                                           const GroundTruthOptions& options);

// The metric averaged over the prompts with `heads` ablated (the mean source as from
// mean_head_z or positional_mean_head_z).
Result<double> ablated_metric(const Model& model, std::span<const Prompt> prompts,
                              std::span<const HeadRef> heads, MeanAblation kind,
                              const Tensor& mean_z);

}  // namespace attnscope
