// Opening input files beneath their tree root and checking their identity.
#include <slimbuild/util/file_identity.hpp>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include <slimbuild/util/error.hpp>

namespace slimbuild::util {

namespace {

constexpr int kFileFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

Error open_error(const fs::path& file, int err) {
  if (err == ELOOP || err == ENOTDIR)
    return Error(file.string() + " was replaced by a symlink (or a directory on its path was) after it was selected",
                 "make sure nothing modifies the inputs during the build, then run it again");
  return Error("cannot read " + file.string() + ": " + std::strerror(err));
}

}  // namespace

FileIdentity FileIdentity::of(const struct stat& st) {
  return FileIdentity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
                      st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
}

std::string FileIdentity::difference(const FileIdentity& now) const {
  if (dev != now.dev || ino != now.ino)
    return "it is another file now (inode " + std::to_string(ino) + " -> " + std::to_string(now.ino) + ")";
  if (size != now.size) return "it had " + std::to_string(size) + " bytes when it was selected, now " + std::to_string(now.size);
  if (mtime_sec != now.mtime_sec || mtime_nsec != now.mtime_nsec) return "it was modified after it was selected";
  return "unchanged";
}

Fd open_beneath(const fs::path& root, const fs::path& relative) {
  Fd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) throw Error("cannot open " + root.string() + ": " + std::strerror(errno));
  fs::path rel = relative.lexically_normal();
  std::vector<std::string> parts;
  for (const auto& p : rel) {
    std::string s = p.string();
    if (s.empty() || s == ".") continue;
    if (s == ".." || s == "/") throw Error(root.string() + "/" + relative.string() + " is not inside " + root.string());
    parts.push_back(s);
  }
  if (parts.empty()) throw Error("internal: open_beneath of the root itself (" + root.string() + ")");
  // One openat2 call where the kernel has it (Linux 5.6+): no symlink on
  // any component, nothing outside the root. A tree of 50,000 small files
  // paid one openat per directory level per file, twice, without it.
  static std::atomic<bool> have_openat2{true};
  if (have_openat2) {
    std::string joined;
    for (const auto& p : parts) joined += (joined.empty() ? "" : "/") + p;
    struct open_how how {};
    how.flags = static_cast<uint64_t>(kFileFlags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, dir.get(), joined.c_str(), &how, sizeof how);
    if (fd >= 0) return Fd(static_cast<int>(fd));
    // Old kernels, and sandboxes whose seccomp filter does not know the call.
    if (errno != ENOSYS && errno != EPERM) throw open_error(root / relative, errno == EXDEV ? ELOOP : errno);
    have_openat2 = false;
  }
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    int next = ::openat(dir.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) throw open_error(root / relative, errno);
    dir.reset(next);
  }
  Fd fd(::openat(dir.get(), parts.back().c_str(), kFileFlags | O_NOFOLLOW));
  if (!fd) throw open_error(root / relative, errno);
  return fd;
}

Fd open_checked(const fs::path& file, const std::optional<FileIdentity>& expected, const fs::path& root) {
  Fd fd = root.empty() ? Fd(::open(file.c_str(), kFileFlags)) : open_beneath(root, file.lexically_relative(root));
  if (!fd) throw open_error(file, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw Error("cannot stat " + file.string() + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw Error(file.string() + " is not a regular file");
  if (expected && !(*expected == FileIdentity::of(st)))
    throw Error(file.string() + " changed between the check and the read (" + expected->difference(FileIdentity::of(st)) + ")",
                "make sure nothing modifies the inputs during the build, then run it again");
  return fd;
}

}  // namespace slimbuild::util
