// html_report.h — a report as one self-contained HTML file: figures as inline SVG, the numbers
// behind them as tables and as JSON, no script, stylesheet, font or image fetched from anywhere,
// so it opens offline in any browser, without attnscope.
//
//   HtmlReport r;
//   r.title = "attnscope report — attnscope-kjv";
//   r.facts = {{"model", "attnscope-kjv"}, {"prompt", "The cat sat"}};
//   HtmlSection& s = r.sections.emplace_back();
//   s.title = "Attention";  s.figures.push_back(render_heatmap_grid_svg(...).value());
//   std::string html = report_html(r);
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnscope {

struct HtmlTable {
  std::string caption;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // cells as text (escaped when written)
};

struct HtmlSection {
  std::string title;
  std::vector<std::string> paragraphs;  // plain text (escaped when written)
  std::vector<std::string> figures;     // SVG documents (figure_svg.h), inlined
  std::vector<HtmlTable> tables;
};

struct HtmlReport {
  std::string title;
  std::vector<std::pair<std::string, std::string>> facts;  // shown as a definition list
  std::vector<HtmlSection> sections;
  std::string data_json;  // every number of the report, embedded as application/json; may be empty
};

// Text for HTML: &, <, >, " and ' escaped (xml_text.h); invalid UTF-8 and control characters
// other than tab, newline and carriage return replaced (U+FFFD), so a token's bytes cannot break
// the document.
std::string html_escape(std::string_view text);

std::string report_html(const HtmlReport& report);

}  // namespace attnscope
