// webgpu_c.h — the part of the webgpu.h C API that the native WebGPU device uses.
//
// Written by hand, not included: no webgpu.h in Debian or npm matches the Dawn build attnscope
// loads (npm bun-webgpu-linux-x64 0.1.7's libwebgpu_wrapper.so, a Dawn of June 2025). The
// declarations follow webgpu-native/webgpu-headers at 592137b (2025-06-20), the header of that
// month, and the static_asserts pin the structure sizes measured against that build (notes in
// ../shared/BUILD-NOTES.md), so a layout drift fails the compile instead of corrupting a call.
// The functions are not linked: webgpu_dawn.cpp looks each one up in the library at run time, so
// attnscope runs (on the CPU) where the library is absent.
#pragma once

#include <cstddef>
#include <cstdint>

namespace attnscope::wgpu {

using Flags = std::uint64_t;
using Bool = std::uint32_t;
constexpr std::size_t kStrlen = SIZE_MAX;
constexpr std::uint64_t kWholeSize = UINT64_MAX;

// Opaque handles.
using Instance = struct InstanceImpl*;
using Adapter = struct AdapterImpl*;
using Device = struct DeviceImpl*;
using Queue = struct QueueImpl*;
using BufferHandle = struct BufferImpl*;
using ShaderModule = struct ShaderModuleImpl*;
using ComputePipeline = struct ComputePipelineImpl*;
using BindGroupLayout = struct BindGroupLayoutImpl*;
using BindGroup = struct BindGroupImpl*;
using CommandEncoder = struct CommandEncoderImpl*;
using ComputePassEncoder = struct ComputePassEncoderImpl*;
using CommandBuffer = struct CommandBufferImpl*;

struct StringView {
  const char* data;
  std::size_t length;
};

struct ChainedStruct {
  ChainedStruct* next;
  std::uint32_t sType;
};

// Enumerations: only the values used.
constexpr std::uint32_t kCallbackModeAllowProcessEvents = 2;
constexpr std::uint32_t kStatusSuccess =
    1;  // RequestAdapter, RequestDevice, MapAsync, PopErrorScope
constexpr std::uint32_t kSTypeShaderSourceWGSL = 2;
constexpr std::uint32_t kFeatureLevelCore = 2;
constexpr std::uint32_t kPowerPreferenceHighPerformance = 2;
constexpr std::uint32_t kFeatureShaderF16 = 0x0A;
constexpr std::uint32_t kFeatureSubgroups = 0x11;
constexpr std::uint32_t kErrorFilterValidation = 1;
constexpr std::uint32_t kErrorFilterOutOfMemory = 2;
constexpr std::uint32_t kErrorTypeNoError = 1;
constexpr std::uint32_t kAdapterTypeCpu = 3;
constexpr std::uint32_t kBackendTypeNull = 1;
constexpr Flags kBufferUsageMapRead = 0x1;
constexpr Flags kBufferUsageCopySrc = 0x4;
constexpr Flags kBufferUsageCopyDst = 0x8;
constexpr Flags kBufferUsageUniform = 0x40;
constexpr Flags kBufferUsageStorage = 0x80;
constexpr Flags kMapModeRead = 0x1;

struct Future {
  std::uint64_t id;
};

struct RequestAdapterOptions {
  ChainedStruct* nextInChain;
  std::uint32_t featureLevel;
  std::uint32_t powerPreference;
  Bool forceFallbackAdapter;
  std::uint32_t backendType;
  void* compatibleSurface;
};
static_assert(sizeof(RequestAdapterOptions) == 32);

using RequestAdapterCallback = void (*)(std::uint32_t status, Adapter adapter, StringView message,
                                        void* userdata1, void* userdata2);
struct RequestAdapterCallbackInfo {
  ChainedStruct* nextInChain;
  std::uint32_t mode;
  RequestAdapterCallback callback;
  void* userdata1;
  void* userdata2;
};

struct AdapterInfo {
  ChainedStruct* nextInChain;
  StringView vendor;
  StringView architecture;
  StringView device;
  StringView description;
  std::uint32_t backendType;
  std::uint32_t adapterType;
  std::uint32_t vendorID;
  std::uint32_t deviceID;
  std::uint32_t subgroupMinSize;
  std::uint32_t subgroupMaxSize;
};
static_assert(sizeof(AdapterInfo) == 96);

struct Limits {
  ChainedStruct* nextInChain;
  std::uint32_t maxTextureDimension1D;
  std::uint32_t maxTextureDimension2D;
  std::uint32_t maxTextureDimension3D;
  std::uint32_t maxTextureArrayLayers;
  std::uint32_t maxBindGroups;
  std::uint32_t maxBindGroupsPlusVertexBuffers;
  std::uint32_t maxBindingsPerBindGroup;
  std::uint32_t maxDynamicUniformBuffersPerPipelineLayout;
  std::uint32_t maxDynamicStorageBuffersPerPipelineLayout;
  std::uint32_t maxSampledTexturesPerShaderStage;
  std::uint32_t maxSamplersPerShaderStage;
  std::uint32_t maxStorageBuffersPerShaderStage;
  std::uint32_t maxStorageTexturesPerShaderStage;
  std::uint32_t maxUniformBuffersPerShaderStage;
  std::uint64_t maxUniformBufferBindingSize;
  std::uint64_t maxStorageBufferBindingSize;
  std::uint32_t minUniformBufferOffsetAlignment;
  std::uint32_t minStorageBufferOffsetAlignment;
  std::uint32_t maxVertexBuffers;
  std::uint64_t maxBufferSize;
  std::uint32_t maxVertexAttributes;
  std::uint32_t maxVertexBufferArrayStride;
  std::uint32_t maxInterStageShaderVariables;
  std::uint32_t maxColorAttachments;
  std::uint32_t maxColorAttachmentBytesPerSample;
  std::uint32_t maxComputeWorkgroupStorageSize;
  std::uint32_t maxComputeInvocationsPerWorkgroup;
  std::uint32_t maxComputeWorkgroupSizeX;
  std::uint32_t maxComputeWorkgroupSizeY;
  std::uint32_t maxComputeWorkgroupSizeZ;
  std::uint32_t maxComputeWorkgroupsPerDimension;
  std::uint32_t maxImmediateSize;
};
static_assert(sizeof(Limits) == 152);

struct QueueDescriptor {
  ChainedStruct* nextInChain;
  StringView label;
};

using DeviceLostCallback = void (*)(const Device* device, std::uint32_t reason, StringView message,
                                    void* userdata1, void* userdata2);
struct DeviceLostCallbackInfo {
  ChainedStruct* nextInChain;
  std::uint32_t mode;
  DeviceLostCallback callback;
  void* userdata1;
  void* userdata2;
};

using UncapturedErrorCallback = void (*)(const Device* device, std::uint32_t type,
                                         StringView message, void* userdata1, void* userdata2);
struct UncapturedErrorCallbackInfo {
  ChainedStruct* nextInChain;
  UncapturedErrorCallback callback;
  void* userdata1;
  void* userdata2;
};

struct DeviceDescriptor {
  ChainedStruct* nextInChain;
  StringView label;
  std::size_t requiredFeatureCount;
  const std::uint32_t* requiredFeatures;
  const Limits* requiredLimits;
  QueueDescriptor defaultQueue;
  DeviceLostCallbackInfo deviceLostCallbackInfo;
  UncapturedErrorCallbackInfo uncapturedErrorCallbackInfo;
};
static_assert(sizeof(DeviceDescriptor) == 144);

using RequestDeviceCallback = void (*)(std::uint32_t status, Device device, StringView message,
                                       void* userdata1, void* userdata2);
struct RequestDeviceCallbackInfo {
  ChainedStruct* nextInChain;
  std::uint32_t mode;
  RequestDeviceCallback callback;
  void* userdata1;
  void* userdata2;
};

struct BufferDescriptor {
  ChainedStruct* nextInChain;
  StringView label;
  Flags usage;
  std::uint64_t size;
  Bool mappedAtCreation;
};
static_assert(sizeof(BufferDescriptor) == 48);

struct ShaderSourceWGSL {
  ChainedStruct chain;
  StringView code;
};
struct ShaderModuleDescriptor {
  ChainedStruct* nextInChain;
  StringView label;
};

struct ConstantEntry {
  ChainedStruct* nextInChain;
  StringView key;
  double value;
};
struct ComputeState {
  ChainedStruct* nextInChain;
  ShaderModule module;
  StringView entryPoint;
  std::size_t constantCount;
  const ConstantEntry* constants;
};
struct ComputePipelineDescriptor {
  ChainedStruct* nextInChain;
  StringView label;
  void* layout;  // null: the layout is derived from the shader
  ComputeState compute;
};
static_assert(sizeof(ComputePipelineDescriptor) == 80);

struct BindGroupEntry {
  ChainedStruct* nextInChain;
  std::uint32_t binding;
  BufferHandle buffer;
  std::uint64_t offset;
  std::uint64_t size;
  void* sampler;
  void* textureView;
};
static_assert(sizeof(BindGroupEntry) == 56);

struct BindGroupDescriptor {
  ChainedStruct* nextInChain;
  StringView label;
  BindGroupLayout layout;
  std::size_t entryCount;
  const BindGroupEntry* entries;
};

struct CommandEncoderDescriptor {
  ChainedStruct* nextInChain;
  StringView label;
};
struct ComputePassDescriptor {
  ChainedStruct* nextInChain;
  StringView label;
  const void* timestampWrites;
};
struct CommandBufferDescriptor {
  ChainedStruct* nextInChain;
  StringView label;
};

using BufferMapCallback = void (*)(std::uint32_t status, StringView message, void* userdata1,
                                   void* userdata2);
struct BufferMapCallbackInfo {
  ChainedStruct* nextInChain;
  std::uint32_t mode;
  BufferMapCallback callback;
  void* userdata1;
  void* userdata2;
};

using PopErrorScopeCallback = void (*)(std::uint32_t status, std::uint32_t type, StringView message,
                                       void* userdata1, void* userdata2);
struct PopErrorScopeCallbackInfo {
  ChainedStruct* nextInChain;
  std::uint32_t mode;
  PopErrorScopeCallback callback;
  void* userdata1;
  void* userdata2;
};

// The entry points, looked up by name (webgpu_dawn.cpp). X(return type, name, parameters).
#define ATTNSCOPE_WGPU_FUNCTIONS(X)                                                               \
  X(Instance, wgpuCreateInstance, (const void* descriptor))                                       \
  X(Future, wgpuInstanceRequestAdapter,                                                           \
    (Instance, const RequestAdapterOptions*, RequestAdapterCallbackInfo))                         \
  X(void, wgpuInstanceProcessEvents, (Instance))                                                  \
  X(void, wgpuInstanceRelease, (Instance))                                                        \
  X(std::uint32_t, wgpuAdapterGetLimits, (Adapter, Limits*))                                      \
  X(std::uint32_t, wgpuAdapterGetInfo, (Adapter, AdapterInfo*))                                   \
  X(void, wgpuAdapterInfoFreeMembers, (AdapterInfo))                                              \
  X(Bool, wgpuAdapterHasFeature, (Adapter, std::uint32_t))                                        \
  X(Future, wgpuAdapterRequestDevice,                                                             \
    (Adapter, const DeviceDescriptor*, RequestDeviceCallbackInfo))                                \
  X(void, wgpuAdapterRelease, (Adapter))                                                          \
  X(Queue, wgpuDeviceGetQueue, (Device))                                                          \
  X(BufferHandle, wgpuDeviceCreateBuffer, (Device, const BufferDescriptor*))                      \
  X(ShaderModule, wgpuDeviceCreateShaderModule, (Device, const ShaderModuleDescriptor*))          \
  X(ComputePipeline, wgpuDeviceCreateComputePipeline, (Device, const ComputePipelineDescriptor*)) \
  X(BindGroup, wgpuDeviceCreateBindGroup, (Device, const BindGroupDescriptor*))                   \
  X(CommandEncoder, wgpuDeviceCreateCommandEncoder, (Device, const CommandEncoderDescriptor*))    \
  X(void, wgpuDevicePushErrorScope, (Device, std::uint32_t))                                      \
  X(Future, wgpuDevicePopErrorScope, (Device, PopErrorScopeCallbackInfo))                         \
  X(void, wgpuDeviceDestroy, (Device))                                                            \
  X(void, wgpuDeviceRelease, (Device))                                                            \
  X(void, wgpuQueueWriteBuffer, (Queue, BufferHandle, std::uint64_t, const void*, std::size_t))   \
  X(void, wgpuQueueSubmit, (Queue, std::size_t, const CommandBuffer*))                            \
  X(void, wgpuQueueRelease, (Queue))                                                              \
  X(Future, wgpuBufferMapAsync,                                                                   \
    (BufferHandle, Flags, std::size_t, std::size_t, BufferMapCallbackInfo))                       \
  X(const void*, wgpuBufferGetConstMappedRange, (BufferHandle, std::size_t, std::size_t))         \
  X(void, wgpuBufferUnmap, (BufferHandle))                                                        \
  X(void, wgpuBufferDestroy, (BufferHandle))                                                      \
  X(void, wgpuBufferRelease, (BufferHandle))                                                      \
  X(void, wgpuShaderModuleRelease, (ShaderModule))                                                \
  X(BindGroupLayout, wgpuComputePipelineGetBindGroupLayout, (ComputePipeline, std::uint32_t))     \
  X(void, wgpuComputePipelineRelease, (ComputePipeline))                                          \
  X(void, wgpuBindGroupLayoutRelease, (BindGroupLayout))                                          \
  X(void, wgpuBindGroupRelease, (BindGroup))                                                      \
  X(ComputePassEncoder, wgpuCommandEncoderBeginComputePass,                                       \
    (CommandEncoder, const ComputePassDescriptor*))                                               \
  X(void, wgpuCommandEncoderCopyBufferToBuffer,                                                   \
    (CommandEncoder, BufferHandle, std::uint64_t, BufferHandle, std::uint64_t, std::uint64_t))    \
  X(CommandBuffer, wgpuCommandEncoderFinish, (CommandEncoder, const CommandBufferDescriptor*))    \
  X(void, wgpuCommandEncoderRelease, (CommandEncoder))                                            \
  X(void, wgpuComputePassEncoderSetPipeline, (ComputePassEncoder, ComputePipeline))               \
  X(void, wgpuComputePassEncoderSetBindGroup,                                                     \
    (ComputePassEncoder, std::uint32_t, BindGroup, std::size_t, const std::uint32_t*))            \
  X(void, wgpuComputePassEncoderDispatchWorkgroups,                                               \
    (ComputePassEncoder, std::uint32_t, std::uint32_t, std::uint32_t))                            \
  X(void, wgpuComputePassEncoderEnd, (ComputePassEncoder))                                        \
  X(void, wgpuComputePassEncoderRelease, (ComputePassEncoder))                                    \
  X(void, wgpuCommandBufferRelease, (CommandBuffer))

}  // namespace attnscope::wgpu
