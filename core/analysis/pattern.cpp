#include "core/analysis/pattern.h"

namespace attnscope {

Status check_head(const HeadRef& head, int n_layers, int n_heads, std::string_view as_typed) {
  if (head.layer >= 0 && head.layer < n_layers && head.head >= 0 && head.head < n_heads) return {};
  const std::string name = as_typed.empty() ? head_label(head) : std::string(as_typed);
  return make_error("head " + name + " is outside the model (" + std::to_string(n_layers) +
                    " layers × " + std::to_string(n_heads) + " heads)");
}

std::string head_label(const HeadRef& head) {
  // Appended piece by piece: g++ 12 warns (-Wrestrict, a false positive) on "L" + to_string(..).
  std::string label = "L";
  label += std::to_string(head.layer);
  label += 'H';
  label += std::to_string(head.head);
  return label;
}

Status check_pattern(const Tensor& pattern) {
  const Shape shape = shape_of(pattern);
  if (shape.size() != 3 || shape[1] != shape[2] || shape[1] == 0 || shape[0] == 0)
    return make_error(
        "an attention pattern must be [head, query, key] with as many queries as keys"
        ", got " +
            shape_string(shape),
        "pass a captured blocks.{l}.attn.hook_pattern");
  return {};
}

std::vector<HeadRef> all_heads(int n_layers, int n_heads) {
  std::vector<HeadRef> heads;
  for (int l = 0; l < n_layers; l++)
    for (int h = 0; h < n_heads; h++) heads.push_back({l, h});
  return heads;
}

Result<std::vector<const Tensor*>> layer_patterns(const Cache& cache) {
  std::vector<const Tensor*> by_layer;
  for (const Cache::Entry& e : cache.entries()) {
    if (e.id.point != HookPoint::attn_pattern) continue;
    const auto l = static_cast<std::size_t>(e.id.layer);
    if (by_layer.size() <= l) by_layer.resize(l + 1, nullptr);
    by_layer[l] = &e.tensor();  // the latest capture of a layer wins
  }
  if (by_layer.empty())
    return make_error("the cache holds no attention pattern",
                      "capture blocks.*.attn.hook_pattern in the forward pass");
  for (std::size_t l = 0; l < by_layer.size(); l++) {
    if (!by_layer[l])
      return make_error("the cache has no pattern for layer " + std::to_string(l),
                        "capture blocks.*.attn.hook_pattern (every layer)");
    ATTNSCOPE_TRY(check_pattern(*by_layer[l]));
    if (by_layer[l]->shape() != by_layer[0]->shape())
      return make_error("the cached patterns differ in shape: layer 0 is " +
                        shape_string(shape_of(*by_layer[0])) + ", layer " + std::to_string(l) +
                        " is " + shape_string(shape_of(*by_layer[l])));
  }
  return by_layer;
}

}  // namespace attnscope
