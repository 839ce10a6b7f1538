// host.h — what the explorer asks of the platform it runs on: files, downloads, the URL.
//
// The desktop host (ui/platform/host_desktop.cpp) reads models and task files from disk and
// writes exports into a folder; the browser host (ui/platform/host_web.cpp) fetches them over
// HTTP with progress, takes the user's files from a file picker or drag-and-drop, downloads
// exports, and keeps the view in the page's URL. Files arrive asynchronously in the browser, so
// every request answers through deliver_files() (app_actions.h), on the desktop at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ui/app/app.h"

namespace attnscope::ui {

class Host {
 public:
  virtual ~Host() = default;

  // The models shipped with attnscope (models/<name>/), in display order, default first.
  virtual std::vector<ModelEntry> bundled_models() = 0;
  // Fetches the files of a bundled folder ("attnscope-kjv", "tasks"); answers with
  // deliver_files(state, request, files or error).
  virtual void request_bundled(AppState& state, const std::string& request,
                               const std::string& folder,
                               const std::vector<std::string>& names) = 0;
  // A user's own model. Desktop: the folder (or .safetensors file) at `path`. Browser: opens the
  // file picker (the files arrive like a drop); `path` is ignored.
  virtual void open_user_model(AppState& state, const std::string& path) = 0;
  // A session file (session.h). Desktop: the file at `path`, opened at once. Browser: opens the
  // session file picker (the file arrives like a dropped one, as request "session#…"); `path` is
  // ignored.
  virtual void open_session_file(AppState& state, const std::string& path) = 0;
  // True where a path can be typed and browsed (desktop); false in the browser.
  virtual bool has_file_system() const = 0;

  // Saves an export: a file in the export folder (desktop) or a download (browser). Returns what
  // happened, for the status line ("saved attnscope-exports/L0H2.png"), or an error.
  virtual Result<std::string> save(const std::string& filename,
                                   const std::vector<std::uint8_t>& bytes,
                                   const std::string& mime) = 0;

  // The view as URL parameters ("model=...&prompt=...&head=L1H2"): read at start, written when
  // it changes (browser only; the desktop keeps nothing).
  virtual std::string initial_view() = 0;
  virtual void set_view(const std::string& query) = 0;

  // State for end-to-end tests (browser: window.attnscopeState; desktop: nothing).
  virtual void publish(const std::string& json) = 0;

  // After ImGui's platform backend is set up: where the backend's clipboard does not reach the
  // system's (Emscripten's GLFW keeps a private one), route ImGui's copy and paste through the
  // host. The desktop's GLFW clipboard is the system's: nothing to do.
  virtual void install_clipboard() {}
};

}  // namespace attnscope::ui
