// platform_desktop.cpp — the desktop target: GLFW + OpenGL 3.3 core, argv options, screenshots.
#include <GLFW/glfw3.h>
#include <stb/stb_image_write.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <vector>

#include <filesystem>
#include <fstream>

#include "core/version.h"
#include "ui/app/app.h"
#include "ui/platform/host_desktop.h"
#include "ui/platform/platform.h"

namespace attnscope::ui {

namespace {

// models/ of the source tree the binary was built from, else ./models.
std::string default_models_dir(const char* argv0) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::weakly_canonical(fs::path(argv0), ec);
  for (const fs::path& candidate : {exe.parent_path().parent_path() / "models",
                                    fs::path(ATTNSCOPE_SOURCE_DIR) / "models", fs::path("models")})
    if (fs::exists(candidate / "attnscope-kjv", ec)) return candidate.string();
  return "models";
}

}  // namespace

std::unique_ptr<Host> make_host(AppState&, const LaunchOptions& options) {
  return std::make_unique<DesktopHost>(options.models_dir, options.export_dir, options.view);
}

bool parse_launch_options(int argc, char** argv, LaunchOptions& options, int& exit_code) {
  CLI::App cli{"attnscope desktop explorer: attention patterns, sinks, ablation, circuits",
               "attnscope-desktop"};
  cli.set_version_flag("--version", version());
  cli.add_option("--width", options.width, "Window width in pixels")->check(CLI::Range(320, 8192));
  cli.add_option("--height", options.height, "Window height in pixels")
      ->check(CLI::Range(240, 8192));
  cli.add_option("--screenshot", options.screenshot_path,
                 "Write a PNG of the window after --frames frames, then exit");
  cli.add_option("--frames", options.frames,
                 "Frames to draw before exiting, once the model has loaded and no work is running "
                 "(0: until closed)")
      ->check(CLI::NonNegativeNumber);
  options.models_dir = default_models_dir(argv[0]);
  cli.add_option("--models", options.models_dir, "Folder of the bundled models")
      ->capture_default_str();
  cli.add_option("--export-dir", options.export_dir, "Folder exports are written to")
      ->capture_default_str();
  cli.add_option("--view", options.view,
                 "Start view, as the browser's URL hash: model=attnscope-kjv&prompt=...&head=L1H2"
                 "&tab=attention|sinks|ablation|circuits");
  cli.add_option("--session", options.session_path,
                 "Open a session file saved by the explorer (Save session…) at start");
  cli.add_option("--state", options.state_path, "Write the app's state as JSON here on exit");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    exit_code = cli.exit(e);
    return false;
  }
  if (!options.screenshot_path.empty() && options.frames == 0) options.frames = 3;
  return true;
}

GlSetup gl_setup() {
  return {3, 3, false, "#version 330 core"};
}

std::string platform_name() {
  return "desktop (GLFW + OpenGL)";
}

void run_main_loop(const std::function<bool()>& frame) {
  while (frame()) {
  }
}

namespace {

bool write_screenshot(GLFWwindow* window, const std::string& path) {
  int width = 0, height = 0;
  glfwGetFramebufferSize(window, &width, &height);
  std::vector<unsigned char> pixels(static_cast<std::size_t>(width) * height * 4);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
  stbi_flip_vertically_on_write(1);  // GL's origin is bottom-left, PNG's top-left
  const int stride = width * 4;
  return stbi_write_png(path.c_str(), width, height, 4, pixels.data(), stride) != 0;
}

}  // namespace

bool after_frame(GLFWwindow* window, const LaunchOptions& options, const AppState& state) {
  if (options.frames == 0 || state.frame < options.frames) return true;
  // Screenshots show finished work: wait (at most ~20 s of frames) for loading and jobs.
  // Then three more frames: a view whose result just arrived draws its new widgets (tables,
  // scrollbars) at their measured sizes only from its second frame.
  static long long idle_since = -1;
  const bool idle = state.load_progress < 0 && !state.jobs.busy() && !state.background.busy();
  if (!idle) idle_since = -1;
  if (idle && idle_since < 0) idle_since = state.frame;
  if ((!idle || state.frame < idle_since + 3) && state.frame < options.frames + 1200) return true;
  if (!options.state_path.empty()) {
    std::ofstream out(options.state_path);
    out << static_cast<const DesktopHost*>(state.host)->last_state() << "\n";
  }
  if (!options.screenshot_path.empty()) {
    if (!write_screenshot(window, options.screenshot_path)) {
      std::fprintf(stderr, "attnscope: cannot write screenshot %s\n",
                   options.screenshot_path.c_str());
      return false;
    }
    std::printf("screenshot: %s\n", options.screenshot_path.c_str());
  }
  return false;
}

}  // namespace attnscope::ui
