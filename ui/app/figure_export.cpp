// figure_export.cpp — see figure_export.h.
#include "ui/app/figure_export.h"

#include <cmath>

#include "core/export/data_export.h"
#include "core/export/figure_svg.h"
#include "core/export/heatmap_png.h"
#include "core/export/line_chart.h"
#include "ui/app/actions.h"

namespace attnscope::ui {

std::vector<std::string> index_labels(const char* prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; i++) out.push_back(prefix + std::to_string(i));
  return out;
}

Colormap export_colormap(const AppState& state, Colormap shown) {
  return state.export_greys && !is_diverging(shown) ? Colormap::greys : shown;
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
    spec.colormap = export_colormap(state, map.colormap);
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

void export_chart(AppState& state, const ExportRequest& request, LineChartSpec chart,
                  const std::string& name) {
  const std::string stem = state.model_name + "_" + name;
  chart.title = state.model_name + ": " + chart.title;
  if (request.png) {
    auto png = render_line_chart_png(chart, state.export_scale);
    if (!png) return set_error(state, "export: " + png.error().to_string());
    save_export(state, stem + ".png", *png, "image/png");
  }
  if (request.svg) {
    auto svg = render_line_chart_svg(chart);
    if (!svg) return set_error(state, "export: " + svg.error().to_string());
    save_export(state, stem + ".svg", *svg, "image/svg+xml");
  }
  const auto x_text = [&](double x) {
    const long i = std::lround(x);
    return chart.x_categories.empty() || i < 0 || i >= long(chart.x_categories.size())
               ? float_text(float(x))
               : csv_field(chart.x_categories[std::size_t(i)]);
  };
  if (request.csv) {
    std::string csv = "series," + csv_field(chart.x_axis.empty() ? "x" : chart.x_axis) + "," +
                      csv_field(chart.y_axis.empty() ? "y" : chart.y_axis) + "\n";
    for (const LineSeries& s : chart.series)
      for (std::size_t i = 0; i < s.x.size(); i++)
        csv += csv_field(s.label) + "," + x_text(s.x[i]) + "," + float_text(float(s.y[i])) + "\n";
    save_export(state, stem + ".csv", csv, "text/csv");
  }
  if (request.json) {
    nlohmann::json series = nlohmann::json::array();
    for (const LineSeries& s : chart.series)
      series.push_back({{"label", s.label}, {"x", s.x}, {"y", s.y}});
    const nlohmann::json j = {{"model", state.model_name},
                              {"title", chart.title},
                              {"x_axis", chart.x_axis},
                              {"y_axis", chart.y_axis},
                              {"x_categories", chart.x_categories},
                              {"prompt", state.ran_prompt},
                              {"series", series}};
    save_export(state, stem + ".json",
                j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace),
                "application/json");
  }
}

}  // namespace attnscope::ui
