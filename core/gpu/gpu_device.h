// gpu_device.h — the few things the WebGPU backend asks of a GPU: buffers, compute pipelines
// from WGSL, dispatches, copies back to the host.
//
// One interface, two homes: natively it is Dawn's webgpu.h (webgpu_dawn.cpp); in the browser it
// is navigator.gpu, reached through JavaScript. Everything above it (the kernels' WGSL, how an
// op binds its operands, webgpu_backend.cpp) is shared, so the browser and the desktop run the
// same kernels.
//
// Work is queued: dispatch() records, and the device submits when it must (before a write or a
// read, at synchronize(), or when its batch is full), so a forward pass is a few submissions,
// not one per op. Errors (a shader that does not compile, a lost device, memory exhausted) are
// kept and thrown as std::runtime_error from the next synchronize() or read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace attnscope {

struct GpuInfo {
  std::string adapter;      // "SwiftShader Device (Subzero) (Vulkan)", "NVIDIA H200 (Vulkan)"
  bool software = false;    // a CPU adapter (SwiftShader)
  bool shader_f16 = false;  // the adapter has the shader-f16 feature
  bool subgroups = false;   // the adapter has the subgroups feature
  std::uint64_t max_binding_bytes = 0;  // maxStorageBufferBindingSize (requested at its maximum)
  std::uint64_t max_buffer_bytes = 0;   // maxBufferSize
  std::uint32_t max_workgroups_per_dimension = 0;
  std::uint32_t max_workgroup_storage_bytes = 0;
  std::uint32_t max_invocations_per_workgroup = 0;
};

// A device's buffer: storage, copy source and destination. Sizes are rounded up to 4 bytes.
using GpuBufferId = std::uint32_t;

class GpuDevice {
 public:
  virtual ~GpuDevice() = default;
  virtual const GpuInfo& info() const = 0;

  virtual GpuBufferId create_buffer(std::size_t bytes) = 0;
  virtual void destroy_buffer(GpuBufferId id) = 0;
  // Host → buffer, ordered after every dispatch already recorded. offset and n multiples of 4.
  virtual void write(GpuBufferId id, std::size_t offset, const void* src, std::size_t n) = 0;
  // Buffer → host: queued now, complete (dst filled) after synchronize(). offset and n
  // multiples of 4.
  virtual void read_async(GpuBufferId id, std::size_t offset, void* dst, std::size_t n) = 0;

  // A compute pipeline from WGSL with entry point "main", compiled once; returns its index.
  // Throws std::runtime_error with the compiler's message when the source does not compile.
  virtual int pipeline(std::string_view wgsl, std::string_view label) = 0;
  // Records one dispatch: `buffers` bound at bindings 0..n-1 (whole), the 128 bytes of `params`
  // as the uniform at binding 8.
  virtual void dispatch(int pipeline, std::span<const GpuBufferId> buffers,
                        std::span<const std::uint32_t, 32> params, std::uint32_t x, std::uint32_t y,
                        std::uint32_t z) = 0;
  // Submits what is recorded and waits for it and for every read_async().
  virtual void synchronize() = 0;
};

// The native device through Dawn's webgpu.h in the shared library at `library` (npm
// bun-webgpu-linux-x64's libwebgpu_wrapper.so). Null when it cannot be had, with the reason in
// *why: no library, no adapter, no device.
std::unique_ptr<GpuDevice> open_dawn_device(const std::string& library, std::string* why);

}  // namespace attnscope
