// host_desktop.h — the desktop's Host (see ui/app/host.h).
#pragma once

#include "ui/app/host.h"
#include "ui/platform/bundled_models.h"

namespace attnscope::ui {

class DesktopHost final : public Host {
 public:
  // models_dir: the repository's models/ folder; export_dir: where exports are written; view:
  // initial URL-style parameters (--view).
  DesktopHost(std::string models_dir, std::string export_dir, std::string view);
  std::vector<ModelEntry> bundled_models() override;
  void request_bundled(AppState& state, const std::string& request, const std::string& folder,
                       const std::vector<std::string>& names) override;
  void open_user_model(AppState& state, const std::string& path) override;
  void open_session_file(AppState& state, const std::string& path) override;
  bool has_file_system() const override { return true; }
  Result<std::string> save(const std::string& filename, const std::vector<std::uint8_t>& bytes,
                           const std::string& mime) override;
  std::string initial_view() override { return view_; }
  void set_view(const std::string&) override {}
  void publish(const std::string& json) override { last_state_ = json; }
  const std::string& last_state() const { return last_state_; }

 private:
  std::string models_dir_, export_dir_, view_, last_state_;
};

}  // namespace attnscope::ui
