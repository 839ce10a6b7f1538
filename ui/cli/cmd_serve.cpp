// cmd_serve.cpp — `attnscope serve`: the local web server for the browser build.
//
// It sends Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy on every response: without
// them the page is not cross-origin isolated, SharedArrayBuffer is missing and WASM threads
// cannot start. It listens on 127.0.0.1 unless told otherwise.
//
// Files are served by our own handler, not cpp-httplib's mount point, because that one follows
// symlinks out of the root and serves "/index.html%00.js" as index.html with the type of ".js".
// Here a path is refused unless it is plain ("/", names, no "..", no NUL or backslash) and its
// real location (symlinks resolved) is a regular file inside the real root. Every response
// carries a Content-Security-Policy that allows nothing outside the page's origin, and
// X-Content-Type-Options: nosniff; files get an ETag and Last-Modified and answer 304 when the
// browser already has them. Requests whose Host is not this server's address are refused (DNS
// rebinding) unless it listens on a wildcard address.
//
// Slow clients: cpp-httplib 0.11 bounds each read (2 s here) but not a whole request's headers;
// a larger pool (128 threads instead of 8, a listen backlog of 128 instead of 5) keeps a few dozen
// slow connections from stalling everyone, and idle keep-alive connections close after 2 s.
// Debian's cpp-httplib is a compiled library, so its CPPHTTPLIB_* defaults cannot be redefined
// here: the pool is set through new_task_queue and the backlog by listening again (Linux takes
// a second listen() on a listening socket as a new backlog).
#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <vector>

#include "ui/cli/cli_io.h"
#include "ui/cli/commands.h"

namespace attnscope::cli {

namespace {

namespace fs = std::filesystem;

struct ServeOptions {
  std::string root;
  std::string host = "127.0.0.1";
  int port = 8000;
  bool isolate = true;  // send COOP/COEP (off: how a plain static host serves the page)
};

constexpr int kWorkerThreads = 128;
constexpr int kListenBacklog = 128;

// Nothing outside the page's own origin: scripts, styles, fonts, images, fetches and workers
// come from 'self'. WebAssembly compilation needs 'wasm-unsafe-eval'; the threaded build's
// workers and the page's downloads use blob: URLs; the favicon is a data: URL.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
    "style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const char* mime_type(const fs::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript";
  if (ext == ".wasm") return "application/wasm";
  if (ext == ".css") return "text/css";
  if (ext == ".json") return "application/json";
  if (ext == ".txt" || ext == ".jsonl") return "text/plain; charset=utf-8";
  if (ext == ".png") return "image/png";
  if (ext == ".svg") return "image/svg+xml";
  return "application/octet-stream";
}

// RFC 9110's IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

std::time_t to_time_t(fs::file_time_type t) {
  using namespace std::chrono;
  return system_clock::to_time_t(time_point_cast<system_clock::duration>(
      t - fs::file_time_type::clock::now() + system_clock::now()));
}

// "/models/x/config.json" → "models/x/config.json"; nullopt for anything but plain names.
std::optional<fs::path> relative_request_path(const std::string& path) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos)
    return std::nullopt;
  fs::path out;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    const std::string part = path.substr(start, slash - start);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") out /= part;
    start = slash + 1;
  }
  return out;
}

class StaticFiles {
 public:
  StaticFiles(fs::path real_root, std::vector<std::string> hosts)
      : root_(std::move(real_root)), hosts_(std::move(hosts)) {}

  void handle(const httplib::Request& req, httplib::Response& res) const {
    if (!hosts_.empty()) {
      const std::string host = req.get_header_value("Host");
      if (std::find(hosts_.begin(), hosts_.end(), host) == hosts_.end()) {
        return refuse(res, 421, "this server answers only to " + hosts_.front());
      }
    }
    const std::optional<fs::path> relative = relative_request_path(req.path);
    if (!relative) return refuse(res, 400, "bad path");
    std::error_code ec;
    fs::path file = fs::canonical(root_ / *relative, ec);
    if (!ec && fs::is_directory(file, ec)) file = fs::canonical(file / "index.html", ec);
    if (ec || !inside_root(file) || !fs::is_regular_file(file, ec) || ec) {
      return refuse(res, 404, "not found");
    }
    const std::uintmax_t size = fs::file_size(file, ec);
    const fs::file_time_type modified = fs::last_write_time(file, ec);
    if (ec) return refuse(res, 404, "not found");
    const std::time_t mtime = to_time_t(modified);
    const std::string etag =
        "\"" + std::to_string(size) + "-" +
        std::to_string(static_cast<std::uint64_t>(modified.time_since_epoch().count())) + "\"";
    const std::string last_modified = http_date(mtime);
    res.set_header("ETag", etag);
    res.set_header("Last-Modified", last_modified);
    // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    if (req.has_header("If-None-Match")) {
      if (req.get_header_value("If-None-Match") == etag) return not_modified(res);
    } else if (req.get_header_value("If-Modified-Since") == last_modified) {
      return not_modified(res);
    }
    auto stream = std::make_shared<std::ifstream>(file, std::ios::binary);
    if (!*stream) return refuse(res, 404, "not found");
    res.status = 200;
    res.set_content_provider(
        static_cast<std::size_t>(size), mime_type(file),
        [stream](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
          char buffer[64 * 1024];
          stream->seekg(static_cast<std::streamoff>(offset));
          const std::size_t n = std::min(length, sizeof buffer);
          stream->read(buffer, static_cast<std::streamsize>(n));
          const std::streamsize got = stream->gcount();
          if (got <= 0) return false;
          sink.write(buffer, static_cast<std::size_t>(got));
          return true;
        });
  }

 private:
  bool inside_root(const fs::path& file) const {
    auto r = root_.begin();
    auto f = file.begin();
    for (; r != root_.end(); ++r, ++f) {
      if (f == file.end() || *r != *f) return false;
    }
    return true;
  }
  static void refuse(httplib::Response& res, int status, const std::string& text) {
    res.status = status;
    res.set_content(text + "\n", "text/plain; charset=utf-8");
  }
  static void not_modified(httplib::Response& res) { res.status = 304; }

  fs::path root_;
  std::vector<std::string> hosts_;  // accepted Host headers; empty: any
};

// The Host values a browser sends to this server; empty (accept any) on a wildcard address.
std::vector<std::string> accepted_hosts(const std::string& host, int port) {
  if (host == "0.0.0.0" || host == "::" || host.empty()) return {};
  const std::string p = ":" + std::to_string(port);
  std::vector<std::string> out = {host + p};
  if (host == "127.0.0.1" || host == "localhost" || host == "::1") {
    for (const char* h : {"127.0.0.1", "localhost", "[::1]"}) {
      if (h != host) out.push_back(h + p);
    }
  }
  return out;
}

Status serve(const ServeOptions& options) {
  if (!fs::is_regular_file(fs::path(options.root) / "index.html"))
    return make_error("no web build in '" + printable(options.root) + "' (index.html is missing)",
                      "build it with ./setup.sh, or pass --root");
  std::error_code ec;
  const fs::path root = fs::canonical(options.root, ec);
  if (ec) return make_error("cannot serve '" + printable(options.root) + "': " + ec.message());

  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  int listen_socket = -1;
  server.set_socket_options([&listen_socket](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_socket = sock;
  });
  server.set_read_timeout(2, 0);
  server.set_write_timeout(10, 0);
  server.set_keep_alive_timeout(2);
  server.set_keep_alive_max_count(1000);
  server.set_payload_max_length(64 * 1024);  // the page only GETs; nothing large comes in
  server.set_post_routing_handler(
      [isolate = options.isolate](const httplib::Request&, httplib::Response& res) {
        if (isolate) {
          res.set_header("Cross-Origin-Opener-Policy", "same-origin");
          res.set_header("Cross-Origin-Embedder-Policy", "require-corp");
          res.set_header("Cross-Origin-Resource-Policy", "same-origin");
        }
        res.set_header("Content-Security-Policy", kContentSecurityPolicy);
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Referrer-Policy", "no-referrer");
        res.set_header("Cache-Control", "no-cache");  // revalidate: answered by a 304
      });

  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
    if (port < 0) return make_error("cannot listen on " + printable(options.host));
  } else if (!server.bind_to_port(options.host, port)) {
    return make_error("cannot listen on " + printable(options.host) + ":" + std::to_string(port),
                      "is another server using the port? try --port 0");
  }
  if (listen_socket >= 0) ::listen(listen_socket, kListenBacklog);
  auto files = std::make_shared<StaticFiles>(root, accepted_hosts(options.host, port));
  const auto handler = [files](const httplib::Request& req, httplib::Response& res) {
    files->handle(req, res);
  };
  server.Get(".*", handler);
  std::printf("attnscope: serving %s at http://%s:%d/\n", printable(root.string()).c_str(),
              printable(options.host).c_str(), port);
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
  cmd->add_option("--host", options->host,
                  "Address to listen on (requests must name it in their Host header, except on "
                  "0.0.0.0)")
      ->capture_default_str();
  cmd->add_option("--port", options->port, "Port (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_flag("!--no-isolation", options->isolate,
                "Leave out COOP/COEP, as a plain static host would: the page then runs the "
                "single-threaded build, which splits long work across frames");
  cmd->callback([options]() { finish(serve(*options)); });
}

}  // namespace attnscope::cli
