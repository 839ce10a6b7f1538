// model.cpp — loading a model folder and checking inputs; the forward pass is in forward.cpp.
#include "core/model/model.h"

#include <charconv>

#include "core/io/sharded.h"
#include "core/model/architecture.h"
#include "core/model/memory_estimate.h"
#include "core/split_list.h"

namespace attnscope {

namespace {

// "tokenizer.json: <message>", unless the message already starts by naming the file.
std::string named_by(const std::string& message, const std::string& file) {
  return message.rfind(file, 0) == 0 ? message : file + ": " + message;
}

}  // namespace

Result<Model> Model::load(const FileSource& files, Backend& backend) {
  if (!files.exists("config.json"))
    return make_error("no config.json in " + files.describe(),
                      "a model folder as Hugging Face saves it is needed");
  ATTNSCOPE_ASSIGN(const Bytes config_bytes, files.read("config.json"));
  ATTNSCOPE_ASSIGN(ModelConfig config, parse_model_config(config_bytes.text()));
  ATTNSCOPE_ASSIGN(const WeightStore store, WeightStore::open(files));
  const Architecture* arch = find_architecture(config.model_type);
  ATTNSCOPE_TRY(check_weight_memory(config));
  ATTNSCOPE_ASSIGN(ModelWeights weights, arch->load_weights(config, store));

  Model model = from_parts(std::move(config), std::move(weights), backend);
  // A missing or unsupported tokenizer does not stop the model: ids still work.
  if (files.exists("tokenizer.json")) {
    ATTNSCOPE_ASSIGN(const Bytes json, files.read("tokenizer.json"));
    auto tokenizer = BpeTokenizer::from_tokenizer_json(json.text());
    if (tokenizer)
      model.tokenizer_ = std::make_shared<const BpeTokenizer>(std::move(*tokenizer));
    else
      model.tokenizer_error_ = named_by(tokenizer.error().to_string(), "tokenizer.json");
  } else if (files.exists("vocab.json") && files.exists("merges.txt")) {
    ATTNSCOPE_ASSIGN(const Bytes vocab, files.read("vocab.json"));
    ATTNSCOPE_ASSIGN(const Bytes merges, files.read("merges.txt"));
    auto tokenizer = BpeTokenizer::from_vocab_and_merges(vocab.text(), merges.text());
    if (tokenizer)
      model.tokenizer_ = std::make_shared<const BpeTokenizer>(std::move(*tokenizer));
    else
      model.tokenizer_error_ = named_by(tokenizer.error().to_string(), "vocab.json/merges.txt");
  } else {
    model.tokenizer_error_ =
        "no tokenizer.json (or vocab.json + merges.txt) in " + files.describe();
  }
  return model;
}

Model Model::from_parts(ModelConfig config, ModelWeights weights, Backend& backend) {
  Model model;
  model.config_ = std::make_shared<const ModelConfig>(std::move(config));
  model.weights_ = std::make_shared<const ModelWeights>(std::move(weights));
  model.bound_ = std::make_shared<const BoundWeights>(*model.weights_, backend);
  return model;
}

Model Model::bound_to(Backend& backend) const {
  Model model = *this;
  model.bound_ = std::make_shared<const BoundWeights>(*weights_, backend);
  return model;
}

Result<std::vector<int>> parse_token_ids(std::string_view list) {
  std::vector<int> ids;
  for (const std::string_view item : split_list(list)) {
    int id = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), id);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size())
      return make_error("'" + std::string(item) + "' is not a token id",
                        "give integers separated by commas");
    ids.push_back(id);
  }
  return ids;
}

std::string Model::token_display(int id) const {
  return tokenizer_ ? tokenizer_->token_display(id) : unknown_token_display(id);
}

Status Model::check_ids(std::span<const int> ids) const {
  if (ids.empty()) return make_error("the prompt is empty", "give at least one token");
  if (ids.size() > static_cast<std::size_t>(config_->n_ctx))
    return make_error("the prompt has " + std::to_string(ids.size()) +
                          " tokens, more than the model's context of " +
                          std::to_string(config_->n_ctx),
                      "shorten the prompt");
  ATTNSCOPE_TRY(check_forward_memory(*config_, ids.size()));
  for (std::size_t i = 0; i < ids.size(); i++)
    if (ids[i] < 0 || ids[i] >= config_->vocab_size)
      return make_error("token id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
                        " is outside the vocabulary (0.." +
                        std::to_string(config_->vocab_size - 1) + ")");
  return {};
}

Result<int> Model::single_token(std::string_view text) const {
  std::vector<int> ids;
  if (tokenizer_) {
    ATTNSCOPE_ASSIGN(ids, tokenize(text));
  } else {
    ATTNSCOPE_ASSIGN(ids, parse_token_ids(text));
  }
  if (ids.size() != 1) {
    std::string parts;
    for (int id : ids) parts += (parts.empty() ? "" : " | ") + token_display(id);
    return make_error("'" + std::string(text) + "' is " + std::to_string(ids.size()) + " tokens (" +
                          parts + "), not one",
                      "give a single token; a leading space is often part of it, e.g. ' Mary'");
  }
  ATTNSCOPE_TRY(check_ids(ids));
  return ids[0];
}

Result<std::vector<int>> Model::tokenize(std::string_view text) const {
  if (!tokenizer_)
    return make_error("this model has no usable tokenizer: " + tokenizer_error_,
                      "pass token ids instead");
  if (text.empty()) return make_error("the prompt is empty", "type some text");
  return tokenizer_->encode(text);
}

}  // namespace attnscope
