// commands.h — each subcommand registers itself on the CLI11 app and runs from its callback.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "core/error.h"

namespace attnscope::cli {

void register_info(CLI::App& app);
void register_serve(CLI::App& app);
void register_dump(CLI::App& app);
void register_tokenize(CLI::App& app);
void register_sinks(CLI::App& app);
void register_ablate(CLI::App& app);
void register_roles(CLI::App& app);
void register_heatmap(CLI::App& app);
void register_circuit(CLI::App& app);
void register_discover(CLI::App& app);
void register_ground_truth(CLI::App& app);
void register_bench(CLI::App& app);
void register_patch(CLI::App& app);
void register_lens(CLI::App& app);
void register_massive(CLI::App& app);
void register_report(CLI::App& app);
void register_generate(CLI::App& app);

// Record a command's outcome: an error prints one line "attnscope: error: ..." on stderr.
void finish(const Status& status);
int exit_code();

}  // namespace attnscope::cli
