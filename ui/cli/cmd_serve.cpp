// cmd_serve.cpp — `attnscope serve`: the local web server for the browser build.
//
// It sends Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy on every response: without
// them the page is not cross-origin isolated, SharedArrayBuffer is missing and WASM threads
// cannot start. It listens on 127.0.0.1 unless told otherwise.
#include <httplib.h>

#include <cstdio>
#include <filesystem>

#include "ui/cli/commands.h"

namespace attnscope::cli {

namespace {

struct ServeOptions {
  std::string root;
  std::string host = "127.0.0.1";
  int port = 8000;
  bool isolate = true;  // send COOP/COEP (off: how a plain static host serves the page)
};

Status serve(const ServeOptions& options) {
  namespace fs = std::filesystem;
  if (!fs::is_regular_file(fs::path(options.root) / "index.html"))
    return make_error("no web build in '" + options.root + "' (index.html is missing)",
                      "build it with ./setup.sh, or pass --root");

  httplib::Server server;
  server.set_file_extension_and_mimetype_mapping("wasm", "application/wasm");
  server.set_file_extension_and_mimetype_mapping("js", "text/javascript");
  if (!server.set_mount_point("/", options.root))
    return make_error("cannot serve '" + options.root + "'");
  server.set_post_routing_handler(
      [isolate = options.isolate](const httplib::Request&, httplib::Response& res) {
        if (isolate) {
          res.set_header("Cross-Origin-Opener-Policy", "same-origin");
          res.set_header("Cross-Origin-Embedder-Policy", "require-corp");
          res.set_header("Cross-Origin-Resource-Policy", "same-origin");
        }
        res.set_header("Cache-Control", "no-cache");
      });

  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
    if (port < 0) return make_error("cannot listen on " + options.host);
  } else if (!server.bind_to_port(options.host, port)) {
    return make_error("cannot listen on " + options.host + ":" + std::to_string(port),
                      "is another server using the port? try --port 0");
  }
  std::printf("attnscope: serving %s at http://%s:%d/\n", options.root.c_str(),
              options.host.c_str(), port);
  std::fflush(stdout);
  if (!server.listen_after_bind()) return make_error("the server stopped unexpectedly");
  return {};
}

}  // namespace

void register_serve(CLI::App& app) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Serve the browser explorer on http://127.0.0.1 (with COOP/COEP for WASM threads)");
  cmd->add_option("--root", options->root, "Folder of the web build (build-wasm/public)")
      ->required();
  cmd->add_option("--host", options->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", options->port, "Port (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_flag("!--no-isolation", options->isolate,
                "Leave out COOP/COEP, as a plain static host would: the page then runs the "
                "single-threaded build, which splits long work across frames");
  cmd->callback([options]() { finish(serve(*options)); });
}

}  // namespace attnscope::cli
