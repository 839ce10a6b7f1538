// discovery.cpp — prompt choice, corruption and per-head scores around EAP and ACDC.
#include "core/circuits/discovery.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

#include "core/seeded_draw.h"

namespace attnscope {

std::string_view discovery_method_name(DiscoveryMethod method) {
  return method == DiscoveryMethod::eap ? "eap" : "acdc";
}

std::string_view corruption_mode_name(CorruptionMode mode) {
  switch (mode) {
    case CorruptionMode::pooled_mean:
      return "pooled";
    case CorruptionMode::positional_mean:
      return "positional";
    case CorruptionMode::paired:
      return "paired";
  }
  return "?";
}

std::vector<double> default_acdc_thresholds() {
  std::vector<double> t;
  for (int i = 0; i <= 8; i++) t.push_back(std::pow(10.0, -4.0 + 0.5 * i));
  return t;
}

std::string edge_name(const CircuitGraph& graph, std::size_t edge) {
  const CircuitEdge& e = graph.edges()[edge];
  return graph.senders()[e.sender].name() + " -> " + graph.receivers()[e.receiver].name();
}

std::vector<std::size_t> strongest_edges(std::span<const double> edge_scores, std::size_t n) {
  std::vector<std::size_t> order(edge_scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::abs(edge_scores[a]) > std::abs(edge_scores[b]);
  });
  order.resize(std::min(order.size(), n));
  return order;
}

Result<CircuitDiscovery> CircuitDiscovery::start(CircuitGraph& graph, std::span<const Prompt> pool,
                                                 std::span<const Prompt> negatives,
                                                 DiscoveryOptions o) {
  CircuitDiscovery d;
  d.start_ = std::chrono::steady_clock::now();
  if (pool.empty() || negatives.empty())
    return make_error("circuit discovery needs positive and negative prompts");
  if (o.prompts < 0) return make_error("the number of prompts must not be negative");
  const bool paired = o.corruption == CorruptionMode::paired;
  if (paired && negatives.size() != pool.size())
    return make_error("paired corruption needs one negative per positive, line by line (" +
                      std::to_string(pool.size()) + " positives, " +
                      std::to_string(negatives.size()) + " negatives)");
  // Which positives run: the first N, or N drawn with the seed; paired, with their twins.
  const int limit = o.prompts > 0 ? o.prompts : (o.method == DiscoveryMethod::acdc ? 50 : 0);
  DiscoveryResult& r = d.base_;
  r.method = o.method;
  r.prompts.resize(pool.size());
  std::iota(r.prompts.begin(), r.prompts.end(), 0);
  if (o.seed) {  // the same draw natively and in the browser (seeded_draw.h)
    std::mt19937_64 rng(*o.seed);
    const std::vector<int> order = seeded_draw(int(pool.size()), int(pool.size()), rng);
    r.prompts.assign(order.begin(), order.end());
  }
  if (limit > 0 && std::size_t(limit) < r.prompts.size()) r.prompts.resize(std::size_t(limit));
  std::vector<Prompt> positives, twins;
  for (std::size_t i : r.prompts) {
    positives.push_back(pool[i]);
    if (paired) twins.push_back(negatives[i]);
  }
  if (paired)
    ATTNSCOPE_TRY(graph.set_corruption(twins, CorruptionMode::paired));
  else
    ATTNSCOPE_TRY(graph.set_corruption(negatives, o.corruption));
  r.references = int(paired ? twins.size() : negatives.size());
  d.graph_ = &graph;
  if (o.method == DiscoveryMethod::eap) {
    ATTNSCOPE_ASSIGN(d.eap_, EdgeAttributionRun::start(graph, positives));
  } else {
    AcdcOptions options;
    options.metric = o.metric;
    options.absolute = o.absolute;
    ATTNSCOPE_ASSIGN(
        d.acdc_, AcdcSearch::start(graph, positives,
                                   o.thresholds.empty() ? default_acdc_thresholds() : o.thresholds,
                                   options));
  }
  d.options_ = std::move(o);
  return d;
}

Result<bool> CircuitDiscovery::step() {
  return eap_ ? eap_->step() : acdc_->step();
}
int CircuitDiscovery::done() const {
  return eap_ ? eap_->done() : acdc_->done();
}
int CircuitDiscovery::total() const {
  return eap_ ? eap_->total() : acdc_->total();
}

DiscoveryResult CircuitDiscovery::result() const {
  DiscoveryResult r = base_;
  const CircuitGraph& graph = *graph_;
  const DiscoveryOptions& o = options_;
  r.head_scores.assign(std::size_t(graph.layers()) * graph.heads(), 0.0);
  r.edge_scores.assign(graph.edges().size(), 0.0);
  const std::string corruption(corruption_mode_name(o.corruption));
  if (eap_) {
    EdgeAttribution eap = eap_->result();
    const Tensor& heads = o.rank_abs ? eap.heads_abs : eap.heads;
    for (std::size_t i = 0; i < r.head_scores.size(); i++) r.head_scores[i] = heads.data()[i];
    r.edge_scores = eap.edges;
    char line[200];
    std::snprintf(line, sizeof line,
                  "edge attribution patching (Syed et al. 2023): logit difference (clean %.4g), "
                  "%s corruption, heads ranked by %s score",
                  eap.clean, corruption.c_str(), o.rank_abs ? "|score|" : "signed");
    r.description = line;
    r.eap = std::move(eap);
  } else {
    const AcdcSweep& sweep = acdc_->sweep();
    for (std::size_t i = 0; i < r.head_scores.size(); i++)
      r.head_scores[i] = sweep.head_scores.data()[i];
    // An edge's score: the largest threshold at which it is kept.
    for (std::size_t t = 0; t < sweep.runs.size(); t++)
      for (std::size_t e = 0; e < r.edge_scores.size(); e++)
        if (sweep.runs[t].kept[e]) r.edge_scores[e] = sweep.thresholds[t];
    r.description = std::string("ACDC (Conmy et al. 2023): ") +
                    (o.metric == GraphMetric::kl ? "KL divergence"
                     : o.absolute                ? "|logit difference change|"
                                                 : "logit difference drop") +
                    ", " + corruption + " corruption, " + std::to_string(sweep.thresholds.size()) +
                    " thresholds";
    r.acdc = sweep;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return r;
}

Result<DiscoveryResult> discover_circuit(CircuitGraph& graph, std::span<const Prompt> positives,
                                         std::span<const Prompt> negatives,
                                         const DiscoveryOptions& options) {
  ATTNSCOPE_ASSIGN(CircuitDiscovery d,
                   CircuitDiscovery::start(graph, positives, negatives, options));
  for (;;) {
    if (options.progress && !options.progress(d.done(), d.total())) return make_error("cancelled");
    ATTNSCOPE_ASSIGN(const bool complete, d.step());
    if (complete) break;
  }
  return d.result();
}

}  // namespace attnscope
