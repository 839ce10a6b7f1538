// fuzz_vocab_merges.cpp — vocab.json + merges.txt, split at the input's first NUL byte.
#include "core/tokenizer/bpe.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attnscope;
  const std::string_view text = fuzz::as_text(data, size);
  const std::size_t nul = text.find('\0');
  const std::string_view vocab = text.substr(0, nul);
  const std::string_view merges = nul == std::string_view::npos ? "" : text.substr(nul + 1);
  auto tokenizer = BpeTokenizer::from_vocab_and_merges(vocab, merges);
  if (!tokenizer.ok()) return 0;
  const std::vector<int> ids = tokenizer->encode("the cat sat on the mat");
  (void)tokenizer->decode(ids);
  return 0;
}
