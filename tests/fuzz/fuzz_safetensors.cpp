// fuzz_safetensors.cpp — the safetensors header and offsets: parse, then read every tensor.
#include "core/io/safetensors.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool once = (attnscope::fuzz::limit_memory(), true);
  (void)once;
  using namespace attnscope;
  auto file = SafetensorsFile::parse(
      Bytes::from_vector(std::vector<std::uint8_t>(data, data + size)), "fuzz.safetensors");
  if (!file.ok()) return 0;
  for (const TensorInfo& info : file->tensors()) {
    const std::span<const std::uint8_t> raw = file->raw(info);
    if (raw.size() != info.end - info.begin) __builtin_trap();
    auto values = file->read_f32(info.name);
    if (values.ok() && values->size() != info.numel()) __builtin_trap();
  }
  return 0;
}
