#include "core/analysis/ablation.h"

#include "core/split_list.h"

#include <charconv>
#include <cmath>

namespace attnscope {

std::string_view ablation_mode_name(AblationMode mode) {
  switch (mode) {
    case AblationMode::zero:
      return "zero";
    case AblationMode::mean:
      return "mean";
    case AblationMode::resample:
      return "resample";
  }
  return "?";
}

std::optional<AblationMode> parse_ablation_mode(std::string_view name) {
  for (AblationMode m : {AblationMode::zero, AblationMode::mean, AblationMode::resample})
    if (name == ablation_mode_name(m)) return m;
  return std::nullopt;
}

std::string_view metric_name(MetricKind kind) {
  switch (kind) {
    case MetricKind::logit_diff:
      return "logit_diff";
    case MetricKind::loss:
      return "loss";
    case MetricKind::probability:
      return "probability";
  }
  return "?";
}

namespace {

HookPlan capture_z() {
  HookPlan plan;
  plan.capture("blocks.*.attn.hook_z");
  return plan;
}

double prompt_loss(const Tensor& logits, std::span<const int> ids) {
  const std::size_t T = logits.shape()[0], V = logits.shape()[1];
  if (T < 2) return 0.0;
  double total = 0.0;
  for (std::size_t t = 0; t + 1 < T; t++) {
    const float* row = logits.data() + t * V;
    total += log_sum_exp(row, V) - row[ids[t + 1]];
  }
  return total / static_cast<double>(T - 1);
}

}  // namespace

Result<Tensor> mean_head_z(const Model& model, std::span<const std::vector<int>> prompts) {
  const ModelConfig& c = model.config();
  if (prompts.empty()) return make_error("mean ablation needs at least one reference prompt");
  Tensor mean = zeros({std::size_t(c.n_layers), std::size_t(c.n_heads), std::size_t(c.d_head)});
  std::size_t positions = 0;
  const HookPlan plan = capture_z();
  for (const auto& ids : prompts) {
    Cache cache;
    ATTNSCOPE_TRY(model.forward(ids, plan, &cache));
    for (int l = 0; l < c.n_layers; l++) {
      const Tensor& z = *cache.find(HookId{HookPoint::attn_z, l});  // [pos, head, d_head]
      const std::size_t block = std::size_t(c.n_heads) * c.d_head;
      float* out = mean.data() + l * block;
      for (std::size_t t = 0; t < ids.size(); t++)
        for (std::size_t i = 0; i < block; i++) out[i] += z.data()[t * block + i];
    }
    positions += ids.size();
  }
  mean /= static_cast<float>(positions);
  return mean;
}

Result<Tensor> head_z(const Model& model, std::span<const int> ids) {
  const ModelConfig& c = model.config();
  Cache cache;
  ATTNSCOPE_TRY(model.forward(ids, capture_z(), &cache));
  const std::size_t block = ids.size() * c.n_heads * c.d_head;
  Tensor out =
      zeros({std::size_t(c.n_layers), ids.size(), std::size_t(c.n_heads), std::size_t(c.d_head)});
  for (int l = 0; l < c.n_layers; l++)
    std::copy_n(cache.find(HookId{HookPoint::attn_z, l})->data(), block, out.data() + l * block);
  return out;
}

Status add_ablation(HookPlan& plan, const ModelConfig& c, const Ablation& ablation,
                    std::size_t n_tokens) {
  const std::size_t H = c.n_heads, D = c.d_head;
  if (ablation.mode != AblationMode::zero) {
    if (!ablation.source)
      return make_error(std::string(ablation_mode_name(ablation.mode)) +
                        " ablation needs its source activations");
    const Shape want = ablation.mode == AblationMode::mean
                           ? Shape{std::size_t(c.n_layers), H, D}
                           : Shape{std::size_t(c.n_layers), n_tokens, H, D};
    if (shape_of(*ablation.source) != want) {
      if (ablation.mode == AblationMode::resample && ablation.source->dimension() == 4)
        return make_error("resample ablation needs a corrupted prompt of the same length (" +
                              std::to_string(n_tokens) + " tokens, it has " +
                              std::to_string(ablation.source->shape()[1]) + ")",
                          "pad or shorten the corrupted prompt");
      return make_error("ablation source has shape " + shape_string(shape_of(*ablation.source)) +
                        ", expected " + shape_string(want));
    }
  }
  for (const HeadRef& head : ablation.heads) {
    ATTNSCOPE_TRY(check_head(head, c.n_layers, c.n_heads));
    // Declarative edits of the head's slice of z: any backend runs them where z lives.
    const int T = int(n_tokens), Hi = int(H), Di = int(D), l = head.layer, h = head.head;
    const std::size_t row = H * D;
    switch (ablation.mode) {
      case AblationMode::zero:
        plan.edit({HookPoint::attn_z, l}, head_fill(T, Hi, Di, h, 0.0f));
        break;
      case AblationMode::mean:  // the head's mean z [layer, head, d] at every position
        plan.edit({HookPoint::attn_z, l},
                  head_copy(T, Hi, Di, h, ablation.source, (l * H + h) * D, /*source_ld=*/0));
        break;
      case AblationMode::resample:  // z [layer, pos, head, d] of the corrupted prompt
        plan.edit({HookPoint::attn_z, l},
                  head_copy(T, Hi, Di, h, ablation.source, l * n_tokens * row + h * D, row));
        break;
    }
  }
  return {};
}

Result<std::vector<HeadRef>> parse_heads(std::string_view list, const ModelConfig& c) {
  std::vector<HeadRef> heads;
  for (const std::string_view item : split_list(list)) {
    // Accept "3.5" and "L3H5".
    HeadRef head;
    const char* p = item.data();
    const char* e = item.data() + item.size();
    if (p != e && (*p == 'L' || *p == 'l')) p++;
    auto [after_layer, ec1] = std::from_chars(p, e, head.layer);
    bool ok = ec1 == std::errc() && after_layer != e &&
              (*after_layer == '.' || *after_layer == 'H' || *after_layer == 'h');
    if (ok) {
      auto [after_head, ec2] = std::from_chars(after_layer + 1, e, head.head);
      ok = ec2 == std::errc() && after_head == e;
    }
    if (!ok)
      return make_error("'" + std::string(item) + "' is not a head",
                        "write heads as layer.head, e.g. 0.3,2.1 (or L0H3)");
    ATTNSCOPE_TRY(check_head(head, c.n_layers, c.n_heads, item));
    heads.push_back(head);
  }
  return heads;
}

double evaluate(MetricKind kind, const Tensor& logits, const Prompt& prompt) {
  switch (kind) {
    case MetricKind::logit_diff:
      return logit_difference(logits, prompt);
    case MetricKind::loss:
      return prompt_loss(logits, prompt.ids);
    case MetricKind::probability: {
      if (prompt.answers.empty()) return 0.0;
      Prompt p = prompt;
      p.target = prompt.answers[0];
      return std::exp(target_log_prob(logits, p));
    }
  }
  return 0.0;
}

Result<AblationSweep> AblationSweep::start(const Model& model, std::vector<Prompt> prompts,
                                           SweepOptions options) {
  if (prompts.empty()) return make_error("the sweep needs at least one prompt");
  if (options.mode == AblationMode::mean && !options.mean_z)
    return make_error("mean ablation needs the reference prompts' mean z");
  if (options.mode == AblationMode::resample && options.resample_ids.size() != prompts.size())
    return make_error("resample ablation needs one corrupted prompt per prompt (" +
                      std::to_string(prompts.size()) + "), got " +
                      std::to_string(options.resample_ids.size()));
  if (options.metric != MetricKind::loss)
    for (const Prompt& p : prompts)
      if (p.answers.empty())
        return make_error("the " + std::string(metric_name(options.metric)) +
                          " metric needs answer tokens for every prompt");
  return AblationSweep(model, std::move(prompts), std::move(options));
}

AblationSweep::AblationSweep(const Model& model, std::vector<Prompt> prompts, SweepOptions options)
    : model_(&model),
      prompts_(std::move(prompts)),
      options_(std::move(options)),
      layers_(model.config().n_layers),
      heads_(model.config().n_heads),
      ablated_sum_(zeros({std::size_t(layers_), std::size_t(heads_)})),
      ablation_{options_.mode, {}, options_.mean_z} {}

Status AblationSweep::clean_run() {
  const std::size_t i = std::size_t(done_ / (layers_ * heads_));
  const Prompt& prompt = prompts_[i];
  HookPlan capture;
  capture.capture("blocks.*.hook_resid_pre");
  Cache cache;
  ATTNSCOPE_ASSIGN(const Tensor clean, model_->forward(prompt.ids, capture, &cache));
  clean_sum_ += evaluate(options_.metric, clean, prompt);
  if (options_.mode == AblationMode::resample) {
    ATTNSCOPE_ASSIGN(Tensor z, head_z(*model_, options_.resample_ids[i]));
    ablation_.source = std::make_shared<const Tensor>(std::move(z));
  }
  resid_pre_.clear();
  for (int l = 0; l < layers_; l++)
    resid_pre_.push_back(*cache.find(HookId{HookPoint::resid_pre, l}));
  return {};
}

Result<bool> AblationSweep::step() {
  if (done_ >= total()) return true;
  const int per_prompt = layers_ * heads_, within = done_ % per_prompt;
  if (within == 0) ATTNSCOPE_TRY(clean_run());
  const Prompt& prompt = prompts_[std::size_t(done_ / per_prompt)];
  const int l = within / heads_, h = within % heads_;
  HookPlan plan;
  ablation_.heads = {HeadRef{l, h}};
  ATTNSCOPE_TRY(add_ablation(plan, model_->config(), ablation_, prompt.ids.size()));
  // A last-position metric needs the last position's logits only.
  ATTNSCOPE_ASSIGN(const Tensor logits,
                   model_->forward_from(l, resid_pre_[std::size_t(l)], plan, nullptr,
                                        /*last_logits_only=*/options_.metric != MetricKind::loss));
  ablated_sum_(l, h) += static_cast<float>(evaluate(options_.metric, logits, prompt));
  done_++;
  return done_ == total();
}

SweepResult AblationSweep::result() const {
  // Averages over the prompts run so far; the effect's sign makes "ablating hurts" positive for
  // every metric (a loss rises when it hurts).
  const std::size_t L = layers_, H = heads_;
  const double n = std::max(1, (done_ + layers_ * heads_ - 1) / (layers_ * heads_));
  SweepResult result;
  result.clean = clean_sum_ / n;
  result.ablated = ablated_sum_ / static_cast<float>(n);
  const float sign = options_.metric == MetricKind::loss ? -1.0f : 1.0f;
  result.effect = sign * (static_cast<float>(result.clean) - result.ablated);
  result.relative = zeros({L, H});
  if (result.clean != 0.0)
    result.relative = result.effect / static_cast<float>(std::fabs(result.clean));
  return result;
}

Result<SweepResult> ablation_sweep(const Model& model, std::span<const Prompt> prompts,
                                   const SweepOptions& options) {
  ATTNSCOPE_ASSIGN(AblationSweep sweep,
                   AblationSweep::start(model, {prompts.begin(), prompts.end()}, options));
  for (;;) {
    ATTNSCOPE_ASSIGN(const bool complete, sweep.step());
    if (options.progress && !options.progress(sweep.done(), sweep.total()))
      return make_error("the sweep was cancelled");
    if (complete) return sweep.result();
  }
}

std::vector<HeadRef> heads_above(const SweepResult& sweep, double threshold) {
  std::vector<HeadRef> heads;
  for (std::size_t l = 0; l < sweep.relative.shape()[0]; l++)
    for (std::size_t h = 0; h < sweep.relative.shape()[1]; h++)
      if (sweep.relative(l, h) >= threshold) heads.push_back({int(l), int(h)});
  return heads;
}

}  // namespace attnscope
