// cmd_report.cpp — `attnscope report`: everything about one prompt as one self-contained HTML
// file that opens offline in any browser (core/report/prompt_report.h): attention and sinks, the
// logit lens with direct logit attribution, massive activations, and, with --corrupted,
// activation patching.
//
//   attnscope report --model DIR --text "When Mary and John went, John gave it to"
//       --corrupted "When Mary and John went, Mary gave it to" --answer " Mary"
//       --distractor " John" --out report.html
#include <cstdio>
#include <filesystem>

#include "core/report/prompt_report.h"
#include "ui/cli/backend_choice.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

struct ReportOptions {
  PromptOptions prompt;
  std::string corrupted, corrupted_ids;
  std::string answer, distractor, target;
  std::string out;
};

Status report(const ReportOptions& o) {
  std::string ext = std::filesystem::path(o.out).extension().string();
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (ext != ".html" && ext != ".htm")
    return make_error("--out " + printable(o.out) + ": a report is written as .html",
                      "end the file name in .html");
  const bool patching = !o.corrupted.empty() || !o.corrupted_ids.empty();
  if (!o.corrupted.empty() && !o.corrupted_ids.empty())
    return make_error("give --corrupted or --corrupted-ids, not both");
  if (patching && o.answer.empty())
    return make_error("patching in the report needs the clean run's next token: --answer TEXT");
  if (!patching && !o.distractor.empty())
    return make_error("--distractor goes with --corrupted (the patching metric)");
  ATTNSCOPE_ASSIGN(const Model model, load_model(o.prompt.model_path, o.prompt.backend));
  PromptReportOptions r;
  r.model_name = model_name(o.prompt.model_path);
  ATTNSCOPE_ASSIGN(r.ids, prompt_ids(model, o.prompt));
  if (patching) {
    PromptOptions corrupted = o.prompt;
    corrupted.text = o.corrupted;
    corrupted.ids = o.corrupted_ids;
    ATTNSCOPE_ASSIGN(r.corrupted_ids, prompt_ids(model, corrupted));
  }
  if (!o.answer.empty()) {
    ATTNSCOPE_ASSIGN(r.answer, single_token(model, o.answer, "--answer"));
  }
  if (!o.distractor.empty()) {
    ATTNSCOPE_ASSIGN(r.distractor, single_token(model, o.distractor, "--distractor"));
  }
  if (!o.target.empty()) {
    ATTNSCOPE_ASSIGN(r.target, single_token(model, o.target, "--target"));
  }
  if (!o.prompt.text.empty()) r.facts.push_back({"prompt text", o.prompt.text});
  if (!o.corrupted.empty()) r.facts.push_back({"corrupted text", o.corrupted});
  ATTNSCOPE_ASSIGN(const HtmlReport doc, prompt_report(model, r));
  const std::string html = report_html(doc);
  ATTNSCOPE_TRY(write_file(o.out, html));
  std::fprintf(stderr, "attnscope: wrote %s (%zu sections, %zu KB)\n", o.out.c_str(),
               doc.sections.size(), html.size() / 1024);
  return {};
}

}  // namespace

void register_report(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Write one self-contained HTML report of a prompt (figures as SVG, numbers, JSON)");
  add_prompt_options(cmd, o->prompt);
  cmd->add_option("--out", o->out, "The report file (.html)")->required();
  cmd->add_option("--target", o->target,
                  "The token the logit lens follows (default: --answer, else the model's "
                  "prediction)");
  cmd->add_option("--corrupted", o->corrupted,
                  "Add activation patching from the prompt into this one (same token count)");
  cmd->add_option("--corrupted-ids", o->corrupted_ids, "... or its token ids, 1,2,3");
  cmd->add_option("--answer", o->answer, "The clean run's next token, e.g. ' Mary' (one token)");
  cmd->add_option("--distractor", o->distractor,
                  "Patching scores logit(answer) − logit(distractor); without it, p(answer)");
  cmd->callback([o]() { finish(report(*o)); });
}

}  // namespace attnscope::cli
