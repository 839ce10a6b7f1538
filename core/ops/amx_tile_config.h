// amx_tile_config.h — the one AMX tile configuration attnscope uses: palette 1, tiles 0..7 each
// 16 rows × 64 bytes (16 × 16 floats for C, 16 × 32 bf16 for A and B). Shared by the engine's
// product (amx_gemm.cpp) and the benchmarks that probe the tiles (tests/bench/amx_probe.cpp,
// amx_diag.cpp), so that what they measure is what the engine runs. x86-64 with GCC or Clang only.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace attnscope::amx {

// The 64-byte operand of LDTILECFG (Intel SDM, "TILECFG").
struct alignas(64) TileConfig {
  std::uint8_t palette = 1, start_row = 0, reserved[14] = {};
  std::uint16_t colsb[16] = {};
  std::uint8_t rows[16] = {};
};

// Loads the configuration into this thread's tile state (tile configuration is per thread).
__attribute__((target("amx-tile"))) inline void load_tile_config_16x64() {
  TileConfig config;
  for (int i = 0; i < 8; i++) config.colsb[i] = 64, config.rows[i] = 16;
  _tile_loadconfig(&config);
}

}  // namespace attnscope::amx
