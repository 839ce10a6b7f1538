// safetensors.cpp — the safetensors parser (validate everything, then read lazily) and writer.
#include "core/io/safetensors.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <exception>
#include <limits>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/io/json_limits.h"
#include "core/io/json_message.h"
#include "core/io/memory_budget.h"

namespace attnscope {

namespace {

using nlohmann::json;

// A header above this is not a weight file (real ones are well under 10 MB).
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

const char* const kNotSafetensorsHint = "check that this is a complete safetensors file";
const char* const kTruncatedHint = "the file looks truncated: copy or download it again";

Error file_error(std::string_view file, std::string_view problem, std::string hint = {}) {
  std::string message(file);
  message += ": ";
  message += problem;
  return make_error(std::move(message), std::move(hint));
}

// A JSON integer >= 0, as uint64 (nlohmann stores non-negative integers as unsigned).
std::optional<std::uint64_t> json_to_u64(const json& j) {
  if (j.is_number_unsigned()) return j.get<std::uint64_t>();
  if (j.is_number_integer()) {
    const std::int64_t v = j.get<std::int64_t>();
    if (v >= 0) return static_cast<std::uint64_t>(v);
  }
  return std::nullopt;
}

// One header entry, checked on its own; offsets are still relative and unchecked against the
// data section (a uint64 may not fit size_t in WASM, so they stay 64-bit until then).
struct Entry {
  TensorInfo info;
  std::uint64_t begin = 0, end = 0;
};

Result<Entry> parse_entry(std::string_view file, const std::string& name, const json& value) {
  const std::string where = "tensor " + quote_name(name);
  if (!value.is_object()) return file_error(file, where + ": entry is not a JSON object");
  Entry entry;
  entry.info.name = name;

  const auto dtype_it = value.find("dtype");
  if (dtype_it == value.end()) return file_error(file, where + ": missing \"dtype\"");
  if (!dtype_it->is_string()) return file_error(file, where + ": \"dtype\" is not a string");
  const std::string& dtype_name_str = dtype_it->get_ref<const std::string&>();
  const std::optional<DType> dtype = parse_dtype(dtype_name_str);
  if (!dtype) {
    return file_error(file, where + ": unknown dtype " + quote_name(dtype_name_str),
                      "supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL");
  }
  entry.info.dtype = *dtype;

  const auto shape_it = value.find("shape");
  if (shape_it == value.end()) return file_error(file, where + ": missing \"shape\"");
  if (!shape_it->is_array()) return file_error(file, where + ": \"shape\" is not an array");
  std::uint64_t numel = 1;
  bool overflow = false;
  for (const json& dim : *shape_it) {
    const std::optional<std::uint64_t> d = json_to_u64(dim);
    if (!d || *d > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      const std::string shown = dim.is_number() ? dim.dump() : std::string("not a number");
      return file_error(file,
                        where + ": shape has a negative or non-integer dimension (" + shown + ")");
    }
    entry.info.shape.push_back(static_cast<std::int64_t>(*d));
    overflow = overflow || __builtin_mul_overflow(numel, *d, &numel);
  }

  const auto offsets_it = value.find("data_offsets");
  if (offsets_it == value.end()) return file_error(file, where + ": missing \"data_offsets\"");
  std::optional<std::uint64_t> begin, end;
  if (offsets_it->is_array() && offsets_it->size() == 2) {
    begin = json_to_u64((*offsets_it)[0]);
    end = json_to_u64((*offsets_it)[1]);
  }
  if (!begin || !end || *begin > *end) {
    return file_error(file, where + ": \"data_offsets\" must be two integers [begin, end] with " +
                                "0 <= begin <= end");
  }
  entry.begin = *begin;
  entry.end = *end;

  const std::string shape_str = shape_to_string(entry.info.shape);
  std::uint64_t bytes = 0;
  overflow = overflow || __builtin_mul_overflow(numel, dtype_size(*dtype), &bytes);
  if (overflow) {
    return file_error(file, where + ": shape " + shape_str + " is too large (its size overflows)");
  }
  if (bytes != *end - *begin) {
    return file_error(file, where + ": " + std::string(dtype_name(*dtype)) + " " + shape_str +
                                " needs " + std::to_string(bytes) + " bytes but data_offsets [" +
                                std::to_string(*begin) + ", " + std::to_string(*end) + "] span " +
                                std::to_string(*end - *begin));
  }
  return entry;
}

Status parse_metadata(std::string_view file, const json& value,
                      std::map<std::string, std::string>* out) {
  const char* const problem = "\"__metadata__\" must be an object mapping strings to strings";
  if (!value.is_object()) return file_error(file, problem);
  for (const auto& [key, v] : value.items()) {
    if (!v.is_string()) return file_error(file, problem);
    (*out)[key] = v.get<std::string>();
  }
  return {};
}

}  // namespace

std::size_t TensorInfo::numel() const {
  std::size_t n = 1;
  for (const std::int64_t d : shape) n *= static_cast<std::size_t>(d);
  return n;
}

std::string quote_name(std::string_view name) {
  constexpr std::size_t kMax = 120;
  std::string out = "'";
  for (std::size_t i = 0; i < name.size() && i < kMax; i++) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (name.size() > kMax) out += "...";
  out += "'";
  return out;
}

std::string shape_to_string(std::span<const std::int64_t> shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); i++) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

Result<SafetensorsFile> SafetensorsFile::parse(Bytes bytes, std::string display_name) {
  SafetensorsFile st;
  st.display_name_ = std::move(display_name);
  const std::string& file = st.display_name_;
  if (bytes.size < 8) {
    return file_error(file,
                      "file is " + std::to_string(bytes.size) +
                          " bytes, too short for a safetensors header (at least 8)",
                      kNotSafetensorsHint);
  }
  std::uint64_t header_len = 0;
  for (int i = 7; i >= 0; i--) header_len = (header_len << 8) | bytes.data[i];
  const std::uint64_t after_prefix = bytes.size - 8;
  if (header_len > kMaxHeaderBytes) {
    return file_error(
        file, "header length " + std::to_string(header_len) + " is implausibly large (over 100 MB)",
        kNotSafetensorsHint);
  }
  if (header_len > after_prefix) {
    return file_error(file,
                      "header length " + std::to_string(header_len) +
                          " runs past the end of the file (" + std::to_string(after_prefix) +
                          " bytes follow the length)",
                      kTruncatedHint);
  }

  st.data_start_ = 8 + static_cast<std::size_t>(header_len);
  const std::size_t data_size = bytes.size - st.data_start_;
  const char* header_text = reinterpret_cast<const char*>(bytes.data + 8);

  std::vector<Entry> entries;
  try {
    // Unique keys: with two entries of one name, the JSON parser would keep the last silently.
    const json header = parse_json_limited(std::string_view(header_text, header_len),
                                           JsonLimits{.max_depth = 8, .unique_keys = true});
    if (!header.is_object()) return file_error(file, "header is not a JSON object");
    for (const auto& [key, value] : header.items()) {
      if (key == "__metadata__") {
        ATTNSCOPE_TRY(parse_metadata(file, value, &st.metadata_));
        continue;
      }
      Result<Entry> entry = parse_entry(file, key, value);
      if (!entry.ok()) return entry.error();
      entries.push_back(std::move(entry).value());
    }
  } catch (const json::parse_error& e) {
    return file_error(file, "header is not valid JSON: " + json_message(e), kNotSafetensorsHint);
  } catch (const JsonLimitError& e) {
    return file_error(file, std::string("header: ") + e.what(), kNotSafetensorsHint);
  } catch (const std::exception& e) {  // nothing else should throw; out of memory might
    return file_error(file, "header could not be read: " + json_message(e));
  }

  // File order: by data offset (ties, which are empty tensors, by name).
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end < b.end;
    return a.info.name < b.info.name;
  });

  const Entry* furthest = nullptr;
  for (const Entry& e : entries) {
    if (!furthest || e.end > furthest->end) furthest = &e;
  }
  if (furthest && furthest->end > data_size) {
    return file_error(file,
                      "tensor " + quote_name(furthest->info.name) + " ends at byte " +
                          std::to_string(furthest->end) + ", past the end of the data section (" +
                          std::to_string(data_size) + " bytes)",
                      kTruncatedHint);
  }

  const Entry* previous = nullptr;  // the non-empty tensor reaching furthest so far
  for (const Entry& e : entries) {
    if (e.begin == e.end) continue;
    if (previous && e.begin < previous->end) {
      return file_error(file, "tensors " + quote_name(previous->info.name) + " and " +
                                  quote_name(e.info.name) + " overlap in the data section");
    }
    if (!previous || e.end > previous->end) previous = &e;
  }

  st.tensors_.reserve(entries.size());
  for (Entry& e : entries) {
    e.info.begin = static_cast<std::size_t>(e.begin);  // fits: e.end <= data_size
    e.info.end = static_cast<std::size_t>(e.end);
    st.by_name_.emplace(e.info.name, st.tensors_.size());
    st.tensors_.push_back(std::move(e.info));
  }
  st.bytes_ = std::move(bytes);
  return st;
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

std::span<const std::uint8_t> SafetensorsFile::raw(const TensorInfo& info) const {
  const std::size_t data_size = bytes_.size - data_start_;
  if (info.begin > info.end || info.end > data_size) return {};  // not from this file
  return {bytes_.data + data_start_ + info.begin, info.end - info.begin};
}

Result<std::vector<float>> SafetensorsFile::read_f32(std::string_view name) const {
  const TensorInfo* info = find(name);
  if (!info) return file_error(display_name_, "no tensor named " + quote_name(name));
  if (!is_float_dtype(info->dtype)) {
    return file_error(display_name_, "tensor " + quote_name(name) + " is " +
                                         std::string(dtype_name(info->dtype)) +
                                         ", not a float dtype (F32, F16, BF16 or F64)");
  }
  const std::span<const std::uint8_t> bytes = raw(*info);
  // The file is mapped, not read: a tensor that matches its config can still be far larger
  // than memory (a sparse file). Refuse it before allocating its float32 copy.
  const std::uint64_t needed = static_cast<std::uint64_t>(info->numel()) * sizeof(float);
  if (needed > memory_budget()) {
    return file_error(display_name_,
                      "tensor " + quote_name(name) + " " + shape_to_string(info->shape) +
                          " needs " + format_bytes(needed) + " as float32, more than the " +
                          format_bytes(memory_budget()) + " attnscope may use",
                      "open a smaller model");
  }
  try {
    std::vector<float> out(info->numel());
    convert_to_f32(info->dtype, bytes.data(), out.size(), out.data());
    bytes_.drop(bytes);
    return out;
  } catch (const std::bad_alloc&) {
    return file_error(display_name_,
                      "out of memory reading tensor " + quote_name(name) + " (" +
                          format_bytes(needed) + " as float32)",
                      "open a smaller model or close other programs");
  }
}

Result<const TensorInfo*> SafetensorsFile::find_shaped(
    std::string_view name, std::span<const std::int64_t> expected_shape) const {
  const TensorInfo* info = find(name);
  if (!info) return file_error(display_name_, "no tensor named " + quote_name(name));
  if (!std::equal(info->shape.begin(), info->shape.end(), expected_shape.begin(),
                  expected_shape.end())) {
    return file_error(display_name_, "tensor " + quote_name(name) + " has shape " +
                                         shape_to_string(info->shape) + ", expected " +
                                         shape_to_string(expected_shape));
  }
  return info;
}

Result<std::vector<float>> SafetensorsFile::read_f32(
    std::string_view name, std::span<const std::int64_t> expected_shape) const {
  ATTNSCOPE_TRY(find_shaped(name, expected_shape));
  return read_f32(name);
}

Result<std::vector<std::uint16_t>> SafetensorsFile::read_bits16(
    std::string_view name, std::span<const std::int64_t> expected_shape) const {
  ATTNSCOPE_ASSIGN(const TensorInfo* info, find_shaped(name, expected_shape));
  if (info->dtype != DType::f16 && info->dtype != DType::bf16)
    return file_error(display_name_, "tensor " + quote_name(name) + " is " +
                                         std::string(dtype_name(info->dtype)) +
                                         ", not F16 or BF16");
  const std::span<const std::uint8_t> bytes = raw(*info);
  try {
    std::vector<std::uint16_t> out(info->numel());
    // Little-endian on disk; copied a byte pair at a time, so any alignment and host order work.
    for (std::size_t i = 0; i < out.size(); i++)
      out[i] = static_cast<std::uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
    bytes_.drop(bytes);
    return out;
  } catch (const std::bad_alloc&) {
    return file_error(display_name_, "out of memory reading tensor " + quote_name(name),
                      "open a smaller model or close other programs");
  }
}

// --- writer ---

namespace {

std::string json_string(const std::string& s) {
  // Invalid UTF-8 is replaced rather than thrown on.
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

void append_encoded(std::vector<std::uint8_t>* out, DType dtype, float v) {
  std::uint8_t buf[8];
  std::size_t n = 0;
  switch (dtype) {
    case DType::f16: {
      const std::uint16_t h = f32_to_f16(v);
      std::memcpy(buf, &h, 2);
      n = 2;
      break;
    }
    case DType::bf16: {
      const std::uint16_t h = f32_to_bf16(v);
      std::memcpy(buf, &h, 2);
      n = 2;
      break;
    }
    case DType::f64: {
      const double d = v;
      std::memcpy(buf, &d, 8);
      n = 8;
      break;
    }
    default:
      std::memcpy(buf, &v, 4);
      n = 4;
      break;
  }
  out->insert(out->end(), buf, buf + n);
}

}  // namespace

std::vector<std::uint8_t> write_safetensors(std::span<const TensorToWrite> tensors,
                                            const std::map<std::string, std::string>& metadata) {
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      if (!first) header += ",";
      first = false;
      header += json_string(key) + ":" + json_string(value);
    }
    header += "}";
  }

  std::vector<std::uint8_t> data;
  for (std::size_t t = 0; t < tensors.size(); t++) {
    const TensorToWrite& tensor = tensors[t];
    assert(is_float_dtype(tensor.dtype));
    const DType dtype = is_float_dtype(tensor.dtype) ? tensor.dtype : DType::f32;
    std::size_t numel = 1;
    for (const std::int64_t d : tensor.shape) numel *= static_cast<std::size_t>(d);
    assert(tensor.data.size() == numel);

    const std::size_t begin = data.size();
    data.reserve(begin + numel * dtype_size(dtype));
    for (std::size_t i = 0; i < numel; i++) {
      append_encoded(&data, dtype, i < tensor.data.size() ? tensor.data[i] : 0.0f);
    }
    if (!metadata.empty() || t > 0) header += ",";
    header += json_string(tensor.name) + ":{\"dtype\":\"" + std::string(dtype_name(dtype)) +
              "\",\"shape\":[";
    for (std::size_t i = 0; i < tensor.shape.size(); i++) {
      if (i > 0) header += ",";
      header += std::to_string(tensor.shape[i]);
    }
    header +=
        "],\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(data.size()) + "]}";
  }
  header += "}";
  // The data section starts 8-byte aligned: pad the header with spaces (valid JSON whitespace).
  while (header.size() % 8 != 0) header += ' ';

  std::vector<std::uint8_t> out;
  out.reserve(8 + header.size() + data.size());
  const std::uint64_t header_len = header.size();
  for (int i = 0; i < 8; i++) out.push_back(static_cast<std::uint8_t>(header_len >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

}  // namespace attnscope
