// figure_export.h — one labelled map as a figure (PNG, SVG: core/export's renderers) and as data
// (CSV, JSON), saved through the host: what every map view's export buttons write.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/export/colormap.h"
#include "core/export/line_chart.h"
#include "core/tensor.h"
#include "ui/app/widgets.h"

namespace attnscope::ui {

struct MapExport {
  const Tensor* values = nullptr;  // [rows, cols]
  std::string name;                // file stem after the model's name ("patch_resid_pre")
  std::string title;               // after "model: "
  std::string row_axis, col_axis, value_label;
  std::vector<std::string> row_labels, col_labels;
  Colormap colormap = Colormap::viridis;
  std::optional<float> vmin, vmax;  // unset: the data's range (symmetric for diverging)
  bool annotate = false;            // values written in cells big enough for them
  nlohmann::json meta = nlohmann::json::object();  // beside model, value and prompt in the JSON
};

void export_map(AppState& state, const ExportRequest& request, const MapExport& map);

// The colour map an export uses: the view's, or greys for a sequential map when the View menu
// asks for print colours (a diverging map keeps its colours: greys would lose the sign).
Colormap export_colormap(const AppState& state, Colormap shown);

// A line chart (an ROC, a probability by layer) as PNG / SVG, and its points as CSV (series, x,
// y; with the categories' names when x is categorical) and JSON. `name` is the file stem after
// the model's name; the chart's title gets the model's name in front.
void export_chart(AppState& state, const ExportRequest& request, LineChartSpec chart,
                  const std::string& name);

// "L0".."L{n-1}" or "H0"..: a layer or head axis.
std::vector<std::string> index_labels(const char* prefix, int n);

}  // namespace attnscope::ui
