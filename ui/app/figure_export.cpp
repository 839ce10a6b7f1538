// figure_export.cpp — see figure_export.h.
#include "ui/app/figure_export.h"

#include "core/export/data_export.h"
#include "core/export/figure_svg.h"
#include "core/export/heatmap_png.h"
#include "ui/app/actions.h"

namespace attnscope::ui {

std::vector<std::string> index_labels(const char* prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; i++) out.push_back(prefix + std::to_string(i));
  return out;
}

void export_map(AppState& state, const ExportRequest& request, const MapExport& map) {
  if (!map.values || map.values->dimension() != 2)
    return set_error(state, "export: there is no map to export yet");
  const Tensor& values = *map.values;
  const std::string stem = state.model_name + "_" + map.name;
  if (request.png || request.svg) {
    HeatmapSpec spec;
    spec.values = values.data();
    spec.rows = int(values.shape()[0]);
    spec.cols = int(values.shape()[1]);
    spec.row_labels = map.row_labels;
    spec.col_labels = map.col_labels;
    spec.title = state.model_name + ": " + map.title;
    spec.row_axis = map.row_axis;
    spec.col_axis = map.col_axis;
    spec.colorbar_label = map.value_label;
    spec.colormap = map.colormap;
    spec.vmin = map.vmin;
    spec.vmax = map.vmax;
    spec.annotate = map.annotate;
    if (request.png) {
      auto png = render_heatmap_png(spec, state.export_scale);
      if (!png) return set_error(state, "export: " + png.error().to_string());
      save_export(state, stem + ".png", *png, "image/png");
    }
    if (request.svg) {
      auto svg = render_heatmap_svg(spec);
      if (!svg) return set_error(state, "export: " + svg.error().to_string());
      save_export(state, stem + ".svg", *svg, "image/svg+xml");
    }
  }
  ExportInfo info{{{map.row_axis, map.row_labels}, {map.col_axis, map.col_labels}}, map.meta};
  info.meta["model"] = state.model_name;
  info.meta["value"] = map.value_label;
  info.meta["prompt"] = state.ran_prompt;
  save_data_exports(state, request.csv, request.json, values, info, stem);
}

}  // namespace attnscope::ui
