// architecture.cpp — the family registry, config.json parsing and helpers shared by arch_*.cpp.
#include "core/model/architecture.h"

#include <array>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/io/json_limits.h"

namespace attnscope {

std::span<const Architecture* const> architectures() {
  static const std::array<const Architecture*, 4> all = {&kGpt2Architecture, &kGptNeoxArchitecture,
                                                         &kLlamaArchitecture, &kQwen2Architecture};
  return all;
}

const Architecture* find_architecture(std::string_view model_type) {
  for (const Architecture* a : architectures())
    if (model_type == a->model_type) return a;
  return nullptr;
}

namespace {

std::string supported_list() {
  std::string list;
  for (const Architecture* a : architectures())
    list += (list.empty() ? "" : ", ") + std::string(a->model_type);
  return list;
}

Status check_consistency(const ModelConfig& c) {
  auto bad = [](const std::string& what) {
    return make_error("config.json: " + what, "is this file from a Hugging Face model?");
  };
  if (c.n_layers <= 0) return bad("number of layers must be positive");
  // Bounds first, so that no product below (or in the loaders) can overflow an int.
  if (c.n_layers > 1024 || c.d_model > 65536 || c.n_heads > 4096 || c.n_kv_heads > 4096 ||
      c.d_head > 65536 || c.d_mlp > 1'048'576 || c.vocab_size > 4'000'000 || c.n_ctx > 1'000'000)
    return bad(
        "sizes are implausibly large (at most 1024 layers, d_model 65536, 4096 heads, "
        "d_head 65536, d_mlp 1048576, vocab 4000000, context 1000000)");
  if (static_cast<long long>(c.n_heads) * c.d_head > 65536)
    return bad("heads × head_dim (" + std::to_string(static_cast<long long>(c.n_heads) * c.d_head) +
               ") is implausibly large (at most 65536)");
  if (!std::isfinite(c.norm_eps) || c.norm_eps <= 0.0f || c.norm_eps > 1.0f)
    return bad("the norm epsilon (" + std::to_string(c.norm_eps) + ") must be in (0, 1]");
  if (c.position == PositionKind::rotary && !(std::isfinite(c.rope_theta) && c.rope_theta > 0.0f))
    return bad("rope_theta must be a positive number");
  if (c.d_model <= 0 || c.n_heads <= 0 || c.d_head <= 0)
    return bad("d_model and heads must be positive");
  if (c.n_kv_heads <= 0 || c.n_heads % c.n_kv_heads != 0)
    return bad("num_key_value_heads (" + std::to_string(c.n_kv_heads) +
               ") must divide num_attention_heads (" + std::to_string(c.n_heads) + ")");
  if (c.d_mlp <= 0) return bad("intermediate size must be positive");
  if (c.vocab_size <= 0) return bad("vocab_size must be positive");
  if (c.n_ctx <= 0) return bad("context length must be positive");
  if (c.position == PositionKind::rotary &&
      (c.rotary_dims <= 0 || c.rotary_dims > c.d_head || c.rotary_dims % 2 != 0))
    return bad("rotary dimensions (" + std::to_string(c.rotary_dims) +
               ") must be even and at most the head dimension (" + std::to_string(c.d_head) + ")");
  // Limits that keep sizes in int range and catch hostile configs before any allocation.
  const long long params_per_layer = 12LL * c.d_model * std::max(c.d_model, c.d_mlp);
  if (c.n_layers > 1024 || c.d_model > 65536 || c.n_heads > 4096 || c.vocab_size > 4'000'000 ||
      c.n_ctx > 1'000'000 || params_per_layer > (1LL << 40))
    return bad("sizes are implausibly large");
  return {};
}

}  // namespace

Result<ModelConfig> parse_model_config(std::string_view config_json) {
  nlohmann::json json;
  try {
    json = parse_json_limited(config_json);
  } catch (const JsonLimitError& e) {
    return make_error(std::string("config.json is ") + e.what(), "is this a model's config.json?");
  } catch (const std::exception&) {
    return make_error("config.json is not valid JSON");
  }
  if (!json.is_object()) return make_error("config.json must hold a JSON object");
  const auto type = json.find("model_type");
  if (type == json.end() || !type->is_string())
    return make_error("config.json has no model_type", "supported: " + supported_list());
  ModelConfig config;
  config.model_type = type->get<std::string>();
  const Architecture* arch = find_architecture(config.model_type);
  if (!arch)
    return make_error("unsupported architecture '" + config.model_type.substr(0, 60) +
                          (config.model_type.size() > 60 ? "...'" : "'"),
                      "supported: " + supported_list());
  ATTNSCOPE_TRY(arch->parse_config(json, config));
  for (const char* key : {"bos_token_id", "eos_token_id"}) {
    const auto it = json.find(key);
    if (it != json.end() && it->is_number_integer()) {
      const int id = it->get<int>();
      if (id >= 0 && id < config.vocab_size)
        (key[0] == 'b' ? config.bos_token_id : config.eos_token_id) = id;
    }
  }
  ATTNSCOPE_TRY(check_consistency(config));
  return config;
}

std::string describe(const ModelConfig& c) {
  std::string s = c.model_type + ": " + std::to_string(c.n_layers) + " layers, " +
                  std::to_string(c.n_heads) + " heads";
  if (c.n_kv_heads != c.n_heads) s += " (" + std::to_string(c.n_kv_heads) + " kv)";
  s += ", d_model " + std::to_string(c.d_model) + ", d_head " + std::to_string(c.d_head) +
       ", d_mlp " + std::to_string(c.d_mlp) + ", vocab " + std::to_string(c.vocab_size) +
       ", context " + std::to_string(c.n_ctx);
  return s;
}

namespace arch {

namespace {
const nlohmann::json* first_present(const nlohmann::json& json,
                                    std::initializer_list<const char*> keys, std::string& name) {
  for (const char* key : keys) {
    const auto it = json.find(key);
    if (it != json.end() && !it->is_null()) {
      name = key;
      return &*it;
    }
  }
  name = *keys.begin();
  return nullptr;
}
}  // namespace

Result<int> get_int(const nlohmann::json& json, std::initializer_list<const char*> keys,
                    std::optional<int> fallback) {
  std::string name;
  const nlohmann::json* v = first_present(json, keys, name);
  if (!v) {
    if (fallback) return *fallback;
    return make_error("config.json is missing '" + name + "'");
  }
  if (!v->is_number_integer() || v->get<long long>() < 0 || v->get<long long>() > (1LL << 31) - 1)
    return make_error("config.json: '" + name + "' must be a non-negative integer");
  return v->get<int>();
}

Result<float> get_float(const nlohmann::json& json, std::initializer_list<const char*> keys,
                        std::optional<float> fallback) {
  std::string name;
  const nlohmann::json* v = first_present(json, keys, name);
  if (!v) {
    if (fallback) return *fallback;
    return make_error("config.json is missing '" + name + "'");
  }
  if (!v->is_number()) return make_error("config.json: '" + name + "' must be a number");
  const double value = v->get<double>();
  if (!(std::abs(value) <= std::numeric_limits<float>::max()))
    return make_error("config.json: '" + name + "' is out of range");
  return static_cast<float>(value);
}

Result<bool> get_bool(const nlohmann::json& json, const char* key, bool fallback) {
  const auto it = json.find(key);
  if (it == json.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    return make_error(std::string("config.json: '") + key + "' must be true or false");
  return it->get<bool>();
}

Result<Activation> parse_activation(const std::string& name) {
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast")
    return Activation::gelu_tanh;
  if (name == "gelu") return Activation::gelu_erf;
  if (name == "silu" || name == "swish") return Activation::silu;
  if (name == "relu") return Activation::relu;
  return make_error("unsupported activation '" + name + "'",
                    "supported: gelu, gelu_new, gelu_pytorch_tanh, silu, relu");
}

Status read_rope(const nlohmann::json& json, ModelConfig& config, const char* legacy_theta_key,
                 const char* legacy_partial_key) {
  float partial = 1.0f;
  const auto params = json.find("rope_parameters");
  const auto scaling = json.find("rope_scaling");
  if (params != json.end() && params->is_object()) {
    const auto type = params->find("rope_type");
    if (type != params->end() && type->is_string() && type->get<std::string>() != "default")
      return make_error("unsupported rope_type '" + type->get<std::string>() + "'",
                        "attnscope implements the default rotary embedding only");
    auto theta = get_float(*params, {"rope_theta"}, config.rope_theta);
    if (!theta) return theta.error();
    config.rope_theta = *theta;
    auto p = get_float(*params, {"partial_rotary_factor"}, 1.0f);
    if (!p) return p.error();
    partial = *p;
  } else {
    if (scaling != json.end() && !scaling->is_null())
      return make_error("unsupported rope_scaling",
                        "attnscope implements unscaled rotary embeddings");
    auto theta = get_float(json, {legacy_theta_key}, config.rope_theta);
    if (!theta) return theta.error();
    config.rope_theta = *theta;
  }
  if (legacy_partial_key && json.contains(legacy_partial_key)) {
    auto p = get_float(json, {legacy_partial_key}, 1.0f);
    if (!p) return p.error();
    partial = *p;
  }
  if (!(partial > 0.0f && partial <= 1.0f))
    return make_error("config.json: partial rotary factor must be in (0, 1]");
  config.position = PositionKind::rotary;
  // In double and clamped: d_head is not bounded yet here (check_consistency comes later), and a
  // float product of a huge d_head can round past INT_MAX.
  const double dims = std::floor(static_cast<double>(config.d_head) * partial);
  config.rotary_dims = dims > 0 && dims < 1e9 ? static_cast<int>(dims) : 0;
  return {};
}

namespace {
std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); i++) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}
}  // namespace

Status read(const WeightStore& store, const std::string& name, std::vector<int64_t> shape,
            std::vector<float>& out) {
  if (!store.find(name))
    return make_error("checkpoint is missing tensor '" + name + "' (expected shape " +
                      shape_text(shape) + ")");
  auto data = store.read_f32(name, shape);
  if (!data) return data.error();
  // NaN or Inf weights would only show up as NaN logits later: name the tensor now.
  for (std::size_t i = 0; i < data->size(); i++) {
    if (!std::isfinite((*data)[i]))
      return make_error("tensor '" + name + "' holds " + (std::isnan((*data)[i]) ? "NaN" : "Inf") +
                            " at element " + std::to_string(i),
                        "the checkpoint is corrupt; download it again");
  }
  out = std::move(*data);
  return {};
}

namespace {
// F16 or BF16 when every tensor of the store has that dtype, else F32.
WeightType stored_type(const WeightStore& store) {
  const std::optional<DType> uniform = store.uniform_dtype();
  if (uniform == DType::f16) return WeightType::f16;
  if (uniform == DType::bf16) return WeightType::bf16;
  return WeightType::f32;
}

// Whether 16-bit values are NaN or infinite (every exponent bit set), as the float32 reader checks.
Status check_finite_bits(const std::string& name, const std::vector<std::uint16_t>& bits,
                         WeightType type) {
  const std::uint16_t exponent = type == WeightType::f16 ? 0x7C00 : 0x7F80;
  const std::uint16_t mantissa = type == WeightType::f16 ? 0x03FF : 0x007F;
  for (std::size_t i = 0; i < bits.size(); i++)
    if ((bits[i] & exponent) == exponent)
      return make_error("tensor '" + name + "' holds " + ((bits[i] & mantissa) ? "NaN" : "Inf") +
                            " at element " + std::to_string(i),
                        "the checkpoint is corrupt; download it again");
  return {};
}
}  // namespace

Status read(const WeightStore& store, const std::string& name, std::vector<int64_t> shape,
            Matrix& out) {
  // A checkpoint kept in its 16-bit dtype: the bits as stored, no float32 copy on the way.
  const WeightType kept = stored_type(store);
  if (kept != WeightType::f32 && store.find(name)) {
    auto bits = store.read_bits16(name, shape);
    if (!bits) return bits.error();
    ATTNSCOPE_TRY(check_finite_bits(name, *bits, kept));
    out = Matrix::from_bits(kept, std::move(*bits));
    return {};
  }
  std::vector<float> values;
  ATTNSCOPE_TRY(read(store, name, std::move(shape), values));
  out = std::move(values);
  return {};
}

void keep_stored_dtype(const WeightStore& store, LayerWeights& layer) {
  narrow_matrices(layer, stored_type(store));
}

void keep_stored_dtype(const WeightStore& store, ModelWeights& weights) {
  narrow_matrices(weights, stored_type(store));
}

Status read_optional(const WeightStore& store, const std::string& name, std::vector<int64_t> shape,
                     std::vector<float>& out) {
  if (!store.find(name)) return {};
  return read(store, name, std::move(shape), out);
}

}  // namespace arch
}  // namespace attnscope
