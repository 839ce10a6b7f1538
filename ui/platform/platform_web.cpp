// platform_web.cpp — the browser target: Emscripten's GLFW on WebGL2, the page's animation loop.
#include <GLFW/glfw3.h>
#include <emscripten.h>

#include "ui/app/app.h"
#include "ui/platform/host_web.h"
#include "ui/platform/platform.h"

namespace attnscope::ui {

bool parse_launch_options(int, char**, LaunchOptions& options, int&) {
  // The canvas fills the page; GLFW's window size is the canvas size in CSS pixels.
  options.width = EM_ASM_INT({ return window.innerWidth; });
  options.height = EM_ASM_INT({ return window.innerHeight; });
  return true;
}

std::unique_ptr<Host> make_host(AppState& state, const LaunchOptions&) {
  return std::make_unique<WebHost>(state);
}

GlSetup gl_setup() {
  return {3, 0, true, "#version 300 es"};
}

std::string platform_name() {
  return "browser (WebAssembly + WebGL2)";
}

namespace {
const std::function<bool()>* g_frame = nullptr;
void call_frame() {
  (*g_frame)();
}
}  // namespace

void run_main_loop(const std::function<bool()>& frame) {
  g_frame = &frame;
  // simulate_infinite_loop = 1: main() does not return, so `frame` and its captures stay alive.
  emscripten_set_main_loop(call_frame, 0, 1);
}

bool after_frame(GLFWwindow* window, const LaunchOptions&, const AppState& state) {
  // Follow the browser window's size: the canvas is styled to fill the page.
  int width = EM_ASM_INT({ return window.innerWidth; });
  int height = EM_ASM_INT({ return window.innerHeight; });
  int current_width = 0, current_height = 0;
  glfwGetWindowSize(window, &current_width, &current_height);
  if (width != current_width || height != current_height) glfwSetWindowSize(window, width, height);
  // The page and its tests read how many frames were drawn.
  EM_ASM({ Module.attnscopeFrames = $0; }, static_cast<double>(state.frame));
  return true;
}

}  // namespace attnscope::ui
