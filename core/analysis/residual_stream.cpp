// residual_stream.cpp — see residual_stream.h.
#include "core/analysis/residual_stream.h"

namespace attnscope {

std::vector<HookId> residual_stream_hooks(int n_layers) {
  std::vector<HookId> hooks;
  for (int l = 0; l < n_layers; l++) hooks.push_back({HookPoint::resid_pre, l});
  hooks.push_back({HookPoint::resid_post, n_layers - 1});
  return hooks;
}

Result<ResidualStreams> residual_streams(const Model& model, std::span<const int> ids) {
  const std::vector<HookId> hooks = residual_stream_hooks(model.config().n_layers);
  HookPlan plan;
  for (const HookId& id : hooks) plan.capture(hook_name(id));
  Cache cache;
  ResidualStreams out;
  ATTNSCOPE_ASSIGN(out.logits, model.forward(ids, plan, &cache));
  for (const HookId& id : hooks) out.rows.push_back(*cache.find(id));
  return out;
}

}  // namespace attnscope
