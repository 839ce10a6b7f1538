// task_prompts.h — task prompt sets as models/tasks/*.jsonl stores them, one JSON object a line:
//   {"id": 0, "text": "<|endoftext|>When Mary and John ...", "answers": [" Mary"],
//    "distractors": [" John"]}
// and ground_truth.json's circuit heads.
#pragma once

#include <string_view>
#include <vector>

#include "core/analysis/pattern.h"
#include "core/analysis/prompt.h"
#include "core/model/model.h"

namespace attnscope {

// Tokenizes every prompt with the model's tokenizer; each answer and distractor must be one token.
// Errors name the line. Blank lines are skipped.
Result<std::vector<Prompt>> parse_task_prompts(std::string_view jsonl, const Model& model);

// A task's entry in a ground_truth.json (core/analysis/ground_truth.h writes it): the circuit's
// heads ("L0H5"), and where present the heads whose relative effect reaches `threshold` and every
// head's effect [layer][head] (pooled mean ablation).
struct GroundTruth {
  std::vector<HeadRef> heads;
  double threshold = 0.0;
  std::vector<HeadRef> heads_above_threshold;
  std::vector<std::vector<double>> effects;
};
Result<GroundTruth> parse_ground_truth(std::string_view json, std::string_view task);

}  // namespace attnscope
