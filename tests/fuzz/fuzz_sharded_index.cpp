// fuzz_sharded_index.cpp — model.safetensors.index.json: the fuzzed index names shards among a
// folder of two small valid ones ("a.safetensors", "b.safetensors"); WeightStore::open checks it.
#include "core/io/file_source.h"
#include "core/io/safetensors.h"
#include "core/io/sharded.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

std::vector<std::uint8_t> shard(const std::string& name) {
  static const std::vector<float> values = {1, 2, 3, 4};
  const std::vector<attnscope::TensorToWrite> tensors = {{name, {2, 2}, values}};
  return attnscope::write_safetensors(tensors);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool once = (attnscope::fuzz::limit_memory(), true);
  (void)once;
  using namespace attnscope;
  static const Bytes a = Bytes::from_vector(shard("x")), b = Bytes::from_vector(shard("y"));
  MemorySource files("fuzz folder");
  files.add("a.safetensors", a);
  files.add("b.safetensors", b);
  files.add("model.safetensors.index.json",
            Bytes::from_vector(std::vector<std::uint8_t>(data, data + size)));
  auto store = WeightStore::open(files);
  if (!store.ok()) return 0;
  for (const std::string& name : store->names()) {
    if (!store->find(name)) __builtin_trap();
    (void)store->read_f32(name);
  }
  return 0;
}
