// activation_patching.h — activation patching between a clean and a corrupted prompt of the same
// length: run the corrupted prompt, put one piece of the clean run's activations in its place, and
// see how much of the clean behaviour comes back.
//
// What is patched (TransformerLens's patching.get_act_patch_* grids):
//   resid_pre        blocks.{l}.hook_resid_pre at one position     → a [layer, pos] map
//   attn_out         blocks.{l}.hook_attn_out at one position      → [layer, pos]
//   mlp_out          blocks.{l}.hook_mlp_out at one position       → [layer, pos]
//   head_z           blocks.{l}.attn.hook_z, one head, every pos   → [layer, head]
//   head_z_position  hook_z of one chosen head at one position     → [1, pos]
// The metric (logit difference of the clean prompt's answers and distractors, or the probability
// of its first answer, at the last position) is normalised so that 0 is the corrupted run and 1
// the clean run: (patched − corrupted) / (clean − corrupted).
//
// Each patch restarts the forward pass at the patched layer from the corrupted run's
// hook_resid_pre there (forward_from), as ablation sweeps do: the layers before it are not run
// again. The patches are declarative edits (tensor_edit.h), so every backend runs them.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "core/analysis/ablation.h"
#include "core/analysis/prompt.h"
#include "core/model/model.h"

namespace attnscope {

enum class PatchTarget { resid_pre, attn_out, mlp_out, head_z, head_z_position };
std::string_view patch_target_name(PatchTarget target);
std::optional<PatchTarget> parse_patch_target(std::string_view name);

struct PatchingOptions {
  PatchTarget target = PatchTarget::resid_pre;
  MetricKind metric = MetricKind::logit_diff;         // logit_diff or probability
  HeadRef head;                                       // head_z_position: the head patched
  std::function<bool(int done, int total)> progress;  // return false to cancel
};

struct PatchingResult {
  PatchTarget target = PatchTarget::resid_pre;
  double clean = 0.0, corrupted = 0.0;  // the metric on each run, unpatched
  Tensor patched;     // the metric with that piece patched: [layer, pos], [layer, head] or [1, pos]
  Tensor normalised;  // (patched − corrupted) / (clean − corrupted)
};

// The sweep a patch at a time, for callers that return between steps (the explorer's frame loop).
class PatchingSweep {
 public:
  // Runs both prompts once; checks lengths, tokens, the head and that the metric tells the runs
  // apart. `clean` carries the answer (and distractor) tokens the metric reads on every run.
  static Result<PatchingSweep> start(const Model& model, Prompt clean,
                                     std::vector<int> corrupted_ids, PatchingOptions options);
  // Runs the next patch; true once every cell is done.
  Result<bool> step();
  int done() const { return done_; }
  int total() const { return rows_ * cols_; }
  // Complete once step() has returned true (cells not yet run read as the corrupted metric).
  PatchingResult result() const;

 private:
  PatchingSweep() = default;
  const Model* model_ = nullptr;
  Prompt clean_;
  PatchingOptions options_;
  int rows_ = 0, cols_ = 0, done_ = 0;
  double clean_metric_ = 0.0, corrupted_metric_ = 0.0;
  std::vector<std::shared_ptr<const Tensor>> clean_acts_;  // per layer: the patched hook's
  std::vector<Tensor> corrupted_resid_pre_;                // per layer: where patches restart
  Tensor patched_;
};

Result<PatchingResult> activation_patching(const Model& model, const Prompt& clean,
                                           std::span<const int> corrupted_ids,
                                           const PatchingOptions& options);

}  // namespace attnscope
