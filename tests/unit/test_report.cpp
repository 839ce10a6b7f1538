// test_report.cpp — the self-contained HTML report: escaping, nothing fetched, the embedded JSON
// intact, and a prompt's report holding the same numbers as the analyses it runs.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "core/analysis/activation_patching.h"
#include "core/export/html_report.h"
#include "core/report/prompt_report.h"
#include "tests/unit/fixtures.h"

using namespace attnscope;
using namespace attnscope::test;

namespace {

// The text of the report's JSON element, parsed.
nlohmann::json embedded_json(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"attnscope-data\">";
  const std::size_t a = html.find(open);
  REQUIRE(a != std::string::npos);
  const std::size_t b = html.find("</script>", a);
  REQUIRE(b != std::string::npos);
  return nlohmann::json::parse(html.substr(a + open.size(), b - a - open.size()));
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) n++;
  return n;
}

}  // namespace

TEST_CASE("report HTML: escaped text, nothing fetched, the JSON survives any string") {
  CHECK(html_escape("<b>\"a\" & 'b'</b>") ==
        "&lt;b&gt;&quot;a&quot; &amp; &apos;b&apos;&lt;/b&gt;");
  CHECK(html_escape("cut \xE2\x82") == "cut \xEF\xBF\xBD\xEF\xBF\xBD");  // half a character
  CHECK(html_escape("esc\x1b[31m tab\tline\n") == "esc\xEF\xBF\xBD[31m tab\tline\n");
  CHECK(html_escape("·Mary ↵ 日本") == "·Mary ↵ 日本");

  HtmlReport r;
  r.title = "t <script>alert(1)</script>";
  r.facts = {{"prompt", "</dd><img src=x onerror=alert(1)>"}};
  HtmlSection& s = r.sections.emplace_back();
  s.title = "S";
  s.paragraphs = {"a < b"};
  s.figures = {"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>"};
  s.tables.push_back({"cap", {"name", "value"}, {{"x", "1.5"}, {"<y>", "-inf"}}});
  nlohmann::json data = {{"token", "</script><script>alert(1)</script><!--"}, {"v", 1.5}};
  r.data_json = data.dump();
  const std::string html = report_html(r);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<?xml") == std::string::npos);  // the SVG inlined without its declaration
  CHECK(count(html, "<svg") == 1);
  CHECK(html.find("default-src 'none'") != std::string::npos);
  // No element of the user's text became markup: one <script> (the data), no <img>.
  CHECK(count(html, "<script") == 1);
  CHECK(count(html, "<img") == 0);
  CHECK(html.find("&lt;img src=x") != std::string::npos);
  // Nothing that would be fetched: no element with a src or href but inline data. (The escaped
  // "&lt;img src=x" above is text: escaped text has no '<', so every '<' here starts markup.)
  const std::regex fetch(
      R"(<[A-Za-z][^>]*\s(src|href)\s*=\s*(?:"(?!data:)|'(?!data:)|(?!["']|data:)))");
  CHECK_FALSE(std::regex_search(html, fetch));
  CHECK(std::regex_search(std::string("<img alt=\"\" src=\"http://x/y.png\">"), fetch));
  CHECK_FALSE(std::regex_search(std::string("<image href=\"data:image/png;base64,AA\"/>"), fetch));
  CHECK(embedded_json(html) == data);
  CHECK(html.find("<td class=\"n\">1.5</td>") != std::string::npos);
  CHECK(html.find("<td class=\"n\">-inf</td>") != std::string::npos);
  CHECK(html.find("<td>&lt;y&gt;</td>") != std::string::npos);
}

TEST_CASE("report of a prompt: its sections hold the analyses' own numbers, on every family") {
  for (const char* family : {"gpt2", "gpt_neox", "llama", "qwen2"}) {
    CAPTURE(std::string(family));
    const Model model = Model::load(fixture_source(family)).value();
    const int V = model.config().vocab_size;
    PromptReportOptions o;
    o.model_name = family;
    o.ids = {3 % V, 17 % V, 5 % V, 29 % V, 11 % V, 7 % V};
    o.corrupted_ids = o.ids;
    o.corrupted_ids[2] = 23 % V;
    o.answer = 2 % V;
    o.distractor = 13 % V;
    const HtmlReport report = prompt_report(model, o).value();
    REQUIRE(report.sections.size() == 4);
    CHECK(report.sections[0].title == "Attention patterns");
    CHECK(report.sections[3].title == "Activation patching");
    const std::string html = report_html(report);
    CHECK(count(html, "<svg") == 4);  // attention grid, attributions, two patching maps
    const nlohmann::json data = embedded_json(html);
    CHECK(data["input_ids"].get<std::vector<int>>() == o.ids);
    CHECK(data["patterns"].size() == std::size_t(model.config().n_layers));
    // The patching maps are activation_patching's.
    Prompt clean;
    clean.ids = o.ids;
    clean.answers = {o.answer};
    clean.distractors = {o.distractor};
    PatchingOptions p;
    p.target = PatchTarget::head_z;
    const PatchingResult direct = activation_patching(model, clean, o.corrupted_ids, p).value();
    const auto values = data["patching"]["runs"]["head_z"]["normalised"]["values"];
    REQUIRE(values.size() == direct.normalised.size());
    for (std::size_t i = 0; i < values.size(); i++)
      CHECK(values[i].get<float>() == direct.normalised.data()[i]);
    // The lens follows the answer, and its last row is the model's own prediction.
    CHECK(data["logit_lens"]["target"] == o.answer);
    const Tensor logits = model.forward(o.ids).value();
    const float* last = logits.data() + (o.ids.size() - 1) * std::size_t(V);
    const int top = int(std::max_element(last, last + V) - last);
    CHECK(data["logit_lens"]["rows"].back()["top"].back()[0]["id"] == top);
    CHECK(data["massive_activations"].size() == std::size_t(model.config().n_layers + 1));
  }
  // Without patching: three sections; the lens follows the model's prediction. And the errors.
  const Model model = Model::load(fixture_source("gpt2")).value();
  PromptReportOptions o;
  o.model_name = "gpt2";
  o.ids = {1, 2, 3};
  CHECK(prompt_report(model, o).value().sections.size() == 3);
  o.corrupted_ids = {1, 2, 4};
  auto no_answer = prompt_report(model, o);
  REQUIRE_FALSE(no_answer.ok());
  CHECK(no_answer.error().message.find("answer") != std::string::npos);
  o.answer = 5;
  o.corrupted_ids = {1, 2};
  auto shorter = prompt_report(model, o);
  REQUIRE_FALSE(shorter.ok());
  CHECK(shorter.error().message.find("same number of tokens") != std::string::npos);
  o.ids = {1, 2, 999999};
  CHECK_FALSE(prompt_report(model, o).ok());
}
