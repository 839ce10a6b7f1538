// widgets.cpp — matrices, head maps, colour bars and export buttons (see widgets.h).
#include "ui/app/widgets.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <imgui_internal.h>

namespace attnscope::ui {

ImU32 to_imu32(Rgb rgb, int alpha) {
  return IM_COL32(rgb.r, rgb.g, rgb.b, alpha);
}

void mark_widget(AppState& state, const std::string& name) {
  const ImVec2 lo = ImGui::GetItemRectMin(), hi = ImGui::GetItemRectMax();
  state.widgets[name] = {lo.x, lo.y, hi.x - lo.x, hi.y - lo.y};
}

void help_marker(const char* text) {
  ImGui::SameLine();
  ImGui::TextDisabled("(?)");
  if (ImGui::IsItemHovered()) {
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
  }
}

namespace {

// ImGui::InputTextMultiline on a std::string (imgui_stdlib is not in Debian's sources).
int resize_callback(ImGuiInputTextCallbackData* data) {
  if (data->EventFlag == ImGuiInputTextFlags_CallbackResize) {
    auto* text = static_cast<std::string*>(data->UserData);
    text->resize(std::size_t(data->BufTextLen));
    data->Buf = text->data();
  }
  return 0;
}

}  // namespace

bool input_text(const char* label, std::string& text, ImGuiInputTextFlags flags) {
  flags |= ImGuiInputTextFlags_CallbackResize;
  return ImGui::InputText(label, text.data(), text.capacity() + 1, flags, resize_callback, &text);
}

bool input_text_multiline(const char* label, std::string& text, ImVec2 size,
                          ImGuiInputTextFlags flags) {
  flags |= ImGuiInputTextFlags_CallbackResize;
  return ImGui::InputTextMultiline(label, text.data(), text.capacity() + 1, size, flags,
                                   resize_callback, &text);
}

std::string fit_text(const std::string& text, float width) {
  std::string line = text;
  std::replace(line.begin(), line.end(), '\n', ' ');
  if (ImGui::CalcTextSize(line.c_str()).x <= width) return line;
  const std::string ellipsis = "…";
  // Longest prefix that fits, cut before a UTF-8 continuation byte never inside a character.
  std::size_t lo = 0, hi = line.size();
  while (lo < hi) {
    const std::size_t mid = (lo + hi + 1) / 2;
    if (ImGui::CalcTextSize((line.substr(0, mid) + ellipsis).c_str()).x <= width)
      lo = mid;
    else
      hi = mid - 1;
  }
  while (lo > 0 && (static_cast<unsigned char>(line[lo]) & 0xC0) == 0x80) lo--;
  return line.substr(0, lo) + ellipsis;
}

void section(const char* title) {
  ImGui::Spacing();
  ImGui::TextUnformatted(title);
  ImGui::Separator();
}

namespace {

float unit(float v, float vmin, float vmax) {
  return vmax > vmin ? std::clamp((v - vmin) / (vmax - vmin), 0.0f, 1.0f) : 0.5f;
}

}  // namespace

void set_matrix(MatrixImage& image, std::vector<float> values, int rows, int cols,
                Colormap colormap, float vmin, float vmax, bool mask_upper, bool dark_theme) {
  const Rgb masked = dark_theme ? Rgb{48, 48, 54} : Rgb{222, 222, 222};
  std::vector<std::uint8_t> rgba(std::size_t(rows) * cols * 4);
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) {
      const float v = values[std::size_t(r) * cols + c];
      const Rgb rgb =
          (mask_upper && c > r) || std::isnan(v) ? masked : sample(colormap, unit(v, vmin, vmax));
      std::uint8_t* px = &rgba[(std::size_t(r) * cols + c) * 4];
      px[0] = rgb.r, px[1] = rgb.g, px[2] = rgb.b, px[3] = 255;
    }
  image.texture.upload(rgba.data(), cols, rows);
  image.values = std::move(values);
  image.rows = rows;
  image.cols = cols;
  image.vmin = vmin;
  image.vmax = vmax;
  image.mask_upper = mask_upper;
  image.colormap = colormap;
}

std::vector<float> downsample(const float* values, int rows, int cols, int max_side, int& out_rows,
                              int& out_cols) {
  const int br = (rows + max_side - 1) / max_side, bc = (cols + max_side - 1) / max_side;
  out_rows = (rows + br - 1) / br;
  out_cols = (cols + bc - 1) / bc;
  std::vector<float> out(std::size_t(out_rows) * out_cols, 0.0f);
  for (int r = 0; r < out_rows; r++)
    for (int c = 0; c < out_cols; c++) {
      double sum = 0;
      int n = 0;
      for (int i = r * br; i < std::min(rows, (r + 1) * br); i++)
        for (int j = c * bc; j < std::min(cols, (c + 1) * bc); j++) {
          // Masked upper cells are exact zeros in a causal pattern; count them like the others
          // but keep a block that is entirely above the diagonal masked.
          sum += values[std::size_t(i) * cols + j];
          n++;
        }
      const bool all_masked = r * br + br - 1 < c * bc && rows == cols;
      out[std::size_t(r) * out_cols + c] = all_masked ? NAN : float(sum / std::max(n, 1));
    }
  return out;
}

namespace {

// "12 ·token", at most `max_chars` characters of the token (never cut inside a UTF-8 sequence).
std::string axis_label(int index, const std::vector<std::string>& labels, int max_chars) {
  std::string out = std::to_string(index);
  if (index >= int(labels.size())) return out;
  const std::string& label = labels[std::size_t(index)];
  std::size_t end = 0;
  for (int n = 0; end < label.size() && n < max_chars; n++) {
    end++;
    while (end < label.size() && (static_cast<unsigned char>(label[end]) & 0xC0) == 0x80) end++;
  }
  return out + " " + label.substr(0, end) + (end < label.size() ? "…" : "");
}

// Text drawn reading upwards, its baseline's start at `bottom_left`: the column labels of a
// matrix, so that every column can name its token as every row does. ImGui has no rotated
// text, so the glyphs are drawn upright at `scratch` (a point inside the clip rectangle, or
// ImGui culls them) and their vertices turned by 90° onto `bottom_left`.
void add_text_upwards(ImDrawList* draw, ImVec2 scratch, ImVec2 bottom_left, ImU32 colour,
                      const std::string& text) {
  const int first = draw->VtxBuffer.Size;
  draw->AddText(scratch, colour, text.c_str());
  for (int i = first; i < draw->VtxBuffer.Size; i++) {
    ImVec2& p = draw->VtxBuffer[i].pos;
    const float dx = p.x - scratch.x, dy = p.y - scratch.y;
    p = ImVec2(bottom_left.x + dy, bottom_left.y - dx);
  }
}

}  // namespace

MatrixHover draw_matrix(const char* id, const MatrixImage& image,
                        const std::vector<std::string>& row_labels,
                        const std::vector<std::string>& col_labels, float cell_px,
                        const char* row_axis, const char* col_axis, ImVec2 size,
                        std::optional<int> highlight_row, const std::vector<int>& marked_cols,
                        const char* value_format) {
  MatrixHover hover;
  if (image.texture.empty() || image.rows == 0) return hover;
  const float line_h = ImGui::GetTextLineHeight();
  const int label_chars = 12;
  // Row labels on the left, column labels standing upright above: both name the token.
  const float label_w = 120.0f;
  float header_h = line_h + 6;
  for (int c = 0; c < image.cols; c++)
    header_h = std::max(header_h,
                        ImGui::CalcTextSize(axis_label(c, col_labels, label_chars).c_str()).x + 8);
  header_h = std::min(header_h, 130.0f);
  ImGui::BeginChild(id, size, true, ImGuiWindowFlags_HorizontalScrollbar);
  if (cell_px <= 0) {
    // Fit: the whole map inside the child, labels included, so no scrollbar hides its last
    // columns; 1 px per cell at least (longer prompts scroll).
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    cell_px = std::max(1.0f, std::min((avail.x - label_w) / float(image.cols),
                                      (avail.y - header_h) / float(image.rows)));
    cell_px =
        std::max(1.0f, std::floor(cell_px * 4) / 4);  // whole quarter pixels: no rounding spill
  }
  hover.cell_px = cell_px;
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float scroll_x = ImGui::GetScrollX(), scroll_y = ImGui::GetScrollY();
  const ImVec2 map_pos(origin.x + label_w, origin.y + header_h);
  hover.map_pos = map_pos;
  const ImVec2 map_size(cell_px * image.cols, cell_px * image.rows);
  ImGui::SetCursorScreenPos(map_pos);
  ImGui::Image(image.texture.id(), map_size);
  // Reserve the whole content so the child scrolls over it.
  ImGui::SetCursorScreenPos(ImVec2(origin.x, origin.y));
  ImGui::Dummy(ImVec2(label_w + map_size.x, header_h + map_size.y));

  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImVec2 win_pos = ImGui::GetWindowPos();
  const ImVec2 win_size = ImGui::GetWindowSize();
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  const ImU32 dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  const ImU32 window_bg = ImGui::GetColorU32(ImGuiCol_WindowBg);

  // Visible rows and columns only: a 1024-token map draws a few dozen labels.
  const int first_row = std::max(0, int((scroll_y - header_h) / cell_px));
  const int last_row = std::min(image.rows - 1, int((scroll_y + win_size.y) / cell_px) + 1);
  const int first_col = std::max(0, int((scroll_x - label_w) / cell_px));
  const int last_col = std::min(image.cols - 1, int((scroll_x + win_size.x) / cell_px) + 1);
  // Labels are a line high either way: every n-th row or column when cells are smaller.
  const int step = std::max(1, int(std::ceil(line_h / cell_px)));

  // Row labels, pinned to the left edge of the child while it scrolls sideways.
  const float pinned_x = win_pos.x + 1;
  draw->AddRectFilled(ImVec2(pinned_x, win_pos.y),
                      ImVec2(pinned_x + label_w - 4, win_pos.y + win_size.y), window_bg);
  draw->PushClipRect(ImVec2(pinned_x, win_pos.y + header_h),
                     ImVec2(pinned_x + label_w - 6, win_pos.y + win_size.y), true);
  for (int r = first_row - first_row % step; r <= last_row; r += step) {
    const float y = map_pos.y + r * cell_px + (cell_px - line_h) * 0.5f;
    const bool strong = highlight_row && *highlight_row == r;
    draw->AddText(ImVec2(pinned_x + 2, y), strong ? text : (cell_px >= line_h ? text : dim),
                  axis_label(r, row_labels, label_chars).c_str());
  }
  draw->PopClipRect();
  // Column header, pinned to the top.
  draw->AddRectFilled(ImVec2(win_pos.x, win_pos.y),
                      ImVec2(win_pos.x + win_size.x, win_pos.y + header_h), window_bg);
  draw->AddText(ImVec2(win_pos.x + 4, win_pos.y + header_h - line_h - 2), dim, row_axis);
  draw->AddText(ImVec2(win_pos.x + 4, win_pos.y + 2), dim, col_axis);
  const ImVec2 header_lo(win_pos.x + label_w, win_pos.y);
  draw->PushClipRect(header_lo, ImVec2(win_pos.x + win_size.x, win_pos.y + header_h), true);
  for (int c = first_col - first_col % step; c <= last_col; c += step) {
    const float x = map_pos.x + c * cell_px + (cell_px - line_h) * 0.5f;
    add_text_upwards(draw, ImVec2(header_lo.x + 1, header_lo.y + 1),
                     ImVec2(x, win_pos.y + header_h - 4), cell_px >= line_h ? text : dim,
                     axis_label(c, col_labels, label_chars));
  }
  for (int c : marked_cols) {
    const float x = map_pos.x + c * cell_px;
    draw->AddRectFilled(ImVec2(x, win_pos.y + header_h - 4),
                        ImVec2(x + std::max(cell_px, 3.0f), win_pos.y + header_h),
                        IM_COL32(240, 140, 40, 255));
  }
  draw->PopClipRect();

  // Hover readout.
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  if (ImGui::IsWindowHovered() && mouse.x >= map_pos.x && mouse.y >= map_pos.y &&
      mouse.x < map_pos.x + map_size.x && mouse.y < map_pos.y + map_size.y &&
      mouse.x > win_pos.x + label_w && mouse.y > win_pos.y + header_h) {
    hover.row = std::clamp(int((mouse.y - map_pos.y) / cell_px), 0, image.rows - 1);
    hover.col = std::clamp(int((mouse.x - map_pos.x) / cell_px), 0, image.cols - 1);
    hover.clicked = ImGui::IsMouseClicked(0);
    const ImVec2 cell_lo(map_pos.x + hover.col * cell_px, map_pos.y + hover.row * cell_px);
    draw->AddRect(cell_lo, ImVec2(cell_lo.x + cell_px, cell_lo.y + cell_px),
                  IM_COL32(255, 255, 255, 230), 0, 0, 2.0f);
    const float v = image.values[std::size_t(hover.row) * image.cols + hover.col];
    hover.value = v;
    const auto label = [](const std::vector<std::string>& labels, int i) {
      return i < int(labels.size()) ? labels[i] : std::to_string(i);
    };
    ImGui::BeginTooltip();
    ImGui::Text("%s %d  %s", row_axis, hover.row, label(row_labels, hover.row).c_str());
    ImGui::Text("%s %d  %s", col_axis, hover.col, label(col_labels, hover.col).c_str());
    if (image.mask_upper && hover.col > hover.row)
      ImGui::TextDisabled("masked (a query never sees later keys)");
    else
      ImGui::Text(value_format, double(v));
    ImGui::EndTooltip();
  }
  ImGui::EndChild();
  return hover;
}

void draw_colorbar(Colormap colormap, float vmin, float vmax, float height) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImVec2 pos = ImGui::GetCursorScreenPos();
  const float w = 14;
  const int steps = 64;
  for (int i = 0; i < steps; i++) {
    const float t0 = float(i) / steps, t1 = float(i + 1) / steps;
    const Rgb rgb = sample(colormap, 1.0f - (t0 + t1) * 0.5f);
    draw->AddRectFilled(ImVec2(pos.x, pos.y + t0 * height),
                        ImVec2(pos.x + w, pos.y + t1 * height + 1), to_imu32(rgb));
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", double(vmax));
  draw->AddText(ImVec2(pos.x + w + 4, pos.y), ImGui::GetColorU32(ImGuiCol_Text), buf);
  std::snprintf(buf, sizeof buf, "%.3g", double(vmin));
  draw->AddText(ImVec2(pos.x + w + 4, pos.y + height - ImGui::GetTextLineHeight()),
                ImGui::GetColorU32(ImGuiCol_Text), buf);
  ImGui::Dummy(ImVec2(w + 48, height));
}

std::optional<HeadRef> draw_head_map(const char* id, const Tensor& values,
                                     const std::vector<HeadRef>& outlined,
                                     std::optional<HeadRef> focus, const HeadMapStyle& style) {
  std::optional<HeadRef> clicked;
  if (values.dimension() != 2) return clicked;
  const int L = int(values.shape()[0]), H = int(values.shape()[1]);
  ImGui::PushID(id);
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const float label_w = ImGui::CalcTextSize("L00 ").x, header_h = ImGui::GetTextLineHeight() + 2;
  const ImVec2 pos = ImGui::GetCursorScreenPos();
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  for (int h = 0; h < H; h++) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "H%d", h);
    if (style.cell >= ImGui::CalcTextSize(buf).x || h % 2 == 0)
      draw->AddText(ImVec2(pos.x + label_w + h * style.cell + 2, pos.y), text, buf);
  }
  for (int l = 0; l < L; l++) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "L%d", l);
    const float y = pos.y + header_h + l * style.cell;
    draw->AddText(ImVec2(pos.x, y + (style.cell - ImGui::GetTextLineHeight()) * 0.5f), text, buf);
    for (int h = 0; h < H; h++) {
      const ImVec2 lo(pos.x + label_w + h * style.cell, y);
      const ImVec2 hi(lo.x + style.cell - 2, lo.y + style.cell - 2);
      const float v = values(l, h);
      const Rgb rgb =
          std::isnan(v) ? Rgb{90, 90, 90} : sample(style.colormap, unit(v, style.vmin, style.vmax));
      draw->AddRectFilled(lo, hi, to_imu32(rgb), 2.0f);
      const HeadRef head{l, h};
      if (std::find(outlined.begin(), outlined.end(), head) != outlined.end())
        draw->AddRect(ImVec2(lo.x - 1, lo.y - 1), ImVec2(hi.x + 1, hi.y + 1),
                      IM_COL32(255, 64, 64, 255), 2.0f, 0, 3.0f);
      else if (focus && *focus == head)
        draw->AddRect(lo, hi, IM_COL32(255, 255, 255, 220), 2.0f, 0, 2.0f);
      if (style.show_values && style.cell >= 34) {
        char vb[16];
        std::snprintf(vb, sizeof vb, style.format, double(v));
        const float lum = 0.299f * rgb.r + 0.587f * rgb.g + 0.114f * rgb.b;
        draw->AddText(ImGui::GetFont(), ImGui::GetFontSize() * 0.8f, ImVec2(lo.x + 2, lo.y + 2),
                      lum > 140 ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255), vb);
      }
      ImGui::SetCursorScreenPos(lo);
      ImGui::PushID(l * 4096 + h);
      if (ImGui::InvisibleButton("cell", ImVec2(style.cell - 2, style.cell - 2))) clicked = head;
      if (style.marks)
        (*style.marks)[style.mark_prefix + head_label(head)] = {lo.x, lo.y, style.cell - 2,
                                                                style.cell - 2};
      if (ImGui::IsItemHovered()) {
        if (style.hovered) *style.hovered = head;
        ImGui::BeginTooltip();
        ImGui::Text("%s", head_label(head).c_str());
        char vb[48];
        std::snprintf(vb, sizeof vb, style.format, double(v));
        ImGui::Text("%s: %s", style.value_name, vb);
        ImGui::EndTooltip();
      }
      ImGui::PopID();
    }
  }
  ImGui::SetCursorScreenPos(pos);
  ImGui::Dummy(ImVec2(label_w + H * style.cell, header_h + L * style.cell));
  ImGui::PopID();
  return clicked;
}

ExportRequest export_buttons(AppState& state, const char* id, bool svg) {
  ExportRequest r;
  ImGui::PushID(id);
  r.png = ImGui::SmallButton("PNG");
  mark_widget(state, std::string("export.") + id + ".png");
  ImGui::SameLine();
  if (svg) {
    r.svg = ImGui::SmallButton("SVG");
    mark_widget(state, std::string("export.") + id + ".svg");
    ImGui::SameLine();
  }
  r.csv = ImGui::SmallButton("CSV");
  mark_widget(state, std::string("export.") + id + ".csv");
  ImGui::SameLine();
  r.json = ImGui::SmallButton("JSON");
  mark_widget(state, std::string("export.") + id + ".json");
  ImGui::PopID();
  return r;
}

}  // namespace attnscope::ui
