// fuzz_view_state.cpp — the explorer's URL hash (apply_view_query in ui/app/view_state.cpp):
// any query applies without a crash, and the view written back applies again.
#include "tests/fuzz/fuzz_common.h"
#include "ui/app/actions.h"
#include "ui/app/host.h"

namespace {

// A host with no files: requests for bundled models fail, as an offline page's would.
class NullHost final : public attnscope::ui::Host {
 public:
  std::vector<attnscope::ui::ModelEntry> bundled_models() override {
    return {{"attnscope-kjv", ""}, {"attnscope-tasks", ""}};
  }
  void request_bundled(attnscope::ui::AppState& state, const std::string& request,
                       const std::string&, const std::vector<std::string>&) override {
    attnscope::ui::deliver_files(state, request, attnscope::make_error("offline"));
  }
  void open_user_model(attnscope::ui::AppState& state, const std::string&) override {
    attnscope::ui::deliver_files(state, "model", attnscope::make_error("offline"));
  }
  bool has_file_system() const override { return false; }
  void open_session_file(attnscope::ui::AppState&, const std::string&) override {}
  attnscope::Result<std::string> save(const std::string&, const std::vector<std::uint8_t>&,
                                      const std::string&) override {
    return attnscope::make_error("no saving");
  }
  std::string initial_view() override { return ""; }
  void set_view(const std::string&) override {}
  void publish(const std::string&) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attnscope::ui;
  static NullHost host;
  AppState state;
  state.host = &host;
  const std::string query(reinterpret_cast<const char*>(data), size);
  apply_view_query(state, query);
  const std::string written = view_query(state);
  AppState again;
  again.host = &host;
  apply_view_query(again, written);
  return 0;
}
