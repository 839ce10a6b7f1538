// circuit_scores.h — O'Neill & Bui 2024's node and edge scores from SAE codes, and the circuit
// they select.
//
// For head a, let P_a be the set of codes a takes on positive prompts and N_a on negative ones
// (a prompt contributes every code of every row it owns: one row per prompt with mean
// activations, one per position otherwise; all top-k codes with top-k). The node count of a head
// is |P_a \ N_a|, the codes that only positives produce, optionally divided by |P_a ∪ N_a|; the
// node score is the softmax of the counts over heads. The edge count of heads (a, b) is the
// number of code pairs (c_a, c_b) that occur together on some positive prompt and on no negative
// one.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "core/analysis/pattern.h"
#include "core/sae/codes.h"

namespace attnscope {

struct ScoreOptions {
  bool normalize = false;  // divide each head's count by the size of its union of codes
  bool edges = true;       // compute the [A, A] edge counts
};

struct CircuitScores {
  int n_heads = 0;                  // A = L·H, layer-major
  std::vector<double> node_counts;  // [A] codes seen only on positives (normalised if asked)
  std::vector<double> node;         // [A] softmax of node_counts over heads
  std::vector<double> edge_counts;  // [A, A] symmetric, 0 on the diagonal; empty without edges
  // [A] the edge-derived node ranking (src/edge.py, edge_circuit_prediction): head pairs sorted
  // by edge count, both heads of each pair listed in turn, the first ⌊A²/2⌋ entries of that list
  // counted per head, then softmax. Empty without edges.
  std::vector<double> edge_node;
};

// The edge-derived node scores of [A, A] edge counts (see CircuitScores::edge_node). The authors
// sort with numpy's argsort and reverse it; ties here go to the larger flat index (i·A + j) first,
// what a stable ascending sort reversed gives (numpy's default sort is not stable, so their
// order among ties is unspecified).
std::vector<double> edge_node_scores(std::span<const double> edge_counts, int n_heads);

// row_prompt: the prompt of each row of `codes`; prompt_positive: whether each prompt is a
// positive. Errors on mismatched sizes, a prompt index out of range, or no positive or no
// negative prompt.
Result<CircuitScores> circuit_scores(const HeadCodes& codes, std::span<const int> row_prompt,
                                     const std::vector<bool>& prompt_positive,
                                     const ScoreOptions& options = {});

// Where to cut a per-head score into a circuit: the top_k heads (ties: lower index) when
// top_k > 0, else every head whose score exceeds `threshold` (default: 1/A, the uniform softmax
// score, when no threshold is given).
struct CircuitCut {
  int top_k = 0;
  std::optional<double> threshold;
};
std::vector<HeadRef> select_circuit(std::span<const double> head_scores, int n_layers, int n_heads,
                                    const CircuitCut& cut = {});

}  // namespace attnscope
