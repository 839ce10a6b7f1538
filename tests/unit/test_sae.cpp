// test_sae.cpp — the SAE circuit method of O'Neill & Bui 2024 (core/sae): gradients against
// finite differences, training, codes, scores, ROC, a planted circuit, and the bundled task model.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <random>

#include "core/analysis/task_prompts.h"
#include "core/ops/parallel.h"
#include "core/sae/sae_circuit.h"
#include "tests/unit/fixtures.h"

using namespace attnscope;
using namespace attnscope::test;

namespace {

template <typename T>
std::vector<std::vector<T>*> param_blocks(SaeParameters<T>& p) {
  return {&p.w_enc, &p.b_enc, &p.w_dec, &p.b_dec};
}
const char* const kBlockNames[] = {"W_enc", "b_enc", "W_dec", "b_dec"};

// ‖a − b‖ / max(‖a‖, ‖b‖)
template <typename A, typename B>
double relative_error(const std::vector<A>& a, const std::vector<B>& b) {
  double d = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.size(); i++) {
    d += (double(a[i]) - double(b[i])) * (double(a[i]) - double(b[i]));
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  return std::sqrt(d) / std::max({std::sqrt(na), std::sqrt(nb), 1e-30});
}

// Smallest |pre-activation| over rows and units: how far the inputs are from a ReLU kink.
double kink_margin(const SaeParameters<double>& p, const std::vector<double>& x, int rows) {
  double margin = 1e30;
  for (int n = 0; n < rows; n++)
    for (int j = 0; j < p.n_hidden; j++) {
      double s = p.b_enc[j];
      for (int i = 0; i < p.d_in; i++)
        s += p.w_enc[j * p.d_in + i] * (x[n * p.d_in + i] - p.b_dec[i]);
      margin = std::min(margin, std::abs(s));
    }
  return margin;
}

std::string bundled(const std::string& path) {
  return std::string(ATTNSCOPE_SOURCE_DIR) + "/models/" + path;
}
const Model& task_model() {
  static const Model model = [] {
    MemorySource files("attnscope-tasks");
    for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"})
      files.add(f, read_file_bytes(bundled("attnscope-tasks/") + f));
    return Model::load(files).value();
  }();
  return model;
}
std::vector<Prompt> task_prompts(const std::string& task, const char* kind) {
  return parse_task_prompts(
             read_file_bytes(bundled("tasks/" + task + "_" + kind + ".jsonl")).text(), task_model())
      .value();
}

}  // namespace

TEST_CASE("SAE gradient matches central finite differences in double, every parameter block") {
  const int D = 5, M = 7, N = 6;
  const double l1 = 0.02, eps = 1e-6;
  std::mt19937_64 rng(11);
  auto uniform = [&] { return double(rng() >> 11) * 0x1.0p-53 * 2 - 1; };
  // Draw parameters and inputs until every pre-activation is at least 0.05 from the ReLU kink,
  // so that no finite-difference step of 1e-6 crosses it.
  SaeParameters<double> p;
  std::vector<double> x(N * D);
  for (int attempt = 0;; attempt++) {
    REQUIRE(attempt < 1000);
    p = SaeParameters<double>::zeros(D, M);
    for (auto* b : param_blocks(p))
      for (double& v : *b) v = uniform();
    sae_normalize_decoder(p);
    for (double& v : x) v = 2 * uniform();
    if (kink_margin(p, x, N) > 0.05) break;
  }
  SaeParameters<double> grad;
  sae_loss_reference(p, x.data(), N, l1, &grad);
  auto blocks = param_blocks(p);
  auto grads = param_blocks(grad);
  for (std::size_t b = 0; b < blocks.size(); b++) {
    CAPTURE(std::string(kBlockNames[b]));
    std::vector<double> numeric(blocks[b]->size());
    for (std::size_t k = 0; k < numeric.size(); k++) {
      const double saved = (*blocks[b])[k];
      (*blocks[b])[k] = saved + eps;
      const double up = sae_loss_reference<double>(p, x.data(), N, l1);
      (*blocks[b])[k] = saved - eps;
      const double down = sae_loss_reference<double>(p, x.data(), N, l1);
      (*blocks[b])[k] = saved;
      numeric[k] = (up - down) / (2 * eps);
    }
    const double err = relative_error(numeric, *grads[b]);
    MESSAGE(std::string(kBlockNames[b]) << ": relative error " << err);
    CHECK(err < 1e-4);
  }
}

TEST_CASE("SAE fast loss and gradient (backend, float) match the plain-loop reference") {
  const int D = 16, M = 24, N = 10;
  // Rows whose every hidden unit is silent take a shortcut in the fast path: `silent` rows get a
  // small x and b_enc is lowered so that they are: none, a few (fewer than the active rows), most.
  for (int silent : {0, 3, 8}) {
    CAPTURE(silent);
    SparseAutoencoder sae = sae_init(D, M, 3);
    std::mt19937_64 rng(4);
    for (float& v : sae.b_enc) v = float(double(rng() >> 11) * 0x1.0p-53 * 0.2 - 0.1);
    for (float& v : sae.b_dec) v = float(double(rng() >> 11) * 0x1.0p-53 * 0.2 - 0.1);
    std::vector<float> x(N * D);
    for (float& v : x) v = float(double(rng() >> 11) * 0x1.0p-53 * 2 - 1);
    if (silent > 0) {
      for (float& v : sae.b_enc) v -= 2.0f;
      for (int n = 0; n < N; n++)
        for (int i = 0; i < D; i++) x[n * D + i] = n < silent ? sae.b_dec[i] : 3 * x[n * D + i];
    }
    const std::vector<float> h = sae_encode(sae, x.data(), N);
    int active_rows = 0;
    for (int n = 0; n < N; n++) {
      bool any = false;
      for (int j = 0; j < M; j++) any |= h[n * M + j] > 0;
      active_rows += any;
      if (n < silent) CHECK_FALSE(any);
    }
    CHECK(active_rows > 0);
    for (Kernels* backend : available_kernels()) {
      CAPTURE(std::string(backend->name()));
      SparseAutoencoder fast, ref;
      const double loss_fast = sae_loss(sae, x.data(), N, 0.02, &fast, backend);
      const double loss_ref = sae_loss_reference(sae, x.data(), N, 0.02, &ref);
      CHECK(loss_fast == doctest::Approx(loss_ref).epsilon(1e-5));
      CHECK(sae_loss(sae, x.data(), N, 0.02, nullptr, backend) == loss_fast);
      auto f = param_blocks(fast);
      auto r = param_blocks(ref);
      for (std::size_t b = 0; b < f.size(); b++) {
        CAPTURE(std::string(kBlockNames[b]));
        CHECK(relative_error(*f[b], *r[b]) < 1e-4);
      }
    }
  }
}

// ‖row r‖ of w [rows, cols], or of column r when by_column.
double norm_of(const std::vector<float>& w, int rows, int cols, int r, bool by_column) {
  double sq = 0;
  for (int i = 0; i < (by_column ? rows : cols); i++) {
    const float v = by_column ? w[std::size_t(i) * cols + r] : w[std::size_t(r) * cols + i];
    sq += double(v) * v;
  }
  return std::sqrt(sq);
}

TEST_CASE("SAE training: loss decreases, weights stay unit-norm, same seed gives same codes") {
  // A toy dataset: 60 rows, each a non-negative mix of at most two of 6 random directions in 12-d.
  const int D = 12, N = 60;
  std::mt19937_64 rng(5);
  auto uniform = [&] { return double(rng() >> 11) * 0x1.0p-53; };
  std::vector<std::vector<double>> dirs(6, std::vector<double>(D));
  for (auto& d : dirs)
    for (double& v : d) v = uniform() * 2 - 1;
  std::vector<float> x(N * D, 0.0f);
  for (int n = 0; n < N; n++)
    for (int t = 0; t < 2; t++) {
      const auto& d = dirs[rng() % 6];
      const double scale = 0.5 + 2 * uniform();
      for (int i = 0; i < D; i++) x[n * D + i] += float(scale * d[i]);
    }
  SaeOptions options;
  options.n_hidden = 16;
  options.epochs = 300;
  options.seed = 9;
  int calls = 0;
  options.progress = [&](int epoch, double loss) {
    CHECK(epoch == calls++);
    return std::isfinite(loss);
  };
  const SaeTraining a = sae_train(x, N, D, options).value();
  CHECK(calls == 300);
  REQUIRE(a.losses.size() == 300);
  MESSAGE("toy SAE loss " << a.losses.front() << " -> " << a.losses.back());
  CHECK(a.losses.back() < 0.5 * a.losses.front());
  // The authors' constraint (the default): unit-norm W_enc rows and W_dec rows (per input dim).
  const int M = options.n_hidden;
  for (int j = 0; j < M; j++) CHECK(norm_of(a.sae.w_enc, M, D, j, false) == doctest::Approx(1.0));
  for (int i = 0; i < D; i++) CHECK(norm_of(a.sae.w_dec, D, M, i, false) == doctest::Approx(1.0));
  // attnscope 0.1's: unit-norm decoder columns (a unit's direction), nothing on the encoder.
  SaeOptions columns = options;
  columns.constraint = SaeConstraint::unit_decoder_columns;
  columns.progress = nullptr;
  const SaeTraining c = sae_train(x, N, D, columns).value();
  CHECK(c.losses.back() < 0.5 * c.losses.front());
  for (int j = 0; j < M; j++) CHECK(norm_of(c.sae.w_dec, D, M, j, true) == doctest::Approx(1.0));
  // The published initialisation: encoder bias within ±1/√D, tied bias 0.
  const SparseAutoencoder init = sae_init(D, M, 3);
  for (float b : init.b_enc) CHECK(std::abs(b) <= 1.0 / std::sqrt(double(D)));
  for (float b : init.b_dec) CHECK(b == 0.0f);
  options.progress = nullptr;
  const SaeTraining b = sae_train(x, N, D, options).value();
  CHECK(a.sae.w_enc == b.sae.w_enc);
  CHECK(a.sae.w_dec == b.sae.w_dec);
  CHECK(a.losses == b.losses);
  HeadActivations acts;
  acts.values = Tensor(Shape{std::size_t(N), 1, std::size_t(D)});
  std::copy(x.begin(), x.end(), acts.values.begin());
  const HeadCodes codes_a = sae_codes(a.sae, acts, 3).value();
  const HeadCodes codes_b = sae_codes(b.sae, acts, 3).value();
  CHECK(codes_a.codes == codes_b.codes);
  options.seed = 10;
  CHECK(sae_train(x, N, D, options)->sae.w_enc != a.sae.w_enc);

  // Bad input and cancellation are errors.
  CHECK_FALSE(sae_train(x, N + 1, D, options).ok());
  options.progress = [](int epoch, double) { return epoch < 3; };
  const auto cancelled = sae_train(x, N, D, options);
  REQUIRE_FALSE(cancelled.ok());
  CHECK(cancelled.error().message.find("cancelled") != std::string::npos);
  x[0] = std::nanf("");
  options.progress = nullptr;
  CHECK_FALSE(sae_train(x, N, D, options).ok());
}

TEST_CASE("SAE training is the same for any number of threads, and with silent units skipped") {
  // Big enough for the kernels to split their work over threads (N·D·M ≫ 2¹⁶), with a strong L1
  // term so that units die during training and the encoder skips them.
  const int D = 64, N = 300;
  std::mt19937_64 rng(31);
  auto uniform = [&] { return double(rng() >> 11) * 0x1.0p-53; };
  std::vector<float> x(std::size_t(N) * D);
  for (int n = 0; n < N; n++)
    for (int i = 0; i < D; i++)
      x[std::size_t(n) * D + i] = float((uniform() - 0.5) + (i % 8 == n % 8 ? 2.0 : 0.0));
  SaeOptions options;
  options.n_hidden = 48;
  options.epochs = 150;
  options.l1_coefficient = 0.3;
  options.learning_rate = 1e-2;
  options.seed = 4;
  const int saved_threads = cpu_threads();
  std::vector<SaeTraining> runs;
  for (int threads : {1, 2, 3}) {
    set_cpu_threads(threads);
    runs.push_back(sae_train(x, N, D, options).value());
  }
  options.skip_silent_units = false;
  runs.push_back(sae_train(x, N, D, options).value());
  set_cpu_threads(saved_threads);
  for (std::size_t r = 1; r < runs.size(); r++) {
    CAPTURE(r);
    CHECK(runs[r].losses == runs[0].losses);
    CHECK(runs[r].sae.w_enc == runs[0].sae.w_enc);
    CHECK(runs[r].sae.b_enc == runs[0].sae.b_enc);
    CHECK(runs[r].sae.w_dec == runs[0].sae.w_dec);
    CHECK(runs[r].sae.b_dec == runs[0].sae.b_dec);
  }
  // Some units did die (so the skipping was exercised) and some are alive.
  const std::vector<float> h = sae_encode(runs[0].sae, x.data(), N);
  int dead = 0;
  for (int j = 0; j < options.n_hidden; j++) {
    bool any = false;
    for (int n = 0; n < N; n++) any |= h[std::size_t(n) * options.n_hidden + j] > 0;
    dead += !any;
  }
  MESSAGE("dead units after training: " << dead << " of " << options.n_hidden);
  CHECK(dead > 0);
  CHECK(dead < options.n_hidden);
  CHECK(runs[0].losses.back() < runs[0].losses.front());
}

TEST_CASE("SAE node and edge scores count codes seen only on positives") {
  // 4 prompts (0, 1 positive; 2, 3 negative), one row each, 3 heads.
  HeadCodes codes;
  codes.n_rows = 4;
  codes.n_heads = 3;
  codes.codes = {
      5, 1, 7,  // prompt 0 (+)
      6, 1, 7,  // prompt 1 (+)
      5, 1, 8,  // prompt 2 (-)
      4, 2, 8,  // prompt 3 (-)
  };
  const std::vector<int> row_prompt = {0, 1, 2, 3};
  const std::vector<bool> positive = {true, true, false, false};
  const CircuitScores s = circuit_scores(codes, row_prompt, positive).value();
  CHECK(s.node_counts == std::vector<double>{1, 0, 1});  // head 0: {6}; head 2: {7}
  double sum = 0;
  for (double v : s.node) sum += v;
  CHECK(sum == doctest::Approx(1.0));
  CHECK(s.node[0] == doctest::Approx(s.node[2]));
  CHECK(s.node[0] > s.node[1]);
  // Pairs on positives: (0,1): (5,1), (6,1); negatives hold (5,1) → 1. (0,2): (5,7), (6,7) → 2.
  // (1,2): (1,7) only → 1.
  CHECK(s.edge_counts[0 * 3 + 1] == 1);
  CHECK(s.edge_counts[1 * 3 + 0] == 1);
  CHECK(s.edge_counts[0 * 3 + 2] == 2);
  CHECK(s.edge_counts[1 * 3 + 2] == 1);
  CHECK(s.edge_counts[0] == 0);
  ScoreOptions normalized;
  normalized.normalize = true;
  const CircuitScores n = circuit_scores(codes, row_prompt, positive, normalized).value();
  CHECK(n.node_counts[0] == doctest::Approx(1.0 / 3));  // {6} of {4, 5, 6}
  CHECK(n.node_counts[2] == doctest::Approx(1.0 / 2));  // {7} of {7, 8}
  CHECK(select_circuit(s.node, 1, 3) == std::vector<HeadRef>{{0, 0}, {0, 2}});
  CHECK(select_circuit(s.node, 1, 3, {1, {}}) == std::vector<HeadRef>{{0, 0}});
  CHECK_FALSE(circuit_scores(codes, row_prompt, {true, true, true, true}).ok());
  CHECK_FALSE(circuit_scores(codes, std::vector<int>{0, 1}, positive).ok());
}

TEST_CASE("SAE ROC and AUC on hand-made scores, ties counted one half") {
  const std::vector<double> scores = {0.9, 0.8, 0.8, 0.1};
  const std::vector<bool> labels = {true, false, true, false};
  const RocCurve roc = roc_curve(scores, labels).value();
  CHECK(roc.auc == doctest::Approx(0.875));  // 3.5 of 4 pairs
  REQUIRE(roc.points.size() == 4);
  CHECK(roc.points[1].fpr == 0.0);
  CHECK(roc.points[1].tpr == 0.5);
  CHECK(roc.points[2].fpr == 0.5);
  CHECK(roc.points[2].tpr == 1.0);
  CHECK(roc.points[3].fpr == 1.0);
  // The trapezoid area under the points is the same number.
  double area = 0;
  for (std::size_t i = 1; i < roc.points.size(); i++)
    area += (roc.points[i].fpr - roc.points[i - 1].fpr) *
            (roc.points[i].tpr + roc.points[i - 1].tpr) / 2;
  CHECK(area == doctest::Approx(roc.auc));
  CHECK(roc_curve(std::vector<double>{1, 1, 1}, {true, false, false})->auc == 0.5);
  CHECK(roc_curve(std::vector<double>{3, 2, 1}, {true, false, false})->auc == 1.0);
  CHECK(roc_curve(std::vector<double>{1, 2, 3}, {true, false, false})->auc == 0.0);
  const auto all_positive = roc_curve(std::vector<double>{1, 2}, {true, true});
  REQUIRE_FALSE(all_positive.ok());
  CHECK(all_positive.error().message.find("undefined") != std::string::npos);
  CHECK_FALSE(roc_curve(std::vector<double>{1, 2}, {true}).ok());
  CHECK_FALSE(roc_curve(std::vector<double>{}, {}).ok());
  CHECK_FALSE(roc_curve(std::vector<double>{std::nan(""), 1}, {true, false}).ok());
  const PrecisionRecall pr = precision_recall({true, true, false, false}, labels);
  CHECK(pr.precision == 0.5);
  CHECK(pr.recall == 0.5);
  CHECK(precision_recall({false, false, false, false}, labels).precision == 0.0);
}

TEST_CASE("SAE recovers a planted circuit exactly") {
  // 2 layers × 4 heads, d_model 32, 6 positive and 6 negative prompts. Circuit heads (L0H1, L1H2)
  // write one of two directions of their own on positives and one of two others on negatives;
  // every other head writes the same one of its two directions on prompt i whether positive or
  // negative. All directions are distinct basis vectors, scaled, plus small noise.
  const int L = 2, H = 4, A = L * H, D = 32, P = 6;
  std::mt19937_64 rng(21);
  auto noise = [&] { return float((double(rng() >> 11) * 0x1.0p-53 - 0.5) * 0.05); };
  HeadActivations acts;
  acts.n_layers = L;
  acts.n_heads = H;
  acts.n_prompts = 2 * P;
  acts.values = zeros({std::size_t(2 * P), std::size_t(A), std::size_t(D)});
  const std::vector<int> circuit = {1, 6};
  int next_dir = 0;
  std::vector<std::vector<int>> dirs(A);  // [A][4]: circuit heads use all 4, others 2
  for (int a = 0; a < A; a++) {
    const bool in_circuit = a == circuit[0] || a == circuit[1];
    for (int k = 0; k < (in_circuit ? 4 : 2); k++) dirs[a].push_back(next_dir++);
  }
  REQUIRE(next_dir <= D);
  for (int p = 0; p < 2 * P; p++) {
    const bool positive = p < P;
    acts.prompt.push_back(p);
    acts.position.push_back(-1);
    for (int a = 0; a < A; a++) {
      const bool in_circuit = dirs[a].size() == 4;
      const int which = (p % P) % 2 + (in_circuit && !positive ? 2 : 0);
      float* v = acts.values.data() + (std::size_t(p) * A + a) * D;
      for (int i = 0; i < D; i++) v[i] = noise();
      v[dirs[a][which]] += 2.0f + 0.5f * float(a % 3);
    }
  }
  std::vector<bool> positive(2 * P, false);
  for (int p = 0; p < P; p++) positive[p] = true;
  for (std::uint64_t seed : {0, 1, 2}) {
    CAPTURE(seed);
    SaeOptions options;
    options.n_hidden = 48;
    options.seed = seed;
    const SaeTraining t = sae_train(std::span<const float>(acts.values.data(), acts.values.size()),
                                    2 * P * A, D, options)
                              .value();
    const HeadCodes codes = sae_codes(t.sae, acts).value();
    const CircuitScores s = circuit_scores(codes, acts.prompt, positive).value();
    const CircuitEvaluation e =
        evaluate_circuit(s.node, L, H, std::vector<HeadRef>{{0, 1}, {1, 2}}).value();
    CHECK(e.roc.auc == 1.0);
    CHECK(e.selected == std::vector<HeadRef>{{0, 1}, {1, 2}});
    CHECK(e.at_cut.precision == 1.0);
    CHECK(e.at_cut.recall == 1.0);
    CHECK(s.edge_counts[1 * A + 6] > 0);
  }
  // The published protocol on the same pool: 4 of the 12 prompts drawn to train on, codes and
  // scores over all 12. The circuit is still found exactly, from nodes and from edges.
  for (std::uint64_t seed : {0, 1, 2}) {
    CAPTURE(seed);
    SaeCircuitOptions options;
    options.n_train = 4;
    options.seed = seed;
    options.sae.n_hidden = 48;
    const SaeCircuitResult r = sae_circuit_on(acts, P, options).value();
    CHECK(r.train_prompts.size() == 4);
    CHECK(r.codes.n_rows == 2 * P);
    const std::vector<HeadRef> truth = {{0, 1}, {1, 2}};
    CHECK(evaluate_circuit(r.scores.node, L, H, truth).value().roc.auc == 1.0);
    CHECK(evaluate_circuit(r.scores.edge_node, L, H, truth).value().roc.auc == 1.0);
  }
}

TEST_CASE("SAE edge-derived node scores: the first A²/2 components of the sorted pair list") {
  // 3 heads: pair (0, 1) has 5 code pairs seen only on positives, (1, 2) has 2, (0, 2) none.
  const int A = 3;
  std::vector<double> counts(A * A, 0.0);
  counts[0 * A + 1] = counts[1 * A + 0] = 5;
  counts[1 * A + 2] = counts[2 * A + 1] = 2;
  // Sorted descending (ties: larger flat index first): (1,0) (0,1) (2,1) (1,2) ...; the first
  // ⌊9/2⌋ = 4 components are 1, 0, 0, 1: head 0 twice, head 1 twice, head 2 never.
  const std::vector<double> s = edge_node_scores(counts, A);
  REQUIRE(s.size() == 3);
  CHECK(s[0] == doctest::Approx(s[1]));
  CHECK(s[0] > s[2]);
  CHECK(s[0] + s[1] + s[2] == doctest::Approx(1.0));
  CHECK(s[0] / s[2] == doctest::Approx(std::exp(2.0)));
  CHECK(edge_node_scores(std::vector<double>(5, 0.0), A).empty());
}

TEST_CASE("SAE circuit on the task model (ioi): 10 prompts, 500 epochs, AUC vs ground truth") {
  const Model& model = task_model();
  const auto positives = task_prompts("ioi", "positive");
  const auto negatives = task_prompts("ioi", "negative");
  const GroundTruth truth =
      parse_ground_truth(read_file_bytes(bundled("tasks/ground_truth.json")).text(), "ioi").value();
  SaeCircuitOptions options;
  options.seed = 0;
  const auto start = std::chrono::steady_clock::now();
  const SaeCircuitResult r = sae_circuit(model, positives, negatives, options).value();
  const CircuitEvaluation e = evaluate_circuit(r.scores.node, 4, 8, truth.heads).value();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string found;
  for (const HeadRef& h : e.selected) found += head_label(h) + " ";
  MESSAGE("ioi SAE circuit (seed 0): node ROC AUC "
          << e.roc.auc << ", selected " << found << "(precision " << e.at_cut.precision
          << ", recall " << e.at_cut.recall << "), final loss " << r.training.losses.back() << "; "
          << seconds << " s (activations " << r.seconds_activations << ", training "
          << r.seconds_training << ", scoring " << r.seconds_scoring << ")");
  // The published protocol: codes over the whole pool (200 + 200 prompts), 10 trained on.
  CHECK(shape_of(r.activations.values) == Shape{400, 32, 192});
  CHECK(r.train_prompts.size() == 10);
  CHECK(r.training.losses.size() == 500);
  CHECK(r.training.losses.back() < r.training.losses.front());
  CHECK(e.roc.auc >= 0.0);
  CHECK(e.roc.auc <= 1.0);
  // Better than chance (the README's table has the spread over seeds).
  CHECK(e.roc.auc > 0.5);
  // attnscope 0.1's protocol trains and scores on the 5 + 5 prompts it draws.
  SaeCircuitOptions v1 = options;
  v1.protocol = SaeProtocol::attnscope_v1;
  const SaeCircuitResult old = sae_circuit(model, positives, negatives, v1).value();
  CHECK(shape_of(old.activations.values) == Shape{10, 32, 192});
  // The same seed gives the same codes.
  const SaeCircuitResult again = sae_circuit(model, positives, negatives, options).value();
  CHECK(again.codes.codes == r.codes.codes);
  // Per-position activations: one row per token.
  ActivationOptions per_position;
  per_position.per_position = true;
  const std::vector<std::vector<int>> two = {positives[0].ids, positives[1].ids};
  const HeadActivations pp = head_activations(model, two, per_position).value();
  CHECK(pp.values.shape()[0] == positives[0].ids.size() + positives[1].ids.size());
  CHECK(pp.prompt.back() == 1);
}

TEST_CASE("SAE circuit AUC over 10 seeds on every task" * doctest::skip()) {
  const Model& model = task_model();
  const Bytes truth_bytes = read_file_bytes(bundled("tasks/ground_truth.json"));
  const std::string_view truth_json = truth_bytes.text();
  for (const char* task : {"induction", "ioi", "greater_than", "docstring"}) {
    const auto positives = task_prompts(task, "positive");
    const auto negatives = task_prompts(task, "negative");
    const GroundTruth truth = parse_ground_truth(truth_json, task).value();
    const SeedStability s =
        sae_seed_stability(model, positives, negatives, truth.heads, 10).value();
    std::string per_seed;
    for (double a : s.auc) per_seed += std::to_string(a).substr(0, 5) + " ";
    MESSAGE(std::string(task) << ": node ROC AUC " << s.mean << " ± " << s.std << " over 10 seeds ("
                              << per_seed << "), " << s.seconds / 10 << " s per run");
  }
}
