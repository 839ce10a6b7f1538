#include "core/model/hooks.h"

#include <array>

#include "core/split_list.h"

namespace attnscope {
namespace {

// Name of each hook point, relative to its block for block hooks.
constexpr std::array<std::string_view, kHookPointCount> kNames = {
    "hook_embed",
    "hook_pos_embed",
    "hook_resid_pre",
    "attn.hook_q",
    "attn.hook_k",
    "attn.hook_v",
    "attn.hook_rot_q",
    "attn.hook_rot_k",
    "attn.hook_attn_scores",
    "attn.hook_pattern",
    "attn.hook_z",
    "attn.hook_result",
    "hook_attn_out",
    "hook_resid_mid",
    "mlp.hook_post",
    "hook_mlp_out",
    "hook_resid_post",
    "ln_final.hook_normalized",
    "logits",
};

}  // namespace

bool is_block_hook(HookPoint point) {
  return point != HookPoint::embed && point != HookPoint::pos_embed &&
         point != HookPoint::ln_final && point != HookPoint::logits;
}

std::string hook_name(const HookId& id) {
  const std::string_view base = kNames[static_cast<int>(id.point)];
  if (!is_block_hook(id.point)) return std::string(base);
  return "blocks." + std::to_string(id.layer) + "." + std::string(base);
}

std::optional<HookId> parse_hook_name(std::string_view name) {
  int layer = -1;
  std::string_view rest = name;
  if (name.starts_with("blocks.")) {
    rest.remove_prefix(7);
    std::size_t digits = 0;
    layer = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9' && digits < 6)
      layer = layer * 10 + (rest[digits++] - '0');
    if (digits == 0 || digits >= rest.size() || rest[digits] != '.') return std::nullopt;
    rest.remove_prefix(digits + 1);
  }
  for (int p = 0; p < kHookPointCount; p++) {
    const auto point = static_cast<HookPoint>(p);
    if (kNames[p] == rest && is_block_hook(point) == (layer >= 0)) return HookId{point, layer};
  }
  return std::nullopt;
}

std::vector<HookId> all_hooks(int n_layers) {
  std::vector<HookId> ids = {{HookPoint::embed}, {HookPoint::pos_embed}};
  for (int l = 0; l < n_layers; l++)
    for (int p = static_cast<int>(HookPoint::resid_pre);
         p <= static_cast<int>(HookPoint::resid_post); p++)
      ids.push_back({static_cast<HookPoint>(p), l});
  ids.push_back({HookPoint::ln_final});
  ids.push_back({HookPoint::logits});
  return ids;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative matcher with one backtrack point for the last '*': linear in practice.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      p++;
      t++;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') p++;
  return p == pattern.size();
}

void HookPlan::capture_list(std::string_view globs) {
  for (const std::string_view glob : split_list(globs))
    if (!glob.empty()) capture(std::string(glob));
}

bool HookPlan::captures(const HookId& id) const {
  if (globs_.empty()) return false;
  const std::string name = hook_name(id);
  for (const std::string& glob : globs_)
    if (glob_match(glob, name)) return true;
  return false;
}

bool HookPlan::edits(const HookId& id) const {
  for (const Edit& e : edits_)
    if (e.id == id) return true;
  return false;
}

HookSet HookPlan::resolve(int n_layers) const {
  HookSet set;
  const std::size_t size = static_cast<std::size_t>(n_layers + 1) * kHookPointCount;
  set.captured_.assign(size, false);
  set.edited_.assign(size, false);
  if (!globs_.empty())
    for (const HookId& id : all_hooks(n_layers))
      if (captures(id)) set.captured_[HookSet::index(id)] = set.any_ = true;
  for (const Edit& e : edits_) {
    const std::size_t i = HookSet::index(e.id);
    if (e.id.layer < n_layers && i < size) set.edited_[i] = set.any_ = true;
  }
  return set;
}

}  // namespace attnscope
