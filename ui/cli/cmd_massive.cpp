// cmd_massive.cpp — `attnscope massive`: massive activations (Sun et al. 2024;
// core/analysis/massive_activations.h): per layer, the largest residual-stream magnitudes, where
// they sit (position, channel), the median magnitude and the ratio, flagged over 100× and 1000×.
//
//   attnscope massive --model DIR --text "The cat sat on the mat." --top 5 --json
#include <cstdio>

#include "core/analysis/massive_activations.h"
#include "core/analysis/residual_stream.h"
#include "ui/cli/backend_choice.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"
#include "ui/cli/model_input.h"

namespace attnscope::cli {
namespace {

struct MassiveOptions {
  PromptOptions prompt;
  int top_k = 5;
  bool json = false;
};

Status massive(const MassiveOptions& o) {
  ATTNSCOPE_ASSIGN(Model model, load_model(o.prompt.model_path, o.prompt.backend));
  ATTNSCOPE_ASSIGN(const std::vector<int> ids, prompt_ids(model, o.prompt));
  ATTNSCOPE_ASSIGN(const std::vector<MassiveLayer> layers,
                   massive_activations(model, ids, o.top_k));
  const std::vector<HookId> hooks = residual_stream_hooks(model.config().n_layers);
  const std::vector<std::string> tokens = token_texts(model, ids);
  if (o.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t r = 0; r < layers.size(); r++) {
      const MassiveLayer& m = layers[r];
      nlohmann::json top = nlohmann::json::array();
      for (const MassiveValue& v : m.top)
        top.push_back({{"position", v.position},
                       {"token", tokens[std::size_t(v.position)]},
                       {"channel", v.channel},
                       {"value", v.value}});
      rows.push_back({{"hook", hook_name(hooks[r])},
                      {"top", top},
                      {"median_abs", m.median_abs},
                      {"ratio", m.ratio},  // null when the median is 0
                      {"over_100", m.over_100},
                      {"over_1000", m.over_1000},
                      {"massive", m.massive}});
    }
    print_json(
        {{"model", model_name(o.prompt.model_path)},
         {"tokens", tokens},
         {"rule", "massive: max |a| > 100 and max |a| > 1000 x median |a| (Sun et al. 2024)"},
         {"layers", rows}});
    return {};
  }
  std::printf("%-28s %12s %-18s %8s %10s %10s  flags\n", "residual stream", "largest", "at",
              "channel", "median", "ratio");
  for (std::size_t r = 0; r < layers.size(); r++) {
    const MassiveLayer& m = layers[r];
    const MassiveValue& v = m.top.front();
    const std::string at =
        std::to_string(v.position) + " " + printable(tokens[std::size_t(v.position)]);
    std::printf("%-28s %12.4g %s %8d %10.4g %10.4g  %s%s%s\n", hook_name(hooks[r]).c_str(), v.value,
                pad(at, 18).c_str(), v.channel, m.median_abs, m.ratio, m.over_100 ? ">100x " : "",
                m.over_1000 ? ">1000x " : "", m.massive ? "massive" : "");
  }
  return {};
}

}  // namespace

void register_massive(CLI::App& app) {
  auto o = std::make_shared<MassiveOptions>();
  CLI::App* cmd = app.add_subcommand(
      "massive", "Massive activations: the largest residual-stream values per layer vs the median");
  add_prompt_options(cmd, o->prompt);
  cmd->add_option("--top", o->top_k, "Largest |activations| kept per layer")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print JSON instead of a table");
  cmd->callback([o]() { finish(massive(*o)); });
}

}  // namespace attnscope::cli
