// sharded.h — one model's tensors, whether the folder holds a single model.safetensors or shards
// listed by model.safetensors.index.json ({"weight_map": {tensor name: shard file name}}).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/io/dtype.h"
#include "core/io/file_source.h"
#include "core/io/safetensors.h"

namespace attnscope {

class WeightStore {
 public:
  // Reads model.safetensors if present, else the index and every shard it names. All files are
  // parsed and checked here; tensors are converted only when read.
  static Result<WeightStore> open(const FileSource& source);

  // nullptr when the model has no tensor of that name.
  const TensorInfo* find(std::string_view name) const;
  // The tensor as float32, after checking its shape; errors name the file holding it.
  Result<std::vector<float>> read_f32(std::string_view name,
                                      std::span<const std::int64_t> expected_shape) const;
  // read_f32("wte", {vocab, d_model})
  Result<std::vector<float>> read_f32(std::string_view name,
                                      std::initializer_list<std::int64_t> expected_shape) const {
    return read_f32(name,
                    std::span<const std::int64_t>(expected_shape.begin(), expected_shape.size()));
  }
  // The tensor as float32, whatever its shape.
  Result<std::vector<float>> read_f32(std::string_view name) const;
  // An F16 or BF16 tensor's raw bits, after checking its shape.
  Result<std::vector<std::uint16_t>> read_bits16(
      std::string_view name, std::span<const std::int64_t> expected_shape) const;
  // The dtype every tensor has, when they all have the same one.
  std::optional<DType> uniform_dtype() const { return uniform_dtype_; }
  // Every tensor name, sorted.
  std::vector<std::string> names() const;
  // The dtype holding the most elements (F32 for an empty model): what the weights were saved in.
  DType dominant_dtype() const;
  // The files the tensors came from: "model.safetensors", or the index's shards, sorted.
  std::vector<std::string> files() const;

 private:
  struct Location {
    std::size_t shard;   // index into shards_
    std::size_t tensor;  // index into shards_[shard].tensors()
  };
  WeightStore() = default;
  void find_uniform_dtype();

  std::string index_name_;  // the file that lists the tensors, for messages
  std::vector<SafetensorsFile> shards_;
  std::vector<std::string> shard_names_;
  std::map<std::string, Location, std::less<>> tensors_;
  std::optional<DType> uniform_dtype_;
};

}  // namespace attnscope
