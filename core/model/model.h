// model.h — a loaded transformer language model and its hookable forward pass.
//
//   auto files = open_path("models/fixtures/gpt2");         // native; MemorySource in the browser
//   auto model = Model::load(*files);                         // config.json + safetensors (+
//   tokenizer) HookPlan hooks;  hooks.capture("blocks.*.attn.hook_pattern"); Cache cache; auto
//   logits = model->forward(ids, hooks, &cache);        // [pos, vocab]
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/error.h"
#include "core/io/file_source.h"
#include "core/model/bound_weights.h"
#include "core/model/config.h"
#include "core/model/hooks.h"
#include "core/model/kv_cache.h"
#include "core/model/weights.h"
#include "core/ops/backend.h"
#include "core/tensor.h"
#include "core/tokenizer/bpe.h"

namespace attnscope {

// "464, 2068,7586" → {464, 2068, 7586}: a prompt typed as token ids (the CLI's --ids, the
// explorer's ids box). Range checks against a model are Model::check_ids's.
Result<std::vector<int>> parse_token_ids(std::string_view list);

class Model {
 public:
  // Reads config.json, the weights (model.safetensors or a sharded index; F32, F16 or BF16) and,
  // if present, tokenizer.json or vocab.json + merges.txt. The model is bound to `backend`: its
  // weights go into the backend's memory once, here, and every forward pass runs there.
  static Result<Model> load(const FileSource& files, Backend& backend = default_backend());
  static Model from_parts(ModelConfig config, ModelWeights weights,
                          Backend& backend = default_backend());
  // The same model (config, weights, tokenizer shared) bound to another backend.
  Model bound_to(Backend& backend) const;
  Backend& backend() const { return bound_->backend(); }

  const ModelConfig& config() const { return *config_; }
  const ModelWeights& weights() const { return *weights_; }
  // The tokenizer, or null when the folder has none (tokenizer_error() says why).
  const BpeTokenizer* tokenizer() const { return tokenizer_ ? &*tokenizer_ : nullptr; }
  const std::string& tokenizer_error() const { return tokenizer_error_; }
  // A token id as the UI shows it: the tokenizer's display form, or "<id N>" when there is no
  // tokenizer or the id is past its vocabulary.
  std::string token_display(int id) const;

  // Ids must be non-empty, in the vocabulary, and no longer than the context.
  Status check_ids(std::span<const int> ids) const;
  // Tokenizes text (error if there is no tokenizer or the text is empty).
  Result<std::vector<int>> tokenize(std::string_view text) const;
  // A metric's token typed by the user (" Mary"): text that is exactly one token, or, for a
  // model without a tokenizer, one token id ("731").
  Result<int> single_token(std::string_view text) const;

  // Runs one sequence on the model's backend; returns logits [pos, vocab]. Hooks in `hooks` are
  // captured into `cache` (when given) and edited by their interventions.
  Result<Tensor> forward(std::span<const int> ids, const HookPlan& hooks = {},
                         Cache* cache = nullptr) const;

  // The same pass with its logits, too, left in `cache` (as its "logits" entry): on a GPU
  // backend nothing comes back to the host until an entry is asked for.
  Status forward_into(std::span<const int> ids, const HookPlan& hooks, Cache& cache) const;

  // One step of a sequence whose earlier positions are in `kv` (see kv_cache.h): `ids` run as
  // positions kv.length().. and their keys and values join the cache (its length grows by
  // ids.size()). The logits are the step's [T, vocab], or its last position's [1, vocab] with
  // last_logits_only. Hooks see the step's positions only (hook_pattern [H, T, past + T]); hooks
  // on the scores and pattern edits are refused once the cache holds positions. Errors: a cache
  // of another model or backend, or a step past the cache's capacity.
  Result<Tensor> forward_step(std::span<const int> ids, KvCache& kv, const HookPlan& hooks = {},
                              Cache* cache = nullptr, bool last_logits_only = false) const;

  // Continues a forward pass from block `layer`, given that block's hook_resid_pre [pos,
  // d_model] (captured from an earlier run): interventions in later layers need not redo the
  // layers before them. Hooks of layers before `layer` (and hook_embed) do not fire. With
  // layer == n_layers no block runs: `resid_pre` goes straight through the final norm and the
  // unembedding (the logit lens reads every layer's residual stream this way).
  // With last_logits_only, logits (and the final norm) are computed for the last position only:
  // [1, vocab], all a last-token metric needs.
  Result<Tensor> forward_from(int layer, const Tensor& resid_pre, const HookPlan& hooks = {},
                              Cache* cache = nullptr, bool last_logits_only = false) const;

 private:
  std::shared_ptr<const ModelConfig> config_;
  std::shared_ptr<const ModelWeights> weights_;
  std::shared_ptr<const BoundWeights> bound_;  // views of weights_ on the model's backend
  std::shared_ptr<const BpeTokenizer> tokenizer_;
  std::string tokenizer_error_;
};

}  // namespace attnscope
