// codes.h — the discrete "code" of each (row, head): the index of its most active SAE hidden unit
// (O'Neill & Bui 2024), or its top-k units.
//
// Shape legend: R rows (prompts, or prompt positions), A = L·H heads (layer-major), K codes kept.
#pragma once

#include <vector>

#include "core/sae/activations.h"
#include "core/sae/sparse_autoencoder.h"

namespace attnscope {

// A (row, head) none of whose hidden units is active gets this code in slot 0: "silent" is a
// code like any other when scoring.
inline constexpr int kSilentCode = -1;
// Unused slots, when fewer than K units are active.
inline constexpr int kNoCode = -2;

struct HeadCodes {
  int n_rows = 0, n_heads = 0, top_k = 1;  // R, A, K
  std::vector<int> codes;  // [R, A, K]: active units by decreasing activation (ties: lower index)

  int at(int row, int head, int slot = 0) const {
    return codes[(std::size_t(row) * n_heads + head) * top_k + slot];
  }
};

// Encodes every (row, head) vector of `activations` with the SAE and keeps the top_k active units
// (top_k = 1: the argmax, the paper's code). Errors if d_model differs from the SAE's input or
// top_k < 1.
Result<HeadCodes> sae_codes(const SparseAutoencoder& sae, const HeadActivations& activations,
                            int top_k = 1, Kernels* kernels = nullptr);

}  // namespace attnscope
