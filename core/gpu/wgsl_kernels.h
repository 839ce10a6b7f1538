// wgsl_kernels.h — the WGSL compute kernels of the WebGPU backend, one per op.
//
// A kernel is written against accessors, not bindings: ldJ(i) reads element i of operand J as
// f32 (whatever its dtype: f32, or F16/BF16 weights unpacked from 32-bit words), ldiJ(i) reads an
// i32 operand, stJ(i, v) writes an f32 one (stbitsJ(i, u) its raw bits), hasJ() says whether an
// optional operand is present, pu(k) / pf(k) read parameter k as u32 / f32. Indices are relative to
// the operand's view; its offset is parameter J. webgpu_backend.cpp writes those accessors for each
// call's operands (wgsl_prelude), binding each distinct buffer once — the arena holds most operands
// of an op, and WebGPU forbids one buffer at two writable bindings whose ranges overlap.
//
// Parameters 0..7 are the operands' offsets (in elements); each kernel's own start at 8 and are
// listed at its source. Every kernel accumulates in f32, in the reference kernels' order where
// that matters (a product over k in order of k — within each split of k, the splits added in
// order — heads added in order).
#pragma once

#include <string_view>

namespace attnscope::wgsl {

extern const std::string_view add;        // 0 a += 1 b; 8 n
extern const std::string_view multiply;   // 0 a *= 1 b; 8 n
extern const std::string_view activate;   // 0 x; 8 n, 9 activation
extern const std::string_view fill;       // 0 x; 8 rows, 9 cols, 10 ld, 11 value
extern const std::string_view scale;      // 0 x; 8 rows, 9 cols, 10 ld, 11 factor
extern const std::string_view copy;       // 0 dst, 1 src; 8 rows, 9 cols, 10 ldd, 11 lds
extern const std::string_view layernorm;  // 0 out, 1 x, 2 w, 3 b?; 8 T, 9 C, 10 eps
extern const std::string_view rmsnorm;    // 0 out, 1 x, 2 w; 8 T, 9 C, 10 eps
extern const std::string_view linear;     // 0 out, 1 x, 2 w, 3 bias?; 8 T .. 15
// linear for T ≤ kLinearFewTokens rows; the second with subgroup operations ("enable subgroups;"
// goes first in its module).
extern const std::string_view linear_few;            // as linear: 8 T .. 13 ldw
extern const std::string_view linear_few_subgroups;  // as linear_few
extern const std::string_view sum_splits;            // 0 out, 1 partials, 2 bias?; 8 T .. 11 ldo
extern const std::string_view gather_rows;           // 0 out, 1 table, 2 ids; 8 n, 9 C, 10 ld
extern const std::string_view rope;              // 0 x, 1 cos/sin table; 8 T, 9 heads, 10 D, 11 R
extern const std::string_view attention;         // 0 z, 1 pattern?, 2 q, 3 k, 4 v; 8 T .. 12 scale
extern const std::string_view attention_scores;  // 0 scores, 1 q, 2 k; 8 T .. 12 scale
extern const std::string_view softmax_rows;      // 0 pattern, 1 scores; 8 rows, 9 T
extern const std::string_view attention_mix;     // 0 z, 1 pattern, 2 v; 8 T, 9 H, 10 G, 11 D
extern const std::string_view sum_heads;         // 0 out, 1 x, 2 bias?; 8 T, 9 H, 10 C

// Workgroup sizes the backend dispatches with.
inline constexpr unsigned kElementwiseGroup = 256;  // one element per invocation
inline constexpr unsigned kRowGroup = 256;          // one row per workgroup (norms, softmax)
// linear: 64 × 64 (tokens × features) tiles per group, 32 × 32 when 64s make fewer groups than
// this: more than one per multiprocessor of an H200 (132), fewer than any T = 128 product's 64s
inline constexpr unsigned kLinearFullGrid = 160;
// linear splits k when its 64 × 64 tiles make fewer groups than kLinearSplitGroups (about four per
// multiprocessor of an H200) and k is long: each split at least kLinearMinSplitK, at most
// kLinearMaxSplits splits.
inline constexpr unsigned kLinearSplitGroups = 512;
inline constexpr unsigned kLinearMinSplitK = 128;
inline constexpr unsigned kLinearMaxSplits = 8;
// linear with at most this many rows (a generation step's one token, a short prompt) runs
// linear_few: a workgroup per output column instead of 16R × 16R tiles.
inline constexpr unsigned kLinearFewTokens = 4;
// attention: a group takes 64, 32 or 16 queries of one head, the most that still make this many
// groups (about two per multiprocessor of an H200; measured in tests/bench/device_webgpu.sh)
inline constexpr unsigned kAttentionFullGrid = 256;
inline constexpr unsigned kMaxAttentionHeadDim = 256;

}  // namespace attnscope::wgsl
