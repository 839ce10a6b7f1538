// fuzz_tokenizer_json.cpp — tokenizer.json; an accepted one encodes and decodes a fixed text.
// Run with -max_len=200000 or more: the nesting findings needed inputs of ~100 KB.
#include "core/tokenizer/bpe.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attnscope;
  auto tokenizer = BpeTokenizer::from_tokenizer_json(fuzz::as_text(data, size));
  if (!tokenizer.ok()) return 0;
  const std::vector<int> ids = tokenizer->encode("Hello world, caf\xc3\xa9 \xe4\xb8\xad 123!\n");
  for (const int id : ids) (void)tokenizer->token_display(id);
  (void)tokenizer->decode(ids);
  return 0;
}
