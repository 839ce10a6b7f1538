// fuzz_writers.cpp — the CSV / NPY / JSON writers' inputs: a tensor of 1–3 dimensions (sizes and
// float bits from the input, NaN and infinities included), axis names and token labels of
// arbitrary bytes (invalid UTF-8, quotes, commas, line breaks). Checks: float_text reads back,
// the NPY header is well formed and the JSON output parses.
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/export/data_export.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

struct Reader {
  const std::uint8_t* data;
  std::size_t size, pos = 0;
  std::uint8_t byte() { return pos < size ? data[pos++] : 0; }
  float number() {
    std::uint32_t bits = 0;
    for (int i = 0; i < 4; i++) bits = bits << 8 | byte();
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  std::string text() {
    const std::size_t n = byte() % 12;
    std::string s;
    for (std::size_t i = 0; i < n; i++) s += static_cast<char>(byte());
    return s;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attnscope;
  Reader in{data, size};
  const std::size_t rank = 1 + in.byte() % 3;
  Shape shape;
  for (std::size_t i = 0; i < rank; i++) shape.push_back(1 + in.byte() % 6);
  Tensor tensor = zeros(shape);
  for (std::size_t i = 0; i < tensor.size(); i++) tensor.data()[i] = in.number();
  ExportInfo info;
  if (in.byte() & 1) {
    for (std::size_t a = 0; a < rank; a++) {
      ExportAxis axis{in.text(), {}};
      if (in.byte() & 1)
        for (std::size_t i = 0; i < shape[a]; i++) axis.labels.push_back(in.text());
      info.axes.push_back(std::move(axis));
    }
  }
  info.meta["prompt"] = in.text();  // may be invalid UTF-8: the writer must cope

  for (std::size_t i = 0; i < tensor.size(); i++) {
    const float v = tensor.data()[i];
    const std::string t = float_text(v);
    const float back = std::strtof(t.c_str(), nullptr);
    if (!(std::isnan(v) ? std::isnan(back) : back == v)) __builtin_trap();
  }
  const std::vector<std::uint8_t> npy = to_npy(tensor);
  if (npy.size() < 10 || std::memcmp(npy.data(), "\x93NUMPY", 6) != 0) __builtin_trap();
  (void)to_csv(tensor, info, CsvLayout::long_form);
  if (rank == 2) (void)to_csv(tensor, info, CsvLayout::matrix);
  auto json = to_json(tensor, info);
  if (json.ok() && nlohmann::json::parse(*json, nullptr, false).is_discarded()) __builtin_trap();
  (void)csv_field(in.text());
  return 0;
}
