// fuzz_tokenize.cpp — arbitrary bytes through the GPT-2 fixture's tokenizer (and NFC, which the
// Pythia and Qwen2 tokenizers apply first): encoding never fails, and decoding gives the bytes
// back.
#include "core/tokenizer/bpe.h"
#include "core/tokenizer/nfc.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attnscope;
  static const BpeTokenizer tokenizer =
      BpeTokenizer::from_tokenizer_json(fuzz::read_fixture("models/fixtures/gpt2/tokenizer.json"))
          .value();
  const std::string_view text = fuzz::as_text(data, size);
  const std::vector<int> ids = tokenizer.encode(text);
  if (tokenizer.decode(ids) != text) __builtin_trap();
  const std::string nfc = nfc_normalize(text);
  if (nfc_normalize(nfc) != nfc) __builtin_trap();  // NFC is idempotent
  return 0;
}
