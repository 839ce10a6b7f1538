// webgpu_dawn.cpp — GpuDevice natively, through Dawn's webgpu.h C API (webgpu_c.h), loaded with
// dlopen so that a build without the library still runs on the CPU.
//
// Waiting: every callback is registered with CallbackMode AllowProcessEvents and waited for by
// calling wgpuInstanceProcessEvents until it has fired (no instance features needed; the timed
// WaitAny of this Dawn needs one). A wait gives up after kWaitSeconds with an error, so a hung
// driver is a message, not a hang.
#include <dlfcn.h>

#include <chrono>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/gpu/gpu_device.h"
#include "core/gpu/webgpu_c.h"

namespace attnscope {
namespace {

using namespace wgpu;  // NOLINT: the C API's names, local to this file

constexpr double kWaitSeconds = 120.0;
constexpr std::size_t kParamBytes = 128;
constexpr std::size_t kParamSlot = 256;         // minUniformBufferOffsetAlignment's default
constexpr std::size_t kBatchDispatches = 2048;  // dispatches per submission, at most
constexpr std::uint64_t kPoolBytes = std::uint64_t(1) << 30;

struct Api {
#define ATTNSCOPE_WGPU_POINTER(ret, name, args) ret(*name) args = nullptr;
  ATTNSCOPE_WGPU_FUNCTIONS(ATTNSCOPE_WGPU_POINTER)
#undef ATTNSCOPE_WGPU_POINTER
};

StringView view(std::string_view s) {
  return {s.data(), s.size()};
}
std::string text(StringView s) {
  if (!s.data) return {};
  return s.length == kStrlen ? std::string(s.data) : std::string(s.data, s.length);
}

class DawnDevice final : public GpuDevice {
 public:
  DawnDevice() = default;
  DawnDevice(const DawnDevice&) = delete;
  DawnDevice& operator=(const DawnDevice&) = delete;
  ~DawnDevice() override;

  bool open(const std::string& library, std::string* why);

  const GpuInfo& info() const override { return info_; }
  GpuBufferId create_buffer(std::size_t bytes) override;
  void destroy_buffer(GpuBufferId id) override;
  void write(GpuBufferId id, std::size_t offset, const void* src, std::size_t n) override;
  void read_async(GpuBufferId id, std::size_t offset, void* dst, std::size_t n) override;
  int pipeline(std::string_view wgsl, std::string_view label) override;
  void dispatch(int pipeline, std::span<const GpuBufferId> buffers,
                std::span<const std::uint32_t, 32> params, std::uint32_t x, std::uint32_t y,
                std::uint32_t z) override;
  void synchronize() override;

 private:
  struct Pending {  // a read_async: staging buffer → dst after the map
    BufferHandle staging;
    void* dst;
    std::size_t n;
  };
  struct Pipeline {
    ComputePipeline pipeline;
    BindGroupLayout layout;
  };

  // Waits until *done, processing events; throws on timeout.
  void wait(const bool& done, const char* what);
  // Pops the error scope pushed before `what`: its error's message, or empty when none.
  std::string pop_error_scope(const char* what);
  void submit();
  void throw_if_error();
  BufferHandle handle(GpuBufferId id) const;

  void* library_ = nullptr;
  Api api_;
  Instance instance_ = nullptr;
  Adapter adapter_ = nullptr;
  Device device_ = nullptr;
  Queue queue_ = nullptr;
  GpuInfo info_;
  std::string error_;  // the first error the device reported, until thrown
  bool lost_ = false;

  std::vector<BufferHandle> buffers_;  // by id − 1; null once destroyed
  std::vector<std::uint64_t> sizes_;   // by id − 1
  // Released buffers kept for reuse by size, up to kPoolBytes of each kind.
  std::multimap<std::uint64_t, GpuBufferId> free_storage_;
  std::multimap<std::size_t, BufferHandle> free_staging_;
  std::uint64_t pooled_storage_ = 0, pooled_staging_ = 0;
  std::vector<Pipeline> pipelines_;
  BufferHandle params_ = nullptr;  // the uniform ring: one kParamSlot per recorded dispatch
  std::vector<std::byte> params_host_;
  std::size_t dispatches_ = 0;  // recorded since the last submission
  CommandEncoder encoder_ = nullptr;
  ComputePassEncoder pass_ = nullptr;
  std::vector<BindGroup> bind_groups_;  // of the recorded dispatches, released at submission
  std::vector<Pending> pending_;
  GpuBufferId sentinel_ = 0;  // read by a synchronize() with no read of its own to wait for
  std::uint32_t sentinel_value_ = 0;
};

DawnDevice::~DawnDevice() {
  if (!api_.wgpuDeviceRelease) return;
  try {
    if (sentinel_) synchronize();  // a device that opened: finish its work first
  } catch (...) {
    // Destruction cannot report; the error was the caller's to see at its last synchronize().
  }
  for (BufferHandle b : buffers_)
    if (b) {
      api_.wgpuBufferDestroy(b);
      api_.wgpuBufferRelease(b);
    }
  for (auto& [size, b] : free_staging_) {
    api_.wgpuBufferDestroy(b);
    api_.wgpuBufferRelease(b);
  }
  if (params_) api_.wgpuBufferRelease(params_);
  for (Pipeline& p : pipelines_) {
    api_.wgpuBindGroupLayoutRelease(p.layout);
    api_.wgpuComputePipelineRelease(p.pipeline);
  }
  if (queue_) api_.wgpuQueueRelease(queue_);
  if (device_) {
    api_.wgpuDeviceDestroy(device_);
    api_.wgpuDeviceRelease(device_);
  }
  if (adapter_) api_.wgpuAdapterRelease(adapter_);
  if (instance_) api_.wgpuInstanceRelease(instance_);
  // The library stays loaded: Dawn's threads may outlive the device by a moment.
}

void DawnDevice::wait(const bool& done, const char* what) {
  const auto start = std::chrono::steady_clock::now();
  while (!done) {
    api_.wgpuInstanceProcessEvents(instance_);
    if (done) break;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
        kWaitSeconds)
      throw std::runtime_error(std::string("WebGPU: no answer to ") + what + " within " +
                               std::to_string(int(kWaitSeconds)) + " s");
    std::this_thread::yield();
  }
}

bool DawnDevice::open(const std::string& library, std::string* why) {
  library_ = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library_) {
    *why = "no WebGPU library at " + library;
    return false;
  }
#define ATTNSCOPE_WGPU_LOOKUP(ret, name, args)                                        \
  api_.name = reinterpret_cast<ret(*) args>(dlsym(library_, #name));                  \
  if (!api_.name) {                                                                   \
    *why = std::string(library) + " lacks " #name " (not the webgpu.h of June 2025)"; \
    return false;                                                                     \
  }
  ATTNSCOPE_WGPU_FUNCTIONS(ATTNSCOPE_WGPU_LOOKUP)
#undef ATTNSCOPE_WGPU_LOOKUP

  instance_ = api_.wgpuCreateInstance(nullptr);
  if (!instance_) {
    *why = "WebGPU: no instance";
    return false;
  }
  struct AdapterAnswer {
    bool done = false;
    Adapter adapter = nullptr;
    std::string message;
  } adapter_answer;
  RequestAdapterOptions options{};
  options.featureLevel = kFeatureLevelCore;
  options.powerPreference = kPowerPreferenceHighPerformance;
  RequestAdapterCallbackInfo on_adapter{};
  on_adapter.mode = kCallbackModeAllowProcessEvents;
  on_adapter.callback = [](std::uint32_t status, Adapter adapter, StringView message, void* a,
                           void*) {
    auto* answer = static_cast<AdapterAnswer*>(a);
    if (status == kStatusSuccess) answer->adapter = adapter;
    answer->message = text(message);
    answer->done = true;
  };
  on_adapter.userdata1 = &adapter_answer;
  api_.wgpuInstanceRequestAdapter(instance_, &options, on_adapter);
  wait(adapter_answer.done, "the adapter request");
  adapter_ = adapter_answer.adapter;
  if (!adapter_) {
    *why = "WebGPU: no adapter" +
           (adapter_answer.message.empty() ? std::string() : " (" + adapter_answer.message + ")");
    return false;
  }

  AdapterInfo adapter_info{};
  api_.wgpuAdapterGetInfo(adapter_, &adapter_info);
  info_.adapter = text(adapter_info.device);
  if (info_.adapter.empty()) info_.adapter = text(adapter_info.description);
  info_.software = adapter_info.adapterType == kAdapterTypeCpu;
  const bool null_backend = adapter_info.backendType == kBackendTypeNull;
  api_.wgpuAdapterInfoFreeMembers(adapter_info);
  // Dawn answers with its Null backend (which computes nothing) when no driver loads.
  if (null_backend) {
    *why =
        "WebGPU: no adapter (no Vulkan driver loaded; without a GPU, "
        "VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json gives a CPU one)";
    return false;
  }
  Limits limits{};
  api_.wgpuAdapterGetLimits(adapter_, &limits);
  info_.shader_f16 = api_.wgpuAdapterHasFeature(adapter_, kFeatureShaderF16) != 0;
  info_.subgroups = api_.wgpuAdapterHasFeature(adapter_, kFeatureSubgroups) != 0;

  // Ask for the adapter's own limits: the defaults (128 MiB per binding) are smaller than one
  // GPT-2 embedding table.
  std::vector<std::uint32_t> features;
  if (info_.shader_f16) features.push_back(kFeatureShaderF16);
  if (info_.subgroups) features.push_back(kFeatureSubgroups);
  DeviceDescriptor descriptor{};
  descriptor.label = view("attnscope");
  descriptor.requiredFeatureCount = features.size();
  descriptor.requiredFeatures = features.data();
  descriptor.requiredLimits = &limits;
  descriptor.deviceLostCallbackInfo.mode = kCallbackModeAllowProcessEvents;
  descriptor.deviceLostCallbackInfo.callback = [](const Device*, std::uint32_t, StringView message,
                                                  void* self, void*) {
    auto* d = static_cast<DawnDevice*>(self);
    d->lost_ = true;
    if (d->error_.empty()) d->error_ = "WebGPU device lost: " + text(message);
  };
  descriptor.deviceLostCallbackInfo.userdata1 = this;
  descriptor.uncapturedErrorCallbackInfo.callback = [](const Device*, std::uint32_t,
                                                       StringView message, void* self, void*) {
    auto* d = static_cast<DawnDevice*>(self);
    if (d->error_.empty()) d->error_ = "WebGPU: " + text(message);
  };
  descriptor.uncapturedErrorCallbackInfo.userdata1 = this;
  struct DeviceAnswer {
    bool done = false;
    Device device = nullptr;
    std::string message;
  } device_answer;
  RequestDeviceCallbackInfo on_device{};
  on_device.mode = kCallbackModeAllowProcessEvents;
  on_device.callback = [](std::uint32_t status, Device device, StringView message, void* a, void*) {
    auto* answer = static_cast<DeviceAnswer*>(a);
    if (status == kStatusSuccess) answer->device = device;
    answer->message = text(message);
    answer->done = true;
  };
  on_device.userdata1 = &device_answer;
  api_.wgpuAdapterRequestDevice(adapter_, &descriptor, on_device);
  wait(device_answer.done, "the device request");
  device_ = device_answer.device;
  if (!device_) {
    *why = "WebGPU: no device on " + info_.adapter + " (" + device_answer.message + ")";
    return false;
  }
  queue_ = api_.wgpuDeviceGetQueue(device_);
  info_.max_binding_bytes = limits.maxStorageBufferBindingSize;
  info_.max_buffer_bytes = limits.maxBufferSize;
  info_.max_workgroups_per_dimension = limits.maxComputeWorkgroupsPerDimension;
  info_.max_workgroup_storage_bytes = limits.maxComputeWorkgroupStorageSize;
  info_.max_invocations_per_workgroup = limits.maxComputeInvocationsPerWorkgroup;

  BufferDescriptor ring{};
  ring.label = view("dispatch parameters");
  ring.usage = kBufferUsageUniform | kBufferUsageCopyDst;
  ring.size = kBatchDispatches * kParamSlot;
  params_ = api_.wgpuDeviceCreateBuffer(device_, &ring);
  params_host_.resize(ring.size);
  sentinel_ = create_buffer(4);
  return true;
}

BufferHandle DawnDevice::handle(GpuBufferId id) const {
  if (id == 0 || id > buffers_.size() || !buffers_[id - 1])
    throw std::logic_error("WebGPU: no buffer " + std::to_string(id));
  return buffers_[id - 1];
}

void DawnDevice::throw_if_error() {
  if (error_.empty()) return;
  std::string message;
  if (lost_) {
    message = error_;  // a lost device stays lost: every later call says so
  } else {
    message.swap(error_);
  }
  throw std::runtime_error(message);
}

std::string DawnDevice::pop_error_scope(const char* what) {
  struct ScopeAnswer {
    bool done = false;
    std::uint32_t type = 0;
    std::string message;
  } answer;
  PopErrorScopeCallbackInfo on_pop{};
  on_pop.mode = kCallbackModeAllowProcessEvents;
  on_pop.callback = [](std::uint32_t, std::uint32_t type, StringView message, void* a, void*) {
    auto* s = static_cast<ScopeAnswer*>(a);
    s->type = type;
    s->message = text(message);
    s->done = true;
  };
  on_pop.userdata1 = &answer;
  api_.wgpuDevicePopErrorScope(device_, on_pop);
  wait(answer.done, what);
  if (answer.type == kErrorTypeNoError || answer.type == 0) return {};
  return answer.message.empty() ? "error type " + std::to_string(answer.type) : answer.message;
}

GpuBufferId DawnDevice::create_buffer(std::size_t bytes) {
  BufferDescriptor d{};
  d.usage = kBufferUsageStorage | kBufferUsageCopySrc | kBufferUsageCopyDst;
  d.size = (std::max<std::size_t>(bytes, 4) + 3) / 4 * 4;
  if (auto it = free_storage_.find(d.size); it != free_storage_.end()) {
    const GpuBufferId id = it->second;
    free_storage_.erase(it);
    pooled_storage_ -= d.size;
    return id;
  }
  api_.wgpuDevicePushErrorScope(device_, kErrorFilterOutOfMemory);
  BufferHandle b = api_.wgpuDeviceCreateBuffer(device_, &d);
  if (const std::string error = pop_error_scope("a buffer allocation"); !error.empty()) {
    if (b) api_.wgpuBufferRelease(b);
    throw std::runtime_error("WebGPU: cannot allocate " + std::to_string(d.size) + " bytes on " +
                             info_.adapter + " (" + error + ")");
  }
  buffers_.push_back(b);
  sizes_.push_back(d.size);
  return GpuBufferId(buffers_.size());
}

void DawnDevice::destroy_buffer(GpuBufferId id) {
  BufferHandle b = handle(id);
  // Kept for the next buffer of its size (the next pass's arena, its captures): a new buffer
  // costs an allocation, a round trip for its error scope and Dawn's clearing it. Queue order
  // makes reuse safe: whatever reads it now is submitted before whatever writes it next.
  const std::uint64_t size = sizes_[id - 1];
  if (pooled_storage_ + size <= kPoolBytes) {
    free_storage_.emplace(size, id);
    pooled_storage_ += size;
    return;
  }
  submit();  // recorded dispatches may still use it
  api_.wgpuBufferDestroy(b);
  api_.wgpuBufferRelease(b);
  buffers_[id - 1] = nullptr;
}

void DawnDevice::write(GpuBufferId id, std::size_t offset, const void* src, std::size_t n) {
  if (n == 0) return;
  submit();  // a queue write runs before any later submission: recorded work goes first
  api_.wgpuQueueWriteBuffer(queue_, handle(id), offset, src, n);
}

void DawnDevice::read_async(GpuBufferId id, std::size_t offset, void* dst, std::size_t n) {
  if (n == 0) return;
  BufferHandle staging = nullptr;
  if (auto it = free_staging_.find(n); it != free_staging_.end()) {
    staging = it->second;
    free_staging_.erase(it);
    pooled_staging_ -= n;
  } else {
    BufferDescriptor d{};
    d.usage = kBufferUsageMapRead | kBufferUsageCopyDst;
    d.size = n;
    staging = api_.wgpuDeviceCreateBuffer(device_, &d);
  }
  if (pass_) {
    api_.wgpuComputePassEncoderEnd(pass_);
    api_.wgpuComputePassEncoderRelease(pass_);
    pass_ = nullptr;
  }
  if (!encoder_) encoder_ = api_.wgpuDeviceCreateCommandEncoder(device_, nullptr);
  api_.wgpuCommandEncoderCopyBufferToBuffer(encoder_, handle(id), offset, staging, 0, n);
  pending_.push_back({staging, dst, n});
}

int DawnDevice::pipeline(std::string_view wgsl, std::string_view label) {
  api_.wgpuDevicePushErrorScope(device_, kErrorFilterValidation);
  ShaderSourceWGSL source{};
  source.chain.sType = kSTypeShaderSourceWGSL;
  source.code = view(wgsl);
  ShaderModuleDescriptor module_descriptor{};
  module_descriptor.nextInChain = &source.chain;
  module_descriptor.label = view(label);
  ShaderModule module = api_.wgpuDeviceCreateShaderModule(device_, &module_descriptor);
  ComputePipelineDescriptor d{};
  d.label = view(label);
  d.compute.module = module;
  d.compute.entryPoint = view("main");
  ComputePipeline p = api_.wgpuDeviceCreateComputePipeline(device_, &d);
  api_.wgpuShaderModuleRelease(module);
  if (const std::string error = pop_error_scope("a shader compilation"); !error.empty()) {
    if (p) api_.wgpuComputePipelineRelease(p);
    throw std::runtime_error("WebGPU: kernel " + std::string(label) +
                             " does not compile: " + error);
  }
  pipelines_.push_back({p, api_.wgpuComputePipelineGetBindGroupLayout(p, 0)});
  return int(pipelines_.size()) - 1;
}

void DawnDevice::dispatch(int pipeline, std::span<const GpuBufferId> buffers,
                          std::span<const std::uint32_t, 32> params, std::uint32_t x,
                          std::uint32_t y, std::uint32_t z) {
  if (dispatches_ == kBatchDispatches) submit();
  const Pipeline& p = pipelines_.at(std::size_t(pipeline));
  const std::size_t slot = dispatches_ * kParamSlot;
  std::memcpy(params_host_.data() + slot, params.data(), kParamBytes);
  std::vector<BindGroupEntry> entries(buffers.size() + 1);
  for (std::size_t i = 0; i < buffers.size(); i++) {
    entries[i].binding = std::uint32_t(i);
    entries[i].buffer = handle(buffers[i]);
    entries[i].size = kWholeSize;
  }
  entries.back().binding = 8;
  entries.back().buffer = params_;
  entries.back().offset = slot;
  entries.back().size = kParamBytes;
  BindGroupDescriptor bd{};
  bd.layout = p.layout;
  bd.entryCount = entries.size();
  bd.entries = entries.data();
  BindGroup group = api_.wgpuDeviceCreateBindGroup(device_, &bd);
  bind_groups_.push_back(group);
  if (!encoder_) encoder_ = api_.wgpuDeviceCreateCommandEncoder(device_, nullptr);
  if (!pass_) pass_ = api_.wgpuCommandEncoderBeginComputePass(encoder_, nullptr);
  api_.wgpuComputePassEncoderSetPipeline(pass_, p.pipeline);
  api_.wgpuComputePassEncoderSetBindGroup(pass_, 0, group, 0, nullptr);
  api_.wgpuComputePassEncoderDispatchWorkgroups(pass_, x, y, z);
  dispatches_++;
}

void DawnDevice::submit() {
  if (!encoder_) return;
  if (pass_) {
    api_.wgpuComputePassEncoderEnd(pass_);
    api_.wgpuComputePassEncoderRelease(pass_);
    pass_ = nullptr;
  }
  if (dispatches_)
    api_.wgpuQueueWriteBuffer(queue_, params_, 0, params_host_.data(), dispatches_ * kParamSlot);
  CommandBuffer commands = api_.wgpuCommandEncoderFinish(encoder_, nullptr);
  api_.wgpuCommandEncoderRelease(encoder_);
  encoder_ = nullptr;
  api_.wgpuQueueSubmit(queue_, 1, &commands);
  api_.wgpuCommandBufferRelease(commands);
  for (BindGroup g : bind_groups_) api_.wgpuBindGroupRelease(g);
  bind_groups_.clear();
  dispatches_ = 0;
}

void DawnDevice::synchronize() {
  submit();
  // Map every staging buffer of the pending reads; their maps complete after the work before
  // them, so waiting for all of them waits for everything submitted.
  // With no read queued, read 4 bytes of the sentinel: its map completes after the work.
  if (pending_.empty()) {
    read_async(sentinel_, 0, &sentinel_value_, 4);
    submit();
  }
  std::vector<Pending> pending;
  pending.swap(pending_);
  struct MapAnswer {
    bool done = false;
    std::uint32_t status = 0;
  };
  std::vector<MapAnswer> answers(pending.size());
  for (std::size_t i = 0; i < pending.size(); i++) {
    BufferMapCallbackInfo on_map{};
    on_map.mode = kCallbackModeAllowProcessEvents;
    on_map.callback = [](std::uint32_t s, StringView, void* a, void*) {
      auto* answer = static_cast<MapAnswer*>(a);
      answer->status = s;
      answer->done = true;
    };
    on_map.userdata1 = &answers[i];
    api_.wgpuBufferMapAsync(pending[i].staging, kMapModeRead, 0, pending[i].n, on_map);
  }
  std::string failure;
  for (std::size_t i = 0; i < pending.size(); i++) {
    try {
      wait(answers[i].done, "a read back");
    } catch (const std::exception& e) {
      if (failure.empty()) failure = e.what();
      continue;
    }
    if (answers[i].status == kStatusSuccess) {
      const void* data = api_.wgpuBufferGetConstMappedRange(pending[i].staging, 0, pending[i].n);
      if (data) std::memcpy(pending[i].dst, data, pending[i].n);
      api_.wgpuBufferUnmap(pending[i].staging);
    } else if (failure.empty()) {
      failure = "WebGPU: a read back failed (status " + std::to_string(answers[i].status) + ")";
    }
  }
  for (Pending& p : pending) {
    if (pooled_staging_ + p.n <= kPoolBytes) {  // the next pass reads back the same sizes
      free_staging_.emplace(p.n, p.staging);
      pooled_staging_ += p.n;
      continue;
    }
    api_.wgpuBufferDestroy(p.staging);
    api_.wgpuBufferRelease(p.staging);
  }
  throw_if_error();
  if (!failure.empty()) throw std::runtime_error(failure);
}

}  // namespace

std::unique_ptr<GpuDevice> open_dawn_device(const std::string& library, std::string* why) {
  auto device = std::make_unique<DawnDevice>();
  std::string reason;
  try {
    if (device->open(library, &reason)) return device;
  } catch (const std::exception& e) {
    reason = e.what();
  }
  if (why) *why = reason;
  return nullptr;
}

}  // namespace attnscope
