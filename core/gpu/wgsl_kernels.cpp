// wgsl_kernels.cpp — the kernels' WGSL (see wgsl_kernels.h for the accessors and parameters).
//
// Large element counts are dispatched as a 2-D grid of workgroups (at most 65535 per dimension):
// a kernel's linear workgroup index is wg.y · nwg.x + wg.x. Infinities are never computed with
// (WGSL leaves their arithmetic to the implementation): a masked score is written as the bits
// of −inf (stbitsJ) and recognised by comparison.
#include "core/gpu/wgsl_kernels.h"

namespace attnscope::wgsl {

#define ATTNSCOPE_ELEMENTWISE_ENTRY                                                          \
  "@compute @workgroup_size(256)\n"                                                          \
  "fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,\n" \
  "        @builtin(local_invocation_index) li: u32) {\n"                                    \
  "  let i = (wg.y * nwg.x + wg.x) * 256u + li;\n"

const std::string_view add = ATTNSCOPE_ELEMENTWISE_ENTRY R"(
  if (i >= pu(8u)) { return; }
  st0(i, ld0(i) + ld1(i));
}
)";

const std::string_view multiply = ATTNSCOPE_ELEMENTWISE_ENTRY R"(
  if (i >= pu(8u)) { return; }
  st0(i, ld0(i) * ld1(i));
}
)";

// Activation codes: 0 exact GELU, 1 tanh GELU, 2 SiLU, 3 ReLU (as Activation's order).
// erf by Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7); WGSL has no erf.
const std::string_view activate = R"(
fn erf_as(x: f32) -> f32 {
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 +
             t * 1.061405429))));
  return sign(x) * (1.0 - poly * exp(-a * a));
}
fn tanh_safe(x: f32) -> f32 {
  let e = exp(-2.0 * min(abs(x), 20.0));
  return sign(x) * (1.0 - e) / (1.0 + e);
}
)" ATTNSCOPE_ELEMENTWISE_ENTRY R"(
  if (i >= pu(8u)) { return; }
  let x = ld0(i);
  var y = 0.0;
  switch pu(9u) {
    case 0u: { y = 0.5 * x * (1.0 + erf_as(x * 0.70710678118654752)); }
    case 1u: { y = 0.5 * x * (1.0 + tanh_safe(0.79788456080286536 * (x + 0.044715 * x * x * x))); }
    case 2u: { y = x / (1.0 + exp(min(-x, 80.0))); }
    default: { y = max(x, 0.0); }
  }
  st0(i, y);
}
)";

const std::string_view fill = ATTNSCOPE_ELEMENTWISE_ENTRY R"(
  let cols = pu(9u);
  if (i >= pu(8u) * cols) { return; }
  st0((i / cols) * pu(10u) + i % cols, pf(11u));
}
)";

const std::string_view scale = ATTNSCOPE_ELEMENTWISE_ENTRY R"(
  let cols = pu(9u);
  if (i >= pu(8u) * cols) { return; }
  let e = (i / cols) * pu(10u) + i % cols;
  st0(e, ld0(e) * pf(11u));
}
)";

const std::string_view copy = ATTNSCOPE_ELEMENTWISE_ENTRY R"(
  let cols = pu(9u);
  if (i >= pu(8u) * cols) { return; }
  let r = i / cols;
  let c = i % cols;
  st0(r * pu(10u) + c, ld1(r * pu(11u) + c));
}
)";

// Row kernels: one row per workgroup of 256. The reductions hand back their result through
// workgroupUniformLoad, so WGSL's uniformity analysis knows every invocation holds the same value
// and a row may return early on it (softmax's all-masked row) before later barriers.
#define ATTNSCOPE_ROW_ENTRY                                                                  \
  "var<workgroup> red: array<f32, 256>;\n"                                                   \
  "fn reduce_sum(li: u32, v: f32) -> f32 {\n"                                                \
  "  red[li] = v;\n"                                                                         \
  "  workgroupBarrier();\n"                                                                  \
  "  for (var s = 128u; s > 0u; s = s >> 1u) {\n"                                            \
  "    if (li < s) { red[li] = red[li] + red[li + s]; }\n"                                   \
  "    workgroupBarrier();\n"                                                                \
  "  }\n"                                                                                    \
  "  let r = workgroupUniformLoad(&red[0]);\n"                                               \
  "  workgroupBarrier();\n"                                                                  \
  "  return r;\n"                                                                            \
  "}\n"                                                                                      \
  "fn reduce_max(li: u32, v: f32) -> f32 {\n"                                                \
  "  red[li] = v;\n"                                                                         \
  "  workgroupBarrier();\n"                                                                  \
  "  for (var s = 128u; s > 0u; s = s >> 1u) {\n"                                            \
  "    if (li < s) { red[li] = max(red[li], red[li + s]); }\n"                               \
  "    workgroupBarrier();\n"                                                                \
  "  }\n"                                                                                    \
  "  let r = workgroupUniformLoad(&red[0]);\n"                                               \
  "  workgroupBarrier();\n"                                                                  \
  "  return r;\n"                                                                            \
  "}\n"                                                                                      \
  "@compute @workgroup_size(256)\n"                                                          \
  "fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,\n" \
  "        @builtin(local_invocation_index) li: u32) {\n"                                    \
  "  let row = wg.y * nwg.x + wg.x;\n"

// Mean first, then the variance around it (two passes, as the reference).
const std::string_view layernorm = ATTNSCOPE_ROW_ENTRY R"(
  let C = pu(9u);
  if (row >= pu(8u)) { return; }
  let base = row * C;
  var s = 0.0;
  for (var c = li; c < C; c = c + 256u) { s = s + ld1(base + c); }
  let mean = reduce_sum(li, s) / f32(C);
  var v = 0.0;
  for (var c = li; c < C; c = c + 256u) { let d = ld1(base + c) - mean; v = v + d * d; }
  let rstd = 1.0 / sqrt(reduce_sum(li, v) / f32(C) + pf(10u));
  for (var c = li; c < C; c = c + 256u) {
    var y = (ld1(base + c) - mean) * rstd * ld2(c);
    if (has3()) { y = y + ld3(c); }
    st0(base + c, y);
  }
}
)";

const std::string_view rmsnorm = ATTNSCOPE_ROW_ENTRY R"(
  let C = pu(9u);
  if (row >= pu(8u)) { return; }
  let base = row * C;
  var s = 0.0;
  for (var c = li; c < C; c = c + 256u) { let x = ld1(base + c); s = s + x * x; }
  let rstd = 1.0 / sqrt(reduce_sum(li, s) / f32(C) + pf(10u));
  for (var c = li; c < C; c = c + 256u) { st0(base + c, ld1(base + c) * rstd * ld2(c)); }
}
)";

// One softmax row per workgroup; a row that is all −inf (possible only under an intervention)
// becomes zeros, as in the reference.
const std::string_view softmax_rows = ATTNSCOPE_ROW_ENTRY R"(
  let T = pu(9u);
  if (row >= pu(8u)) { return; }
  let base = row * T;
  var m = -3.4e38;
  for (var j = li; j < T; j = j + 256u) { m = max(m, ld1(base + j)); }
  m = reduce_max(li, m);
  if (m < -3.0e38) {
    for (var j = li; j < T; j = j + 256u) { st0(base + j, 0.0); }
    return;
  }
  var s = 0.0;
  for (var j = li; j < T; j = j + 256u) {
    let x = ld1(base + j);
    if (x >= -3.0e38) { s = s + exp(x - m); }
  }
  let inv = 1.0 / reduce_sum(li, s);
  for (var j = li; j < T; j = j + 256u) {
    let x = ld1(base + j);
    var p = 0.0;
    if (x >= -3.0e38) { p = exp(x - m) * inv; }
    st0(base + j, p);
  }
}
)";

// out[t, n] = Σ_k x[t, k] · w[n, k] + bias[n]. A workgroup of 16 × 16 invocations computes a
// tile of 16R × 16R outputs, R × R each, stepping through k 16 at a time with both operands'
// slices in workgroup memory. R (4: 64 × 64 tiles; 2: 32 × 32 for grids too small to fill the
// GPU) is a constant the backend puts before this source (linear_rows). Each invocation loads
// the next k step's operands into registers before it multiplies the current step, so the
// global loads' latency hides behind the products (H200, tests/bench/results/
// device_webgpu_linear_variants.txt: GPT-2 small with patterns 5.56 → 4.93 ms at T = 128,
// 23.6 → 22.2 ms at T = 1024; tiles of 64 × 128 and 128 × 128 ran the four block products
// faster but the forward slower, so they were not kept). Split over k (too few tiles to fill
// the GPU, and a long k): workgroup z takes k in [z·kc, z·kc + kc) and writes its partial sums
// at z · split stride, without the bias; sum_splits adds them. Parameters: 8 T, 9 K, 10 N,
// 11 ldo, 12 ldx, 13 ldw, 14 kc (K when not split), 15 split stride.
const std::string_view linear = R"(
// Shared tiles stored k-major with a row of padding (stride 16R + 1): a thread's reads of one k
// walk consecutive words (no bank conflicts), and the loads from global memory stay along k.
const TILE = 16u * R;
const STRIDE = TILE + 1u;
var<workgroup> xs: array<f32, 16u * STRIDE>;
var<workgroup> ws: array<f32, 16u * STRIDE>;
var<private> xr: array<f32, R>;  // this invocation's share of the next k step
var<private> wr: array<f32, R>;
// Element e = li + 256r of a 16R × 16 slice is row e / 16, k e % 16.
fn load_step(k0: u32, K: u32, t0: u32, n0: u32, li: u32) {
  for (var r = 0u; r < R; r = r + 1u) {
    let e = li + r * 256u;
    let row = e / 16u;
    let k = k0 + e % 16u;
    var xv = 0.0;
    if (t0 + row < pu(8u) && k < K) { xv = ld1((t0 + row) * pu(12u) + k); }
    xr[r] = xv;
    var wv = 0.0;
    if (n0 + row < pu(10u) && k < K) { wv = ld2((n0 + row) * pu(13u) + k); }
    wr[r] = wv;
  }
}
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let T = pu(8u);
  let N = pu(10u);
  let kb = wg.z * pu(14u);
  let K = min(pu(9u), kb + pu(14u));  // this workgroup's end of k
  let t0 = wg.y * TILE;
  let n0 = wg.x * TILE;
  let li = lid.y * 16u + lid.x;
  // Thread (x, y) computes rows t0 + y + 16i and columns n0 + x + 16j, i, j < R.
  var acc: array<f32, R * R>;
  load_step(kb, K, t0, n0, li);
  for (var k0 = kb; k0 < K; k0 = k0 + 16u) {
    for (var r = 0u; r < R; r = r + 1u) {
      let e = li + r * 256u;
      xs[(e % 16u) * STRIDE + e / 16u] = xr[r];
      ws[(e % 16u) * STRIDE + e / 16u] = wr[r];
    }
    workgroupBarrier();
    if (k0 + 16u < K) { load_step(k0 + 16u, K, t0, n0, li); }
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {
      var a: array<f32, R>;
      var b: array<f32, R>;
      for (var i = 0u; i < R; i = i + 1u) {
        a[i] = xs[kk * STRIDE + lid.y + 16u * i];
        b[i] = ws[kk * STRIDE + lid.x + 16u * i];
      }
      for (var i = 0u; i < R; i = i + 1u) {
        for (var j = 0u; j < R; j = j + 1u) { acc[i * R + j] = fma(a[i], b[j], acc[i * R + j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < R; i = i + 1u) {
    let t = t0 + lid.y + 16u * i;
    for (var j = 0u; j < R; j = j + 1u) {
      let n = n0 + lid.x + 16u * j;
      if (t < T && n < N) {
        var y = acc[i * R + j];
        if (has3()) { y = y + ld3(n); }
        st0(wg.z * pu(15u) + t * pu(11u) + n, y);
      }
    }
  }
}
)";

// linear for a few tokens (T ≤ TT, a generation step's one): the 16R × 16R tiles above would
// leave all but T of their rows idle, so here a workgroup of 64 invocations takes one output
// column n for all T rows. Invocation li sums k ≡ li (mod 64), in order of k, for each row (the
// group's loads of w walk 64 consecutive words of row n); the 64 partial sums are then added
// across the group: in workgroup memory by a tree of 6 steps (linear_few), or
// (linear_few_subgroups, when the adapter has subgroups) each subgroup's by subgroupAdd and those,
// at most 64, in order of their first invocation: a subgroup's first invocation puts its sum in its
// slot of red and every other invocation a zero, so adding all 64 slots in order gives that sum
// whatever the subgroups' size and layout (WGSL promises neither), and the same bits on every run.
// Parameters as linear's: 8 T, 9 K, 10 N, 11 ldo, 12 ldx, 13 ldw; TT is a constant the backend puts
// before the source.
#define ATTNSCOPE_LINEAR_FEW_SUMS                                                      \
  "  let T = pu(8u);\n"                                                                \
  "  let K = pu(9u);\n"                                                                \
  "  let N = pu(10u);\n"                                                               \
  "  let col = wg.y * nwg.x + wg.x;\n"                                                 \
  "  let n = min(col, N - 1u);  // a group past N repeats the last column, unstored\n" \
  "  var acc: array<f32, TT>;\n"                                                       \
  "  for (var k = li; k < K; k = k + 64u) {\n"                                         \
  "    let w = ld2(n * pu(13u) + k);\n"                                                \
  "    for (var t = 0u; t < TT; t = t + 1u) {\n"                                       \
  "      if (t < T) { acc[t] = fma(ld1(t * pu(12u) + k), w, acc[t]); }\n"              \
  "    }\n"                                                                            \
  "  }\n"
#define ATTNSCOPE_LINEAR_FEW_STORE(sum)         \
  "  if (li == 0u && col < N) {\n"              \
  "    for (var t = 0u; t < T; t = t + 1u) {\n" \
  "      var y = " sum                          \
  ";\n"                                         \
  "      if (has3()) { y = y + ld3(n); }\n"     \
  "      st0(t * pu(11u) + n, y);\n"            \
  "    }\n"                                     \
  "  }\n"                                       \
  "}\n"

const std::string_view linear_few =
    "var<workgroup> red: array<f32, TT * 64u>;\n"
    "@compute @workgroup_size(64)\n"
    "fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,\n"
    "        @builtin(local_invocation_index) li: u32) {\n" ATTNSCOPE_LINEAR_FEW_SUMS
    "  for (var t = 0u; t < TT; t = t + 1u) { red[t * 64u + li] = acc[t]; }\n"
    "  workgroupBarrier();\n"
    "  for (var s = 32u; s > 0u; s = s >> 1u) {\n"
    "    if (li < s) {\n"
    "      for (var t = 0u; t < TT; t = t + 1u) {\n"
    "        red[t * 64u + li] = red[t * 64u + li] + red[t * 64u + li + s];\n"
    "      }\n"
    "    }\n"
    "    workgroupBarrier();\n"
    "  }\n" ATTNSCOPE_LINEAR_FEW_STORE("red[t * 64u]");

const std::string_view linear_few_subgroups =
    "var<workgroup> red: array<f32, TT * 64u>;\n"
    "@compute @workgroup_size(64)\n"
    "fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,\n"
    "        @builtin(local_invocation_index) li: u32) {\n" ATTNSCOPE_LINEAR_FEW_SUMS
    "  let first = subgroupBroadcastFirst(li);\n"
    "  for (var t = 0u; t < TT; t = t + 1u) {\n"
    "    let s = subgroupAdd(acc[t]);\n"
    "    red[t * 64u + li] = select(0.0, s, li == first);\n"
    "  }\n"
    "  workgroupBarrier();\n"
    "  var sums: array<f32, TT>;\n"
    "  if (li == 0u) {\n"
    "    for (var t = 0u; t < TT; t = t + 1u) {\n"
    "      for (var i = 0u; i < 64u; i = i + 1u) { sums[t] = sums[t] + red[t * 64u + i]; }\n"
    "    }\n"
    "  }\n" ATTNSCOPE_LINEAR_FEW_STORE("sums[t]");

// out[t, n] = Σ_s partial[s][t, n] + bias[n], the splits added in order (partials dense, T × N).
const std::string_view sum_splits = ATTNSCOPE_ELEMENTWISE_ENTRY R"(
  let T = pu(8u);
  let N = pu(9u);
  if (i >= T * N) { return; }
  var y = 0.0;
  for (var s = 0u; s < pu(10u); s = s + 1u) { y = y + ld1(s * T * N + i); }
  if (has2()) { y = y + ld2(i % N); }
  st0((i / N) * pu(11u) + i % N, y);
}
)";

const std::string_view gather_rows = ATTNSCOPE_ELEMENTWISE_ENTRY R"(
  let C = pu(9u);
  if (i >= pu(8u) * C) { return; }
  let id = u32(ldi2(i / C));
  st0(i, ld1(id * pu(10u) + i % C));
}
)";

// The cos/sin table (operand 1, [T][R/2][2]) is computed on the host exactly as the reference
// does, so that angles at large positions match it: f32 sin and cos of large arguments differ
// between implementations.
const std::string_view rope = ATTNSCOPE_ELEMENTWISE_ENTRY R"(
  let heads = pu(9u);
  let D = pu(10u);
  let half = pu(11u) / 2u;
  if (i >= pu(8u) * heads * half) { return; }
  let j = i % half;
  let h = (i / half) % heads;
  let t = i / (half * heads);
  let base = (t * heads + h) * D;
  let a = ld0(base + j);
  let b = ld0(base + j + half);
  let c = ld1((t * half + j) * 2u);
  let s = ld1((t * half + j) * 2u + 1u);
  st0(base + j, a * c - b * s);
  st0(base + j + half, b * c + a * s);
}
)";

const std::string_view attention_scores = ATTNSCOPE_ELEMENTWISE_ENTRY R"(
  let T = pu(8u);
  let H = pu(9u);
  let G = pu(10u);
  let D = pu(11u);
  if (i >= H * T * T) { return; }
  let j = i % T;
  let t = (i / T) % T;
  let h = i / (T * T);
  if (j > t) {
    stbits0(i, 0xff800000u);  // −inf (a constant −inf is not valid WGSL)
    return;
  }
  let g = h / (H / G);
  var s = 0.0;
  for (var d = 0u; d < D; d = d + 1u) { s = s + ld1((t * H + h) * D + d) * ld2((j * G + g) * D + d); }
  st0(i, s * pf(12u));
}
)";

const std::string_view attention_mix = ATTNSCOPE_ELEMENTWISE_ENTRY R"(
  let T = pu(8u);
  let H = pu(9u);
  let G = pu(10u);
  let D = pu(11u);
  if (i >= T * H * D) { return; }
  let d = i % D;
  let h = (i / D) % H;
  let t = i / (H * D);
  let g = h / (H / G);
  var z = 0.0;
  for (var j = 0u; j < T; j = j + 1u) {
    let p = ld1((h * T + t) * T + j);
    if (p != 0.0) { z = z + p * ld2((j * G + g) * D + d); }
  }
  st0(i, z);
}
)";

// Causal attention, tiled: a workgroup of 16 × 16 invocations takes QB = 16 · RQ queries of one
// head and walks their keys 64 at a time (thread (x, y): queries t0 + y + 16i, i < RQ, keys
// j0 + x + 16j, j < 4). A block's scores are a QB × 64 product over the head dimension, 16 at a
// time through workgroup memory, as in linear. Two passes over the key blocks: the first keeps
// each row's running maximum and sum of exponentials (combined across the row's 16 threads at the
// end), the second recomputes the scores, forms the exact pattern — written when it is captured —
// and adds pattern × V into the outputs, 16 keys and 64 head dimensions at a time. So z and the
// pattern come from the same probabilities, and the scores never leave the chip. Workgroup memory
// is one array of 4096 words (WebGPU's guaranteed 16 KiB), its regions reused between steps.
// Fewer rows per thread (RQ) make more, lighter workgroups: the backend picks RQ so a pass fills
// the GPU (a T = 1024, 12-head pass has only 192 groups of 64 queries). Groups take query blocks
// from the last back, so the causal mask's heaviest blocks start first and the light ones fill the
// tail. RQ and DJ = ceil(D / 16) (each thread holds RQ × DJ outputs) are constants the backend
// puts before this source. Parameters: 8 T, 9 H, 10 G, 11 D (≤ 256), 12 scale, 13 P: the queries
// are positions P..P+T−1 of S = P + T keys (a generation step with a key/value cache; P = 0 for a
// whole sequence), query t sees keys 0..P+t, and the pattern is [H, T, S].
const std::string_view attention = R"(
var<workgroup> sm: array<f32, 4096>;
var<private> s: array<f32, 4u * RQ>;
var<private> acc: array<f32, RQ * DJ>;
// s = the scores of queries t0.. against keys j0.., unscaled, unmasked.
fn score_tile(t0: u32, j0: u32, h: u32, g: u32, lid: vec3<u32>) {
  let T = pu(8u);
  let H = pu(9u);
  let G = pu(10u);
  let D = pu(11u);
  let S = pu(13u) + T;
  let li = lid.y * 16u + lid.x;
  for (var e = 0u; e < 4u * RQ; e = e + 1u) { s[e] = 0.0; }
  for (var d0 = 0u; d0 < D; d0 = d0 + 16u) {
    for (var r = 0u; r < 4u; r = r + 1u) {
      let e = li + r * 256u;
      let row = e / 16u;
      let d = d0 + e % 16u;
      if (r < RQ) {
        var qv = 0.0;
        if (t0 + row < T && d < D) { qv = ld2(((t0 + row) * H + h) * D + d); }
        sm[(e % 16u) * 65u + row] = qv;
      }
      var kv = 0.0;
      if (j0 + row < S && d < D) { kv = ld3(((j0 + row) * G + g) * D + d); }
      sm[1040u + (e % 16u) * 65u + row] = kv;
    }
    workgroupBarrier();
    for (var dd = 0u; dd < 16u; dd = dd + 1u) {
      var a: array<f32, RQ>;
      var b: array<f32, 4>;
      for (var i = 0u; i < RQ; i = i + 1u) { a[i] = sm[dd * 65u + lid.y + 16u * i]; }
      for (var j = 0u; j < 4u; j = j + 1u) { b[j] = sm[1040u + dd * 65u + lid.x + 16u * j]; }
      for (var i = 0u; i < RQ; i = i + 1u) {
        for (var j = 0u; j < 4u; j = j + 1u) { s[i * 4u + j] = fma(a[i], b[j], s[i * 4u + j]); }
      }
    }
    workgroupBarrier();
  }
}
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let T = pu(8u);
  let H = pu(9u);
  let G = pu(10u);
  let D = pu(11u);
  let scale = pf(12u);
  let P = pu(13u);
  let S = P + T;
  let QB = 16u * RQ;
  let t0 = (nwg.x - 1u - wg.x) * QB;
  let h = wg.y;
  let g = h / (H / G);
  let li = lid.y * 16u + lid.x;
  let blocks = (P + min(T, t0 + QB) - 1u) / 64u + 1u;  // the key blocks any of these queries sees
  var m: array<f32, RQ>;
  var l: array<f32, RQ>;
  for (var i = 0u; i < RQ; i = i + 1u) { m[i] = -3.4e38; l[i] = 0.0; }
  for (var b = 0u; b < blocks; b = b + 1u) {
    score_tile(t0, b * 64u, h, g, lid);
    for (var i = 0u; i < RQ; i = i + 1u) {
      let t = t0 + lid.y + 16u * i;
      for (var j = 0u; j < 4u; j = j + 1u) {
        let k = b * 64u + lid.x + 16u * j;
        if (k <= P + t && t < T) {
          let v = s[i * 4u + j] * scale;
          let mx = max(m[i], v);
          l[i] = l[i] * exp(m[i] - mx) + exp(v - mx);
          m[i] = mx;
        }
      }
    }
  }
  // Each row's maximum and total over its 16 threads.
  for (var i = 0u; i < RQ; i = i + 1u) {
    sm[(lid.y + 16u * i) * 16u + lid.x] = m[i];
    sm[1024u + (lid.y + 16u * i) * 16u + lid.x] = l[i];
  }
  workgroupBarrier();
  var inv: array<f32, RQ>;
  for (var i = 0u; i < RQ; i = i + 1u) {
    let row = (lid.y + 16u * i) * 16u;
    var mx = -3.4e38;
    for (var x = 0u; x < 16u; x = x + 1u) { mx = max(mx, sm[row + x]); }
    var total = 0.0;
    for (var x = 0u; x < 16u; x = x + 1u) {
      total = total + sm[1024u + row + x] * exp(sm[row + x] - mx);
    }
    m[i] = mx;
    inv[i] = select(0.0, 1.0 / total, total > 0.0);
  }
  workgroupBarrier();
  for (var e = 0u; e < RQ * DJ; e = e + 1u) { acc[e] = 0.0; }
  for (var b = 0u; b < blocks; b = b + 1u) {
    score_tile(t0, b * 64u, h, g, lid);
    for (var i = 0u; i < RQ; i = i + 1u) {
      let t = t0 + lid.y + 16u * i;
      for (var j = 0u; j < 4u; j = j + 1u) {
        let k = b * 64u + lid.x + 16u * j;
        var p = 0.0;
        if (k <= P + t && t < T) { p = exp(s[i * 4u + j] * scale - m[i]) * inv[i]; }
        s[i * 4u + j] = p;
        if (has1() && t < T && k < S) { st1((h * T + t) * S + k, p); }
      }
    }
    // Keys b·64 + 16c + x for c < 4: their probabilities (key-major) and V rows.
    for (var c = 0u; c < 4u; c = c + 1u) {
      for (var i = 0u; i < RQ; i = i + 1u) { sm[lid.x * 65u + lid.y + 16u * i] = s[i * 4u + c]; }
      for (var dc = 0u; dc < DJ; dc = dc + 4u) {
        for (var r = 0u; r < 4u; r = r + 1u) {
          let e = li + r * 256u;
          let key = b * 64u + 16u * c + e / 64u;
          let d = dc * 16u + e % 64u;
          var vv = 0.0;
          if (key < S && d < D) { vv = ld4((key * G + g) * D + d); }
          sm[1040u + e] = vv;
        }
        workgroupBarrier();
        for (var kx = 0u; kx < 16u; kx = kx + 1u) {
          for (var i = 0u; i < RQ; i = i + 1u) {
            let p = sm[kx * 65u + lid.y + 16u * i];
            for (var jd = 0u; jd < 4u; jd = jd + 1u) {
              if (dc + jd < DJ) {
                let e = i * DJ + dc + jd;
                acc[e] = fma(p, sm[1040u + kx * 64u + lid.x + 16u * jd], acc[e]);
              }
            }
          }
        }
        workgroupBarrier();
      }
    }
  }
  for (var i = 0u; i < RQ; i = i + 1u) {
    let t = t0 + lid.y + 16u * i;
    for (var jd = 0u; jd < DJ; jd = jd + 1u) {
      let d = lid.x + 16u * jd;
      if (t < T && d < D) { st0((t * H + h) * D + d, acc[i * DJ + jd]); }
    }
  }
  // The pattern beyond the last block these queries see is zero.
  if (has1()) {
    for (var i = 0u; i < RQ; i = i + 1u) {
      let t = t0 + lid.y + 16u * i;
      if (t < T) {
        for (var k = blocks * 64u + lid.x; k < S; k = k + 16u) { st1((h * T + t) * S + k, 0.0); }
      }
    }
  }
}
)";

const std::string_view sum_heads = ATTNSCOPE_ELEMENTWISE_ENTRY R"(
  let H = pu(9u);
  let C = pu(10u);
  if (i >= pu(8u) * C) { return; }
  let c = i % C;
  let t = i / C;
  var s = 0.0;
  if (has2()) { s = ld2(c); }
  for (var h = 0u; h < H; h = h + 1u) { s = s + ld1((t * H + h) * C + c); }
  st0(i, s);
}
)";

}  // namespace attnscope::wgsl
