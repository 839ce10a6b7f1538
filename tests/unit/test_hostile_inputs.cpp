// test_hostile_inputs.cpp — the findings of issue 17, one case each: deep nesting, sizes that
// overflow or exceed memory, non-finite weights, duplicate keys, hostile ground truth, NFC on
// long runs of combining marks. Each fails (crash, UB, silent wrong result or a hang) without
// its fix.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>

#include "core/analysis/task_prompts.h"
#include "core/io/json_limits.h"
#include "core/io/memory_budget.h"
#include "core/model/architecture.h"
#include "core/model/memory_estimate.h"
#include "core/model/model.h"
#include "core/tokenizer/bpe.h"
#include "core/tokenizer/nfc.h"
#include "tests/unit/fixtures.h"

using namespace attnscope;
using namespace attnscope::test;

namespace {

std::string fixture_text(const std::string& model, const std::string& file) {
  return std::string(fixture_source(model).read(file)->text());
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

// The gpt2 fixture's tokenizer.json with its "normalizer": null replaced by `normalizer`.
std::string tokenizer_with_normalizer(const std::string& normalizer) {
  return replaced(fixture_text("gpt2", "tokenizer.json"), "\"normalizer\": null",
                  "\"normalizer\": " + normalizer);
}

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; i++) out += s;
  return out;
}

// A folder like `model`'s with `file` replaced.
MemorySource with_file(const std::string& model, const std::string& file, Bytes bytes) {
  MemorySource base = fixture_source(model);
  MemorySource out("edited " + model);
  for (const std::string& name : base.names())
    out.add(name, name == file ? bytes : base.read(name).value());
  return out;
}

std::string load_error(const MemorySource& files) {
  auto model = Model::load(files);
  REQUIRE_FALSE(model.ok());
  const std::string message = model.error().to_string();
  CHECK(message.find('\n') == std::string::npos);
  return message;
}

// Restores the memory budget when a test case ends.
struct BudgetScope {
  std::uint64_t saved = memory_budget();
  explicit BudgetScope(std::uint64_t bytes) { set_memory_budget(bytes); }
  ~BudgetScope() { set_memory_budget(saved); }
};

}  // namespace

TEST_CASE("hostile: deeply nested tokenizer.json normalizers are refused, not a stack overflow") {
  REQUIRE(fixture_text("gpt2", "tokenizer.json").find("\"normalizer\": null") != std::string::npos);
  const std::size_t n = 60000;  // the CLI crashed from ~53k nested arrays
  const std::string arrays = repeat("[", n) + repeat("]", n);
  auto r = BpeTokenizer::from_tokenizer_json(tokenizer_with_normalizer(arrays));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().to_string().find("nested deeper than 64 levels") != std::string::npos);

  // Nested Sequence normalizers (crashed from ~21k).
  const std::string open = "{\"type\": \"Sequence\", \"normalizers\": [";
  const std::string sequences = repeat(open, 25000) + "{\"type\": \"NFC\"}" + repeat("]}", 25000);
  r = BpeTokenizer::from_tokenizer_json(tokenizer_with_normalizer(sequences));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().to_string().find("nested deeper") != std::string::npos);

  // 30 levels are fine (a real file nests 4): the limit does not refuse honest files.
  const std::string shallow = repeat(open, 30) + "{\"type\": \"NFC\"}" + repeat("]}", 30);
  CHECK(BpeTokenizer::from_tokenizer_json(tokenizer_with_normalizer(shallow)).ok());
}

TEST_CASE("hostile: an unsupported normalizer is quoted briefly, never dumped whole") {
  const std::string big = "[" + repeat("\"xxxxxxxxxx\",", 20000) + "1]";
  auto r = BpeTokenizer::from_tokenizer_json(tokenizer_with_normalizer(big));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().to_string().size() < 300);
  CHECK(r.error().to_string().find("a list of 20001 items") != std::string::npos);
  CHECK(json_snippet(nlohmann::json(std::string(1000, 'a'))).size() < 50);
  CHECK(json_snippet(nlohmann::json("\x1b[31m")) == "\"?[31m\"");
}

TEST_CASE("hostile: pre_tokenizer, decoder and vocab.json nesting is bounded too") {
  const std::string base = fixture_text("gpt2", "tokenizer.json");
  const std::string nested = repeat("[", 40000) + repeat("]", 40000);
  const std::string pre = "{\"type\": \"Sequence\", \"pretokenizers\": " + nested + "}";
  std::string text =
      replaced(base, "\"pre_tokenizer\": {", "\"pre_tokenizer\": " + pre + ", \"x\": {");
  CHECK_FALSE(BpeTokenizer::from_tokenizer_json(text).ok());
  auto r = BpeTokenizer::from_vocab_and_merges(nested, "");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().to_string().find("nested deeper") != std::string::npos);
}

TEST_CASE("hostile: ground_truth.json nesting and out-of-range heads") {
  const std::string nested = repeat("[", 60000) + repeat("]", 60000);
  auto r = parse_ground_truth("{\"ioi\": {\"heads\": " + nested + "}}", "ioi");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().to_string().size() < 300);

  // L4294967296 wrapped to L0 through sscanf's %d.
  for (const char* bad : {"L4294967296H1", "L1H4294967297", "L-1H2", "L1H2x", "L1H", "LH1", "L 1H2",
                          "L1024H0", "L0H4096"}) {
    CAPTURE(bad);
    r = parse_ground_truth(std::string("{\"t\": {\"heads\": [\"") + bad + "\"]}}", "t");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().to_string().find("bad head") != std::string::npos);
  }
  r = parse_ground_truth("{\"t\": {\"heads\": [\"L1023H4095\", \"L0H5\"]}}", "t");
  REQUIRE(r.ok());
  CHECK(r->heads.size() == 2);
  CHECK(r->heads[0].layer == 1023);
  CHECK(r->heads[1].head == 5);
}

TEST_CASE("hostile: duplicate tensor keys in a safetensors header are refused") {
  const std::string header =
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
      "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
  std::vector<std::uint8_t> file(8);
  for (int i = 0; i < 8; i++) file[i] = static_cast<std::uint8_t>(header.size() >> (8 * i));
  file.insert(file.end(), header.begin(), header.end());
  file.resize(file.size() + 8, 0);
  auto r = SafetensorsFile::parse(Bytes::from_vector(file));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().to_string().find("the key 'a' appears twice") != std::string::npos);
}

TEST_CASE("hostile: config sizes that overflowed an int are refused cleanly") {
  const std::string gpt2 = fixture_text("gpt2", "config.json");
  // 4 * n_embd overflowed even with n_inner given (arch_gpt2.cpp).
  std::string c = replaced(replaced(gpt2, "\"n_embd\": 64", "\"n_embd\": 2147483640"),
                           "\"n_inner\": null", "\"n_inner\": 256");
  c = replaced(c, "\"n_head\": 4", "\"n_head\": 8");
  auto r = parse_model_config(c);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().to_string().find("implausibly large") != std::string::npos);

  const std::string llama = fixture_text("llama", "config.json");
  // n_heads * head_dim overflowed (arch_llama.cpp); the rotary float→int cast with it.
  r = parse_model_config(replaced(llama, "\"head_dim\": 16", "\"head_dim\": 2147483647"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().to_string().find("implausibly large") != std::string::npos);
  r = parse_model_config(replaced(llama, "\"head_dim\": 16", "\"head_dim\": 65536"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().to_string().find("heads × head_dim") != std::string::npos);
  r = parse_model_config(replaced(llama, "\"rope_theta\": 10000.0", "\"rope_theta\": 1e300"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().to_string().find("out of range") != std::string::npos);
  CHECK(parse_model_config(llama).ok());
}

TEST_CASE("hostile: a negative or non-finite norm epsilon is refused") {
  const std::string gpt2 = fixture_text("gpt2", "config.json");
  for (const char* eps : {"-1e-05", "0", "2.5"}) {
    CAPTURE(eps);
    auto r = parse_model_config(replaced(gpt2, "\"layer_norm_epsilon\": 1e-05",
                                         std::string("\"layer_norm_epsilon\": ") + eps));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().to_string().find("epsilon") != std::string::npos);
  }
  const std::string llama = fixture_text("llama", "config.json");
  CHECK_FALSE(
      parse_model_config(replaced(llama, "\"rms_norm_eps\": 1e-05", "\"rms_norm_eps\": -1")).ok());
}

// In an F32 checkpoint, and in an F16 one (read as its bits, no float32 copy: the check runs on
// the bits, before GPT-2's Conv1D transpose, so the element index is the file's).
TEST_CASE("hostile: NaN and Inf weights are reported by tensor name") {
  struct Case {
    const char* fixture;
    DType dtype;
    const char* tensor;
    std::size_t element;
  };
  for (const Case& k : {Case{"gpt2", DType::f32, "transformer.h.1.mlp.c_fc.bias", 7},
                        Case{"gpt2_f16", DType::f16, "transformer.h.0.mlp.c_fc.weight", 11}}) {
    CAPTURE(k.fixture);
    auto file = SafetensorsFile::parse(fixture_source(k.fixture).read("model.safetensors").value());
    REQUIRE(file.ok());
    for (const float bad :
         {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
      std::vector<std::vector<float>> data;
      for (const TensorInfo& info : file->tensors())
        data.push_back(file->read_f32(info.name).value());
      std::vector<TensorToWrite> tensors;
      for (std::size_t i = 0; i < data.size(); i++) {
        const TensorInfo& info = file->tensors()[i];
        if (info.name == k.tensor) data[i][k.element] = bad;
        tensors.push_back({info.name, info.shape, data[i], k.dtype});
      }
      const std::string message = load_error(with_file(
          k.fixture, "model.safetensors", Bytes::from_vector(write_safetensors(tensors))));
      CHECK(message.find(k.tensor) != std::string::npos);
      const std::string at = " at element " + std::to_string(k.element);
      CHECK(message.find((std::isnan(bad) ? "NaN" : "Inf") + at) != std::string::npos);
    }
  }
}

TEST_CASE("hostile: a tensor larger than the memory budget is refused before allocating") {
  const BudgetScope budget(64 * 1024);  // 64 KiB: the gpt2 fixture's embedding is 128 KiB
  auto file = SafetensorsFile::parse(fixture_source("gpt2").read("model.safetensors").value());
  REQUIRE(file.ok());
  auto r = file->read_f32("transformer.wte.weight");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().to_string().find("as float32, more than") != std::string::npos);
  // Model::load refuses from the config's sizes, before reading any tensor.
  const std::string message = load_error(fixture_source("gpt2"));
  CHECK(message.find("the weights of this model need about") != std::string::npos);
}

TEST_CASE("hostile: a long prompt whose attention exceeds memory says what fits") {
  const Model model = Model::load(fixture_source("gpt2")).value();
  // 3 layers × 4 heads × T² floats: 256 tokens need ~3.6 MiB of attention; allow 1 MiB.
  const BudgetScope budget(1 << 20);
  auto r = model.forward(std::vector<int>(256, 1));
  REQUIRE_FALSE(r.ok());
  const std::string message = r.error().to_string();
  CHECK(message.find("a prompt of 256 tokens needs about") != std::string::npos);
  CHECK(message.find("3 layers × 4 heads") != std::string::npos);
  const std::size_t at = message.find("at most ");
  REQUIRE(at != std::string::npos);
  const int fits = std::stoi(message.substr(at + 8));
  CHECK(fits > 0);
  CHECK(fits < 256);
  CHECK(model.forward(std::vector<int>(fits, 1)).ok());
  CHECK_FALSE(model.forward(std::vector<int>(fits + 1, 1)).ok());

  // The case: a 1M-token Llama context and a 30k-token prompt, at a normal budget.
  ModelConfig big = model.config();
  big.n_layers = 32;
  big.n_heads = 32;
  big.n_ctx = 1'000'000;
  set_memory_budget(16ULL << 30);
  const Status s = check_forward_memory(big, 30000);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().to_string().find("tokens fit") != std::string::npos);
}

TEST_CASE("hostile: NFC of 50,000 combining marks is fast and canonically ordered") {
  // U+0301 (ccc 230) and U+0316 (ccc 220) alternating: the insertion sort moved each 220 past
  // every earlier 230, quadratic in the run.
  std::string text = "a";
  for (int i = 0; i < 25000; i++) text += "\xcc\x81\xcc\x96";
  const auto start = std::chrono::steady_clock::now();
  const std::string out = nfc_normalize(text);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(seconds < 0.5);
  // Canonical order: all 220s (stable) before all 230s; then a + U+0301 composes to U+00E1?
  // No: U+0316 (220) now sits between a and U+0301, and it does not block (220 < 230), so the
  // first U+0301 composes with a.
  REQUIRE(out.size() == text.size() - 1);  // "a" + U+0301 (1 + 2 bytes) became U+00E1 (2 bytes)
  CHECK(out.substr(0, 2) == "\xc3\xa1");
  CHECK(out.substr(2, 4) == "\xcc\x96\xcc\x96");
  CHECK(out.substr(out.size() - 4) == "\xcc\x81\xcc\x81");
  // A short run is ordered as before: ccc 230 then 220 becomes 220 then 230.
  CHECK(nfc_normalize("x\xcc\x81\xcc\x96") == "x\xcc\x96\xcc\x81");
}
