// sparse_autoencoder.h — the one sparse autoencoder (SAE) that O'Neill & Bui 2024 train on every
// head's output at once, with hand-written gradients and Adam.
//
// Shape legend: N rows (one per (prompt, head), pooled), D input dimension (d_model),
// M hidden units (n_hidden).
//
//   encode  h = relu(W_enc (x − b_dec) + b_enc)        W_enc [M, D], b_enc [M]
//   decode  x̂ = W_dec h + b_dec                        W_dec [D, M], b_dec [D] (tied: the same
//                                                      b_dec is subtracted before encoding)
//   loss    L = (1/(N·D)) Σ_n Σ_i (x̂_ni − x_ni)²       MSE, mean over every element
//             + λ · (1/N) Σ_n Σ_j |h_nj|               L1 of the hidden code, summed over the M
//                                                      units and averaged over the N rows
// The norm constraint keeps the L1 term from being dodged by shrinking h and growing W_dec. Two
// are available (SaeConstraint): the authors' (src/sae.py of charlieoneill11/sae-circuits), the
// default, and attnscope 0.1's.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/error.h"
#include "core/ops/kernels.h"

namespace attnscope {

template <typename T>
struct SaeParameters {
  int d_in = 0;          // D
  int n_hidden = 0;      // M
  std::vector<T> w_enc;  // [M, D]
  std::vector<T> b_enc;  // [M]
  std::vector<T> w_dec;  // [D, M]; column j is hidden unit j's direction, unit norm
  std::vector<T> b_dec;  // [D]

  static SaeParameters zeros(int d_in, int n_hidden);
};
using SparseAutoencoder = SaeParameters<float>;

// How the weights are initialised and held at unit norm.
//   published (src/sae.py, ConstrainedUnitNormLinear): every row of W_enc [M, D] (a unit's encoder
//     direction) and every row of W_dec [D, M] (one input dimension across the M units) has unit
//     norm. Weights start N(0, 1) and are normalised, b_enc starts U(±1/√D), b_dec (the tied bias)
//     at 0. Before each Adam step the gradient's radial part along each row is removed; after it
//     the rows are normalised again (the authors renormalise at the start of every forward pass,
//     which is the same sequence).
//   unit_decoder_columns (attnscope 0.1): W_enc and W_dec Kaiming uniform, biases 0, each column
//     of W_dec (a unit's decoder direction) rescaled to unit norm after every step.
enum class SaeConstraint { published, unit_decoder_columns };

struct SaeOptions {
  SaeConstraint constraint = SaeConstraint::published;
  int n_hidden = 200;
  double l1_coefficient = 0.02;  // λ, with the normalisation above
  double learning_rate = 1e-3;   // Adam
  double beta1 = 0.9;
  double beta2 = 0.999;
  double adam_eps = 1e-8;
  int epochs = 500;        // full-batch steps
  std::uint64_t seed = 0;  // initial weights (std::mt19937_64, identical on every platform)
  // Skip the encoder's work where a bound (float rounding included) proves the pre-activation
  // ≤ 0: the same result, far less work once most units are silent on most rows.
  bool skip_silent_units = true;
  // Called after every epoch with the loss before that epoch's step; return false to cancel.
  std::function<bool(int epoch, double loss)> progress;
  Kernels* kernels = nullptr;  // the matrix products; default_kernels() when null
};

struct SaeTraining {
  SparseAutoencoder sae;
  std::vector<double> losses;  // one per epoch, before its step
};

// The weights before training, as `constraint` says (see SaeConstraint). The random numbers come
// from std::mt19937_64's raw output (normals by Box–Muller), identical on every platform.
SparseAutoencoder sae_init(int d_in, int n_hidden, std::uint64_t seed,
                           SaeConstraint constraint = SaeConstraint::published);

// Trains on x [n_rows, d_in] (full batch, Adam with float moments as torch.optim.Adam). A seed
// gives the same SAE for any number of CPU threads (parallel.h). Errors on empty or non-finite
// input, bad options, or when the progress callback cancels.
Result<SaeTraining> sae_train(std::span<const float> x, int n_rows, int d_in,
                              const SaeOptions& options);

// The loss on x [n_rows, D] and, when `grad` is given, its gradient with respect to every
// parameter (grad is resized to the SAE's shape). Float matrix products through the kernel set;
// sums over rows in double. The path training uses.
double sae_loss(const SparseAutoencoder& sae, const float* x, int n_rows, double l1_coefficient,
                SparseAutoencoder* grad = nullptr, Kernels* kernels = nullptr);

// The same loss and gradient in plain loops, in float or double: the reference the fast path and
// the finite-difference check are compared with.
template <typename T>
double sae_loss_reference(const SaeParameters<T>& sae, const T* x, int n_rows,
                          double l1_coefficient, SaeParameters<T>* grad = nullptr);

// Hidden code h [n_rows, M] of x [n_rows, D].
std::vector<float> sae_encode(const SparseAutoencoder& sae, const float* x, int n_rows,
                              Kernels* kernels = nullptr);

// Rescales every column of W_dec to unit norm (columns of norm 0 are left as they are).
template <typename T>
void sae_normalize_decoder(SaeParameters<T>& sae);

}  // namespace attnscope
