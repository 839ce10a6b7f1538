// host_desktop.cpp — the desktop's Host: models and task files from the models/ folder on disk,
// the user's model from a path, exports written into a folder.
#include "ui/platform/host_desktop.h"

#include <filesystem>
#include <fstream>
#include <system_error>

#include "ui/app/actions.h"
#include "ui/app/session.h"

namespace attnscope::ui {

namespace fs = std::filesystem;

DesktopHost::DesktopHost(std::string models_dir, std::string export_dir, std::string view)
    : models_dir_(std::move(models_dir)),
      export_dir_(std::move(export_dir)),
      view_(std::move(view)) {}

std::vector<ModelEntry> DesktopHost::bundled_models() {
  std::vector<ModelEntry> out;
  for (const BundledModel& m : bundled_model_list()) {
    std::error_code ec;
    if (fs::exists(fs::path(models_dir_) / m.name / "config.json", ec))
      out.push_back({m.name, m.description});
  }
  return out;
}

void DesktopHost::request_bundled(AppState& state, const std::string& request,
                                  const std::string& folder,
                                  const std::vector<std::string>& names) {
  const std::string path = (fs::path(models_dir_) / folder).string();
  std::shared_ptr<const FileSource> source = open_directory(path);
  for (const std::string& name : names)
    if (!source->exists(name)) return deliver_files(state, request, file_not_found(name, path));
  deliver_files(state, request, std::move(source));
}

void DesktopHost::open_user_model(AppState& state, const std::string& path) {
  if (path.empty())
    return deliver_files(state, "model", make_error("type or browse to a model folder"));
  auto source = open_path(path);
  if (!source) return deliver_files(state, "model", source.error());
  std::string name = fs::path(path).filename().string();
  if (name.empty()) name = fs::path(path).parent_path().filename().string();
  deliver_files(state, "model:" + name + "#path",
                std::shared_ptr<const FileSource>(std::move(*source)));
}

void DesktopHost::open_session_file(AppState& state, const std::string& path) {
  if (path.empty()) return session_error(state, "session: type the path of a session file");
  // The size first: a wrong path to a huge file is refused without reading it.
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return session_error(state, "session: cannot read " + path + ": " + ec.message());
  if (size > kMaxSessionBytes)
    return session_error(state, "session: " + path + " is " + std::to_string(size >> 20) +
                                    " MiB; at most " + std::to_string(kMaxSessionBytes >> 20) +
                                    " MiB are read");
  std::ifstream in(path, std::ios::binary);
  std::string text(std::size_t(size), '\0');
  if (!in.read(text.data(), std::streamsize(size)))
    return session_error(state, "session: cannot read " + path);
  open_session(state, text);
}

Result<std::string> DesktopHost::save(const std::string& filename,
                                      const std::vector<std::uint8_t>& bytes, const std::string&) {
  std::error_code ec;
  fs::create_directories(export_dir_, ec);
  if (ec) return make_error("cannot create " + export_dir_ + ": " + ec.message());
  const fs::path path = fs::path(export_dir_) / filename;
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  if (!out) return make_error("cannot write " + path.string());
  return "saved " + path.string();
}

}  // namespace attnscope::ui
