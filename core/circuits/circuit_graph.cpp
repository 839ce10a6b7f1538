#include "core/circuits/circuit_graph.h"

#include <algorithm>
#include <cmath>

#include "core/ops/kernels.h"

namespace attnscope {

std::string CircuitNode::name() const {
  switch (kind) {
    case Kind::embed:
      return "embed";
    case Kind::head:
      return "L" + std::to_string(layer) + "H" + std::to_string(head);
    case Kind::mlp:
      return "MLP" + std::to_string(layer);
    case Kind::logits:
      return "logits";
  }
  return "?";
}

namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<float> to_floats(const Matrix& m) {
  std::vector<float> out(m.size());
  for (std::size_t i = 0; i < out.size(); i++) out[i] = m.at(i);
  return out;
}

// Topological position of a component: embed −1, layer l's heads 2l, its MLP 2l + 1, logits 2L.
int order(const CircuitNode& n, int layers) {
  switch (n.kind) {
    case CircuitNode::Kind::embed:
      return -1;
    case CircuitNode::Kind::head:
      return 2 * n.layer;
    case CircuitNode::Kind::mlp:
      return 2 * n.layer + 1;
    case CircuitNode::Kind::logits:
      return 2 * layers;
  }
  return 0;
}

// The derivative of each activation, as kernels.h defines the activation.
double activation_derivative(Activation act, double x) {
  switch (act) {
    case Activation::gelu_tanh: {
      const double k = std::sqrt(2.0 / kPi);
      const double t = std::tanh(k * (x + 0.044715 * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x);
    }
    case Activation::gelu_erf:
      return 0.5 * (1 + std::erf(x / std::sqrt(2.0))) +
             x * std::exp(-0.5 * x * x) / std::sqrt(2 * kPi);
    case Activation::silu: {
      const double s = 1 / (1 + std::exp(-x));
      return s * (1 + x * (1 - s));
    }
    case Activation::relu:
      return x > 0 ? 1.0 : 0.0;
  }
  return 0.0;
}

// dx[T,C] from dy (the gradient at the norm's output) and the norm's input x, per row, in double.
void norm_backward(float* dx, const float* dy, const float* x, const std::vector<float>& w, int T,
                   int C, double eps, NormKind kind) {
  std::vector<double> g(C);
  for (int t = 0; t < T; t++) {
    const float* xr = x + std::size_t(t) * C;
    const float* dyr = dy + std::size_t(t) * C;
    double mean = 0, var = 0;
    if (kind == NormKind::layernorm) {
      for (int c = 0; c < C; c++) mean += xr[c];
      mean /= C;
    }
    for (int c = 0; c < C; c++) var += (xr[c] - mean) * (xr[c] - mean);
    const double rstd = 1 / std::sqrt(var / C + eps);
    double sum_g = 0, sum_gx = 0;
    for (int c = 0; c < C; c++) {
      g[c] = double(dyr[c]) * w[c];
      sum_g += g[c];
      sum_gx += g[c] * (xr[c] - mean) * rstd;
    }
    for (int c = 0; c < C; c++) {
      const double xh = (xr[c] - mean) * rstd;
      const double centred = kind == NormKind::layernorm ? g[c] - sum_g / C : g[c];
      dx[std::size_t(t) * C + c] = static_cast<float>(rstd * (centred - xh * sum_gx / C));
    }
  }
}

// The model's norm (LayerNorm with its optional bias, or RMSNorm) over T rows of C.
void normalize(float* out, const float* x, const std::vector<float>& w, const std::vector<float>& b,
               int T, int C, const ModelConfig& c) {
  if (c.norm == NormKind::layernorm)
    default_kernels().layernorm(out, x, w.data(), b.empty() ? nullptr : b.data(), T, C, c.norm_eps);
  else
    default_kernels().rmsnorm(out, x, w.data(), T, C, c.norm_eps);
}

void add_into(float* a, const float* b, std::size_t n) {
  for (std::size_t i = 0; i < n; i++) a[i] += b[i];
}

}  // namespace

CircuitGraph::CircuitGraph(const Model& model)
    : model_(&model),
      layers_(model.config().n_layers),
      heads_(model.config().n_heads),
      C_(model.config().d_model),
      D_(model.config().d_head),
      F_(model.config().d_mlp),
      V_(model.config().vocab_size) {}

Result<CircuitGraph> CircuitGraph::build(const Model& model) {
  const ModelConfig& c = model.config();
  const std::string family = c.model_type;
  auto unsupported = [&](const std::string& what) {
    return make_error(
        "circuit graphs support the GPT-2 family's computation; " + family + " has " + what,
        "edge attribution and ACDC have no backward pass for it yet");
  };
  if (c.position != PositionKind::learned) return unsupported("rotary positions");
  if (c.n_kv_heads != c.n_heads) return unsupported("grouped-query attention");
  if (c.gated_mlp) return unsupported("a gated MLP");
  if (c.parallel_residual) return unsupported("a parallel residual");

  CircuitGraph g(model);
  const int L = g.layers_, H = g.heads_;
  g.senders_.push_back({CircuitNode::Kind::embed});
  for (int l = 0; l < L; l++) {
    for (int h = 0; h < H; h++) {
      g.senders_.push_back({CircuitNode::Kind::head, l, h});
      g.receivers_.push_back({CircuitNode::Kind::head, l, h});
    }
    g.senders_.push_back({CircuitNode::Kind::mlp, l});
    g.receivers_.push_back({CircuitNode::Kind::mlp, l});
  }
  g.receivers_.push_back({CircuitNode::Kind::logits});
  g.into_.resize(g.receivers_.size());
  for (int r = 0; r < int(g.receivers_.size()); r++)
    for (int s = 0; s < int(g.senders_.size()); s++)
      if (order(g.senders_[s], L) < order(g.receivers_[r], L)) {
        g.into_[r].push_back(int(g.edges_.size()));
        g.edges_.push_back({s, r});
      }

  const ModelWeights& w = model.weights();
  for (const LayerWeights& lw : w.layers)
    g.w_.push_back({to_floats(lw.wq), to_floats(lw.wk), to_floats(lw.wv), to_floats(lw.wo),
                    to_floats(lw.w_up), to_floats(lw.w_down)});
  g.unembed_ = to_floats(w.unembed.empty() ? w.token_embed : w.unembed);
  return g;
}

const float* CircuitGraph::corrupt_row(int sender, int t) const {
  if (mode_ == CorruptionMode::pooled_mean) return corrupt_.data() + std::size_t(sender) * C_;
  return corrupt_.data() + (std::size_t(sender) * corrupt_T_ + t) * C_;
}

Status CircuitGraph::corruption_covers(int T) const {
  if (mode_ == CorruptionMode::paired && !paired_.empty()) return {};
  if (corrupt_.empty())
    return make_error("patching an edge needs the corrupted outputs (set_corruption) first");
  if (mode_ == CorruptionMode::positional_mean && T > corrupt_T_)
    return make_error("the prompt has " + std::to_string(T) +
                          " tokens; the per-position means reach only " +
                          std::to_string(corrupt_T_),
                      "give reference prompts at least as long, or pooled means");
  return {};
}

Status CircuitGraph::corrupted_outputs(int pair, int T, std::vector<float>& rows) const {
  const std::size_t S = senders_.size(), TC = std::size_t(T) * C_;
  if (mode_ != CorruptionMode::paired) {
    ATTNSCOPE_TRY(corruption_covers(T));
    rows.resize(S * TC);
    for (std::size_t s = 0; s < S; s++)
      for (int t = 0; t < T; t++)
        std::copy_n(corrupt_row(int(s), t), C_, rows.data() + s * TC + std::size_t(t) * C_);
    return {};
  }
  if (paired_.empty())
    return make_error("patching an edge needs the corrupted outputs (set_corruption) first");
  if (pair < 0 || std::size_t(pair) >= paired_.size())
    return make_error("paired corruption: prompt " + std::to_string(pair) + " has no reference (" +
                          std::to_string(paired_.size()) + " given)",
                      "give one corrupted prompt per prompt, line by line");
  if (int(paired_[pair].size()) != T)
    return make_error("paired corruption: prompt " + std::to_string(pair) + " has " +
                          std::to_string(T) + " tokens, its reference " +
                          std::to_string(paired_[pair].size()),
                      "a prompt and its corrupted twin must have the same number of tokens");
  Run run;
  ATTNSCOPE_TRY(this->run(paired_[pair], {}, run));
  rows = std::move(run.out);
  return {};
}

Status CircuitGraph::set_corruption(std::span<const Prompt> references, CorruptionMode mode) {
  if (references.empty()) return make_error("the corruption needs at least one reference prompt");
  paired_.clear();
  if (mode == CorruptionMode::paired) {
    for (const Prompt& p : references) {
      ATTNSCOPE_TRY(model_->check_ids(p.ids));
      paired_.push_back(p.ids);
    }
    corrupt_.clear();
    corrupt_T_ = 0;
    mode_ = mode;
    return {};
  }
  const std::size_t S = senders_.size();
  int T_max = 0;
  for (const Prompt& p : references) T_max = std::max(T_max, int(p.ids.size()));
  const int rows = mode == CorruptionMode::pooled_mean ? 1 : T_max;
  std::vector<double> sum(S * rows * C_, 0.0);
  std::vector<double> count(rows, 0.0);
  Run run;
  for (const Prompt& p : references) {
    ATTNSCOPE_TRY(this->run(p.ids, {}, run));
    for (int t = 0; t < run.T; t++) {
      const int row = mode == CorruptionMode::pooled_mean ? 0 : t;
      count[row] += 1;
      for (std::size_t s = 0; s < S; s++) {
        const float* o = run.out.data() + (s * run.T + t) * C_;
        double* acc = sum.data() + (s * rows + row) * C_;
        for (int c = 0; c < C_; c++) acc[c] += o[c];
      }
    }
  }
  corrupt_.assign(sum.size(), 0.0f);
  for (std::size_t s = 0; s < S; s++)
    for (int row = 0; row < rows; row++)
      for (int c = 0; c < C_; c++) {
        const std::size_t i = (s * rows + row) * C_ + c;
        corrupt_[i] = static_cast<float>(sum[i] / count[row]);
      }
  mode_ = mode;
  corrupt_T_ = T_max;
  return {};
}

void CircuitGraph::run_head(int l, int h, const float* x, Run& r) const {
  const ModelConfig& c = model_->config();
  const LayerWeights& lw = model_->weights().layers[l];
  Kernels& k = default_kernels();
  const int T = r.T, C = C_, D = D_, H = heads_;
  const std::size_t rr = std::size_t(l) * (H + 1) + h;
  float* normed = r.normed.data() + rr * T * C;
  normalize(normed, x, lw.ln1_w, lw.ln1_b, T, C, c);
  float* qkv = r.qkv.data() + (std::size_t(l) * H + h) * 3 * T * D;
  const std::vector<float>* ws[3] = {&w_[l].wq, &w_[l].wk, &w_[l].wv};
  const std::vector<float>* bs[3] = {&lw.bq, &lw.bk, &lw.bv};
  for (int i = 0; i < 3; i++)
    k.linear(qkv + std::size_t(i) * T * D, normed, ws[i]->data() + std::size_t(h) * D * C,
             bs[i]->empty() ? nullptr : bs[i]->data() + std::size_t(h) * D, T, C, D);
  float scale = 1.0f / std::sqrt(static_cast<float>(D));
  if (c.scale_attn_by_inverse_layer_idx) scale /= static_cast<float>(l + 1);
  std::vector<float> z(std::size_t(T) * D);
  float* pattern = r.pattern.data() + (std::size_t(l) * H + h) * T * T;
  k.attention(z.data(), pattern, qkv, qkv + std::size_t(T) * D, qkv + 2 * std::size_t(T) * D, T, 1,
              1, D, scale, 0);
  // out = z · W_O[:, hD : hD + D]ᵀ: the head's columns of W_O, rows H·D apart.
  float* out = r.out.data() + std::size_t(head_sender(l, h)) * T * C;
  k.linear_strided(out, C, z.data(), D,
                   WeightView::f32(w_[l].wo.data() + std::size_t(h) * D, H * D), nullptr, T, D, C);
}

void CircuitGraph::run_mlp(int l, const float* x, Run& r) const {
  const ModelConfig& c = model_->config();
  const LayerWeights& lw = model_->weights().layers[l];
  Kernels& k = default_kernels();
  const int T = r.T, C = C_, F = F_, H = heads_;
  const std::size_t rr = std::size_t(l) * (H + 1) + H;
  float* normed = r.normed.data() + rr * T * C;
  normalize(normed, x, lw.ln2_w, lw.ln2_b, T, C, c);
  float* pre = r.mlp_pre.data() + std::size_t(l) * T * F;
  k.linear(pre, normed, w_[l].w_up.data(), lw.b_up.empty() ? nullptr : lw.b_up.data(), T, C, F);
  std::vector<float> act(pre, pre + std::size_t(T) * F);
  k.activate(act.data(), act.size(), c.activation);
  float* out = r.out.data() + std::size_t(mlp_sender(l)) * T * C;
  k.linear(out, act.data(), w_[l].w_down.data(), lw.b_down.empty() ? nullptr : lw.b_down.data(), T,
           F, C);
}

Status CircuitGraph::run(std::span<const int> ids, std::span<const float> alpha, Run& r,
                         const Run* from, int start_layer, std::span<const float> corrupted,
                         int only_receiver) const {
  ATTNSCOPE_TRY(model_->check_ids(ids));
  if (!alpha.empty() && alpha.size() != edges_.size())
    return make_error("the patch has " + std::to_string(alpha.size()) +
                      " edge weights; the graph has " + std::to_string(edges_.size()) + " edges");
  const bool patched = std::any_of(alpha.begin(), alpha.end(), [](float a) { return a != 0.0f; });
  const int T = int(ids.size());
  if (patched && !corrupted.empty() && corrupted.size() != senders_.size() * T * C_)
    return make_error("the corrupted outputs are for another prompt length");
  if (patched && corrupted.empty()) {
    if (mode_ == CorruptionMode::paired)
      return make_error("paired corruption: run() needs the prompt's corrupted_outputs()");
    ATTNSCOPE_TRY(corruption_covers(T));
  }
  const ModelConfig& c = model_->config();
  const ModelWeights& w = model_->weights();
  const int L = layers_, H = heads_, C = C_;
  const std::size_t TC = std::size_t(T) * C, S = senders_.size(), R = receivers_.size();
  if (from && from->T != T) return make_error("a run continued from another prompt's run");
  r.T = T;
  r.out.resize(S * TC);
  r.in.resize(R * TC);
  r.normed.resize(R * TC);
  r.qkv.resize(std::size_t(L) * H * 3 * T * D_);
  r.pattern.resize(std::size_t(L) * H * T * T);
  r.mlp_pre.resize(std::size_t(L) * T * F_);
  r.logits.resize(V_);
  if (!from) start_layer = 0;
  if (only_receiver >= 0 && (!from || only_receiver >= int(R)))
    return make_error("a run of one changed receiver continues from another run");
  if (from && from != &r)
    std::copy(from->out.begin(),
              only_receiver >= 0
                  ? from->out.end()
                  : from->out.begin() + std::size_t(head_sender(start_layer, 0)) * TC,
              r.out.begin());

  Kernels& k = default_kernels();
  if (start_layer == 0) {
    float* emb = r.out.data();
    k.gather_rows(emb, w.token_embed.view(C), ids.data(), T, C);
    std::vector<int> positions(T);
    for (int t = 0; t < T; t++) positions[t] = t;
    std::vector<float> pos(TC);
    k.gather_rows(pos.data(), w.pos_embed.view(C), positions.data(), T, C);
    add_into(emb, pos.data(), TC);
  }
  // The receiver's input: the residual sum, with its patched edges' terms moved to the corruption.
  std::vector<float> base(r.out.begin(), r.out.begin() + TC);
  auto input = [&](int receiver) {
    float* x = r.in.data() + std::size_t(receiver) * TC;
    std::copy(base.begin(), base.end(), x);
    if (!patched) return x;
    for (int e : into_[receiver]) {
      const float a = alpha[e];
      if (a == 0.0f) continue;
      const int s = edges_[e].sender;
      const float* o = r.out.data() + std::size_t(s) * TC;
      for (int t = 0; t < T; t++) {
        const float* cr =
            corrupted.empty() ? corrupt_row(s, t) : corrupted.data() + (std::size_t(s) * T + t) * C;
        for (int i = 0; i < C; i++) x[t * C + i] += a * (cr[i] - o[t * C + i]);
      }
    }
    return x;
  };
  auto add_sender = [&](int s) { add_into(base.data(), r.out.data() + std::size_t(s) * TC, TC); };
  auto add_bias = [&](const std::vector<float>& b) {
    if (b.empty()) return;
    for (int t = 0; t < T; t++) add_into(base.data() + std::size_t(t) * C, b.data(), C);
  };
  // With only_receiver, a node is computed again only when its input differs from `from`'s:
  // it is that receiver, or it reads (through an edge not fully patched) a node computed again.
  // The others keep `from`'s outputs.
  std::vector<char> dirty(S, 0);  // senders whose output is computed again
  const auto recompute = [&](int receiver) {
    if (only_receiver < 0 || receiver == only_receiver) return true;
    for (int e : into_[receiver])
      if (dirty[edges_[e].sender] && (alpha.empty() || alpha[e] != 1.0f)) return true;
    return false;
  };
  for (int l = 0; l < L; l++) {
    const int r0 = l * (H + 1);
    if (l >= start_layer)
      for (int h = 0; h < H; h++)
        if (recompute(r0 + h)) {
          run_head(l, h, input(r0 + h), r);
          dirty[head_sender(l, h)] = 1;
        }
    for (int h = 0; h < H; h++) add_sender(head_sender(l, h));
    add_bias(w.layers[l].bo);  // the attention's output bias belongs to no head: always clean
    if (l >= start_layer && recompute(r0 + H)) {
      run_mlp(l, input(r0 + H), r);
      dirty[mlp_sender(l)] = 1;
    }
    add_sender(mlp_sender(l));
  }
  // Logits at the last position only: every metric here reads nothing else.
  const float* x = input(int(R) - 1) + std::size_t(T - 1) * C;
  std::vector<float> normed(C);
  normalize(normed.data(), x, w.lnf_w, w.lnf_b, 1, C, c);
  k.linear(r.logits.data(), normed.data(), unembed_.data(),
           w.unembed_b.empty() ? nullptr : w.unembed_b.data(), 1, C, V_);
  return {};
}

namespace {
double mean_of(std::span<const float> logits, const std::vector<int>& ids) {
  double sum = 0;
  std::size_t n = 0;
  for (int id : ids)
    if (id >= 0 && std::size_t(id) < logits.size()) sum += logits[id], n++;
  return n ? sum / double(n) : 0.0;
}
}  // namespace

double CircuitGraph::metric(GraphMetric kind, const Run& run, const Prompt& prompt,
                            std::span<const float> clean_logits) {
  if (kind == GraphMetric::logit_diff)
    return mean_of(run.logits, prompt.answers) - mean_of(run.logits, prompt.distractors);
  const std::vector<double> p = log_softmax(clean_logits.data(), clean_logits.size()),
                            q = log_softmax(run.logits.data(), run.logits.size());
  double kl = 0;
  for (std::size_t i = 0; i < p.size(); i++) kl += std::exp(p[i]) * (p[i] - q[i]);
  return kl;
}

Result<std::vector<float>> CircuitGraph::input_gradients(const Run& run,
                                                         const Prompt& prompt) const {
  const ModelConfig& c = model_->config();
  const ModelWeights& w = model_->weights();
  const int T = run.T, L = layers_, H = heads_, C = C_, D = D_, F = F_;
  const std::size_t TC = std::size_t(T) * C, R = receivers_.size();
  if (run.out.size() != senders_.size() * TC) return make_error("the run is incomplete");
  Kernels& k = default_kernels();
  std::vector<float> g(R * TC, 0.0f);

  // The metric's gradient at the last position's logits, then through the unembedding.
  std::vector<double> u(V_, 0.0);
  auto spread = [&](const std::vector<int>& ids, double sign) {
    std::size_t n = 0;
    for (int id : ids) n += id >= 0 && id < V_;
    for (int id : ids)
      if (id >= 0 && id < V_) u[id] += sign / double(n);
  };
  spread(prompt.answers, 1.0);
  spread(prompt.distractors, -1.0);
  std::vector<float> d_normed(C, 0.0f);
  for (int v = 0; v < V_; v++)
    if (u[v] != 0)
      for (int i = 0; i < C; i++) d_normed[i] += float(u[v] * unembed_[std::size_t(v) * C + i]);
  float* g_logits = g.data() + (R - 1) * TC;
  norm_backward(g_logits + std::size_t(T - 1) * C, d_normed.data(),
                run.in.data() + (R - 1) * TC + std::size_t(T - 1) * C, w.lnf_w, 1, C, c.norm_eps,
                c.norm);

  // G: ∂metric/∂(the residual stream after the current component) = the sum of the input
  // gradients of every receiver after it.
  std::vector<float> G(g_logits, g_logits + TC);
  std::vector<float> tmp(TC), dz(std::size_t(T) * D), dq(std::size_t(T) * D), dk(dq.size()),
      dv(dq.size()), dx(TC), dact(std::size_t(T) * F), dA(std::size_t(T) * T);
  for (int l = L - 1; l >= 0; l--) {
    const LayerWeights& lw = w.layers[l];
    const int r0 = l * (H + 1);
    // The MLP: out = act(pre) · W_downᵀ + b, pre = norm(x) · W_upᵀ + b.
    k.matmul(dact.data(), G.data(), w_[l].w_down.data(), nullptr, T, C, F);
    const float* pre = run.mlp_pre.data() + std::size_t(l) * T * F;
    for (std::size_t i = 0; i < dact.size(); i++)
      dact[i] = static_cast<float>(dact[i] * activation_derivative(c.activation, pre[i]));
    k.matmul(tmp.data(), dact.data(), w_[l].w_up.data(), nullptr, T, F, C);
    float* g_mlp = g.data() + std::size_t(r0 + H) * TC;
    norm_backward(g_mlp, tmp.data(), run.in.data() + std::size_t(r0 + H) * TC, lw.ln2_w, T, C,
                  c.norm_eps, c.norm);
    add_into(G.data(), g_mlp, TC);

    // Each head: out = z · W_O,hᵀ, z = softmax(q kᵀ · scale) v, q k v = norm(x) · Wᵀ + b.
    float scale = 1.0f / std::sqrt(static_cast<float>(D));
    if (c.scale_attn_by_inverse_layer_idx) scale /= static_cast<float>(l + 1);
    for (int h = 0; h < H; h++) {
      const float* wo = w_[l].wo.data();
      for (int t = 0; t < T; t++)
        for (int j = 0; j < D; j++) {
          double s = 0;
          for (int i = 0; i < C; i++)
            s += double(G[std::size_t(t) * C + i]) * wo[std::size_t(i) * H * D + h * D + j];
          dz[std::size_t(t) * D + j] = float(s);
        }
      const float* q = run.qkv.data() + (std::size_t(l) * H + h) * 3 * T * D;
      const float* kk = q + std::size_t(T) * D;
      const float* v = kk + std::size_t(T) * D;
      const float* A = run.pattern.data() + (std::size_t(l) * H + h) * T * T;
      std::fill(dv.begin(), dv.end(), 0.0f);
      std::fill(dq.begin(), dq.end(), 0.0f);
      std::fill(dk.begin(), dk.end(), 0.0f);
      for (int i = 0; i < T; i++) {
        double row = 0;
        for (int j = 0; j <= i; j++) {
          double s = 0;
          for (int d = 0; d < D; d++) s += double(dz[i * D + d]) * v[j * D + d];
          dA[std::size_t(i) * T + j] = float(s);
          row += s * A[std::size_t(i) * T + j];
          for (int d = 0; d < D; d++) dv[j * D + d] += A[std::size_t(i) * T + j] * dz[i * D + d];
        }
        for (int j = 0; j <= i; j++) {
          const double dS = A[std::size_t(i) * T + j] * (dA[std::size_t(i) * T + j] - row) * scale;
          for (int d = 0; d < D; d++) {
            dq[i * D + d] += float(dS * kk[j * D + d]);
            dk[j * D + d] += float(dS * q[i * D + d]);
          }
        }
      }
      std::fill(dx.begin(), dx.end(), 0.0f);
      const float* dqkv[3] = {dq.data(), dk.data(), dv.data()};
      const std::vector<float>* ws[3] = {&w_[l].wq, &w_[l].wk, &w_[l].wv};
      for (int i = 0; i < 3; i++) {
        k.matmul(tmp.data(), dqkv[i], ws[i]->data() + std::size_t(h) * D * C, nullptr, T, D, C);
        add_into(dx.data(), tmp.data(), TC);
      }
      norm_backward(g.data() + std::size_t(r0 + h) * TC, dx.data(),
                    run.in.data() + std::size_t(r0 + h) * TC, lw.ln1_w, T, C, c.norm_eps, c.norm);
    }
    for (int h = 0; h < H; h++) add_into(G.data(), g.data() + std::size_t(r0 + h) * TC, TC);
  }
  return g;
}

}  // namespace attnscope
