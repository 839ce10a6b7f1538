// seeded_draw.h — random draws from a seed that come out the same on every platform.
//
// The standard fixes the raw std::mt19937_64 engine's output, but not what its distributions or
// std::shuffle make of it: libstdc++ (native builds) and libc++ (the WASM build) draw differently,
// so the same seed picked different prompts in the CLI and in the browser. Draws here use only the
// engine's raw 64-bit values (rng() % m: its bias, under 2^-40 for m < 2^24, does not matter here).
#pragma once

#include <cstdint>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

namespace attnscope {

// k distinct indices of 0..n−1 in the order drawn (a partial Fisher–Yates shuffle); k = n shuffles
// all of them.
inline std::vector<int> seeded_draw(int n, int k, std::mt19937_64& rng) {
  std::vector<int> all(static_cast<std::size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  for (int i = 0; i < k && i < n; i++) {
    const int j = i + static_cast<int>(rng() % static_cast<std::uint64_t>(n - i));
    std::swap(all[static_cast<std::size_t>(i)], all[static_cast<std::size_t>(j)]);
  }
  all.resize(static_cast<std::size_t>(std::min(k, n)));
  return all;
}

// A uniform double in [0, 1) from the engine's top 53 bits: the same value on every platform.
inline double seeded_uniform(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1p-53;
}

}  // namespace attnscope
