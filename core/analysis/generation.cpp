#include "core/analysis/generation.h"

#include <cmath>

#include "core/analysis/prompt.h"

namespace attnscope {

const char* stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::running:
      return "running";
    case StopReason::token_count:
      return "token count";
    case StopReason::end_of_text:
      return "end of text";
  }
  return "?";
}

std::optional<int> end_of_text_id(const Model& model) {
  const int V = model.config().vocab_size;
  if (const auto eos = model.config().eos_token_id; eos && *eos >= 0 && *eos < V) return eos;
  if (const BpeTokenizer* tokenizer = model.tokenizer())
    if (const auto id = tokenizer->token_id("<|endoftext|>"); id && *id >= 0 && *id < V) return id;
  return std::nullopt;
}

Result<Generator> Generator::start(const Model& model, std::vector<int> prompt,
                                   const GenerationOptions& options) {
  ATTNSCOPE_TRY(model.check_ids(prompt));
  ATTNSCOPE_TRY(check_sampling(options.sampling));
  if (options.max_new_tokens < 1)
    return make_error("cannot generate " + std::to_string(options.max_new_tokens) + " tokens",
                      "ask for at least 1");
  const int n_ctx = model.config().n_ctx, P = int(prompt.size());
  if (options.max_new_tokens > n_ctx - P)
    return make_error("the prompt's " + std::to_string(P) + " tokens and " +
                          std::to_string(options.max_new_tokens) + " new ones exceed the model's " +
                          "context of " + std::to_string(n_ctx) + " positions",
                      "generate at most " + std::to_string(n_ctx - P) + " tokens");
  Generator g(model, options);
  g.end_of_text_ = end_of_text_id(model);
  g.prompt_length_ = prompt.size();
  g.sequence_ = std::move(prompt);
  // The last new token is never run through the model: the cache holds one position less.
  if (options.use_cache) {
    ATTNSCOPE_ASSIGN(KvCache kv, KvCache::create(model, P + options.max_new_tokens - 1));
    g.kv_.emplace(std::move(kv));
  }
  return g;
}

Result<Tensor> Generator::next_logits() {
  if (!kv_) return model_.forward(sequence_);
  // The positions the cache has not seen: the whole prompt first, then the newest token.
  const std::span<const int> fresh(sequence_.data() + kv_->length(),
                                   sequence_.size() - std::size_t(kv_->length()));
  return model_.forward_step(fresh, *kv_, {}, nullptr, true);
}

Result<GeneratedToken> Generator::step() {
  if (done())
    return make_error(std::string("the generation has stopped (") + stop_reason_name(stop_) + ")");
  ATTNSCOPE_ASSIGN(const Tensor logits, next_logits());
  const std::size_t V = logits.shape()[1];
  const float* row = logits.data() + (logits.shape()[0] - 1) * V;
  last_logits_.assign(row, row + V);
  GeneratedToken token;
  token.id = sample_token(last_logits_, options_.sampling, rng_);
  token.probability = std::exp(double(row[token.id]) - log_sum_exp(row, V));
  sequence_.push_back(token.id);
  generated_.push_back(token);
  if (options_.stop_at_end_of_text && end_of_text_ && token.id == *end_of_text_)
    stop_ = StopReason::end_of_text;
  else if (int(generated_.size()) == options_.max_new_tokens)
    stop_ = StopReason::token_count;
  return token;
}

Result<Generation> generate(const Model& model, std::vector<int> prompt,
                            const GenerationOptions& options) {
  ATTNSCOPE_ASSIGN(Generator g, Generator::start(model, std::move(prompt), options));
  while (!g.done()) ATTNSCOPE_TRY(g.step());
  return Generation{g.sequence(), g.prompt_length(), g.generated(), g.stop_reason()};
}

}  // namespace attnscope
