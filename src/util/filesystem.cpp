// The real util::FileSystem: each method is the system call it is named
// after (open_beneath is one openat2 where the kernel has it), errno returned
// as the error value. Kept this thin on purpose: a 50,000-file tree makes
// about four of these calls per file, and the virtual call is all the
// indirection they pay.
#include <slimbuild/util/filesystem.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>

namespace slimbuild::util {

namespace {

void free_chars(char* p) { std::free(p); }

constexpr int kReadFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

class RealFileSystem final : public FileSystem {
 public:
  bool concurrent() const override { return true; }

  std::expected<struct stat, int> lstat(const fs::path& path) const override {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return std::unexpected(errno);
    return st;
  }

  std::expected<struct stat, int> stat(const fs::path& path) const override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::unexpected(errno);
    return st;
  }

  std::expected<struct stat, int> fstat(int fd) const override {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return std::unexpected(errno);
    return st;
  }

  std::expected<std::string, int> readlink(const fs::path& path) const override {
    // One call for every real target (shorter than PATH_MAX); a longer one
    // is read again into a buffer of its size.
    char buf[PATH_MAX];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n < 0) return std::unexpected(errno);
    if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, static_cast<size_t>(n));
    for (size_t size = 2 * sizeof buf; size <= (64u << 20); size *= 2) {
      std::string target(size, '\0');
      n = ::readlink(path.c_str(), target.data(), size);
      if (n < 0) return std::unexpected(errno);
      if (static_cast<size_t>(n) < size) {
        target.resize(static_cast<size_t>(n));
        return target;
      }
    }
    return std::unexpected(ENAMETOOLONG);
  }

  std::expected<std::vector<std::string>, int> list_dir(const fs::path& dir) const override {
    auto listed = list_dir_kinds(dir);
    if (!listed) return std::unexpected(listed.error());
    std::vector<std::string> names;
    names.reserve(listed->size());
    for (auto& entry : *listed) names.push_back(std::move(entry.name));
    return names;
  }

  std::expected<std::vector<Listed>, int> list_dir_kinds(const fs::path& dir) const override {
    CHandle<DIR, ::closedir> d{::opendir(dir.c_str())};
    if (!d) return std::unexpected(errno);
    std::vector<Listed> entries;
    errno = 0;
    while (dirent* e = ::readdir(d.get())) {
      const char* n = e->d_name;
      if (!(n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))) {
        ListedKind kind = e->d_type == DT_REG   ? ListedKind::Regular
                          : e->d_type == DT_DIR ? ListedKind::Directory
                          : e->d_type == DT_LNK ? ListedKind::Symlink
                          : e->d_type == DT_UNKNOWN ? ListedKind::Unknown
                                                    : ListedKind::Other;
        entries.push_back(Listed{n, kind});
      }
      errno = 0;
    }
    if (errno != 0) return std::unexpected(errno);
    return entries;
  }

  std::expected<Fd, int> open_read(const fs::path& file, FinalLink final_link) const override {
    Fd fd(::open(file.c_str(), kReadFlags | (final_link == FinalLink::Refuse ? O_NOFOLLOW : 0)));
    if (!fd) return std::unexpected(errno);
    return fd;
  }

  std::expected<Fd, int> open_beneath(const fs::path& root, const fs::path& relative) const override {
    auto held = open_root(root);
    if (!held) return std::unexpected(held.error());
    return open_beneath(*held, relative);
  }

  std::expected<OpenRoot, int> open_root(const fs::path& root) const override {
    // O_PATH: a handle to resolve from, never read; a root that is only
    // searchable (mode 0111) still works, as it did by path.
    Fd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return std::unexpected(errno);
    return OpenRoot{root, std::move(dir)};
  }

  std::expected<Fd, int> open_beneath(const OpenRoot& root, const fs::path& relative) const override {
    std::vector<std::string> parts;
    for (const auto& p : relative.lexically_normal()) {
      std::string s = p.string();
      if (s.empty() || s == ".") continue;
      if (s == ".." || s == "/") return std::unexpected(EXDEV);
      parts.push_back(std::move(s));
    }
    if (parts.empty()) return std::unexpected(EINVAL);
    // One openat2 call where the kernel has it (Linux 5.6+): no symlink on
    // any component, nothing outside the root. A tree of 50,000 small files
    // paid one openat per directory level per file, twice, without it.
    static std::atomic<bool> have_openat2{true};
    if (have_openat2) {
      std::string joined;
      for (const auto& p : parts) joined += (joined.empty() ? "" : "/") + p;
      struct open_how how {};
      how.flags = static_cast<uint64_t>(kReadFlags);
      how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
      long fd = ::syscall(SYS_openat2, root.fd.get(), joined.c_str(), &how, sizeof how);
      if (fd >= 0) return Fd(static_cast<int>(fd));
      // Old kernels, and sandboxes whose seccomp filter does not know the call.
      if (errno != ENOSYS && errno != EPERM) return std::unexpected(errno == EXDEV ? ELOOP : errno);
      have_openat2 = false;
    }
    int at = root.fd.get();
    Fd dir;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      int next = ::openat(at, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0) return std::unexpected(errno == ENOTDIR ? ELOOP : errno);
      dir.reset(next);
      at = dir.get();
    }
    Fd fd(::openat(at, parts.back().c_str(), kReadFlags | O_NOFOLLOW));
    if (!fd) return std::unexpected(errno);
    return fd;
  }

  std::expected<fs::path, int> canonical(const fs::path& path) const override {
    CHandle<char, free_chars> resolved{::realpath(path.c_str(), nullptr)};
    if (!resolved) return std::unexpected(errno);
    return fs::path(resolved.get());
  }

  std::expected<std::string, int> read_file(const fs::path& file, std::size_t max_bytes) const override {
    Fd fd(::open(file.c_str(), kReadFlags));
    if (!fd) return std::unexpected(errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return std::unexpected(errno);
    if (S_ISDIR(st.st_mode)) return std::unexpected(EISDIR);
    if (!S_ISREG(st.st_mode)) return std::unexpected(EINVAL);
    if (static_cast<uint64_t>(st.st_size) > max_bytes) return std::unexpected(EFBIG);
    // st_size is a hint (the file may grow): read to EOF, within the cap.
    std::string data(static_cast<size_t>(st.st_size), '\0');
    size_t have = 0;
    for (;;) {
      if (have == data.size()) {
        if (data.size() >= max_bytes) {
          char probe;
          ssize_t more = ::read(fd.get(), &probe, 1);
          if (more < 0 && errno == EINTR) continue;
          if (more < 0) return std::unexpected(errno);
          if (more > 0) return std::unexpected(EFBIG);
          break;
        }
        data.resize(std::min(max_bytes, std::max<size_t>(data.size() * 2, 4096)));
      }
      ssize_t n = ::read(fd.get(), data.data() + have, data.size() - have);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::unexpected(errno);
      if (n == 0) break;
      have += static_cast<size_t>(n);
    }
    data.resize(have);
    return data;
  }
};

}  // namespace

std::expected<std::vector<Listed>, int> FileSystem::list_dir_kinds(const fs::path& dir) const {
  auto names = list_dir(dir);
  if (!names) return std::unexpected(names.error());
  std::vector<Listed> entries;
  entries.reserve(names->size());
  for (auto& n : *names) entries.push_back(Listed{std::move(n), ListedKind::Unknown});
  return entries;
}

const FileSystem& real_filesystem() noexcept {
  static const RealFileSystem real;
  return real;
}

}  // namespace slimbuild::util
