// bytes.h — a read-only view of bytes that keeps its storage alive: a memory-mapped file natively,
// a copy of a JavaScript ArrayBuffer in the browser, or a std::vector in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace attnscope {

struct Bytes {
  std::shared_ptr<const void> owner;  // keeps `data` valid (mapping, vector, ...)
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;

  // Drops a range of a file mapping from resident memory once it has been copied out (the pages
  // are read from the file again if touched); set only for read-only file mappings, where
  // dropping loses nothing. Loading a checkpoint so peaks near its weights' size, not the file's
  // plus the weights'.
  std::function<void(std::span<const std::uint8_t>)> release;

  std::span<const std::uint8_t> span() const { return {data, size}; }
  void drop(std::span<const std::uint8_t> range) const {
    if (release) release(range);
  }
  std::string_view text() const { return {reinterpret_cast<const char*>(data), size}; }

  static Bytes from_vector(std::vector<std::uint8_t> v) {
    auto owned = std::make_shared<std::vector<std::uint8_t>>(std::move(v));
    return Bytes{owned, owned->data(), owned->size(), {}};
  }
  static Bytes from_string(std::string_view s) {
    return from_vector(std::vector<std::uint8_t>(s.begin(), s.end()));
  }
};

}  // namespace attnscope
