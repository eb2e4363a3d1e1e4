// Opening input files beneath their tree root (through a util::FileSystem)
// and checking their identity.
#include <slimbuild/util/file_identity.hpp>

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

Fd open_beneath(const fs::path& root, const fs::path& relative, const FileSystem& files) {
  auto fd = files.open_beneath(root, relative);
  if (fd) return std::move(*fd);
  if (fd.error() == EXDEV) throw Error(root.string() + "/" + relative.string() + " is not inside " + root.string());
  if (fd.error() == EINVAL) throw Error("internal: open_beneath of the root itself (" + root.string() + ")");
  throw open_error(root / relative, fd.error());
}

Fd open_checked(const fs::path& file, const std::optional<FileIdentity>& expected, const fs::path& root,
                const FileSystem& files) {
  Fd fd;
  if (root.empty()) {
    auto opened = files.open_read(file);
    if (!opened) throw open_error(file, opened.error());
    fd = std::move(*opened);
  } else {
    fd = open_beneath(root, file.lexically_relative(root), files);
  }
  auto st = files.fstat(fd.get());
  if (!st) throw Error("cannot stat " + file.string() + ": " + std::strerror(st.error()));
  if (!S_ISREG(st->st_mode)) throw Error(file.string() + " is not a regular file");
  if (expected && !(*expected == FileIdentity::of(*st)))
    throw Error(file.string() + " changed between the check and the read (" + expected->difference(FileIdentity::of(*st)) + ")",
                "make sure nothing modifies the inputs during the build, then run it again");
  return fd;
}

}  // namespace slimbuild::util
