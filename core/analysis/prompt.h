// prompt.h — a prompt of an evaluation set, and metrics over the logits a model gives it.
//
// Searches over interventions (calibration head search, ablation sweeps) run every prompt of a
// set and score the logits with a PromptMetric: higher is better (pass −loss for a loss).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace attnscope {

// log Σ exp(row[v]) over n values, in double, shifted by the maximum (stable): a log-softmax's
// normaliser, for every metric that needs one.
double log_sum_exp(const float* row, std::size_t n);
// log p(v) = row[v] − log_sum_exp(row) for each of the n values, in double.
std::vector<double> log_softmax(const float* row, std::size_t n);

struct Prompt {
  std::vector<int> ids;  // the tokens the model reads
  int target = -1;       // the expected next token after ids (built-in metrics); -1 when none
  std::string label;     // free text for display
  // Task prompts (models/tasks/*.jsonl): correct next tokens and the tokens they are compared to.
  std::vector<int> answers = {}, distractors = {};
};

// Scores one prompt from its logits [pos, vocab]; higher is better.
using PromptMetric = std::function<double(const Tensor& logits, const Prompt& prompt)>;

// log p(target) at the last position, in nats (log-softmax in double). −inf if the prompt has no
// target in the vocabulary.
double target_log_prob(const Tensor& logits, const Prompt& prompt);
// 1 when the target is the last position's most likely token (lowest id on ties), else 0.
double target_top1(const Tensor& logits, const Prompt& prompt);
// The task metric: mean logit of `answers` minus mean logit of `distractors`, last position.
double logit_difference(const Tensor& logits, const Prompt& prompt);
// 1 when the last position's most likely token is one of `answers`, else 0.
double answer_top1(const Tensor& logits, const Prompt& prompt);

}  // namespace attnscope
