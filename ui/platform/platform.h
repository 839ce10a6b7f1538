// platform.h — what differs between the desktop and the browser, one implementation file each
// (platform_desktop.cpp, platform_web.cpp), chosen by CMake. main.cpp has no #ifdef.
#pragma once

#include <functional>
#include <memory>
#include <string>

struct GLFWwindow;

namespace attnscope::ui {

struct AppState;
class Host;

struct LaunchOptions {
  int width = 1280, height = 800;
  std::string screenshot_path;                   // desktop: write a PNG of frame `frames` and exit
  int frames = 0;                                // 0: run until the window closes
  std::string models_dir;                        // desktop: the bundled models' folder
  std::string export_dir = "attnscope-exports";  // desktop: where exports are written
  std::string view;                              // desktop: initial view, as the browser's URL hash
  std::string state_path;    // desktop: write the app's state (JSON) here on exit
  std::string session_path;  // desktop: a session file to open at start (session.h)
};

// The platform's Host (files, downloads, URL); see ui/app/host.h.
std::unique_ptr<Host> make_host(AppState& state, const LaunchOptions& options);

// Parse argv (desktop) or the page's settings (browser). Returns false to exit with `exit_code`.
bool parse_launch_options(int argc, char** argv, LaunchOptions& options, int& exit_code);

struct GlSetup {
  int major, minor;
  bool es;           // OpenGL ES / WebGL2 rather than desktop OpenGL core
  const char* glsl;  // version line for ImGui's OpenGL3 renderer
};
GlSetup gl_setup();

// "desktop" or "browser", shown in the UI.
std::string platform_name();

// Calls frame() until it returns false (desktop) or forever (browser: the page's animation loop).
void run_main_loop(const std::function<bool()>& frame);

// After a frame is rendered: screenshots (desktop) or telling the page a frame was drawn (browser).
// Returns false when the app should exit.
bool after_frame(GLFWwindow* window, const LaunchOptions& options, const AppState& state);

}  // namespace attnscope::ui
