// widgets.h — the explorer's drawing pieces: matrices as textures with token labels and hover
// readout, layer × head maps, token chips, progress, export buttons.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/analysis/pattern.h"
#include "core/export/colormap.h"
#include "core/tensor.h"
#include "ui/app/app.h"
#include "ui/app/texture.h"

namespace attnscope::ui {

// Records the last item's screen rectangle under `name` (for end-to-end tests).
void mark_widget(AppState& state, const std::string& name);

// Text inputs on a std::string (imgui_stdlib is not in Debian's imgui sources).
bool input_text(const char* label, std::string& text, ImGuiInputTextFlags flags = 0);
bool input_text_multiline(const char* label, std::string& text, ImVec2 size,
                          ImGuiInputTextFlags flags = 0);

// `text` on one line within `width` pixels: line breaks become spaces, and what does not fit is
// cut at a character boundary and ends in "…".
std::string fit_text(const std::string& text, float width);

// A titled separator (ImGui 1.86 has no SeparatorText).
void section(const char* title);

// The "(?)" marker that shows `text` on hover: the in-app guide.
void help_marker(const char* text);

// A matrix on the GPU plus its values (for hover readouts and export).
struct MatrixImage {
  Texture texture;
  std::vector<float> values;  // [rows, cols]
  int rows = 0, cols = 0;
  float vmin = 0, vmax = 1;
  bool mask_upper = false;
  Colormap colormap = Colormap::sequential;
};

// Colours `values` into the texture. Masked cells (col > row with mask_upper) and NaN get the
// theme's masked grey.
void set_matrix(MatrixImage& image, std::vector<float> values, int rows, int cols,
                Colormap colormap, float vmin, float vmax, bool mask_upper, bool dark_theme);

// A matrix averaged down to at most `max_side` cells per side (block means), for thumbnails.
std::vector<float> downsample(const float* values, int rows, int cols, int max_side, int& out_rows,
                              int& out_cols);

struct MatrixHover {
  int row = -1, col = -1;
  float value = 0;  // the cell under the mouse
  bool clicked = false;
  float cell_px = 0;  // the cell size drawn (the fitted one when 0 was asked for)
  ImVec2 map_pos;     // screen position of cell (0, 0)
};

// The matrix with token labels on both axes in a scrolling child `id` of size `size` (0: fill);
// cell_px pixels per cell, or 0 to fit the whole matrix in the child. Only visible labels are
// drawn. Hover shows row, column and the value (value_format: a printf format for one double).
// marked_cols (the focused head's sinks) get an orange bar under the column header.
MatrixHover draw_matrix(const char* id, const MatrixImage& image,
                        const std::vector<std::string>& row_labels,
                        const std::vector<std::string>& col_labels, float cell_px,
                        const char* row_axis, const char* col_axis, ImVec2 size = ImVec2(0, 0),
                        std::optional<int> highlight_row = std::nullopt,
                        const std::vector<int>& marked_cols = {},
                        const char* value_format = "weight %.4f");

// A colour bar for [vmin, vmax], `height` pixels tall.
void draw_colorbar(Colormap colormap, float vmin, float vmax, float height);

// A layer × head map of values [L, H] as coloured cells; returns the clicked head. `outlined`
// heads get a strong outline (ablated, selected), `focus` a light one.
struct HeadMapStyle {
  Colormap colormap = Colormap::sequential;
  float vmin = 0, vmax = 1;
  float cell = 26;
  const char* value_name = "value";
  const char* format = "%.3f";
  bool show_values = false;  // write each value in its cell
  // When set, each cell's rectangle is recorded as mark_prefix + "L0H2" (end-to-end tests).
  std::map<std::string, std::array<float, 4>>* marks = nullptr;
  std::string mark_prefix;
  // When set, the head under the mouse is written there (left alone when there is none).
  std::optional<HeadRef>* hovered = nullptr;
};
std::optional<HeadRef> draw_head_map(const char* id, const Tensor& values,
                                     const std::vector<HeadRef>& outlined,
                                     std::optional<HeadRef> focus, const HeadMapStyle& style);

// Export buttons for one view: PNG (and with `svg`, SVG: the figure), CSV and JSON (the data).
struct ExportRequest {
  bool png = false, svg = false, csv = false, json = false;
  bool any() const { return png || svg || csv || json; }
};
ExportRequest export_buttons(AppState& state, const char* id, bool svg = true);

// Colours as ImGui wants them.
ImU32 to_imu32(Rgb rgb, int alpha = 255);

}  // namespace attnscope::ui
