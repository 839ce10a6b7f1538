// safetensors.h — read and write the safetensors format (Hugging Face's weight files).
//
// Layout: 8 bytes little-endian N, then N bytes of JSON header, then the data section. The header
// maps each tensor name to {"dtype": "F32", "shape": [3, 4], "data_offsets": [begin, end]}, with
// byte offsets relative to the data section, plus an optional "__metadata__" of string → string.
//
// parse() checks everything before anything is read: a malformed or truncated file gives one
// error line naming the file and the problem, never a crash, an exception or a read out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/io/bytes.h"
#include "core/io/dtype.h"

namespace attnscope {

struct TensorInfo {
  std::string name;
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;  // [] is a scalar
  std::size_t begin = 0, end = 0;   // byte offsets into the data section
  std::size_t numel() const;
};

// "[3, 4]"
std::string shape_to_string(std::span<const std::int64_t> shape);
// A tensor name for a one-line message: 'name', control characters replaced, long names cut.
std::string quote_name(std::string_view name);

class SafetensorsFile {
 public:
  // Validates the header and every tensor's extent; keeps `bytes` alive and reads from it
  // lazily. display_name names the file in error messages.
  static Result<SafetensorsFile> parse(Bytes bytes, std::string display_name = "model.safetensors");

  const std::string& display_name() const { return display_name_; }
  // Tensors in file order (by data offset).
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  // nullptr when there is no tensor of that name.
  const TensorInfo* find(std::string_view name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The tensor's bytes, little-endian; `info` must come from this file.
  std::span<const std::uint8_t> raw(const TensorInfo& info) const;

  // The tensor as float32 (converting F16/BF16/F64); an error if it is missing or not a float.
  Result<std::vector<float>> read_f32(std::string_view name) const;
  // Same, checking the shape first: "tensor 'x' has shape [3, 4], expected [4, 3]".
  Result<std::vector<float>> read_f32(std::string_view name,
                                      std::span<const std::int64_t> expected_shape) const;
  // An F16 or BF16 tensor's raw 16 bits as stored, checking the shape (weights kept in their
  // stored dtype need no float32 copy).
  Result<std::vector<std::uint16_t>> read_bits16(
      std::string_view name, std::span<const std::int64_t> expected_shape) const;
  // read_f32("wte", {vocab, d_model})
  Result<std::vector<float>> read_f32(std::string_view name,
                                      std::initializer_list<std::int64_t> expected_shape) const {
    return read_f32(name,
                    std::span<const std::int64_t>(expected_shape.begin(), expected_shape.size()));
  }

 private:
  SafetensorsFile() = default;
  // The tensor, or "no tensor named …" / "tensor … has shape [..], expected [..]".
  Result<const TensorInfo*> find_shaped(std::string_view name,
                                        std::span<const std::int64_t> expected_shape) const;

  Bytes bytes_;
  std::string display_name_;
  std::size_t data_start_ = 0;  // offset of the data section in bytes_
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::size_t, std::less<>> by_name_;  // name → index in tensors_
  std::map<std::string, std::string> metadata_;
};

struct TensorToWrite {
  std::string name;
  std::vector<std::int64_t> shape;
  std::span<const float> data;  // numel(shape) values
  DType dtype = DType::f32;     // stored as F32, F16, BF16 or F64
};

// A safetensors file holding `tensors` in the given order (header and data), the header padded
// with spaces to a multiple of 8 bytes, and "__metadata__" when `metadata` is not empty.
// Preconditions (asserted): unique names, data.size() == numel(shape), a float dtype. In release
// builds a short `data` is padded with zeros and a non-float dtype is written as F32.
std::vector<std::uint8_t> write_safetensors(
    std::span<const TensorToWrite> tensors,
    const std::map<std::string, std::string>& metadata = {});

}  // namespace attnscope
