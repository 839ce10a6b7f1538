#include "wasm/webgpu_browser.h"

#include <cstdint>

#ifndef __EMSCRIPTEN_PTHREADS__

namespace attnscope {

std::unique_ptr<GpuDevice> open_browser_gpu_device(std::string* why) {
  *why =
      "WebGPU needs the threaded build (the page is not cross-origin isolated, so it runs the "
      "single-threaded one)";
  return nullptr;
}

}  // namespace attnscope

#else

#include <emscripten/threading.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

// The JavaScript half (webgpu_browser.js), each call run on the main thread, in the order made.
// `answer` points at an Answer that the main thread fills and wakes this thread on.
extern "C" {
void attnscope_gpu_open(void* answer, void* info);
void attnscope_gpu_pipeline(int id, const char* wgsl, const char* label, void* answer);
void attnscope_gpu_run(std::uint32_t* commands, std::uint32_t words, void* answer);
}

namespace attnscope {
namespace {

constexpr double kWaitSeconds = 120;

// What the main thread answers: state 0 while waiting, 1 done, 2 failed with the message.
struct Answer {
  std::int32_t state = 0;
  char message[1024] = {};
};

// What attnscope_gpu_open fills in (read field by field by webgpu_browser.js: keep in step).
struct OpenInfo {
  char adapter[256];
  std::int32_t software, shader_f16, subgroups;
  double max_binding_bytes, max_buffer_bytes;
  std::int32_t max_workgroups_per_dimension, max_workgroup_storage_bytes,
      max_invocations_per_workgroup;
};
static_assert(offsetof(OpenInfo, software) == 256 && offsetof(OpenInfo, max_binding_bytes) == 272 &&
                  offsetof(OpenInfo, max_workgroups_per_dimension) == 288,
              "webgpu_browser.js writes OpenInfo at these offsets");

// The command stream's opcodes (webgpu_browser.js decodes them).
enum Command : std::uint32_t {
  kCreate = 1,    // id, bytes
  kDestroy = 2,   // id
  kWrite = 3,     // id, offset, pointer to a malloc'd copy (the main thread frees it), bytes
  kRead = 4,      // id, offset, destination, bytes
  kDispatch = 5,  // pipeline, buffer count, ids..., x, y, z, 32 parameter words
};

// Sleeps until the main thread answers. An answer that never comes (a hung GPU) is an error
// after kWaitSeconds; its Answer is then leaked, since the main thread may still write it.
void wait(Answer* answer, const char* what) {
  const auto start = std::chrono::steady_clock::now();
  while (__atomic_load_n(&answer->state, __ATOMIC_SEQ_CST) == 0) {
    emscripten_futex_wait(&answer->state, 0, 1000);
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
        kWaitSeconds)
      throw std::runtime_error(std::string("WebGPU: no answer to ") + what + " within " +
                               std::to_string(int(kWaitSeconds)) + " s");
  }
}

// What the main thread reads or writes while this thread waits lives in one allocation with the
// answer, so that a wait that gives up can leave all of it to the main thread.
struct OpenAnswer : Answer {
  OpenInfo info{};
};
struct PipelineAnswer : Answer {
  std::string wgsl, label;
};

template <typename A = Answer>
std::unique_ptr<A> ask() {
  if (emscripten_is_main_runtime_thread())
    throw std::logic_error("WebGPU in the browser is used from a job's thread, not the main one");
  return std::make_unique<A>();
}

// Waits, then throws the message of a failed answer.
template <typename A>
void wait_ok(std::unique_ptr<A>& answer, const char* what) {
  try {
    wait(answer.get(), what);
  } catch (...) {
    answer.release();  // the main thread may still write it
    throw;
  }
  if (answer->state == 2) throw std::runtime_error(answer->message);
}

class BrowserDevice final : public GpuDevice {
 public:
  explicit BrowserDevice(const OpenInfo& o) {
    info_.adapter = o.adapter;
    info_.software = o.software != 0;
    info_.shader_f16 = o.shader_f16 != 0;
    info_.subgroups = o.subgroups != 0;
    info_.max_binding_bytes = std::uint64_t(o.max_binding_bytes);
    info_.max_buffer_bytes = std::uint64_t(o.max_buffer_bytes);
    info_.max_workgroups_per_dimension = std::uint32_t(o.max_workgroups_per_dimension);
    info_.max_workgroup_storage_bytes = std::uint32_t(o.max_workgroup_storage_bytes);
    info_.max_invocations_per_workgroup = std::uint32_t(o.max_invocations_per_workgroup);
  }

  const GpuInfo& info() const override { return info_; }

  GpuBufferId create_buffer(std::size_t bytes) override {
    const std::size_t size = (std::max<std::size_t>(bytes, 4) + 3) / 4 * 4;
    // Released buffers are reused by size, as natively (webgpu_dawn.cpp says why).
    if (auto it = free_.find(size); it != free_.end()) {
      const GpuBufferId id = it->second;
      free_.erase(it);
      pooled_ -= size;
      return id;
    }
    sizes_.push_back(size);
    const GpuBufferId id = GpuBufferId(sizes_.size());
    put({kCreate, id, std::uint32_t(size)});
    return id;
  }

  void destroy_buffer(GpuBufferId id) override {
    const std::size_t size = sizes_.at(id - 1);
    if (pooled_ + size <= kPoolBytes) {
      free_.emplace(size, id);
      pooled_ += size;
      return;
    }
    put({kDestroy, id});
  }

  void write(GpuBufferId id, std::size_t offset, const void* src, std::size_t n) override {
    if (n == 0) return;
    void* copy = std::malloc(n);  // the caller may reuse src before the main thread runs this
    if (!copy)
      throw std::runtime_error("WebGPU: no memory for a copy of " + std::to_string(n) +
                               " bytes on their way to the GPU");
    std::memcpy(copy, src, n);
    put({kWrite, id, std::uint32_t(offset), std::uint32_t(reinterpret_cast<std::uintptr_t>(copy)),
         std::uint32_t(n)});
    written_ += n;
    // Big uploads (a model's weights) go out as they come, not all at the next synchronize.
    if (written_ > (64u << 20)) flush();
  }

  void read_async(GpuBufferId id, std::size_t offset, void* dst, std::size_t n) override {
    if (n == 0) return;
    put({kRead, id, std::uint32_t(offset), std::uint32_t(reinterpret_cast<std::uintptr_t>(dst)),
         std::uint32_t(n)});
  }

  int pipeline(std::string_view wgsl, std::string_view label) override {
    check_usable();
    auto answer = ask<PipelineAnswer>();
    answer->wgsl = wgsl;
    answer->label = label;
    const int id = pipelines_++;
    attnscope_gpu_pipeline(id, answer->wgsl.c_str(), answer->label.c_str(),
                           static_cast<Answer*>(answer.get()));
    waited(answer, "a shader compilation");
    return id;
  }

  void dispatch(int pipeline, std::span<const GpuBufferId> buffers,
                std::span<const std::uint32_t, 32> params, std::uint32_t x, std::uint32_t y,
                std::uint32_t z) override {
    if (dispatches_ == kBatchDispatches) flush();
    commands_.push_back(kDispatch);
    commands_.push_back(std::uint32_t(pipeline));
    commands_.push_back(std::uint32_t(buffers.size()));
    commands_.insert(commands_.end(), buffers.begin(), buffers.end());
    commands_.insert(commands_.end(), {x, y, z});
    commands_.insert(commands_.end(), params.begin(), params.end());
    dispatches_++;
  }

  void synchronize() override {
    check_usable();
    auto answer = ask();
    send(answer.get());
    waited(answer, "the GPU's work");
  }

 private:
  // As natively: the parameters' ring holds this many dispatches between submissions.
  static constexpr int kBatchDispatches = 2048;
  static constexpr std::size_t kPoolBytes = std::size_t(1) << 30;

  // After a wait that gave up, the main thread may still write into memory this thread has
  // moved on from: the device is not used again.
  template <typename A>
  void waited(std::unique_ptr<A>& answer, const char* what) {
    try {
      wait_ok(answer, what);
    } catch (const std::logic_error&) {
      throw;
    } catch (const std::exception& e) {
      if (!answer) broken_ = e.what();
      throw;
    }
  }
  void check_usable() const {
    if (!broken_.empty()) throw std::runtime_error(broken_ + " (the device is no longer used)");
  }
  void put(std::initializer_list<std::uint32_t> words) { commands_.insert(commands_.end(), words); }
  // Hands the commands recorded so far to the main thread, which submits them; no wait.
  void flush() {
    if (!commands_.empty()) send(nullptr);
  }
  void send(Answer* answer) {
    auto* block = static_cast<std::uint32_t*>(std::malloc(commands_.size() * 4 + 4));
    if (!block) throw std::runtime_error("WebGPU: no memory for the command stream");
    std::memcpy(block, commands_.data(), commands_.size() * 4);
    attnscope_gpu_run(block, std::uint32_t(commands_.size()), answer);  // frees block
    commands_.clear();
    dispatches_ = 0;
    written_ = 0;
  }

  GpuInfo info_;
  std::string broken_;
  std::vector<std::uint32_t> commands_;
  int dispatches_ = 0;
  std::size_t written_ = 0;
  int pipelines_ = 0;
  std::vector<std::size_t> sizes_;
  std::multimap<std::size_t, GpuBufferId> free_;
  std::size_t pooled_ = 0;
};

}  // namespace

std::unique_ptr<GpuDevice> open_browser_gpu_device(std::string* why) {
  try {
    auto answer = ask<OpenAnswer>();
    attnscope_gpu_open(static_cast<Answer*>(answer.get()), &answer->info);
    wait_ok(answer, "the adapter request");
    return std::make_unique<BrowserDevice>(answer->info);
  } catch (const std::exception& e) {
    *why = e.what();
  }
  return nullptr;
}

}  // namespace attnscope

#endif
