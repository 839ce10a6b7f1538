// directory_source_posix.cpp — FileSource over a folder on disk (native builds only).
//
// This is the single place where the core touches the file system, and it does so only behind
// the FileSource interface: everything else receives Bytes. Files are memory-mapped read-only
// (MAP_PRIVATE, PROT_READ), so a multi-gigabyte model costs address space, not a copy; if a
// mapping is refused the file is read into memory instead.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/io/file_source.h"

namespace attnscope {

namespace {

// A name inside the folder: relative, and no ".." component that could leave it.
bool is_inside_name(std::string_view name) {
  if (name.empty() || name.front() == '/') return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    if (slash == std::string_view::npos) slash = name.size();
    if (name.substr(start, slash - start) == "..") return false;
    start = slash + 1;
  }
  return true;
}

std::string join(const std::string& folder, const std::string& name) {
  if (folder.empty()) return name;
  return folder.back() == '/' ? folder + name : folder + "/" + name;
}

struct Mapping {
  void* address;
  std::size_t length;
  Mapping(void* a, std::size_t n) : address(a), length(n) {}
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { munmap(address, length); }
};

struct FileDescriptor {
  int fd;
  explicit FileDescriptor(int f) : fd(f) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd >= 0) close(fd);
  }
};

Error read_error(const std::string& name, const std::string& where, int err) {
  return make_error("cannot read " + name + " in " + where + ": " + std::strerror(err));
}

// The whole file at `path`, memory-mapped when possible.
Result<Bytes> load_file(const std::string& path, const std::string& name,
                        const std::string& where) {
  const FileDescriptor file(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return file_not_found(name, where);
    return read_error(name, where, errno);
  }
  struct stat info;
  if (fstat(file.fd, &info) != 0) return read_error(name, where, errno);
  if (!S_ISREG(info.st_mode)) return make_error(name + " in " + where + " is not a regular file");
  const std::size_t size = static_cast<std::size_t>(info.st_size);
  if (size == 0) return Bytes::from_vector({});  // mmap refuses empty files

  void* address = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file.fd, 0);
  if (address != MAP_FAILED) {
    auto mapping = std::make_shared<const Mapping>(address, size);
    Bytes bytes{mapping, static_cast<const std::uint8_t*>(address), size, {}};
    bytes.release = [](std::span<const std::uint8_t> range) {
      // Whole pages inside the range only: a page shared with a neighbouring tensor stays.
      const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
      const auto begin = (reinterpret_cast<std::uintptr_t>(range.data()) + page - 1) / page * page;
      const auto end =
          (reinterpret_cast<std::uintptr_t>(range.data()) + range.size()) / page * page;
      if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
    };
    return bytes;
  }

  // No mapping (some special file systems): read it.
  std::vector<std::uint8_t> data(size);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(file.fd, data.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return read_error(name, where, errno);
    if (n == 0) break;  // shrank while we read
    done += static_cast<std::size_t>(n);
  }
  data.resize(done);
  return Bytes::from_vector(std::move(data));
}

class DirectorySource final : public FileSource {
 public:
  // With a non-empty `weights_file`, that file is served as "model.safetensors" and any
  // model.safetensors.index.json is hidden.
  DirectorySource(std::string folder, std::string weights_file = {})
      : folder_(std::move(folder)), weights_file_(std::move(weights_file)) {}

  Result<Bytes> read(const std::string& name) const override {
    if (hidden(name) || !is_inside_name(name)) return file_not_found(name, describe());
    return load_file(join(folder_, on_disk(name)), name, describe());
  }

  bool exists(const std::string& name) const override {
    if (hidden(name) || !is_inside_name(name)) return false;
    struct stat info;
    return stat(join(folder_, on_disk(name)).c_str(), &info) == 0 && S_ISREG(info.st_mode);
  }

  std::string describe() const override {
    if (weights_file_.empty()) return folder_;
    return folder_ + " (model.safetensors = " + weights_file_ + ")";
  }

 private:
  bool hidden(const std::string& name) const {
    return !weights_file_.empty() && name == "model.safetensors.index.json";
  }
  const std::string& on_disk(const std::string& name) const {
    return !weights_file_.empty() && name == "model.safetensors" ? weights_file_ : name;
  }

  std::string folder_;
  std::string weights_file_;
};

}  // namespace

std::unique_ptr<FileSource> open_directory(const std::string& path) {
  return std::make_unique<DirectorySource>(path);
}

Result<std::unique_ptr<FileSource>> open_path(const std::string& path) {
  struct stat info;
  if (path.empty() || stat(path.c_str(), &info) != 0) {
    return make_error("no such file or folder: " + path);
  }
  if (S_ISDIR(info.st_mode)) return std::unique_ptr<FileSource>(open_directory(path));
  const std::string_view suffix = ".safetensors";
  if (!S_ISREG(info.st_mode) || !path.ends_with(suffix)) {
    return make_error("not a folder or a .safetensors file: " + path,
                      "pass a model folder, or its model.safetensors");
  }
  const std::size_t slash = path.rfind('/');
  // The file's folder: "." for a bare name, "/" for a file at the root.
  std::string folder = slash == std::string::npos ? std::string(".")
                       : slash == 0               ? std::string("/")
                                                  : path.substr(0, slash);
  std::string file = slash == std::string::npos ? path : path.substr(slash + 1);
  return std::unique_ptr<FileSource>(
      std::make_unique<DirectorySource>(std::move(folder), std::move(file)));
}

}  // namespace attnscope
