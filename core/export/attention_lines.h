// attention_lines.h — the attention "line view" as a publication figure (BertViz's look): the
// tokens twice, queries on the left and keys on the right, and a line from each query to each key
// it attends to, its opacity and width the weight. PNG at 1×, 2× or 4× and SVG, from the same
// recorded steps as every figure (figure_raster.h, figure_svg.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/export/heatmap_png.h"

namespace attnscope {

struct AttentionLinesSpec {
  const float* pattern = nullptr;  // [T, T] query × key, rows summing to 1; outlives the call
  int tokens = 0;
  std::vector<std::string> labels;  // one per token (UTF-8); empty: 0, 1, 2, ...
  std::string title;
  int query = -1;            // draw only this query's lines (-1: every query's)
  float min_weight = 0.02f;  // lighter lines are left out, as the explorer does
};

inline constexpr int kMaxLineTokens = 512;

Result<HeatmapFigure> render_attention_lines(const AttentionLinesSpec& spec,
                                             std::vector<FigureOp>* record = nullptr);
Result<std::vector<std::uint8_t>> render_attention_lines_png(const AttentionLinesSpec& spec,
                                                             int scale = 1);
Result<std::string> render_attention_lines_svg(const AttentionLinesSpec& spec);

}  // namespace attnscope
