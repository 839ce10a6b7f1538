// fixtures.h — reading the committed reference fixtures (models/fixtures, made by
// models/fixtures/make_fixtures.py) natively and under node (NODERAWFS), into a MemorySource.
#pragma once

#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/io/file_source.h"
#include "core/io/safetensors.h"

namespace attnscope::test {

inline std::string fixture_dir(const std::string& name) {
  return std::string(ATTNSCOPE_SOURCE_DIR) + "/models/fixtures/" + name;
}

inline Bytes read_file_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  REQUIRE_MESSAGE(file.good(), "cannot open fixture " << path);
  std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(file)), {});
  return Bytes::from_vector(std::move(data));
}

// Every file of a fixture folder (the reference outputs excluded: they are not part of a model).
inline MemorySource fixture_source(const std::string& name) {
  MemorySource source(fixture_dir(name));
  for (const auto& entry : std::filesystem::directory_iterator(fixture_dir(name))) {
    const std::string file = entry.path().filename().string();
    if (file != "reference.safetensors" && file != "patching.safetensors")
      source.add(file, read_file_bytes(entry.path().string()));
  }
  return source;
}

// transformers' outputs beside a fixture: reference.safetensors (make_fixtures.py) or
// patching.safetensors (make_patching_fixtures.py).
inline SafetensorsFile reference_outputs(const std::string& name,
                                         const std::string& file_name = "reference.safetensors") {
  auto file =
      SafetensorsFile::parse(read_file_bytes(fixture_dir(name) + "/" + file_name), file_name);
  REQUIRE_MESSAGE(file.ok(), (file.ok() ? "" : file.error().to_string()));
  return std::move(file).value();
}

inline std::vector<float> reference_tensor(const SafetensorsFile& ref, const std::string& name) {
  auto data = ref.read_f32(name);
  REQUIRE_MESSAGE(data.ok(), "reference tensor " << name << ": "
                                                 << (data.ok() ? "" : data.error().to_string()));
  return std::move(data).value();
}

inline std::vector<int> reference_ids(const SafetensorsFile& ref, const std::string& name) {
  const TensorInfo* info = ref.find(name);
  REQUIRE(info != nullptr);
  REQUIRE(info->dtype == DType::i64);
  const auto raw = ref.raw(*info);
  std::vector<int> ids(info->numel());
  for (std::size_t i = 0; i < ids.size(); i++) {
    std::int64_t v = 0;
    std::memcpy(&v, raw.data() + 8 * i, 8);
    ids[i] = static_cast<int>(v);
  }
  return ids;
}

// max |a - b| / max |b|: differences relative to the reference's scale.
inline double relative_max_diff(const float* a, const float* b, std::size_t n) {
  double diff = 0.0, scale = 1e-30;
  for (std::size_t i = 0; i < n; i++) {
    diff = std::max(diff, static_cast<double>(std::fabs(a[i] - b[i])));
    scale = std::max(scale, static_cast<double>(std::fabs(b[i])));
  }
  return diff / scale;
}

inline double max_abs_diff(const float* a, const float* b, std::size_t n) {
  double diff = 0.0;
  for (std::size_t i = 0; i < n; i++)
    diff = std::max(diff, static_cast<double>(std::fabs(a[i] - b[i])));
  return diff;
}

}  // namespace attnscope::test
