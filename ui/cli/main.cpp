// main.cpp — the attnscope command line: one subcommand per job, each in its own file.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "core/version.h"
#include "ui/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App cli{
      "attnscope: attention patterns, sinks, head ablation and circuits of small "
      "transformer language models",
      "attnscope"};
  cli.set_version_flag("--version", std::string("attnscope ") + attnscope::version());
  cli.require_subcommand(1);
  cli.fallthrough(false);

  attnscope::cli::register_info(cli);
  attnscope::cli::register_tokenize(cli);
  attnscope::cli::register_dump(cli);
  attnscope::cli::register_sinks(cli);
  attnscope::cli::register_roles(cli);
  attnscope::cli::register_ablate(cli);
  attnscope::cli::register_heatmap(cli);
  attnscope::cli::register_circuit(cli);
  attnscope::cli::register_bench(cli);
  attnscope::cli::register_serve(cli);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  return attnscope::cli::exit_code();
}
