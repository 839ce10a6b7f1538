// sharded.cpp — WeightStore: a single model.safetensors, or the shards of an index.
#include "core/io/sharded.h"

#include <exception>
#include <nlohmann/json.hpp>

#include "core/io/json_limits.h"
#include "core/io/json_message.h"

namespace attnscope {

namespace {

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

// The index's weight_map: shard file names (sorted) and each tensor's shard.
struct Index {
  std::vector<std::string> shards;
  std::vector<std::pair<std::string, std::size_t>> tensors;  // name, index into shards
};

Result<Index> parse_index(const Bytes& bytes, const std::string& where) {
  const std::string file = std::string(kIndexFile) + " in " + where;
  try {
    const nlohmann::json index =
        parse_json_limited(bytes.text(), JsonLimits{.max_depth = 8, .unique_keys = true});
    const auto map_it = index.is_object() ? index.find("weight_map") : index.end();
    if (map_it == index.end() || !map_it->is_object()) {
      return make_error(file + " has no \"weight_map\" object");
    }
    std::map<std::string, std::size_t, std::less<>> shard_ids;
    for (const auto& [tensor, shard] : map_it->items()) {
      if (!shard.is_string()) {
        return make_error(file + ": the shard of tensor " + quote_name(tensor) +
                          " is not a file name");
      }
      shard_ids.emplace(shard.get<std::string>(), 0);
    }
    Index out;
    for (auto& [shard, id] : shard_ids) {
      id = out.shards.size();
      out.shards.push_back(shard);
    }
    for (const auto& [tensor, shard] : map_it->items()) {
      out.tensors.emplace_back(tensor, shard_ids.find(shard.get_ref<const std::string&>())->second);
    }
    return out;
  } catch (const nlohmann::json::parse_error& e) {
    return make_error(file + " is not valid JSON: " + json_message(e));
  } catch (const JsonLimitError& e) {
    return make_error(file + ": " + e.what());
  } catch (const std::exception& e) {  // nothing else should throw; out of memory might
    return make_error(file + " could not be read: " + json_message(e));
  }
}

}  // namespace

Result<WeightStore> WeightStore::open(const FileSource& source) {
  WeightStore store;
  if (source.exists(kSingleFile)) {
    Result<Bytes> bytes = source.read(kSingleFile);
    if (!bytes.ok()) return bytes.error();
    Result<SafetensorsFile> file = SafetensorsFile::parse(std::move(bytes).value(), kSingleFile);
    if (!file.ok()) return file.error();
    store.index_name_ = kSingleFile;
    store.shard_names_.push_back(kSingleFile);
    store.shards_.push_back(std::move(file).value());
    const std::vector<TensorInfo>& tensors = store.shards_[0].tensors();
    for (std::size_t i = 0; i < tensors.size(); i++) {
      store.tensors_.emplace(tensors[i].name, Location{0, i});
    }
    store.find_uniform_dtype();
    return store;
  }

  if (!source.exists(kIndexFile)) {
    return make_error(
        "no " + std::string(kSingleFile) + " or " + kIndexFile + " in " + source.describe(),
        "pass the folder that holds the model's .safetensors files");
  }
  Result<Bytes> index_bytes = source.read(kIndexFile);
  if (!index_bytes.ok()) return index_bytes.error();
  Result<Index> index = parse_index(*index_bytes, source.describe());
  if (!index.ok()) return index.error();

  store.index_name_ = kIndexFile;
  for (const std::string& shard : index->shards) {
    if (!source.exists(shard)) {
      return make_error(std::string(kIndexFile) + " names shard " + quote_name(shard) +
                            ", which is not in " + source.describe(),
                        "copy every shard of the model into the folder");
    }
    Result<Bytes> bytes = source.read(shard);
    if (!bytes.ok()) return bytes.error();
    Result<SafetensorsFile> file = SafetensorsFile::parse(std::move(bytes).value(), shard);
    if (!file.ok()) return file.error();
    store.shard_names_.push_back(shard);
    store.shards_.push_back(std::move(file).value());
  }
  for (const auto& [tensor, shard] : index->tensors) {
    const std::vector<TensorInfo>& tensors = store.shards_[shard].tensors();
    const TensorInfo* info = store.shards_[shard].find(tensor);
    if (!info) {
      return make_error("tensor " + quote_name(tensor) + " is listed in " + kIndexFile +
                        " but missing from its shard " + store.shard_names_[shard]);
    }
    store.tensors_.emplace(tensor,
                           Location{shard, static_cast<std::size_t>(info - tensors.data())});
  }
  store.find_uniform_dtype();
  return store;
}

void WeightStore::find_uniform_dtype() {
  uniform_dtype_.reset();
  for (const auto& [name, location] : tensors_) {
    const DType dtype = shards_[location.shard].tensors()[location.tensor].dtype;
    if (uniform_dtype_ && *uniform_dtype_ != dtype) {
      uniform_dtype_.reset();
      return;
    }
    uniform_dtype_ = dtype;
  }
}

const TensorInfo* WeightStore::find(std::string_view name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) return nullptr;
  return &shards_[it->second.shard].tensors()[it->second.tensor];
}

Result<std::vector<float>> WeightStore::read_f32(
    std::string_view name, std::span<const std::int64_t> expected_shape) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end())
    return make_error(index_name_ + ": no tensor named " + quote_name(name));
  return shards_[it->second.shard].read_f32(name, expected_shape);
}

Result<std::vector<std::uint16_t>> WeightStore::read_bits16(
    std::string_view name, std::span<const std::int64_t> expected_shape) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end())
    return make_error(index_name_ + ": no tensor named " + quote_name(name));
  return shards_[it->second.shard].read_bits16(name, expected_shape);
}

Result<std::vector<float>> WeightStore::read_f32(std::string_view name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end())
    return make_error(index_name_ + ": no tensor named " + quote_name(name));
  return shards_[it->second.shard].read_f32(name);
}

std::vector<std::string> WeightStore::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [name, location] : tensors_) out.push_back(name);
  return out;
}

DType WeightStore::dominant_dtype() const {
  std::map<DType, std::size_t> elements;
  for (const auto& [name, location] : tensors_) {
    const TensorInfo& info = shards_[location.shard].tensors()[location.tensor];
    elements[info.dtype] += info.numel();
  }
  DType best = DType::f32;
  std::size_t most = 0;
  for (const auto& [dtype, count] : elements) {
    if (count > most) {
      best = dtype;
      most = count;
    }
  }
  return best;
}

std::vector<std::string> WeightStore::files() const {
  return shard_names_;
}

}  // namespace attnscope
