// activation_patching.cpp — see activation_patching.h.
#include "core/analysis/activation_patching.h"

#include <cmath>
#include <string>

#include "core/model/tensor_edit.h"

namespace attnscope {

namespace {

struct TargetInfo {
  PatchTarget target;
  std::string_view name;
  HookPoint hook;
  const char* capture;  // the glob capturing it in every block
};

constexpr TargetInfo kTargets[] = {
    {PatchTarget::resid_pre, "resid_pre", HookPoint::resid_pre, "blocks.*.hook_resid_pre"},
    {PatchTarget::attn_out, "attn_out", HookPoint::attn_out, "blocks.*.hook_attn_out"},
    {PatchTarget::mlp_out, "mlp_out", HookPoint::mlp_out, "blocks.*.hook_mlp_out"},
    {PatchTarget::head_z, "head_z", HookPoint::attn_z, "blocks.*.attn.hook_z"},
    {PatchTarget::head_z_position, "head_z_position", HookPoint::attn_z, "blocks.*.attn.hook_z"},
};

const TargetInfo& info(PatchTarget target) {
  for (const TargetInfo& t : kTargets)
    if (t.target == target) return t;
  return kTargets[0];
}

}  // namespace

std::string_view patch_target_name(PatchTarget target) {
  return info(target).name;
}

std::optional<PatchTarget> parse_patch_target(std::string_view name) {
  for (const TargetInfo& t : kTargets)
    if (t.name == name) return t.target;
  return std::nullopt;
}

Result<PatchingSweep> PatchingSweep::start(const Model& model, Prompt clean,
                                           std::vector<int> corrupted_ids,
                                           PatchingOptions options) {
  const ModelConfig& c = model.config();
  if (options.metric == MetricKind::loss)
    return make_error("patching scores the logit difference or a probability, not the loss");
  if (clean.ids.empty()) return make_error("the clean prompt is empty");
  if (corrupted_ids.size() != clean.ids.size())
    return make_error("the clean and corrupted prompts must have the same number of tokens (" +
                          std::to_string(clean.ids.size()) + " and " +
                          std::to_string(corrupted_ids.size()) + ")",
                      "patching swaps activations position by position");
  if (clean.answers.empty())
    return make_error(
        "patching needs an answer token to score (and, for the logit difference, "
        "a distractor)");
  if (options.metric == MetricKind::logit_diff && clean.distractors.empty())
    return make_error("the logit difference needs a distractor token besides the answer");
  for (const std::vector<int>* ids : {&clean.answers, &clean.distractors})
    for (int id : *ids)
      if (id < 0 || id >= c.vocab_size)
        return make_error("token id " + std::to_string(id) + " is not in the vocabulary (" +
                          std::to_string(c.vocab_size) + " tokens)");
  if (options.target == PatchTarget::head_z_position)
    ATTNSCOPE_TRY(check_head(options.head, c.n_layers, c.n_heads));

  PatchingSweep s;
  s.model_ = &model;
  s.options_ = std::move(options);
  const TargetInfo& t = info(s.options_.target);
  const int T = int(clean.ids.size());
  // The clean run: the patched hook in every block.
  HookPlan capture_clean;
  capture_clean.capture(t.capture);
  Cache clean_cache;
  ATTNSCOPE_ASSIGN(const Tensor clean_logits,
                   model.forward(clean.ids, capture_clean, &clean_cache));
  s.clean_metric_ = evaluate(s.options_.metric, clean_logits, clean);
  // The corrupted run: every block's resid_pre, where patches restart.
  HookPlan capture_corrupted;
  capture_corrupted.capture("blocks.*.hook_resid_pre");
  Cache corrupted_cache;
  ATTNSCOPE_ASSIGN(const Tensor corrupted_logits,
                   model.forward(corrupted_ids, capture_corrupted, &corrupted_cache));
  s.corrupted_metric_ = evaluate(s.options_.metric, corrupted_logits, clean);
  const double gap = s.clean_metric_ - s.corrupted_metric_;
  if (!std::isfinite(gap) || std::fabs(gap) <= 1e-6 * std::max(1.0, std::fabs(s.clean_metric_)))
    return make_error("the clean and corrupted prompts score the same (" +
                          std::string(metric_name(s.options_.metric)) + " " +
                          std::to_string(s.clean_metric_) + "): there is nothing to recover",
                      "corrupt a token the answer depends on");
  for (int l = 0; l < c.n_layers; l++) {
    s.clean_acts_.push_back(std::make_shared<const Tensor>(*clean_cache.find(HookId{t.hook, l})));
    s.corrupted_resid_pre_.push_back(*corrupted_cache.find(HookId{HookPoint::resid_pre, l}));
  }
  switch (s.options_.target) {
    case PatchTarget::head_z:
      s.rows_ = c.n_layers, s.cols_ = c.n_heads;
      break;
    case PatchTarget::head_z_position:
      s.rows_ = 1, s.cols_ = T;
      break;
    default:
      s.rows_ = c.n_layers, s.cols_ = T;
  }
  s.patched_ =
      Tensor({std::size_t(s.rows_), std::size_t(s.cols_)}, static_cast<float>(s.corrupted_metric_));
  s.clean_ = std::move(clean);
  return s;
}

Result<bool> PatchingSweep::step() {
  if (done_ >= total()) return true;
  if (options_.progress && !options_.progress(done_, total())) return make_error("cancelled");
  const ModelConfig& c = model_->config();
  const int T = int(clean_.ids.size()), C = c.d_model, H = c.n_heads, D = c.d_head;
  const int row = done_ / cols_, col = done_ % cols_;
  const int layer = options_.target == PatchTarget::head_z_position ? options_.head.layer : row;
  const std::shared_ptr<const Tensor>& source = clean_acts_[std::size_t(layer)];
  HookPlan plan;
  Tensor resid = corrupted_resid_pre_[std::size_t(layer)];
  switch (options_.target) {
    case PatchTarget::resid_pre:  // the restart's own input: patched before the run
      for (int i = 0; i < C; i++)
        resid.data()[std::size_t(col) * C + i] = source->data()[std::size_t(col) * C + i];
      break;
    case PatchTarget::attn_out:
      plan.edit({HookPoint::attn_out, layer}, position_copy(C, col, source, std::size_t(col) * C));
      break;
    case PatchTarget::mlp_out:
      plan.edit({HookPoint::mlp_out, layer}, position_copy(C, col, source, std::size_t(col) * C));
      break;
    case PatchTarget::head_z:  // head `col`, every position
      plan.edit({HookPoint::attn_z, layer},
                head_copy(T, H, D, col, source, std::size_t(col) * D, std::size_t(H) * D));
      break;
    case PatchTarget::head_z_position: {  // the chosen head at position `col`
      TensorEdit e;
      e.kind = TensorEdit::Kind::copy;
      e.first = e.source_first = (std::size_t(col) * H + options_.head.head) * D;
      e.ld = e.source_ld = std::size_t(H) * D;
      e.rows = 1;
      e.cols = D;
      e.source = source;
      plan.edit({HookPoint::attn_z, layer}, e);
      break;
    }
  }
  ATTNSCOPE_ASSIGN(const Tensor logits, model_->forward_from(layer, resid, plan, nullptr,
                                                             /*last_logits_only=*/true));
  patched_(std::size_t(row), std::size_t(col)) =
      static_cast<float>(evaluate(options_.metric, logits, clean_));
  done_++;
  return done_ == total();
}

PatchingResult PatchingSweep::result() const {
  PatchingResult r;
  r.target = options_.target;
  r.clean = clean_metric_;
  r.corrupted = corrupted_metric_;
  r.patched = patched_;
  const float gap = static_cast<float>(clean_metric_ - corrupted_metric_);
  r.normalised = (patched_ - static_cast<float>(corrupted_metric_)) / gap;
  return r;
}

Result<PatchingResult> activation_patching(const Model& model, const Prompt& clean,
                                           std::span<const int> corrupted_ids,
                                           const PatchingOptions& options) {
  ATTNSCOPE_ASSIGN(
      PatchingSweep sweep,
      PatchingSweep::start(model, clean,
                           std::vector<int>(corrupted_ids.begin(), corrupted_ids.end()), options));
  for (;;) {
    ATTNSCOPE_ASSIGN(const bool complete, sweep.step());
    if (complete) break;
  }
  return sweep.result();
}

}  // namespace attnscope
