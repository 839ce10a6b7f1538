// buffer.h — memory a backend owns, and typed views into it.
//
// A Buffer is a block of a backend's memory: host memory for the CPU backends, device memory for
// a GPU backend. Ops take Views (a buffer, a byte offset, an element type and a row stride), never
// raw pointers, so a backend can keep weights resident where it computes and the forward pass
// need not know where that is. Moving data between host and a buffer is explicit: write() and
// read() here, Backend::read_async() for captures that may be read back later.
#pragma once

#include <cstddef>
#include <cstdint>

// Element types (one enum for files and buffers): views use f32 activations and weights, the raw
// 16 bits of F16 and BF16 weights, i32 token ids.
#include "core/io/dtype.h"

namespace attnscope {

class Buffer {
 public:
  explicit Buffer(std::size_t bytes) : bytes_(bytes) {}
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  virtual ~Buffer() = default;

  std::size_t bytes() const { return bytes_; }
  // The buffer's bytes when the host can address them (CPU backends), else null: then only
  // write() and read() reach them.
  virtual std::byte* host() = 0;
  // Copies n bytes from host memory to the buffer at `offset`, or back; read() waits for every
  // op the backend has queued on the buffer.
  virtual void write(std::size_t offset, const void* src, std::size_t n) = 0;
  virtual void read(std::size_t offset, void* dst, std::size_t n) = 0;

 private:
  std::size_t bytes_;
};

// A typed region of a buffer, row-major with rows `ld` elements apart (0 when the op's operand
// is a flat array). An empty view (no buffer) is an absent optional operand, such as a bias.
struct View {
  Buffer* buffer = nullptr;
  std::size_t offset = 0;  // bytes from the buffer's start
  DType type = DType::f32;
  std::size_t ld = 0;

  explicit operator bool() const { return buffer != nullptr; }
  // The same matrix from element (row, col) on: a block of rows, or one head's columns.
  View at(std::size_t row, std::size_t col) const {
    return {buffer, offset + (row * ld + col) * dtype_size(type), type, ld};
  }
  // The same memory read with rows `stride` elements apart.
  View with_ld(std::size_t stride) const { return {buffer, offset, type, stride}; }
  // The row stride of an operand whose rows have `cols` elements: ld, or cols when flat.
  std::size_t stride(std::size_t cols) const { return ld ? ld : cols; }
  // The host address of the first element, or null when the buffer is not host memory.
  template <class T>
  T* host_as() const {
    std::byte* base = buffer ? buffer->host() : nullptr;
    return base ? reinterpret_cast<T*>(base + offset) : nullptr;
  }
};

// Elements an operand of `rows` rows of `cols` elements, rows `ld` apart, spans (the last row
// need not be padded to ld).
constexpr std::size_t span_elements(std::size_t rows, std::size_t cols, std::size_t ld) {
  return rows == 0 ? 0 : (rows - 1) * ld + cols;
}

}  // namespace attnscope
