// fuzz_task_files.cpp — task prompt .jsonl (tokenized with the GPT-2 fixture's model) and
// ground_truth.json, from the same input: the first byte chooses which.
#include "core/analysis/task_prompts.h"
#include "core/io/file_source.h"
#include "core/model/model.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

attnscope::Model load_fixture() {
  attnscope::MemorySource files("gpt2 fixture");
  for (const char* name : {"config.json", "model.safetensors", "tokenizer.json"}) {
    files.add(name, attnscope::Bytes::from_string(attnscope::fuzz::read_fixture(
                        std::string("models/fixtures/gpt2/") + name)));
  }
  return attnscope::Model::load(files).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attnscope;
  static const Model model = load_fixture();
  if (size == 0) return 0;
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  if (data[0] & 1) {
    auto truth = parse_ground_truth(text, "ioi");
    if (truth.ok()) {
      for (const HeadRef& h : truth->heads)
        if (h.layer < 0 || h.layer > 1023 || h.head < 0 || h.head > 4095) __builtin_trap();
    }
  } else {
    auto prompts = parse_task_prompts(text, model);
    if (prompts.ok()) {
      for (const Prompt& p : *prompts)
        if (!model.check_ids(p.ids).ok()) __builtin_trap();
    }
  }
  return 0;
}
