// The WebGPU backend's own contract, beyond the op table and parity (which run it through
// backends_under_test): what it says when it cannot do something, and byte-exact copies at
// offsets that are not whole 32-bit words. Skipped where device_like_backend.h
// finds no WebGPU backend (ATTNSCOPE_WEBGPU=required turns that into a failure).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/gpu/automatic_backend.h"
#include "core/gpu/gpu_device.h"
#include "core/gpu/shared_webgpu.h"
#include "core/gpu/webgpu_backend.h"
#include "tests/unit/backend_kernels.h"
#include "tests/unit/device_like_backend.h"
#include "tests/unit/fixtures.h"

namespace attnscope {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

#ifndef __EMSCRIPTEN__
TEST_CASE("WebGPU without its library is one clear reason, not a crash") {
  std::string why;
  CHECK(open_dawn_device("/nonexistent/libwebgpu_wrapper.so", &why) == nullptr);
  CHECK(why == "no WebGPU library at /nonexistent/libwebgpu_wrapper.so");
}
#endif

TEST_CASE("Automatic takes WebGPU on a hardware adapter only, and says why not on a software one") {
  std::string why = "stale";
  GpuInfo gpu;
  gpu.adapter = "NVIDIA H200 (Vulkan)";
  CHECK(webgpu_worth_using(gpu, &why));
  CHECK(why.empty());
  GpuInfo cpu = gpu;
  cpu.adapter = "SwiftShader Device (Subzero) (Vulkan)";
  cpu.software = true;
  CHECK_FALSE(webgpu_worth_using(cpu, &why));
  CHECK(why ==
        "SwiftShader Device (Subzero) (Vulkan) is a software adapter, which runs on these CPU "
        "cores slower than the CPU backend");
  GpuInfo unnamed;
  unnamed.software = true;
  CHECK_FALSE(webgpu_worth_using(unnamed, &why));
  CHECK(why.rfind("the adapter is a software adapter, which", 0) == 0);
}

TEST_CASE("Automatic binds a model to WebGPU exactly when the adapter is worth it") {
  Backend* webgpu = test::webgpu_backend_under_test();
  if (!webgpu) return;
  const Model model = Model::load(test::fixture_source("gpt2")).value();
  std::string why, expected;
  const Model bound = bind_to_webgpu(model, AdapterRule::hardware_only, &why);
  if (webgpu_worth_using(*webgpu_info(*webgpu), &expected)) {
    CHECK(&bound.backend() == webgpu);
    CHECK(why.empty());
  } else {  // SwiftShader, where CI runs: the CPU, and the rule's reason
    CHECK(&bound.backend() == &default_backend());
    CHECK(why == expected);
  }
  CHECK(webgpu_info(default_backend()) == nullptr);
}

TEST_CASE("WebGPU refuses a buffer past the adapter's largest binding, saying both sizes") {
  Backend* webgpu = test::webgpu_backend_under_test();
  if (!webgpu) return;
  // 1 TiB natively; in WASM (32-bit sizes) just under 4 GiB, past every adapter's binding there.
  const std::uint64_t tebibyte = std::uint64_t(1) << 40;
  const std::size_t huge = tebibyte <= SIZE_MAX ? std::size_t(tebibyte) : std::size_t(0xfffffff0u);
  const std::string m = message_of([&] { webgpu->alloc(huge); });
  CHECK(m.find("WebGPU: a buffer of " + std::to_string(huge >> 20) + " MiB exceeds") == 0);
  CHECK(m.find("largest binding") != std::string::npos);
}

TEST_CASE("WebGPU buffers copy bytes exactly at offsets that are not whole words") {
  Backend* webgpu = test::webgpu_backend_under_test();
  if (!webgpu) return;
  auto buffer = webgpu->alloc(16);
  std::vector<std::uint8_t> zeros(16, 0), bytes = {1, 2, 3, 4, 5};
  buffer->write(0, zeros.data(), 16);
  buffer->write(3, bytes.data(), bytes.size());  // spans three words, none of them whole
  std::vector<std::uint8_t> all(16, 0xff);
  buffer->read(0, all.data(), 16);
  CHECK(all == std::vector<std::uint8_t>{0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0});
  std::vector<std::uint8_t> part(3, 0);
  webgpu->read_async({buffer.get(), 5, DType::f16, 0}, part.data(), 3);
  webgpu->synchronize();
  CHECK(part == std::vector<std::uint8_t>{3, 4, 5});
}

// The subgroup form of a kernel adds its partial sums in an order that depends on the subgroups,
// not on timing: a product gives the same bits every time it runs, and agrees with the form
// without subgroups to float rounding.
TEST_CASE(
    "WebGPU's few-token products give the same bits on every run, with and without subgroups") {
  Backend* webgpu = test::webgpu_backend_under_test();
  if (!webgpu) return;
  std::vector<Backend*> forms = {webgpu};
  if (Backend* plain = shared_webgpu_backend_without_subgroups(nullptr)) forms.push_back(plain);
  MESSAGE("WebGPU features in use: '" << webgpu_features(*webgpu) << "'");
  const int T = 3, K = 777, N = 1000;
  std::vector<float> x(std::size_t(T) * K), w(std::size_t(N) * K);
  for (std::size_t i = 0; i < x.size(); i++) x[i] = float((i * 37) % 101) / 101.0f - 0.5f;
  for (std::size_t i = 0; i < w.size(); i++) w[i] = float((i * 53) % 97) / 97.0f - 0.5f;
  std::vector<std::vector<float>> results;
  for (Backend* be : forms) {
    CAPTURE(be->name());
    test::BackendKernels k(*be);
    std::vector<float> first(std::size_t(T) * N), again(first.size());
    k.linear(first.data(), x.data(), w.data(), nullptr, T, K, N);
    for (int run = 0; run < 3; run++) {
      k.linear(again.data(), x.data(), w.data(), nullptr, T, K, N);
      CHECK(std::memcmp(first.data(), again.data(), first.size() * sizeof(float)) == 0);
    }
    results.push_back(first);
  }
  for (std::size_t i = 0; i < results[0].size(); i++)
    REQUIRE(std::abs(results[0][i] - results.back()[i]) <=
            1e-4f * (1.0f + std::abs(results[0][i])));
}

#ifndef __EMSCRIPTEN__  // natively: it opens a second Dawn device of its own
TEST_CASE("a WGSL kernel that does not compile is an error naming it, with the compiler's words") {
  std::string why;
  if (!test::webgpu_backend_under_test()) return;
  auto device = open_dawn_device(dawn_library_path(), &why);
  REQUIRE(device);
  const std::string m = message_of([&] { device->pipeline("fn main( {", "broken"); });
  CHECK(m.find("WebGPU: kernel broken does not compile: ") == 0);
  CHECK(m.find("expected ')'") != std::string::npos);
  // The device still works afterwards.
  CHECK(device->pipeline("@compute @workgroup_size(1) fn main() {}", "empty") >= 0);
}
#endif

}  // namespace
}  // namespace attnscope
