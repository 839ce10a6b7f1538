#include <cstdio>

#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"

namespace attnscope::cli {

namespace {
int g_exit_code = 0;
}

void finish(const Status& status) {
  if (status.ok()) return;
  // Messages quote file contents (model_type, tensor names, prompts): escape control bytes.
  std::fprintf(stderr, "attnscope: error: %s\n", printable(status.error().to_string()).c_str());
  g_exit_code = 1;
}

int exit_code() {
  return g_exit_code;
}

}  // namespace attnscope::cli
