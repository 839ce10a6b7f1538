// main.cpp — the attnscope command line: one subcommand per job, each in its own file.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "core/io/memory_budget.h"
#include "core/io/memory_reuse.h"
#include "core/ops/matmul_precision.h"
#include "core/ops/simd_kernels.h"
#include "core/version.h"
#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"

int main(int argc, char** argv) {
  attnscope::keep_freed_memory_for_reuse();  // see memory_reuse.h
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
  attnscope::cli::register_patch(cli);
  attnscope::cli::register_lens(cli);
  attnscope::cli::register_massive(cli);
  attnscope::cli::register_report(cli);
  attnscope::cli::register_generate(cli);
  attnscope::cli::register_heatmap(cli);
  attnscope::cli::register_circuit(cli);
  attnscope::cli::register_discover(cli);
  attnscope::cli::register_ground_truth(cli);
  attnscope::cli::register_bench(cli);
  attnscope::cli::register_serve(cli);

  // CLI11 answers `attnscope UNKNOWN --help` with the general help and exit 0 (help wins over
  // the unknown word): name the unknown command and fail first.
  if (argc > 1 && argv[1][0] != '-') {
    const std::string word = argv[1];
    std::string names;
    bool known = false;
    for (const CLI::App* sub : cli.get_subcommands({})) {
      known = known || sub->get_name() == word;
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "attnscope: unknown command '%s' (commands: %s; see attnscope --help)\n",
                   attnscope::cli::printable(word).c_str(), names.c_str());
      return 2;
    }
  }

  // Sizes are checked against this before large allocations: 80% of physical memory.
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page_size > 0) {
    attnscope::set_memory_budget(static_cast<std::uint64_t>(pages) *
                                 static_cast<std::uint64_t>(page_size) / 5 * 4);
  }

  // ATTNSCOPE_SIMD_TARGET=AVX2 (say): the kernels' SIMD target, for reproducibility checks.
  if (const char* target = std::getenv("ATTNSCOPE_SIMD_TARGET"); target && *target) {
    if (const attnscope::Status s = attnscope::simd::force_simd_target(target); !s.ok()) {
      std::fprintf(stderr, "attnscope: error: ATTNSCOPE_SIMD_TARGET: %s (%s)\n",
                   s.error().message.c_str(), s.error().hint.c_str());
      return 2;
    }
  }

  // ATTNSCOPE_MATMUL_PRECISION=highest: float32 products on CPUs with AMX too (matmul_precision.h).
  if (const char* precision = std::getenv("ATTNSCOPE_MATMUL_PRECISION");
      precision && !attnscope::parse_matmul_precision(precision)) {
    std::fprintf(stderr,
                 "attnscope: error: ATTNSCOPE_MATMUL_PRECISION: '%s' is not highest or high\n",
                 attnscope::cli::printable(precision).c_str());
    return 2;
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  } catch (const std::bad_alloc&) {
    // Loading and the forward pass check sizes first (memory_budget); this is the last resort.
    std::fprintf(stderr,
                 "attnscope: error: out of memory (attnscope may use %s on this machine; try a "
                 "smaller model or a shorter prompt)\n",
                 attnscope::format_bytes(attnscope::memory_budget()).c_str());
    return 1;
  }
  return attnscope::cli::exit_code();
}
