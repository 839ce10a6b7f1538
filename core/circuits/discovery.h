// discovery.h — one call for a task's circuit by edge attribution patching or ACDC: which prompts
// run (the first N, or N drawn with a seed), the corruption, the method, and per-head scores to
// rank against a ground truth. The CLI's `discover`, the Circuits panel and the JS API all call it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/circuits/acdc.h"
#include "core/circuits/edge_attribution.h"

namespace attnscope {

enum class DiscoveryMethod { eap, acdc };
std::string_view discovery_method_name(DiscoveryMethod method);
std::string_view corruption_mode_name(CorruptionMode mode);

struct DiscoveryOptions {
  DiscoveryMethod method = DiscoveryMethod::eap;
  CorruptionMode corruption = CorruptionMode::pooled_mean;
  int prompts = 0;                                    // positives that run; 0: all (eap), 50 (acdc)
  std::optional<std::uint64_t> seed;                  // draw them at random (else the first ones)
  bool rank_abs = false;                              // eap: rank heads by |score| (the authors')
  GraphMetric metric = GraphMetric::kl;               // acdc
  bool absolute = false;                              // acdc logit difference: test |change|
  std::vector<double> thresholds;                     // acdc; empty: default_acdc_thresholds()
  std::function<bool(int done, int total)> progress;  // false cancels
};

// 10^-4 … 10^0 in 9 steps of half a decade.
std::vector<double> default_acdc_thresholds();

struct DiscoveryResult {
  DiscoveryMethod method;
  std::string description;           // method and settings, one line
  std::vector<std::size_t> prompts;  // indices into the positives that ran
  int references = 0;                // negatives the corruption came from
  std::vector<double> head_scores;   // [layer·head], higher: more in the circuit
  std::vector<double> edge_scores;   // [edges]: eap: the edge's score; acdc: largest τ kept
  std::optional<EdgeAttribution> eap;
  std::optional<AcdcSweep> acdc;
  double seconds = 0;
};

// The discovery a step at a time (a prompt of EAP, an edge of ACDC), for the explorer's frame
// loop in the browser. positives and negatives as in models/tasks: with CorruptionMode::paired,
// negative i is positive i's corrupted twin (the same number of lines); otherwise every negative
// is a reference. `graph` gets the corruption, must outlive the discovery and names the edges of
// the result. options.progress is not called here (the caller steps).
class CircuitDiscovery {
 public:
  static Result<CircuitDiscovery> start(CircuitGraph& graph, std::span<const Prompt> positives,
                                        std::span<const Prompt> negatives,
                                        DiscoveryOptions options);
  Result<bool> step();  // true when done
  int done() const;
  int total() const;
  DiscoveryResult result() const;  // complete once step() has returned true

 private:
  CircuitDiscovery() = default;
  const CircuitGraph* graph_ = nullptr;
  DiscoveryOptions options_;
  DiscoveryResult base_;  // the prompts and references chosen
  std::optional<EdgeAttributionRun> eap_;
  std::optional<AcdcSearch> acdc_;
  std::chrono::steady_clock::time_point start_;
};

// The whole discovery, reporting options.progress.
Result<DiscoveryResult> discover_circuit(CircuitGraph& graph, std::span<const Prompt> positives,
                                         std::span<const Prompt> negatives,
                                         const DiscoveryOptions& options);

// "L1H3 -> MLP2"
std::string edge_name(const CircuitGraph& graph, std::size_t edge);
// The indices of the n edges of largest |score|, strongest first (ties in edge order).
std::vector<std::size_t> strongest_edges(std::span<const double> edge_scores, std::size_t n);

}  // namespace attnscope
