// test_host.h — the headless explorer of the UI tests: a Host that reads models/ from the source
// tree and keeps what is saved, and settle(), which polls the job runners as frames do.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "core/io/file_source.h"
#include "ui/app/actions.h"
#include "ui/app/host.h"
#include "ui/app/session.h"

namespace attnscope::ui::testing {

// Reads models/ from the source tree; remembers what was saved.
class TestHost final : public Host {
 public:
  std::vector<ModelEntry> bundled_models() override {
    return {{"attnscope-kjv", ""}, {"attnscope-tasks", ""}};
  }
  void request_bundled(AppState& state, const std::string& request, const std::string& folder,
                       const std::vector<std::string>&) override {
    deliver_files(state, request,
                  std::shared_ptr<const FileSource>(
                      open_directory(std::string(ATTNSCOPE_SOURCE_DIR) + "/models/" + folder)));
  }
  void open_user_model(AppState& state, const std::string& path) override {
    auto source = open_path(path);
    if (!source) return deliver_files(state, "model", source.error());
    deliver_files(state, "model:user", std::shared_ptr<const FileSource>(std::move(*source)));
  }
  void open_session_file(AppState& state, const std::string& path) override {
    std::ifstream in(path, std::ios::binary);
    open_session(state, std::string(std::istreambuf_iterator<char>(in), {}));
  }
  bool has_file_system() const override { return true; }
  Result<std::string> save(const std::string& filename, const std::vector<std::uint8_t>& bytes,
                           const std::string&) override {
    saved[filename] = bytes;
    return "saved " + filename;
  }
  std::string initial_view() override { return ""; }
  void set_view(const std::string&) override {}
  void publish(const std::string&) override {}
  std::map<std::string, std::vector<std::uint8_t>> saved;
};

// Polls both runners, as frames do, until neither has work (or 60 s pass).
inline void settle(AppState& state) {
  const auto start = std::chrono::steady_clock::now();
  while (state.jobs.busy() || state.background.busy()) {
    for (JobRunner* r : {&state.jobs, &state.background})
      if (std::string e = r->poll(state); !e.empty()) state.error = e;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    REQUIRE(std::chrono::steady_clock::now() - start < std::chrono::seconds(60));
  }
}

}  // namespace attnscope::ui::testing
