// Opening input files beneath their tree root (through a util::FileSystem)
// and checking their identity.
#include <slimbuild/util/file_identity.hpp>

#include <chrono>

#include <cerrno>
#include <cstring>

#include <slimbuild/util/error.hpp>

namespace slimbuild::util {

namespace {

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

namespace {

int64_t ns(const struct timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

// Larger than any kernel's timestamp tick (HZ >= 100).
constexpr int64_t kTickNs = 50'000'000;

}  // namespace

FileStamp FileStamp::of(const struct stat& st) {
  return FileStamp{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                   static_cast<uint64_t>(st.st_size), ns(st.st_mtim), ns(st.st_ctim)};
}

bool FileStamp::settled_before(int64_t started_ns) const {
  return mtime_ns < started_ns - kTickNs && ctime_ns < started_ns - kTickNs;
}

int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}


namespace {

Fd checked(Fd fd, const fs::path& file, const std::optional<FileIdentity>& expected, const FileSystem& files) {
  expect_identity(fd.get(), file, expected, files);
  return fd;
}

Fd beneath_or_throw(std::expected<Fd, int> fd, const fs::path& root, const fs::path& relative) {
  if (fd) return std::move(*fd);
  if (fd.error() == EXDEV) throw Error(root.string() + "/" + relative.string() + " is not inside " + root.string());
  if (fd.error() == EINVAL) throw Error("cannot open " + root.string() + " as a file beneath itself");
  throw open_error(root / relative, fd.error());
}

}  // namespace

void expect_identity(int fd, const fs::path& file, const std::optional<FileIdentity>& expected,
                     const FileSystem& files) {
  auto st = files.fstat(fd);
  if (!st) throw Error("cannot stat " + file.string() + ": " + std::strerror(st.error()));
  if (!S_ISREG(st->st_mode)) throw Error(file.string() + " is not a regular file");
  if (expected && !(*expected == FileIdentity::of(*st)))
    throw Error(file.string() + " changed between the check and the read (" + expected->difference(FileIdentity::of(*st)) + ")",
                "make sure nothing modifies the inputs during the build, then run it again");
}

Fd open_checked(const fs::path& file, const std::optional<FileIdentity>& expected, const fs::path& root,
                const FileSystem& files) {
  if (!root.empty()) return checked(open_beneath(root, file.lexically_relative(root), files), file, expected, files);
  auto opened = files.open_read(file);
  if (!opened) throw open_error(file, opened.error());
  return checked(std::move(*opened), file, expected, files);
}

Fd open_checked(const fs::path& file, const std::optional<FileIdentity>& expected, const OpenRoot& root,
                const FileSystem& files) {
  fs::path relative = file.lexically_relative(root.path);
  return checked(beneath_or_throw(files.open_beneath(root, relative), root.path, relative), file, expected, files);
}

Fd open_beneath(const fs::path& root, const fs::path& relative, const FileSystem& files) {
  return beneath_or_throw(files.open_beneath(root, relative), root, relative);
}

Fd open_beneath(const OpenRoot& root, const fs::path& relative, const FileSystem& files) {
  return beneath_or_throw(files.open_beneath(root, relative), root.path, relative);
}

OpenRoot open_root(const fs::path& root, const FileSystem& files) {
  auto held = files.open_root(root);
  if (!held) throw Error("cannot open the directory " + root.string() + ": " + std::strerror(held.error()));
  return std::move(*held);
}

}  // namespace slimbuild::util
