// html_report.cpp — writing an HtmlReport (hand-written: a handful of elements, one stylesheet).
#include "core/export/html_report.h"

#include <cstdlib>

#include "core/export/xml_text.h"
#include "core/tokenizer/utf8.h"

namespace attnscope {

namespace {

// The stylesheet, inline. System fonts only: nothing to fetch.
constexpr const char* kStyle = R"(
body{font-family:'DejaVu Sans',Verdana,system-ui,sans-serif;margin:2em auto;max-width:1200px;
  padding:0 1em;color:#1a1a1a;background:#fff;line-height:1.45}
h1{font-size:1.5em;margin-bottom:.3em} h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em} dt{font-weight:bold}
dd{margin:0;white-space:pre-wrap;word-break:break-all}
figure{margin:1em 0;overflow-x:auto} figure svg{max-width:100%;height:auto}
table{border-collapse:collapse;margin:1em 0;font-size:.9em} caption{text-align:left;font-weight:bold}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;white-space:pre}
th{background:#f2f2f2} td.n{text-align:right;font-variant-numeric:tabular-nums}
footer{margin-top:3em;color:#666;font-size:.85em}
)";

// An SVG document without its XML declaration (not allowed inside HTML).
std::string inline_svg(const std::string& svg) {
  const std::size_t start = svg.find("<svg");
  return start == std::string::npos ? std::string() : svg.substr(start);
}

// Numbers are right-aligned, so that their digits line up.
bool is_number(const std::string& cell) {
  if (cell.empty()) return false;
  char* end = nullptr;
  std::strtod(cell.c_str(), &end);
  return end == cell.c_str() + cell.size() || cell == "inf" || cell == "-inf" || cell == "nan";
}

void append_table(std::string& out, const HtmlTable& t) {
  out += "<table>";
  if (!t.caption.empty()) out += "<caption>" + html_escape(t.caption) + "</caption>";
  if (!t.header.empty()) {
    out += "<thead><tr>";
    for (const std::string& h : t.header) out += "<th>" + html_escape(h) + "</th>";
    out += "</tr></thead>";
  }
  out += "<tbody>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (const std::string& cell : row)
      out += (is_number(cell) ? "<td class=\"n\">" : "<td>") + html_escape(cell) + "</td>";
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const DecodedCodePoint d = decode_utf8(text, i);
    i += d.bytes;
    const char32_t cp = d.cp == kInvalidCodePoint ? U'\uFFFD' : d.cp;
    // XML's rules, and C1 controls (allowed in XML, not in HTML text) replaced too.
    append_xml_text(out, cp >= 0x7F && cp < 0xA0 ? U'\uFFFD' : cp);
  }
  return out;
}

std::string report_html(const HtmlReport& report) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // No network: a policy that forbids every fetch, so a viewer can trust the file is inert.
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + html_escape(report.title) + "</title>\n<style>" + kStyle + "</style>\n";
  out += "</head>\n<body>\n<h1>" + html_escape(report.title) + "</h1>\n";
  if (!report.facts.empty()) {
    out += "<dl>\n";
    for (const auto& [name, value] : report.facts)
      out += "<dt>" + html_escape(name) + "</dt><dd>" + html_escape(value) + "</dd>\n";
    out += "</dl>\n";
  }
  for (const HtmlSection& s : report.sections) {
    out += "<section>\n<h2>" + html_escape(s.title) + "</h2>\n";
    for (const std::string& p : s.paragraphs) out += "<p>" + html_escape(p) + "</p>\n";
    for (const std::string& svg : s.figures) out += "<figure>" + inline_svg(svg) + "</figure>\n";
    for (const HtmlTable& t : s.tables) append_table(out, t);
    out += "</section>\n";
  }
  if (!report.data_json.empty()) {
    // '<' appears in JSON only inside strings, where \u003c means the same: no "</script>" or
    // "<!--" can then end or change the script element early.
    std::string json;
    for (const char ch : report.data_json) {
      if (ch == '<') {
        json += "\\u003c";
      } else {
        json += ch;
      }
    }
    out += "<script type=\"application/json\" id=\"attnscope-data\">" + json + "</script>\n";
  }
  out +=
      "<footer>Made by attnscope. Every number above is also in the JSON element "
      "#attnscope-data of this file.</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace attnscope
