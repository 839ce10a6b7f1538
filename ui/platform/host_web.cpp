// host_web.cpp — the browser's Host. The JavaScript half lives in web/page.js
// (window.attnscopeHost): it fetches bundled files with progress, runs the file picker and
// drag-and-drop, checks a model's size before reading it, downloads exports and keeps the view in
// the URL's hash. Files come back through the exported attnscope_* functions below.
#include "ui/platform/host_web.h"

#include <emscripten.h>
#include <imgui.h>

#include <cstdlib>
#include <map>
#include <memory>

#include "core/gpu/shared_webgpu.h"
#include "ui/app/actions.h"
#include "ui/app/session.h"
#include "ui/platform/bundled_models.h"
#include "wasm/webgpu_browser.h"

namespace {

attnscope::ui::AppState* g_state = nullptr;
std::map<std::string, std::shared_ptr<attnscope::MemorySource>> g_incoming;

}  // namespace

EM_JS(void, js_fetch_bundled, (const char* request, const char* folder, const char* names), {
  window.attnscopeHost.fetchBundled(UTF8ToString(request), UTF8ToString(folder),
                                    UTF8ToString(names).split('\n'));
});
EM_JS(void, js_open_picker, (), { window.attnscopeHost.openPicker(); });
EM_JS(void, js_open_session_picker, (), { window.attnscopeHost.openSessionPicker(); });
// The largest session file page.js reads into memory (session.h's limit, said once).
EM_JS(void, js_set_max_session_bytes, (double bytes),
      { window.attnscopeHost.setMaxSessionBytes(bytes); });
EM_JS(void, js_app_ready, (), { window.attnscopeHost.appReady(); });
// wasmMemory.buffer, not HEAPU8: in the threaded build another thread may have grown the memory
// since this thread's views were made.
EM_JS(void, js_download, (const char* name, const std::uint8_t* data, int size, const char* mime), {
  window.attnscopeHost.download(UTF8ToString(name),
                                new Uint8Array(wasmMemory.buffer, data, size).slice(),
                                UTF8ToString(mime));
});
EM_JS(void, js_install_copy_in, (), {
  Module.attnscopeCopyIn = function(bytes, ptr) {
    new Uint8Array(wasmMemory.buffer).set(bytes, ptr);
  };
  // A JS string as a NUL-terminated UTF-8 copy in WASM memory; the caller frees it.
  Module.attnscopeNewString = function(text) {
    const size = lengthBytesUTF8(text) + 1;
    const ptr = _malloc(size);
    stringToUTF8(text, ptr, size);
    return ptr;
  };
});
EM_JS(void, js_set_view, (const char* query),
      { window.attnscopeHost.setView(UTF8ToString(query)); });
EM_JS(char*, js_initial_view, (),
      { return Module.attnscopeNewString(window.attnscopeHost.initialView()); });
EM_JS(void, js_publish, (const char* json), { Module.attnscopeState = UTF8ToString(json); });
EM_JS(void, js_set_clipboard, (const char* text),
      { window.attnscopeHost.setClipboard(UTF8ToString(text)); });
EM_JS(char*, js_clipboard_text, (),
      { return Module.attnscopeNewString(window.attnscopeHost.clipboardText()); });

// Called by page.js as files arrive.
extern "C" {

EMSCRIPTEN_KEEPALIVE void attnscope_load_progress(const char* request, double fraction,
                                                  const char* stage) {
  if (!g_state) return;
  attnscope::ui::load_progress(*g_state, request, fraction, stage);
}

// Takes ownership of `data` (allocated with _malloc by page.js).
EMSCRIPTEN_KEEPALIVE void attnscope_add_file(const char* request, const char* name,
                                             std::uint8_t* data, int size) {
  auto& source = g_incoming[request];
  if (!source) source = std::make_shared<attnscope::MemorySource>("the files you chose");
  // No copy: the bytes stay where page.js put them and are freed with the last reference.
  source->add(name, attnscope::Bytes{
                        std::shared_ptr<const void>(data, std::free), data, std::size_t(size), {}});
}

// The request is complete (error empty) or failed.
EMSCRIPTEN_KEEPALIVE void attnscope_files_done(const char* request, const char* error) {
  if (!g_state) return;
  auto it = g_incoming.find(request);
  std::shared_ptr<attnscope::MemorySource> source;
  if (it != g_incoming.end()) {
    source = it->second;
    g_incoming.erase(it);
  }
  if (error && *error) {
    g_state->load_progress = -1;
    return attnscope::ui::deliver_files(*g_state, request, attnscope::make_error(error));
  }
  if (!source) source = std::make_shared<attnscope::MemorySource>();
  attnscope::ui::deliver_files(*g_state, request,
                               std::shared_ptr<const attnscope::FileSource>(std::move(source)));
}

// Sets the prompt and runs it (page.js: attnscopeHost.setPrompt, for scripts and long texts).
EMSCRIPTEN_KEEPALIVE void attnscope_set_prompt(const char* text) {
  if (!g_state) return;
  g_state->prompt = text;
  attnscope::ui::run_prompt(*g_state);
}

}  // extern "C"

namespace attnscope::ui {

WebHost::WebHost(AppState& state) {
  g_state = &state;
  set_gpu_device_opener(open_browser_gpu_device);  // navigator.gpu, from a job's thread
  js_install_copy_in();
  js_set_max_session_bytes(double(kMaxSessionBytes));
  js_app_ready();
}

std::vector<ModelEntry> WebHost::bundled_models() {
  std::vector<ModelEntry> out;
  for (const BundledModel& m : bundled_model_list()) out.push_back({m.name, m.description});
  return out;
}

void WebHost::request_bundled(AppState&, const std::string& request, const std::string& folder,
                              const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& n : names) joined += (joined.empty() ? "" : "\n") + n;
  js_fetch_bundled(request.c_str(), folder.c_str(), joined.c_str());
}

void WebHost::open_user_model(AppState&, const std::string&) {
  js_open_picker();
}

void WebHost::open_session_file(AppState&, const std::string&) {
  js_open_session_picker();
}

Result<std::string> WebHost::save(const std::string& filename,
                                  const std::vector<std::uint8_t>& bytes, const std::string& mime) {
  js_download(filename.c_str(), bytes.data(), int(bytes.size()), mime.c_str());
  return "downloaded " + filename;
}

std::string WebHost::initial_view() {
  char* text = js_initial_view();
  std::string out(text);
  std::free(text);
  return out;
}

void WebHost::set_view(const std::string& query) {
  js_set_view(query.c_str());
}

void WebHost::install_clipboard() {
  ImGuiIO& io = ImGui::GetIO();
  io.SetClipboardTextFn = [](void*, const char* text) { js_set_clipboard(text); };
  io.GetClipboardTextFn = [](void*) -> const char* {
    static std::string text;  // ImGui reads it before the next call
    char* copy = js_clipboard_text();
    text = copy;
    std::free(copy);
    return text.c_str();
  };
}

void WebHost::publish(const std::string& json) {
  js_publish(json.c_str());
}

}  // namespace attnscope::ui
