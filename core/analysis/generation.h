// generation.h — continuing a prompt token by token: greedy or sampled (sampling.h), with a
// key/value cache (kv_cache.h) so that each step runs only the newest token, or without one
// (every step runs the whole sequence again: the reference the cache is checked against).
//
// A Generator takes one step per call, so a UI can show each new token as it comes and stop
// whenever it likes; generate() runs one to the end.
//
//   GenerationOptions o;  o.max_new_tokens = 20;  o.sampling.temperature = 0.8f;
//   ATTNSCOPE_ASSIGN(Generator g, Generator::start(model, prompt_ids, o));
//   while (!g.done()) { ATTNSCOPE_TRY(g.step()); show(g.sequence()); }
#pragma once

#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/analysis/sampling.h"
#include "core/error.h"
#include "core/model/kv_cache.h"
#include "core/model/model.h"
#include "core/tensor.h"

namespace attnscope {

struct GenerationOptions {
  int max_new_tokens = 20;  // at least 1; prompt + new tokens must fit the model's context
  SamplingOptions sampling;
  // false: no cache, every step a full forward pass of the sequence so far.
  bool use_cache = true;
  // Stop after the model's end-of-text token (end_of_text_id), which is kept as the last token.
  bool stop_at_end_of_text = true;
};

struct GeneratedToken {
  int id = 0;
  // p(id | the sequence before it): the model's softmax at temperature 1, before any top-k or
  // top-p cut (what the token strip shows).
  double probability = 0.0;
};

enum class StopReason { running, token_count, end_of_text };
const char* stop_reason_name(StopReason reason);  // "running", "token count", "end of text"

// The end-of-text token: config.json's eos_token_id, else the tokenizer's <|endoftext|>; none
// when neither is a token of the model's vocabulary (a fixture's 512-token vocabulary does not
// reach GPT-2's 50256).
std::optional<int> end_of_text_id(const Model& model);

class Generator {
 public:
  // Checks everything a run could trip over before the first step: the prompt (check_ids), the
  // sampling options, the token count, and that prompt + new tokens fit the model's context; with
  // use_cache it allocates the key/value cache for them.
  static Result<Generator> start(const Model& model, std::vector<int> prompt,
                                 const GenerationOptions& options);

  bool done() const { return stop_ != StopReason::running; }
  // One forward pass (the prompt on the first step, the newest token after it with the cache,
  // the whole sequence without) and one more token. An error once done().
  Result<GeneratedToken> step();

  // The prompt followed by every token generated so far.
  const std::vector<int>& sequence() const { return sequence_; }
  std::size_t prompt_length() const { return prompt_length_; }
  const std::vector<GeneratedToken>& generated() const { return generated_; }
  StopReason stop_reason() const { return stop_; }
  // The logits [vocab] the last token was chosen from (empty before the first step).
  std::span<const float> last_logits() const { return last_logits_; }
  const KvCache* kv_cache() const { return kv_ ? &*kv_ : nullptr; }

 private:
  Generator(const Model& model, const GenerationOptions& options)
      : model_(model), options_(options), rng_(options.sampling.seed) {}
  Result<Tensor> next_logits();

  Model model_;  // a copy: its config, weights and tokenizer are shared, not copied
  GenerationOptions options_;
  std::optional<int> end_of_text_;
  std::vector<int> sequence_;
  std::size_t prompt_length_ = 0;
  std::vector<GeneratedToken> generated_;
  std::vector<float> last_logits_;
  std::optional<KvCache> kv_;
  std::mt19937_64 rng_;
  StopReason stop_ = StopReason::running;
};

struct Generation {
  std::vector<int> sequence;  // prompt + generated
  std::size_t prompt_length = 0;
  std::vector<GeneratedToken> tokens;
  StopReason stop = StopReason::running;
};

// A Generator run to the end.
Result<Generation> generate(const Model& model, std::vector<int> prompt,
                            const GenerationOptions& options);

}  // namespace attnscope
