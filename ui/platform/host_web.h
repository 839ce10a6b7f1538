// host_web.h — the browser's Host (see ui/app/host.h and host_web.cpp).
#pragma once

#include "ui/app/host.h"

namespace attnscope::ui {

class WebHost final : public Host {
 public:
  explicit WebHost(AppState& state);  // files that arrive from the page go to `state`
  std::vector<ModelEntry> bundled_models() override;
  void request_bundled(AppState& state, const std::string& request, const std::string& folder,
                       const std::vector<std::string>& names) override;
  void open_user_model(AppState& state, const std::string& path) override;
  void open_session_file(AppState& state, const std::string& path) override;
  bool has_file_system() const override { return false; }
  Result<std::string> save(const std::string& filename, const std::vector<std::uint8_t>& bytes,
                           const std::string& mime) override;
  std::string initial_view() override;
  void set_view(const std::string& query) override;
  void publish(const std::string& json) override;
  void install_clipboard() override;
};

}  // namespace attnscope::ui
