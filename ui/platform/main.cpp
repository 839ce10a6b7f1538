// main.cpp — window, GL context and ImGui set-up shared by the desktop app and the browser build.
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <algorithm>
#include <cstdio>

#include "core/export/font.h"
#include "core/io/memory_reuse.h"

#include "ui/app/actions.h"
#include "ui/app/app.h"
#include "ui/app/host.h"
#include "ui/platform/platform.h"

namespace {

void report_glfw_error(int code, const char* description) {
  std::fprintf(stderr, "attnscope: GLFW error %d: %s\n", code, description);
}

// DejaVu Sans (embedded in the core for exported figures) instead of ImGui's ASCII bitmap font:
// tokens, arrows, Greek letters (β, τ, λ) and the token strip's "·" all need glyphs.
void load_fonts() {
  const attnscope::Bytes ttf = attnscope::embedded_font_bytes();
  if (!ttf.data) return;
  static const ImWchar ranges[] = {0x0020, 0x024F, 0x0370, 0x03FF, 0x0400, 0x04FF, 0x2000,
                                   0x206F, 0x2190, 0x21FF, 0x2200, 0x22FF, 0x2400, 0x243F,
                                   0x2500, 0x25FF, 0xFFFD, 0xFFFD, 0};
  ImFontConfig config;
  config.FontDataOwnedByAtlas = false;  // static data in the binary
  ImGui::GetIO().Fonts->AddFontFromMemoryTTF(const_cast<std::uint8_t*>(ttf.data), int(ttf.size),
                                             15.0f, &config, ranges);
}

}  // namespace

int main(int argc, char** argv) {
  attnscope::keep_freed_memory_for_reuse();  // see core/io/memory_reuse.h
  using namespace attnscope::ui;
  LaunchOptions options;
  int exit_code = 0;
  if (!parse_launch_options(argc, argv, options, exit_code)) return exit_code;

  glfwSetErrorCallback(report_glfw_error);
  if (!glfwInit()) {
    std::fprintf(stderr, "attnscope: cannot open a window (no display? try xvfb-run)\n");
    return 1;
  }
  const GlSetup gl = gl_setup();
  glfwWindowHint(GLFW_CLIENT_API, gl.es ? GLFW_OPENGL_ES_API : GLFW_OPENGL_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, gl.major);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, gl.minor);
  if (!gl.es) glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  GLFWwindow* window =
      glfwCreateWindow(options.width, options.height, "attnscope", nullptr, nullptr);
  if (!window) {
    std::fprintf(stderr, "attnscope: cannot create an OpenGL %d.%d window\n", gl.major, gl.minor);
    glfwTerminate();
    return 1;
  }
  glfwMakeContextCurrent(window);
  glfwSwapInterval(1);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // layout is fixed; no imgui.ini next to the user's files
  load_fonts();
  AppState state;
  state.platform = platform_name();
  apply_style(state);
  std::unique_ptr<Host> host = make_host(state, options);
  state.host = host.get();
  state.bundled = host->bundled_models();
  // The view to start from (the browser's URL hash, the desktop's --view), then its model.
  open_initial_view(state, host->initial_view());
  if (!options.session_path.empty()) host->open_session_file(state, options.session_path);
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  host->install_clipboard();
  ImGui_ImplOpenGL3_Init(gl.glsl);

  run_main_loop([&]() {
    if (glfwWindowShouldClose(window)) return false;
    glfwPollEvents();
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    // ImGui times held keys with its own clock: at the few frames per second of a software-
    // rendered page or a busy machine, a quick tap seen by two frames counted as held past the
    // repeat delay and pasted twice, or moved a list two rows. Its clock advances at most 0.1 s a
    // frame (the app's own timings use the wall clock).
    ImGui::GetIO().DeltaTime = std::min(ImGui::GetIO().DeltaTime, 0.1f);
    ImGui::NewFrame();
    draw_app(state);
    ImGui::Render();
    int width = 0, height = 0;
    glfwGetFramebufferSize(window, &width, &height);
    glViewport(0, 0, width, height);
    const ImVec4 clear = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    glClearColor(clear.x, clear.y, clear.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    if (state.gl_renderer.empty()) {
      const GLubyte* renderer = glGetString(GL_RENDERER);
      state.gl_renderer = renderer ? reinterpret_cast<const char*>(renderer) : "unknown";
    }
    const bool keep_going = after_frame(window, options, state);
    glfwSwapBuffers(window);
    return keep_going;
  });

  state.jobs.cancel();
  state.background.cancel();
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return 0;
}
