// test_safetensors.cpp — dtype conversions, the safetensors reader and writer, file sources and
// the sharded weight store.
//
// Every malformed file below is built by hand, byte by byte, and must give one error line naming
// the file and the problem; a fuzz loop then truncates and corrupts a valid file thousands of
// ways, and parse must always return (ok or error) without crashing or reading out of bounds.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/io/dtype.h"
#include "core/io/file_source.h"
#include "core/io/safetensors.h"
#include "core/io/sharded.h"

using namespace attnscope;

namespace {

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// std::bit_cast is missing from Emscripten 3.1.6's libc++.
float from_bits(std::uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
std::uint32_t to_bits(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
}

// A safetensors file from its parts: 8-byte little-endian header length (the real one unless
// `declared` is given), the header text, then the data.
std::vector<std::uint8_t> build_file(std::string_view header, std::vector<std::uint8_t> data = {},
                                     std::optional<std::uint64_t> declared = std::nullopt) {
  const std::uint64_t length = declared ? *declared : header.size();
  std::vector<std::uint8_t> out;
  for (int i = 0; i < 8; i++) out.push_back(static_cast<std::uint8_t>(length >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Result<SafetensorsFile> parse(const std::vector<std::uint8_t>& file) {
  return SafetensorsFile::parse(Bytes::from_vector(file), "bad.safetensors");
}

// parse() must fail cleanly, with one line that names the file and contains `problem`.
void check_rejected(const std::vector<std::uint8_t>& file, std::string_view problem) {
  bool threw = false, accepted = false;
  std::string message;
  try {
    const Result<SafetensorsFile> result = parse(file);
    accepted = result.ok();
    if (!accepted) message = result.error().to_string();
  } catch (...) {
    threw = true;
  }
  REQUIRE_FALSE(threw);
  REQUIRE_FALSE(accepted);
  INFO("message: " << message);
  CHECK(message.rfind("bad.safetensors: ", 0) == 0);
  CHECK(contains(message, problem));
  CHECK_FALSE(contains(message, "\n"));
}

std::vector<std::uint8_t> zeros(std::size_t n) {
  return std::vector<std::uint8_t>(n, 0);
}

// Reference f16/bf16 rounding, computed independently in double: scale |x| so that the kept
// mantissa bits are the integer part, round with nearbyint (ties to even), scale back.
// `mantissa_bits` excludes the implicit one; `min_exponent` is the smallest normal exponent.
double reference_round(float x, int mantissa_bits, int min_exponent, double overflow_at) {
  const double ax = std::fabs(static_cast<double>(x));
  if (ax == 0.0) return x;
  int e = 0;
  std::frexp(ax, &e);  // ax = m·2^e, m in [0.5, 1)
  const int exponent = std::max(e - 1, min_exponent);
  const double rounded = std::ldexp(std::nearbyint(std::ldexp(ax, mantissa_bits - exponent)),
                                    exponent - mantissa_bits);
  const double magnitude =
      rounded >= overflow_at ? std::numeric_limits<double>::infinity() : rounded;
  return std::signbit(x) ? -magnitude : magnitude;
}

// The value of f16 bits from the IEEE definition.
double reference_f16_value(std::uint16_t h) {
  const int sign = h >> 15, exponent = (h >> 10) & 31, mantissa = h & 1023;
  double v;
  if (exponent == 0) {
    v = std::ldexp(mantissa, -24);
  } else if (exponent == 31) {
    v = mantissa ? std::nan("") : std::numeric_limits<double>::infinity();
  } else {
    v = std::ldexp(1024 + mantissa, exponent - 25);
  }
  return sign ? -v : v;
}

}  // namespace

TEST_SUITE("safetensors") {
  TEST_CASE("safetensors dtype: names and sizes round trip") {
    const DType all[] = {DType::f32, DType::f16, DType::bf16, DType::f64, DType::i64,
                         DType::i32, DType::i16, DType::i8,   DType::u8,  DType::boolean};
    const std::size_t sizes[] = {4, 2, 2, 8, 8, 4, 2, 1, 1, 1};
    for (std::size_t i = 0; i < std::size(all); i++) {
      CHECK(parse_dtype(dtype_name(all[i])) == all[i]);
      CHECK(dtype_size(all[i]) == sizes[i]);
    }
    CHECK(dtype_name(DType::bf16) == "BF16");
    CHECK(dtype_name(DType::boolean) == "BOOL");
    CHECK_FALSE(parse_dtype("f32").has_value());
    CHECK_FALSE(parse_dtype("F8_E4M3").has_value());
    CHECK(is_float_dtype(DType::f64));
    CHECK_FALSE(is_float_dtype(DType::i8));
    float out[1] = {7};
    const std::uint8_t byte[8] = {1};
    CHECK_FALSE(convert_to_f32(DType::i64, byte, 1, out));
    CHECK(out[0] == 7);
  }

  TEST_CASE("safetensors dtype: bfloat16 conversions are exact and round to nearest even") {
    CHECK(f32_to_bf16(1.0f) == 0x3f80);
    CHECK(f32_to_bf16(3.140625f) == 0x4049);
    CHECK(f32_to_bf16(-2.5f) == 0xc020);
    CHECK(f32_to_bf16(-0.0f) == 0x8000);
    CHECK(bf16_to_f32(0x4049) == 3.140625f);
    CHECK(f32_to_bf16(3.14159265f) == 0x4049);                        // rounds down
    CHECK(f32_to_bf16(from_bits(0x3f808000)) == 0x3f80);              // tie, to even (down)
    CHECK(f32_to_bf16(from_bits(0x3f818000)) == 0x3f82);              // tie, to even (up)
    CHECK(f32_to_bf16(from_bits(0x3f808001)) == 0x3f81);              // just above the tie
    CHECK(f32_to_bf16(std::numeric_limits<float>::max()) == 0x7f80);  // rounds to +inf
    CHECK(f32_to_bf16(-std::numeric_limits<float>::infinity()) == 0xff80);
    CHECK(f32_to_bf16(from_bits(0x00000001)) == 0x0000);  // smallest float subnormal → 0
    CHECK(f32_to_bf16(from_bits(0x00010000)) == 0x0001);  // bf16 subnormal kept
    // A NaN whose payload lives only in the dropped bits must stay a NaN, not become inf.
    CHECK(std::isnan(bf16_to_f32(f32_to_bf16(from_bits(0x7f800001)))));
    CHECK(std::isnan(bf16_to_f32(f32_to_bf16(std::nanf("")))));

    // Every bf16 value converts to float and back to itself (NaNs stay NaNs).
    for (std::uint32_t h = 0; h < 65536; h++) {
      const float f = bf16_to_f32(static_cast<std::uint16_t>(h));
      if (std::isnan(f)) {
        REQUIRE(std::isnan(bf16_to_f32(f32_to_bf16(f))));
      } else {
        REQUIRE(f32_to_bf16(f) == h);
      }
    }
    // Random floats against the reference rounding.
    std::mt19937 rng(1);
    for (int i = 0; i < 200000; i++) {
      const float x = from_bits(static_cast<std::uint32_t>(rng()));
      if (std::isnan(x)) continue;
      const double expected = reference_round(x, 7, -126, 0x1p128);
      INFO("x bits " << to_bits(x));
      REQUIRE(static_cast<double>(bf16_to_f32(f32_to_bf16(x))) == expected);
    }
  }

  TEST_CASE("safetensors dtype: float16 conversions, with subnormals, ties and overflow") {
    CHECK(f32_to_f16(1.0f) == 0x3c00);
    CHECK(f32_to_f16(-2.0f) == 0xc000);
    CHECK(f32_to_f16(0.0f) == 0x0000);
    CHECK(f32_to_f16(-0.0f) == 0x8000);
    CHECK(f32_to_f16(65504.0f) == 0x7bff);  // the largest half
    CHECK(f32_to_f16(65519.0f) == 0x7bff);  // below the midpoint to 65536
    CHECK(f32_to_f16(65520.0f) == 0x7c00);  // the midpoint rounds to even: infinity
    CHECK(f32_to_f16(1e10f) == 0x7c00);
    CHECK(f32_to_f16(-1e10f) == 0xfc00);
    CHECK(f32_to_f16(std::numeric_limits<float>::infinity()) == 0x7c00);
    CHECK(f32_to_f16(0x1p-14f) == 0x0400);             // smallest normal
    CHECK(f32_to_f16(0x1p-24f) == 0x0001);             // smallest subnormal
    CHECK(f32_to_f16(1023 * 0x1p-24f) == 0x03ff);      // largest subnormal
    CHECK(f32_to_f16(0x1p-25f) == 0x0000);             // tie between 0 and 2^-24: to even, 0
    CHECK(f32_to_f16(1.5f * 0x1p-25f) == 0x0001);      // above the tie
    CHECK(f32_to_f16(3 * 0x1p-25f) == 0x0002);         // tie between 1 and 2 units: to 2
    CHECK(f32_to_f16(5 * 0x1p-25f) == 0x0002);         // tie between 2 and 3 units: to 2
    CHECK(f32_to_f16(-0x1p-30f) == 0x8000);            // underflow keeps the sign
    CHECK(f32_to_f16(2047 * 0x1p-25f) == 0x0400);      // rounds up out of the subnormals
    CHECK(f32_to_f16(1.0f + 0x1p-11f) == 0x3c00);      // tie, to even (down)
    CHECK(f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3c02);  // tie, to even (up)
    CHECK(f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f) == 0x3c01);
    CHECK(f32_to_f16(2047.5f) == 0x6800);  // tie between 2047 and 2048: to even
    CHECK(f16_to_f32(0x0001) == 0x1p-24f);
    CHECK(f16_to_f32(0x8001) == -0x1p-24f);
    CHECK(f16_to_f32(0x3555) == 0.333251953125f);
    CHECK(std::isinf(f16_to_f32(0xfc00)));
    CHECK(std::isnan(f16_to_f32(0x7e00)));
    CHECK(std::isnan(f16_to_f32(f32_to_f16(from_bits(0x7f800001)))));  // payload only in low bits

    // Every half: its value matches the IEEE definition, and it converts back to itself.
    for (std::uint32_t h = 0; h < 65536; h++) {
      const auto bits = static_cast<std::uint16_t>(h);
      const float f = f16_to_f32(bits);
      const double expected = reference_f16_value(bits);
      INFO("half bits " << h);
      if (std::isnan(expected)) {
        REQUIRE(std::isnan(f));
        REQUIRE(std::isnan(f16_to_f32(f32_to_f16(f))));
      } else {
        REQUIRE(static_cast<double>(f) == expected);
        REQUIRE(std::signbit(f) == static_cast<bool>(h & 0x8000));
        REQUIRE(f32_to_f16(f) == h);
      }
    }
    // Random floats (all exponents) and floats near the half range, against the reference.
    std::mt19937 rng(2);
    std::uniform_real_distribution<float> near(-70000.0f, 70000.0f);
    for (int i = 0; i < 200000; i++) {
      float x = from_bits(static_cast<std::uint32_t>(rng()));
      if (i % 4 == 1) x = near(rng);
      if (i % 4 == 2) x = near(rng) * 0x1p-30f;  // subnormal halves
      if (std::isnan(x)) continue;
      const double expected = reference_round(x, 10, -14, 65536.0);
      INFO("x bits " << to_bits(x));
      REQUIRE(static_cast<double>(f16_to_f32(f32_to_f16(x))) == expected);
    }
  }

  TEST_CASE("safetensors: write then parse round trips F32, F16, BF16 and F64 exactly") {
    const std::vector<float> a = {1.0f, -2.5f, 3.140625f, 0.1f, 65504.0f, 1e-7f};
    const std::vector<float> b = {1.0f, 3.140625f, -2.5f, 3.14159265f};
    const std::vector<float> scalar = {42.0f};
    const std::vector<TensorToWrite> tensors = {
        {"z.first", {2, 3}, a, DType::f32}, {"a.half", {2, 3}, a, DType::f16},
        {"m.brain", {4}, b, DType::bf16},   {"d.double", {1, 4}, b, DType::f64},
        {"scalar", {}, scalar, DType::f32}, {"empty", {0, 3}, {}, DType::f16},
    };
    const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "é \"q\""}};
    const std::vector<std::uint8_t> file = write_safetensors(tensors, metadata);

    std::uint64_t header_len = 0;
    std::memcpy(&header_len, file.data(), 8);
    CHECK(header_len % 8 == 0);
    CHECK(file[8] == '{');
    CHECK(file[8 + header_len - 1] != '\0');

    const Result<SafetensorsFile> parsed = SafetensorsFile::parse(Bytes::from_vector(file));
    REQUIRE_MESSAGE(parsed.ok(), parsed.error().to_string());
    const SafetensorsFile& st = *parsed;
    CHECK(st.display_name() == "model.safetensors");
    CHECK(st.metadata() == metadata);
    REQUIRE(st.tensors().size() == tensors.size());
    // File order is the order written (the empty tensor sits at the end of the data).
    for (std::size_t i = 0; i < tensors.size(); i++) {
      CHECK(st.tensors()[i].name == tensors[i].name);
      CHECK(st.tensors()[i].dtype == tensors[i].dtype);
      CHECK(st.tensors()[i].shape == tensors[i].shape);
    }

    Result<std::vector<float>> f32 = st.read_f32("z.first");
    REQUIRE(f32.ok());
    CHECK(*f32 == a);

    Result<std::vector<float>> f16 = st.read_f32("a.half");
    REQUIRE(f16.ok());
    // 0.1 rounds to 0x2e66; 1e-7 is 1.68 units of 2^-24, so rounds to the subnormal 2·2^-24.
    CHECK(*f16 ==
          std::vector<float>{1.0f, -2.5f, 3.140625f, 0.0999755859375f, 65504.0f, 2 * 0x1p-24f});
    CHECK(st.raw(*st.find("a.half")).size() == 12);

    Result<std::vector<float>> bf = st.read_f32("m.brain");
    REQUIRE(bf.ok());
    CHECK(*bf == std::vector<float>{1.0f, 3.140625f, -2.5f, 3.140625f});
    const std::span<const std::uint8_t> raw = st.raw(*st.find("m.brain"));
    REQUIRE(raw.size() == 8);
    CHECK(raw[0] == 0x80);  // 1.0 = 0x3f80, little-endian
    CHECK(raw[1] == 0x3f);
    CHECK(raw[2] == 0x49);  // 3.140625 = 0x4049
    CHECK(raw[3] == 0x40);
    CHECK(raw[4] == 0x20);  // -2.5 = 0xc020
    CHECK(raw[5] == 0xc0);

    Result<std::vector<float>> f64 = st.read_f32("d.double", std::vector<std::int64_t>{1, 4});
    REQUIRE(f64.ok());
    CHECK(*f64 == b);
    CHECK(st.raw(*st.find("d.double")).size() == 32);

    CHECK(st.find("scalar")->numel() == 1);
    CHECK(*st.read_f32("scalar", std::vector<std::int64_t>{}) == scalar);
    CHECK(st.find("empty")->numel() == 0);
    CHECK(st.read_f32("empty")->empty());
    CHECK(st.find("nope") == nullptr);
  }

  TEST_CASE("safetensors: read_f32 checks shape, name and dtype") {
    const std::vector<float> twelve(12, 0.5f);
    const std::vector<TensorToWrite> tensors = {{"x", {3, 4}, twelve}};
    const auto parsed = SafetensorsFile::parse(Bytes::from_vector(write_safetensors(tensors)));
    REQUIRE(parsed.ok());
    const auto wrong = parsed->read_f32("x", {4, 3});
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().message ==
          "model.safetensors: tensor 'x' has shape [3, 4], expected [4, 3]");
    const auto missing = parsed->read_f32("y", std::vector<std::int64_t>{3, 4});
    REQUIRE_FALSE(missing.ok());
    CHECK(contains(missing.error().message, "no tensor named 'y'"));

    // An integer tensor is not read as floats.
    const std::string header = R"({"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})";
    const auto ints = parse(build_file(header, zeros(16)));
    REQUIRE(ints.ok());
    CHECK(ints->find("ids")->dtype == DType::i64);
    const auto as_float = ints->read_f32("ids");
    REQUIRE_FALSE(as_float.ok());
    CHECK(contains(as_float.error().message, "'ids' is I64, not a float dtype"));
  }

  TEST_CASE("safetensors: an empty file list and header padding are valid") {
    const auto empty = SafetensorsFile::parse(Bytes::from_vector(write_safetensors({})));
    REQUIRE(empty.ok());
    CHECK(empty->tensors().empty());
    CHECK(empty->metadata().empty());
    // Whitespace around the JSON and extra bytes after the data are tolerated.
    const auto padded = parse(build_file(
        R"(  {"t":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}}       )", {1, 2, 3, 4, 5}));
    REQUIRE(padded.ok());
    CHECK(padded->raw(*padded->find("t")).size() == 3);
    CHECK(padded->raw(*padded->find("t"))[2] == 3);
  }

  TEST_CASE("safetensors: every malformed file gives one clear error") {
    const std::string ok_tensor = R"("t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

    SUBCASE("file shorter than 8 bytes") {
      check_rejected({}, "too short");
      check_rejected({1, 0, 0, 0, 0}, "file is 5 bytes, too short");
    }
    SUBCASE("header length larger than the file") {
      check_rejected(build_file("{}", {}, 100), "header length 100 runs past the end of the file");
      check_rejected(build_file("", {}, 1), "runs past the end");
    }
    SUBCASE("absurd header length") {
      check_rejected(build_file("{}", {}, 1ull << 40), "implausibly large");
      check_rejected(build_file("{}", {}, ~0ull), "implausibly large");
    }
    SUBCASE("header not JSON, or not an object") {
      check_rejected(build_file(""), "header is not valid JSON");
      check_rejected(build_file("{\"t\": "), "header is not valid JSON");
      check_rejected(build_file("{} trailing"), "header is not valid JSON");
      check_rejected(build_file("\xff\xfe"), "header is not valid JSON");
      check_rejected(build_file("[1, 2]"), "header is not a JSON object");
      check_rejected(build_file("42"), "header is not a JSON object");
      check_rejected(build_file(R"({"t": 3})"), "tensor 't': entry is not a JSON object");
    }
    SUBCASE("missing dtype, shape or data_offsets") {
      check_rejected(build_file(R"({"t":{"shape":[2],"data_offsets":[0,8]}})", zeros(8)),
                     "tensor 't': missing \"dtype\"");
      check_rejected(build_file(R"({"t":{"dtype":"F32","data_offsets":[0,8]}})", zeros(8)),
                     "tensor 't': missing \"shape\"");
      check_rejected(build_file(R"({"t":{"dtype":"F32","shape":[2]}})", zeros(8)),
                     "tensor 't': missing \"data_offsets\"");
    }
    SUBCASE("unknown dtype") {
      check_rejected(
          build_file(R"({"t":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", zeros(2)),
          "unknown dtype 'F8_E4M3'");
      check_rejected(build_file(R"({"t":{"dtype":7,"shape":[2],"data_offsets":[0,2]}})", zeros(2)),
                     "\"dtype\" is not a string");
    }
    SUBCASE("negative or non-integer shape") {
      check_rejected(
          build_file(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", zeros(8)),
          "negative or non-integer dimension (-2)");
      check_rejected(
          build_file(R"({"t":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", zeros(8)),
          "negative or non-integer dimension (2.0)");
      check_rejected(
          build_file(R"({"t":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}})", zeros(8)),
          "negative or non-integer dimension (not a number)");
      check_rejected(
          build_file(R"({"t":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", zeros(8)),
          "\"shape\" is not an array");
      check_rejected(
          build_file(R"({"t":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,1]}})",
                     zeros(1)),
          "negative or non-integer dimension");
    }
    SUBCASE("data_offsets not two increasing integers") {
      const char* bad_offsets[] = {"[8,0]",  "[0]",     "[0,8,16]",  "[0,\"8\"]",
                                   "[-8,0]", "[0,8.5]", "{\"a\":0}", "null"};
      for (const char* offsets : bad_offsets) {
        CAPTURE(offsets);
        check_rejected(
            build_file(
                std::string(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":)") + offsets + "}}",
                zeros(8)),
            "tensor 't': \"data_offsets\" must be two integers");
      }
    }
    SUBCASE("offsets past the end of the data section (a truncated file)") {
      check_rejected(build_file("{" + ok_tensor + "}", zeros(4)),
                     "tensor 't' ends at byte 8, past the end of the data section (4 bytes)");
      const auto result = parse(build_file("{" + ok_tensor + "}", zeros(7)));
      REQUIRE_FALSE(result.ok());
      CHECK(contains(result.error().hint, "truncated"));
      // Huge offsets, beyond size_t in WASM.
      check_rejected(
          build_file(
              R"({"t":{"dtype":"U8","shape":[8],"data_offsets":[18446744073709551600,18446744073709551608]}})",
              zeros(8)),
          "past the end of the data section");
    }
    SUBCASE("byte size differs from numel times element size") {
      check_rejected(
          build_file(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", zeros(12)),
          "tensor 't': F32 [3] needs 12 bytes but data_offsets [0, 8] span 8");
      check_rejected(
          build_file(R"({"t":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,16]}})", zeros(16)),
          "BF16 [2, 2] needs 8 bytes");
    }
    SUBCASE("sizes that overflow 64 bits are caught, not wrapped") {
      // 2^62 · 4 elements of F32 wraps to 0 bytes in 64-bit arithmetic: it must not match [0, 0].
      check_rejected(
          build_file(
              R"({"t":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}})"),
          "is too large");
      // 2^61 F64 elements: numel fits, bytes = 2^64 wraps to 0.
      check_rejected(
          build_file(R"({"t":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}})"),
          "is too large");
      check_rejected(
          build_file(
              R"({"t":{"dtype":"U8","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,0]}})"),
          "is too large");
    }
    SUBCASE("overlapping tensors") {
      check_rejected(build_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                zeros(12)),
                     "tensors 'a' and 'b' overlap");
      // A tensor inside another one.
      check_rejected(build_file(R"({"a":{"dtype":"U8","shape":[12],"data_offsets":[0,12]},)"
                                R"("b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}})",
                                zeros(12)),
                     "overlap");
    }
    SUBCASE("bad __metadata__") {
      check_rejected(build_file(R"({"__metadata__":{"a":1}})"), "\"__metadata__\" must be");
      check_rejected(build_file(R"({"__metadata__":"x"})"), "\"__metadata__\" must be");
    }
    SUBCASE("deeply nested JSON does not exhaust the stack") {
      // Refused as soon as nesting passes 8 levels (a header nests 3), before the end is read.
      const std::string deep(200000, '[');
      check_rejected(build_file(deep), "header: nested deeper than 8 levels");
      const std::string nested = std::string(100000, '[') + std::string(100000, ']');
      check_rejected(build_file(R"({"t":{"dtype":"U8","shape":)" + nested + "}}"),
                     "header: nested deeper than 8 levels");
      check_rejected(build_file(R"({"__metadata__":{"k":)" + nested + "}}"),
                     "header: nested deeper than 8 levels");
      check_rejected(build_file(R"({"t":{"dtype":"U8","shape":[[1]],"data_offsets":[0,1]}})"),
                     "negative or non-integer dimension (not a number)");
    }
    SUBCASE("names with control characters stay on one line") {
      check_rejected(
          build_file("{\"a\\nb\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"),
          "tensor 'a?b' ends at byte 4");
    }
  }

  TEST_CASE("safetensors: fuzzed files (truncated, corrupted) never crash") {
    const std::vector<float> values = {1, 2, 3, 4, 5, 6, -1, 0.5f};
    const std::vector<TensorToWrite> tensors = {
        {"w", {2, 4}, values, DType::f32},
        {"h", {8}, values, DType::f16},
        {"b", {2, 2, 2}, values, DType::bf16},
        {"d", {8}, values, DType::f64},
    };
    std::vector<std::uint8_t> valid = write_safetensors(tensors, {{"format", "pt"}});
    std::uint64_t header_len = 0;
    std::memcpy(&header_len, valid.data(), 8);

    int accepted = 0, rejected = 0;
    auto try_parse = [&](const std::vector<std::uint8_t>& file) {
      const Result<SafetensorsFile> result = SafetensorsFile::parse(Bytes::from_vector(file), "f");
      if (!result.ok()) {
        rejected++;
        const std::string& message = result.error().message;
        if (message.rfind("f: ", 0) != 0 || contains(message, "\n")) {
          FAIL("bad error message: " << message);
        }
        return;
      }
      accepted++;
      for (const TensorInfo& info : result->tensors()) {
        const std::span<const std::uint8_t> raw = result->raw(info);
        REQUIRE(raw.size() == info.end - info.begin);
        REQUIRE(info.numel() * dtype_size(info.dtype) == raw.size());
        volatile std::uint8_t sink = 0;
        for (const std::uint8_t byte : raw) sink = sink ^ byte;  // touch every byte
        const Result<std::vector<float>> read = result->read_f32(info.name);
        if (read.ok()) REQUIRE(read->size() == info.numel());
      }
    };

    // Every truncation: only the complete file (and longer) may parse.
    for (std::size_t n = 0; n <= valid.size(); n++) {
      CHECK_NOTHROW(try_parse(std::vector<std::uint8_t>(valid.begin(), valid.begin() + n)));
    }
    CHECK(accepted == 1);

    // Random corruption of the length prefix and the header: flipped bits, and bytes replaced by
    // JSON punctuation and digits, which are more likely to keep the header parseable.
    std::mt19937 rng(3);
    const std::string interesting = "{}[]\":,-0123456789eE. \\ntuF";
    const std::size_t span = 8 + static_cast<std::size_t>(header_len);
    for (int round = 0; round < 6000; round++) {
      std::vector<std::uint8_t> file = valid;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits; e++) {
        const std::size_t at = rng() % span;
        if (rng() % 2) {
          file[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        } else {
          file[at] = static_cast<std::uint8_t>(interesting[rng() % interesting.size()]);
        }
      }
      if (round % 10 == 0) file.resize(rng() % (file.size() + 1));
      CHECK_NOTHROW(try_parse(file));
    }
    // Both outcomes happened: the loop exercised the parser, not only its first check.
    CHECK(accepted > 1);
    CHECK(rejected > 1000);
    MESSAGE("fuzz: " << accepted << " accepted, " << rejected << " rejected");
  }

  TEST_CASE("safetensors file source: MemorySource serves what was added") {
    MemorySource source;
    CHECK(source.describe() == "uploaded files");
    source.add("config.json", Bytes::from_string("{\"a\": 1}"));
    source.add("empty.txt", Bytes::from_vector({}));
    CHECK(source.exists("config.json"));
    CHECK(source.exists("empty.txt"));
    CHECK_FALSE(source.exists("model.safetensors"));
    const Result<Bytes> config = source.read("config.json");
    REQUIRE(config.ok());
    CHECK(config->text() == "{\"a\": 1}");
    CHECK(source.read("empty.txt")->size == 0);
    const Result<Bytes> missing = source.read("tokenizer.json");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message == "file not found: tokenizer.json in uploaded files");
    source.add("config.json", Bytes::from_string("{}"));  // replaces
    CHECK(source.read("config.json")->text() == "{}");
    CHECK(source.names() == std::vector<std::string>{"config.json", "empty.txt"});
    CHECK(MemorySource("test files").describe() == "test files");
  }

  TEST_CASE("safetensors weight store: single file") {
    const std::vector<float> big(64, 1.0f), small = {1, 2, 3, 4};
    const std::vector<TensorToWrite> tensors = {
        {"embed", {16, 4}, big, DType::bf16},
        {"norm", {4}, small, DType::f32},
    };
    MemorySource source;
    source.add("model.safetensors", Bytes::from_vector(write_safetensors(tensors)));
    const Result<WeightStore> store = WeightStore::open(source);
    REQUIRE_MESSAGE(store.ok(), store.error().to_string());
    CHECK(store->names() == std::vector<std::string>{"embed", "norm"});
    CHECK(store->files() == std::vector<std::string>{"model.safetensors"});
    CHECK(store->dominant_dtype() == DType::bf16);
    REQUIRE(store->find("norm") != nullptr);
    CHECK(store->find("norm")->shape == std::vector<std::int64_t>{4});
    CHECK(store->find("other") == nullptr);
    CHECK(*store->read_f32("norm", {4}) == small);
    CHECK(*store->read_f32("embed") == big);
    const auto wrong = store->read_f32("embed", std::vector<std::int64_t>{4, 16});
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().message ==
          "model.safetensors: tensor 'embed' has shape [16, 4], expected [4, 16]");
    const auto missing = store->read_f32("lm_head", std::vector<std::int64_t>{4});
    REQUIRE_FALSE(missing.ok());
    CHECK(contains(missing.error().message, "no tensor named 'lm_head'"));

    // A broken model.safetensors names itself.
    MemorySource broken;
    broken.add("model.safetensors", Bytes::from_string("tiny"));
    const Result<WeightStore> bad = WeightStore::open(broken);
    REQUIRE_FALSE(bad.ok());
    CHECK(contains(bad.error().message, "model.safetensors: file is 4 bytes, too short"));

    const Result<WeightStore> none = WeightStore::open(MemorySource("my uploads"));
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message ==
          "no model.safetensors or model.safetensors.index.json in my uploads");
  }

  TEST_CASE("safetensors weight store: sharded index") {
    const std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {7, 8}, c = {9, 10, 11};
    const std::vector<TensorToWrite> shard1 = {{"layers.0.w", {2, 3}, a, DType::f16},
                                               {"layers.0.b", {2}, b}};
    const std::vector<TensorToWrite> shard2 = {{"layers.1.w", {3}, c, DType::bf16}};
    const std::string s1 = "model-00001-of-00002.safetensors";
    const std::string s2 = "model-00002-of-00002.safetensors";
    const std::string index = R"({"metadata": {"total_size": 26}, "weight_map": {
      "layers.0.w": ")" + s1 + R"(", "layers.0.b": ")" +
                              s1 + R"(",
      "layers.1.w": ")" + s2 + R"("}})";

    MemorySource source;
    source.add(s1, Bytes::from_vector(write_safetensors(shard1)));
    source.add(s2, Bytes::from_vector(write_safetensors(shard2)));
    source.add("model.safetensors.index.json", Bytes::from_string(index));
    const Result<WeightStore> store = WeightStore::open(source);
    REQUIRE_MESSAGE(store.ok(), store.error().to_string());
    CHECK(store->names() == std::vector<std::string>{"layers.0.b", "layers.0.w", "layers.1.w"});
    CHECK(store->files() == std::vector<std::string>{s1, s2});
    CHECK(store->dominant_dtype() == DType::f16);
    CHECK(*store->read_f32("layers.0.w", std::vector<std::int64_t>{2, 3}) == a);
    CHECK(*store->read_f32("layers.0.b", std::vector<std::int64_t>{2}) == b);
    CHECK(*store->read_f32("layers.1.w", std::vector<std::int64_t>{3}) == c);
    CHECK(store->find("layers.1.w")->dtype == DType::bf16);
    // Errors from a shard name the shard.
    const auto wrong = store->read_f32("layers.1.w", std::vector<std::int64_t>{1, 3});
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().message.rfind(s2 + ": tensor 'layers.1.w' has shape [3]", 0) == 0);
    const auto missing = store->read_f32("layers.2.w");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message == "model.safetensors.index.json: no tensor named 'layers.2.w'");

    SUBCASE("a shard the index names is missing") {
      MemorySource partial("partial upload");
      partial.add(s1, Bytes::from_vector(write_safetensors(shard1)));
      partial.add("model.safetensors.index.json", Bytes::from_string(index));
      const Result<WeightStore> bad = WeightStore::open(partial);
      REQUIRE_FALSE(bad.ok());
      CHECK(bad.error().message == "model.safetensors.index.json names shard '" + s2 +
                                       "', which is not in partial upload");
    }
    SUBCASE("a tensor the index lists is absent from its shard") {
      MemorySource swapped;
      swapped.add(s1, Bytes::from_vector(write_safetensors(shard2)));  // holds only layers.1.w
      swapped.add(s2, Bytes::from_vector(write_safetensors(shard2)));
      swapped.add("model.safetensors.index.json", Bytes::from_string(index));
      const Result<WeightStore> bad = WeightStore::open(swapped);
      REQUIRE_FALSE(bad.ok());
      CHECK(contains(bad.error().message,
                     "is listed in model.safetensors.index.json but missing "
                     "from its shard " +
                         s1));
    }
    SUBCASE("a broken index or shard") {
      MemorySource broken;
      broken.add("model.safetensors.index.json", Bytes::from_string("{\"weight_map\": [1]}"));
      Result<WeightStore> bad = WeightStore::open(broken);
      REQUIRE_FALSE(bad.ok());
      CHECK(contains(bad.error().message, "has no \"weight_map\" object"));
      broken.add("model.safetensors.index.json", Bytes::from_string("{\"weight_map\": "));
      bad = WeightStore::open(broken);
      REQUIRE_FALSE(bad.ok());
      CHECK(contains(bad.error().message,
                     "model.safetensors.index.json in uploaded files is not "
                     "valid JSON"));
      broken.add("model.safetensors.index.json",
                 Bytes::from_string("{\"weight_map\": {\"x\": \"s.safetensors\"}}"));
      broken.add("s.safetensors", Bytes::from_vector(build_file("{\"x\": 1}")));
      bad = WeightStore::open(broken);
      REQUIRE_FALSE(bad.ok());
      CHECK(bad.error().message == "s.safetensors: tensor 'x': entry is not a JSON object");
      broken.add("model.safetensors.index.json",
                 Bytes::from_string("{\"weight_map\": {\"x\": 3}}"));
      bad = WeightStore::open(broken);
      REQUIRE_FALSE(bad.ok());
      CHECK(contains(bad.error().message, "the shard of tensor 'x' is not a file name"));
    }
  }

  // The native file source, on a real temporary folder (under node, NODERAWFS gives the same
  // POSIX calls over node's file system).
  TEST_CASE("safetensors file source: open_path on a folder and on a single file") {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("attnscope_st_" + std::to_string(std::random_device{}()));
    fs::create_directories(dir / "sub");
    auto write = [&](const fs::path& path, const std::vector<std::uint8_t>& bytes) {
      std::ofstream out(path, std::ios::binary);
      out.write(reinterpret_cast<const char*>(bytes.data()),
                static_cast<std::streamsize>(bytes.size()));
    };
    const std::vector<float> w = {1, 2, 3, 4};
    const std::vector<TensorToWrite> tensors = {{"w", {2, 2}, w, DType::bf16}};
    const std::vector<std::uint8_t> weights = write_safetensors(tensors);
    const std::string config = "{\"model_type\": \"gpt2\"}";
    write(dir / "model.safetensors", weights);
    write(dir / "config.json", std::vector<std::uint8_t>(config.begin(), config.end()));
    write(dir / "empty.bin", {});
    write(dir / "sub" / "nested.txt", {'h', 'i'});
    write(dir / "custom.safetensors", write_safetensors(std::vector<TensorToWrite>{{"v", {4}, w}}));
    write(dir / "model.safetensors.index.json", {'{', '}'});

    SUBCASE("a folder") {
      Result<std::unique_ptr<FileSource>> opened = open_path(dir.string());
      REQUIRE_MESSAGE(opened.ok(), opened.error().to_string());
      std::unique_ptr<FileSource> source = std::move(opened).value();
      CHECK(source->describe() == dir.string());
      CHECK(source->exists("config.json"));
      CHECK(source->exists("sub/nested.txt"));
      CHECK_FALSE(source->exists("sub"));  // folders are not files
      CHECK_FALSE(source->exists("missing.json"));
      CHECK_FALSE(source->exists("../" + dir.filename().string() + "/config.json"));
      CHECK(source->read("config.json")->text() == config);
      CHECK(source->read("sub/nested.txt")->text() == "hi");
      const Result<Bytes> empty = source->read("empty.bin");
      REQUIRE(empty.ok());
      CHECK(empty->size == 0);
      const Result<Bytes> missing = source->read("tokenizer.json");
      REQUIRE_FALSE(missing.ok());
      CHECK(missing.error().message == "file not found: tokenizer.json in " + dir.string());
      CHECK_FALSE(source->read("/etc/passwd").ok());
      CHECK_FALSE(source->read("sub/../config.json").ok());
      CHECK_FALSE(source->read("sub").ok());

      // The mapping outlives the source.
      Result<Bytes> mapped = source->read("model.safetensors");
      REQUIRE(mapped.ok());
      source.reset();
      const auto parsed = SafetensorsFile::parse(std::move(mapped).value());
      REQUIRE(parsed.ok());
      CHECK(*parsed->read_f32("w", std::vector<std::int64_t>{2, 2}) == w);
      // Reading drops the tensor's pages from memory; a second read gets them from the file.
      CHECK(*parsed->read_f32("w", std::vector<std::int64_t>{2, 2}) == w);
      const auto bits = parsed->read_bits16("w", std::vector<std::int64_t>{2, 2});
      REQUIRE(bits.ok());
      CHECK(*bits == std::vector<std::uint16_t>{f32_to_bf16(1), f32_to_bf16(2), f32_to_bf16(3),
                                                f32_to_bf16(4)});
      CHECK_FALSE(parsed->read_bits16("w", std::vector<std::int64_t>{4}).ok());  // shape

      // model.safetensors wins over the index when both are present.
      const auto store = WeightStore::open(*open_directory(dir.string()));
      REQUIRE_MESSAGE(store.ok(), store.error().to_string());
      CHECK(store->names() == std::vector<std::string>{"w"});
    }
    SUBCASE("a single .safetensors file is served as model.safetensors with its siblings") {
      Result<std::unique_ptr<FileSource>> opened = open_path((dir / "custom.safetensors").string());
      REQUIRE_MESSAGE(opened.ok(), opened.error().to_string());
      const FileSource& source = **opened;
      CHECK(contains(source.describe(), "custom.safetensors"));
      CHECK(source.exists("model.safetensors"));
      CHECK(source.exists("config.json"));
      CHECK_FALSE(source.exists("model.safetensors.index.json"));
      CHECK(source.read("config.json")->text() == config);
      const auto store = WeightStore::open(source);
      REQUIRE_MESSAGE(store.ok(), store.error().to_string());
      CHECK(store->names() == std::vector<std::string>{"v"});
      CHECK(*store->read_f32("v", std::vector<std::int64_t>{4}) == w);
    }
    SUBCASE("paths that do not exist, or are not models") {
      const auto missing = open_path((dir / "nope").string());
      REQUIRE_FALSE(missing.ok());
      CHECK(missing.error().message == "no such file or folder: " + (dir / "nope").string());
      const auto not_model = open_path((dir / "config.json").string());
      REQUIRE_FALSE(not_model.ok());
      CHECK(contains(not_model.error().message, "not a folder or a .safetensors file"));
      CHECK_FALSE(open_path("").ok());
      // A folder that does not exist has no files.
      const auto absent = open_directory((dir / "nope").string());
      CHECK_FALSE(absent->exists("config.json"));
      CHECK(absent->read("config.json").error().message ==
            "file not found: config.json in " + (dir / "nope").string());
      const auto none = WeightStore::open(*absent);
      REQUIRE_FALSE(none.ok());
      CHECK(contains(none.error().message, "no model.safetensors or model.safetensors.index.json"));
    }
    fs::remove_all(dir);
  }

}  // TEST_SUITE("safetensors")
