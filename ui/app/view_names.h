// view_names.h — the words the view is written in, in a shared link (view_state.cpp) and in a
// session file (session.cpp): tab, head, attention view and aggregate names, and their parsers.
// One home, so that a link and a session never disagree about what "L1H2" or "lines" means.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ui/app/app.h"

namespace attnscope::ui {

// Heads past these are refused when read (no model has so many; a hostile number stays small).
inline constexpr int kMaxLayersRead = 4096, kMaxHeadsRead = 4096;

const char* tab_name(Tab tab);  // "attention", "sinks", ..., "lens"
std::optional<Tab> parse_tab(std::string_view name);
const char* attention_view_name(AttentionView view);  // "heatmap", "lines"
std::optional<AttentionView> parse_attention_view(std::string_view name);
const char* aggregate_name(Aggregate aggregate);  // "head", "layer", "all"
std::optional<Aggregate> parse_aggregate(std::string_view name);
const char* backend_choice_name(BackendChoice choice);  // "automatic", "cpu", "webgpu"
std::optional<BackendChoice> parse_backend_choice(std::string_view name);

// Exactly "L<layer>H<head>" with both in range; anything else (trailing text, a sign) is refused.
std::optional<HeadRef> parse_head_label(std::string_view label);
// "L1H2,L0H3": the heads that parse, each once, in order; the rest are dropped.
std::vector<HeadRef> parse_head_list(std::string_view list);
// The heads that exist in a model of this shape.
void drop_heads_outside(std::vector<HeadRef>& heads, int n_layers, int n_heads);

}  // namespace attnscope::ui
