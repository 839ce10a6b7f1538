// ground_truth.cpp — pooled and positional mean ablation of every head, and the 80% rule.
#include "core/analysis/ground_truth.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

namespace attnscope {

std::string_view mean_ablation_name(MeanAblation kind) {
  return kind == MeanAblation::pooled ? "pooled" : "positional";
}

Result<Tensor> positional_mean_head_z(const Model& model,
                                      std::span<const std::vector<int>> prompts) {
  const ModelConfig& c = model.config();
  if (prompts.empty()) return make_error("mean ablation needs at least one reference prompt");
  std::size_t T_max = 0;
  for (const auto& ids : prompts) T_max = std::max(T_max, ids.size());
  const std::size_t L = c.n_layers, row = std::size_t(c.n_heads) * c.d_head;
  Tensor mean = zeros({L, T_max, std::size_t(c.n_heads), std::size_t(c.d_head)});
  std::vector<std::size_t> count(T_max, 0);
  for (const auto& ids : prompts) {
    ATTNSCOPE_ASSIGN(const Tensor z, head_z(model, ids));  // [layer, T, head, d]
    for (std::size_t l = 0; l < L; l++)
      for (std::size_t t = 0; t < ids.size(); t++) {
        const float* from = z.data() + (l * ids.size() + t) * row;
        float* to = mean.data() + (l * T_max + t) * row;
        for (std::size_t i = 0; i < row; i++) to[i] += from[i];
      }
    for (std::size_t t = 0; t < ids.size(); t++) count[t]++;
  }
  for (std::size_t l = 0; l < L; l++)
    for (std::size_t t = 0; t < T_max; t++) {
      float* to = mean.data() + (l * T_max + t) * row;
      for (std::size_t i = 0; i < row; i++) to[i] /= float(count[t]);
    }
  return mean;
}

namespace {

// The positional mean's first T positions as a resample source [layer, T, head, d].
Result<std::shared_ptr<const Tensor>> positional_source(const Tensor& mean, std::size_t T) {
  const std::size_t L = mean.shape()[0], T_max = mean.shape()[1];
  const std::size_t row = mean.shape()[2] * mean.shape()[3];
  if (T > T_max)
    return make_error("a positive prompt has " + std::to_string(T) +
                          " tokens, longer than every negative (" + std::to_string(T_max) + ")",
                      "positional mean ablation needs negatives that reach every position");
  auto out = std::make_shared<Tensor>(zeros({L, T, mean.shape()[2], mean.shape()[3]}));
  for (std::size_t l = 0; l < L; l++)
    std::copy_n(mean.data() + l * T_max * row, T * row, out->data() + l * T * row);
  return std::shared_ptr<const Tensor>(std::move(out));
}

}  // namespace

Result<double> ablated_metric(const Model& model, std::span<const Prompt> prompts,
                              std::span<const HeadRef> heads, MeanAblation kind,
                              const Tensor& mean_z) {
  if (prompts.empty()) return make_error("the ground truth needs at least one positive prompt");
  const auto pooled = std::make_shared<const Tensor>(mean_z);
  double sum = 0.0;
  for (const Prompt& prompt : prompts) {
    Ablation ablation{AblationMode::mean, {heads.begin(), heads.end()}, pooled};
    if (kind == MeanAblation::positional) {
      ablation.mode = AblationMode::resample;  // a per-position source, as a resample has
      ATTNSCOPE_ASSIGN(ablation.source, positional_source(mean_z, prompt.ids.size()));
    }
    HookPlan plan;
    if (!heads.empty())
      ATTNSCOPE_TRY(add_ablation(plan, model.config(), ablation, prompt.ids.size()));
    ATTNSCOPE_ASSIGN(const Tensor logits, model.forward(prompt.ids, plan));
    sum += evaluate(MetricKind::logit_diff, logits, prompt);
  }
  return sum / double(prompts.size());
}

Result<std::vector<AblationGroundTruth>> task_ground_truth(const Model& model,
                                                           std::span<const Prompt> positives,
                                                           std::span<const Prompt> negatives,
                                                           const GroundTruthOptions& options) {
  const ModelConfig& c = model.config();
  if (positives.empty() || negatives.empty())
    return make_error("the ground truth needs positive and negative prompts");
  for (const Prompt& p : positives)
    if (p.answers.empty())
      return make_error("the ground truth's logit difference needs answer tokens for every prompt");
  if (!(options.keep > 0 && options.keep <= 1))
    return make_error("the circuit rule's share must be in (0, 1]");
  std::vector<std::vector<int>> reference;
  for (const Prompt& p : negatives) reference.push_back(p.ids);
  const int n_heads = c.n_layers * c.n_heads;
  // Evaluations per ablation: clean, every head alone, every prefix of the order (0..n_heads).
  const int per_kind = 1 + n_heads + n_heads + 1;
  int done = 0;
  const auto step = [&]() {
    done++;
    return !options.progress || options.progress(done, 2 * per_kind);
  };
  const auto cancelled = [] { return make_error("the ground truth was cancelled"); };

  std::vector<AblationGroundTruth> out;
  for (MeanAblation kind : {MeanAblation::pooled, MeanAblation::positional}) {
    ATTNSCOPE_ASSIGN(const Tensor mean, kind == MeanAblation::pooled
                                            ? mean_head_z(model, reference)
                                            : positional_mean_head_z(model, reference));
    AblationGroundTruth g;
    g.ablation = kind;
    ATTNSCOPE_ASSIGN(g.clean, ablated_metric(model, positives, {}, kind, mean));
    if (!step()) return cancelled();
    if (g.clean == 0.0) return make_error("the clean logit difference is 0: no effect to keep");
    g.effect = zeros({std::size_t(c.n_layers), std::size_t(c.n_heads)});
    std::vector<HeadRef> all;
    for (int l = 0; l < c.n_layers; l++)
      for (int h = 0; h < c.n_heads; h++) {
        const HeadRef head{l, h};
        all.push_back(head);
        ATTNSCOPE_ASSIGN(const double m,
                         ablated_metric(model, positives, std::span(&head, 1), kind, mean));
        g.effect(l, h) = float((g.clean - m) / std::fabs(g.clean));
        if (!step()) return cancelled();
      }
    g.order = all;
    std::stable_sort(g.order.begin(), g.order.end(), [&](const HeadRef& a, const HeadRef& b) {
      return g.effect(a.layer, a.head) > g.effect(b.layer, b.head);
    });
    ATTNSCOPE_ASSIGN(g.all_ablated, ablated_metric(model, positives, all, kind, mean));
    const double removed = g.clean - g.all_ablated;
    int cut = -1;
    for (int k = 0; k <= n_heads; k++) {
      // Keep the first k heads of the order: ablate the rest.
      const std::vector<HeadRef> rest(g.order.begin() + k, g.order.end());
      ATTNSCOPE_ASSIGN(const double m, ablated_metric(model, positives, rest, kind, mean));
      g.faithfulness.push_back(removed != 0.0 ? (m - g.all_ablated) / removed : 1.0);
      if (cut < 0 && g.faithfulness.back() >= options.keep) cut = k;
      if (!step()) return cancelled();
    }
    g.circuit.assign(g.order.begin(), g.order.begin() + std::max(cut, 0));
    std::sort(g.circuit.begin(), g.circuit.end(), [](const HeadRef& a, const HeadRef& b) {
      return a.layer != b.layer ? a.layer < b.layer : a.head < b.head;
    });
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace attnscope
