// cmd_patch.cpp — `attnscope patch`: activation patching from a clean prompt into a corrupted one
// of the same length (core/analysis/activation_patching.h): a map of how much of the clean
// behaviour each patched piece recovers, 0 = the corrupted run, 1 = the clean run.
//
//   attnscope patch --model DIR --text "When Mary and John went, John gave it to"
//       --corrupted "When Mary and John went, Mary gave it to" --answer " Mary"
//       --distractor " John" --target head_z --json
#include <cstdio>

#include "core/analysis/activation_patching.h"
#include "core/export/data_export.h"
#include "ui/cli/backend_choice.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

struct PatchOptions {
  PromptOptions prompt;  // the clean prompt
  std::string corrupted, corrupted_ids;
  std::string answer, distractor;
  int answer_id = -1, distractor_id = -1;  // the same as token ids (models without a tokenizer)
  std::string metric = "logit_diff";
  std::string target = "resid_pre";
  std::string head;  // head_z_position: L.H
  std::string csv, npy;
  bool json = false;
};

Result<PatchingOptions> patching_options(const Model& model, const PatchOptions& o) {
  PatchingOptions p;
  const auto target = parse_patch_target(o.target);
  if (!target)
    return make_error("--target '" + o.target + "' is not a patch target",
                      "use resid_pre, attn_out, mlp_out, head_z or head_z_position");
  p.target = *target;
  if (o.metric == "logit_diff")
    p.metric = MetricKind::logit_diff;
  else if (o.metric == "probability")
    p.metric = MetricKind::probability;
  else
    return make_error("--metric '" + o.metric + "' is not a patching metric",
                      "use logit_diff or probability");
  if (p.target == PatchTarget::head_z_position) {
    if (o.head.empty())
      return make_error("--target head_z_position needs --head L.H", "e.g. --head 1.2");
    ATTNSCOPE_ASSIGN(const std::vector<HeadRef> heads, parse_heads(o.head, model.config()));
    if (heads.size() != 1) return make_error("--head takes one head, L.H");
    p.head = heads.front();
  } else if (!o.head.empty()) {
    return make_error("--head goes with --target head_z_position");
  }
  return p;
}

Status patch(const PatchOptions& o) {
  if (o.corrupted.empty() == o.corrupted_ids.empty())
    return make_error("give the corrupted prompt as --corrupted TEXT or --corrupted-ids 1,2,3",
                      "it must have as many tokens as the clean prompt");
  if (o.answer.empty() == (o.answer_id < 0))
    return make_error("patching needs the clean run's next token: --answer TEXT or --answer-id N");
  if (!o.distractor.empty() && o.distractor_id >= 0)
    return make_error("give --distractor or --distractor-id, not both");
  ATTNSCOPE_ASSIGN(Model model, load_model(o.prompt.model_path, o.prompt.backend));
  ATTNSCOPE_ASSIGN(PatchingOptions options, patching_options(model, o));
  Prompt clean;
  ATTNSCOPE_ASSIGN(clean.ids, prompt_ids(model, o.prompt));
  PromptOptions corrupted_prompt = o.prompt;
  corrupted_prompt.text = o.corrupted;
  corrupted_prompt.ids = o.corrupted_ids;
  ATTNSCOPE_ASSIGN(const std::vector<int> corrupted, prompt_ids(model, corrupted_prompt));
  if (o.answer_id >= 0) {
    clean.answers = {o.answer_id};
  } else {
    ATTNSCOPE_ASSIGN(const int answer, single_token(model, o.answer, "--answer"));
    clean.answers = {answer};
  }
  if (o.distractor_id >= 0) {
    clean.distractors = {o.distractor_id};
  } else if (!o.distractor.empty()) {
    ATTNSCOPE_ASSIGN(const int distractor, single_token(model, o.distractor, "--distractor"));
    clean.distractors = {distractor};
  }
  Progress progress("patching", "patches");
  options.progress = [&progress](int done, int total) { return progress(done, total); };
  ATTNSCOPE_ASSIGN(const PatchingResult r, activation_patching(model, clean, corrupted, options));

  // Axes: layer × position (token labels), layer × head, or the chosen head × position.
  const bool by_head = r.target == PatchTarget::head_z;
  std::vector<std::string> rows, cols;
  for (std::size_t i = 0; i < r.patched.shape()[0]; i++)
    rows.push_back(r.target == PatchTarget::head_z_position ? head_label(options.head)
                                                            : "L" + std::to_string(i));
  if (by_head) {
    for (std::size_t h = 0; h < r.patched.shape()[1]; h++) cols.push_back("H" + std::to_string(h));
  } else {
    cols = token_texts(model, clean.ids);
  }
  const std::string target(patch_target_name(r.target)), metric(metric_name(options.metric));
  const ExportInfo info{{{r.target == PatchTarget::head_z_position ? "head" : "layer", rows},
                         {by_head ? "head" : "position", cols}},
                        {{"model", model_name(o.prompt.model_path)},
                         {"target", target},
                         {"metric", metric},
                         {"values", "recovered: (patched - corrupted) / (clean - corrupted)"}}};
  if (!o.csv.empty()) {
    ATTNSCOPE_ASSIGN(const std::string csv, to_csv(r.normalised, info));
    ATTNSCOPE_TRY(write_file(o.csv, csv));
  }
  if (!o.npy.empty()) ATTNSCOPE_TRY(write_file(o.npy, to_npy(r.normalised)));
  if (o.json) {
    nlohmann::json tokens = nlohmann::json::array();
    for (const std::string& t : token_texts(model, clean.ids)) tokens.push_back(t);
    print_json({{"model", model_name(o.prompt.model_path)},
                {"target", target},
                {"metric", metric},
                {"head", r.target == PatchTarget::head_z_position ? head_label(options.head) : ""},
                {"tokens", tokens},
                {"clean", r.clean},
                {"corrupted", r.corrupted},
                {"rows", rows},
                {"cols", cols},
                {"patched", rows_json(r.patched)},
                {"recovered", rows_json(r.normalised)}});
    return {};
  }
  std::printf("patching %s, metric %s: clean %.6g, corrupted %.6g\n", target.c_str(),
              metric.c_str(), r.clean, r.corrupted);
  std::printf("recovered (0 = corrupted, 1 = clean):\n%-8s", "");
  for (const std::string& c : cols) std::printf(" %8s", printable(c).substr(0, 8).c_str());
  std::printf("\n");
  for (std::size_t i = 0; i < rows.size(); i++) {
    std::printf("%-8s", rows[i].c_str());
    for (std::size_t j = 0; j < cols.size(); j++) std::printf(" %8.3f", r.normalised(i, j));
    std::printf("\n");
  }
  return {};
}

}  // namespace

void register_patch(CLI::App& app) {
  auto o = std::make_shared<PatchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "patch", "Activation patching: clean activations into a corrupted run, what each recovers");
  add_prompt_options(cmd, o->prompt);
  cmd->add_option("--corrupted", o->corrupted, "The corrupted prompt's text (same token count)");
  cmd->add_option("--corrupted-ids", o->corrupted_ids, "... or its token ids, 1,2,3");
  cmd->add_option("--answer", o->answer, "The clean run's next token, e.g. ' Mary' (one token)");
  cmd->add_option("--distractor", o->distractor,
                  "The token the answer is compared to (logit_diff), e.g. ' John'");
  cmd->add_option("--answer-id", o->answer_id, "... the answer as a token id")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--distractor-id", o->distractor_id, "... the distractor as a token id")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--metric", o->metric, "logit_diff or probability (of the answer)")
      ->capture_default_str();
  cmd->add_option("--target", o->target,
                  "resid_pre, attn_out, mlp_out (layer × position), head_z (layer × head) or "
                  "head_z_position (one --head × position)")
      ->capture_default_str();
  cmd->add_option("--head", o->head, "head_z_position: the head, L.H");
  cmd->add_option("--csv", o->csv, "Write the recovered map as CSV");
  cmd->add_option("--npy", o->npy, "Write the recovered map as NumPy .npy");
  cmd->add_flag("--json", o->json, "Print JSON instead of a table");
  cmd->callback([o]() { finish(patch(*o)); });
}

}  // namespace attnscope::cli
