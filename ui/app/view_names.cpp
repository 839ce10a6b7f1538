// view_names.cpp — see view_names.h.
#include "ui/app/view_names.h"

#include <algorithm>
#include <cstdio>

#include "core/split_list.h"

namespace attnscope::ui {

namespace {

constexpr Tab kTabs[] = {Tab::attention, Tab::sinks,    Tab::ablation,
                         Tab::circuits,  Tab::patching, Tab::lens};

}  // namespace

const char* tab_name(Tab tab) {
  switch (tab) {
    case Tab::attention:
      return "attention";
    case Tab::sinks:
      return "sinks";
    case Tab::ablation:
      return "ablation";
    case Tab::circuits:
      return "circuits";
    case Tab::patching:
      return "patching";
    case Tab::lens:
      return "lens";
  }
  return "attention";
}

std::optional<Tab> parse_tab(std::string_view name) {
  for (Tab t : kTabs)
    if (name == tab_name(t)) return t;
  return std::nullopt;
}

const char* attention_view_name(AttentionView view) {
  return view == AttentionView::lines ? "lines" : "heatmap";
}

std::optional<AttentionView> parse_attention_view(std::string_view name) {
  if (name == "lines") return AttentionView::lines;
  if (name == "heatmap") return AttentionView::heatmap;
  return std::nullopt;
}

const char* backend_choice_name(BackendChoice choice) {
  switch (choice) {
    case BackendChoice::cpu:
      return "cpu";
    case BackendChoice::webgpu:
      return "webgpu";
    case BackendChoice::automatic:
      break;
  }
  return "automatic";
}

std::optional<BackendChoice> parse_backend_choice(std::string_view name) {
  for (BackendChoice c : {BackendChoice::automatic, BackendChoice::cpu, BackendChoice::webgpu})
    if (name == backend_choice_name(c)) return c;
  return std::nullopt;
}

const char* aggregate_name(Aggregate aggregate) {
  switch (aggregate) {
    case Aggregate::head:
      return "head";
    case Aggregate::layer_mean:
      return "layer";
    case Aggregate::all_mean:
      return "all";
  }
  return "head";
}

std::optional<Aggregate> parse_aggregate(std::string_view name) {
  for (Aggregate a : {Aggregate::head, Aggregate::layer_mean, Aggregate::all_mean})
    if (name == aggregate_name(a)) return a;
  return std::nullopt;
}

std::optional<HeadRef> parse_head_label(std::string_view label) {
  // sscanf would accept " L1H2", "L+1H2" and numbers past int: check the characters first.
  if (label.size() < 4 || label.size() > 12 || label[0] != 'L') return std::nullopt;
  const std::size_t h = label.find('H');
  if (h == std::string_view::npos || h < 2 || h + 1 >= label.size()) return std::nullopt;
  const auto digits = [](std::string_view s) {
    return s.size() <= 5 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const std::string_view layer = label.substr(1, h - 1), head = label.substr(h + 1);
  if (!digits(layer) || !digits(head)) return std::nullopt;
  const HeadRef out{std::stoi(std::string(layer)), std::stoi(std::string(head))};
  if (out.layer >= kMaxLayersRead || out.head >= kMaxHeadsRead) return std::nullopt;
  return out;
}

std::vector<HeadRef> parse_head_list(std::string_view list) {
  std::vector<HeadRef> out;
  for (std::string_view item : split_list(list))
    if (auto head = parse_head_label(item);
        head && std::find(out.begin(), out.end(), *head) == out.end())
      out.push_back(*head);
  return out;
}

void drop_heads_outside(std::vector<HeadRef>& heads, int n_layers, int n_heads) {
  std::erase_if(heads, [&](HeadRef h) { return h.layer >= n_layers || h.head >= n_heads; });
}

}  // namespace attnscope::ui
