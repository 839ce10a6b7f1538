// circuit_graph.h — a model as a graph of components whose edges can be patched one at a time,
// and the gradient of a task metric at every component's input: what edge attribution patching
// (Syed et al. 2023) and ACDC (Conmy et al. 2023) need.
//
// The residual stream is a sum: every component reads the sum of what the components before it
// wrote. Senders are the components that write (the embeddings, each attention head, each MLP);
// receivers are those that read (each head, each MLP, the unembedding, called "logits"). An edge
// s → r is one term of r's input. Patching an edge by α replaces that term, in r's input only,
// with (1 − α) · s's output + α · s's corrupted output, so a head whose one edge is patched
// reads a residual stream of its own (heads of one layer no longer share an input). α = 1 is
// ACDC's removal of an edge; α → 0 is what an edge attribution differentiates.
//
// A sender's corrupted output is its mean output over a reference prompt set (the task's
// negatives): pooled over every position (as the ground truth's mean ablation), or per position;
// or, as both papers do, its output on the prompt's own corrupted twin (reference i for prompt i,
// of the same length: "paired"). For a head the pooled mean is exactly the mean ablation of
// ablation.h: W_O,h · (its mean z).
//
// The graph runs on the host with the CPU kernels (core/ops/kernels.h), in float32 as the
// engine's forward pass does, and supports the GPT-2 family's computation: LayerNorm or RMSNorm,
// learned positions, an ungated MLP, sequential residual, one key/value head per query head.
// Other models get one clear error (rotary positions, grouped-query attention, gated MLPs and
// parallel residuals have no backward pass here yet).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/analysis/prompt.h"
#include "core/model/model.h"

namespace attnscope {

struct CircuitEdge {
  int sender;    // index into CircuitGraph::senders
  int receiver;  // index into CircuitGraph::receivers
};

struct CircuitNode {
  enum class Kind { embed, head, mlp, logits };
  Kind kind;
  int layer = -1;            // -1: embed, logits
  int head = -1;             // heads only
  std::string name() const;  // "embed", "L1H3", "MLP2", "logits"
};

// What the metric scores: the task's logit difference (mean logit of answers − mean logit of
// distractors, last position; as ablation.h's MetricKind::logit_diff), or the KL divergence of
// the last position's next-token distribution from the clean model's (ACDC's default).
enum class GraphMetric { logit_diff, kl };

// The corrupted outputs: pooled means (one vector per sender), means per position, or the
// outputs on prompt i's paired reference i.
enum class CorruptionMode { pooled_mean, positional_mean, paired };

class CircuitGraph {
 public:
  // Errors when the model is not of the supported computation (see the top of this file).
  static Result<CircuitGraph> build(const Model& model);

  const std::vector<CircuitNode>& senders() const { return senders_; }
  const std::vector<CircuitNode>& receivers() const { return receivers_; }
  const std::vector<CircuitEdge>& edges() const { return edges_; }
  // The edges into receiver r, in sender order.
  std::span<const int> edges_into(int receiver) const { return into_[receiver]; }
  // Index of head (layer, head) among the senders.
  int head_sender(int layer, int head) const { return 1 + layer * (heads_ + 1) + head; }
  int mlp_sender(int layer) const { return head_sender(layer, heads_); }
  int layers() const { return layers_; }
  int heads() const { return heads_; }
  int d_model() const { return C_; }

  // Sets the corrupted outputs from clean runs on the reference prompts. Per position: the mean
  // at position t over the references that reach t (a prompt longer than every reference is an
  // error when it is run). Paired: the references are kept and run for each prompt.
  Status set_corruption(std::span<const Prompt> references, CorruptionMode mode);
  // [senders, C] (pooled) or [senders, T_max, C] (empty when paired): for tests and exports.
  const std::vector<float>& corruption() const { return corrupt_; }
  CorruptionMode corruption_mode() const { return mode_; }
  // Whether the corruption is set and reaches every position of a prompt of T tokens (means).
  Status corruption_covers(int T) const;
  // The corrupted outputs for prompt `pair` of T tokens, [senders, T, C]: the means' rows, or
  // the outputs of reference `pair` (which must exist and have T tokens).
  Status corrupted_outputs(int pair, int T, std::vector<float>& rows) const;

  // One prompt's run: every sender's output and what its backward pass needs.
  struct Run {
    int T = 0;
    std::vector<float> out;      // [senders, T, C]
    std::vector<float> in;       // [receivers, T, C]: each receiver's input
    std::vector<float> normed;   // [receivers, T, C]: the input after the receiver's norm
    std::vector<float> qkv;      // [layers, heads, 3, T, D]
    std::vector<float> pattern;  // [layers, heads, T, T]
    std::vector<float> mlp_pre;  // [layers, T, F]: before the activation
    std::vector<float> logits;   // [vocab]: last position
  };

  // Runs a prompt with each edge e patched by alpha[e] (empty: nothing patched). With `from`,
  // senders of layers before `start_layer` keep their outputs from that run (their inputs did
  // not change), the rest are computed again. `corrupted`: the prompt's corrupted_outputs()
  // (needed when paired; otherwise the means are read directly). `only_receiver` (with `from`):
  // the patch differs from `from`'s only in edges into this receiver, so only the nodes whose
  // input that changes are computed again (ACDC's trials); then only out and logits are complete.
  Status run(std::span<const int> ids, std::span<const float> alpha, Run& out,
             const Run* from = nullptr, int start_layer = 0, std::span<const float> corrupted = {},
             int only_receiver = -1) const;

  // The metric on a run's last-position logits; `clean` is the unpatched run's (KL only).
  static double metric(GraphMetric kind, const Run& run, const Prompt& prompt,
                       std::span<const float> clean_logits);

  // ∂metric/∂(each receiver's input) on an unpatched run (logit_diff only: KL's gradient is zero
  // at the clean run): [receivers, T, C].
  Result<std::vector<float>> input_gradients(const Run& run, const Prompt& prompt) const;

  // A sender's corrupted output at position t: C floats.
  const float* corrupt_row(int sender, int t) const;

 private:
  explicit CircuitGraph(const Model& model);
  void run_head(int l, int h, const float* x, Run& r) const;
  void run_mlp(int l, const float* x, Run& r) const;

  const Model* model_;
  int layers_, heads_, C_, D_, F_, V_;
  std::vector<CircuitNode> senders_, receivers_;
  std::vector<CircuitEdge> edges_;
  std::vector<std::vector<int>> into_;
  // float32 copies of the matrices (the weights may be 16-bit): [out, in] as in weights.h.
  struct LayerF {
    std::vector<float> wq, wk, wv, wo, w_up, w_down;
  };
  std::vector<LayerF> w_;
  std::vector<float> unembed_;  // [vocab, C]
  CorruptionMode mode_ = CorruptionMode::pooled_mean;
  std::vector<float> corrupt_;
  int corrupt_T_ = 0;
  std::vector<std::vector<int>> paired_;  // the references' ids, paired mode
};

}  // namespace attnscope
