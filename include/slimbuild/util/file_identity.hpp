// Reading input files so that what was checked is what gets read. A walk
// records each file's identity (device, inode, size, modification time); the
// reader opens the file again without following symlinks below the tree's
// root (every directory with openat(O_DIRECTORY|O_NOFOLLOW) from its parent's
// descriptor, the file with O_NOFOLLOW) and compares fstat of that
// descriptor with the recorded identity. A file swapped for a symlink, or for
// another file, between the walk and the read is an error naming it.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <slimbuild/util/filesystem.hpp>
#include <slimbuild/util/handles.hpp>

namespace slimbuild::util {

namespace fs = std::filesystem;

struct FileIdentity {
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtime_sec = 0, mtime_nsec = 0;

  static FileIdentity of(const struct stat& st);
  bool operator==(const FileIdentity&) const = default;
  // "it is another file now (inode 12 -> 34)", "its size changed (5 -> 7 bytes)", ...
  std::string difference(const FileIdentity& now) const;
};

// What caches key remembered work by (the layer cache's file-hash index, the
// ELF-facts and secret-scan memos): the identity plus the change time, both
// times in ns. A stamp is `settled_before` a build that started at
// `started_ns` (CLOCK_REALTIME, wall_clock_ns()) when neither time is within
// a timestamp tick of that start or later: a write at that moment could
// leave the same stamp on other content, so nothing may be recorded under an
// unsettled stamp.
struct FileStamp {
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtime_ns = 0, ctime_ns = 0;

  static FileStamp of(const struct stat& st);
  bool operator==(const FileStamp&) const = default;
  bool settled_before(int64_t started_ns) const;
};
int64_t wall_clock_ns();

// Opens root/relative read-only as described above (root itself may be named
// through a symlink; nothing below it may be one), through `files`
// (FileSystem::open_beneath). Throws Error naming the path: ELOOP says "was
// replaced by a symlink".
Fd open_beneath(const fs::path& root, const fs::path& relative, const FileSystem& files = real_filesystem());
Fd open_beneath(const OpenRoot& root, const fs::path& relative, const FileSystem& files = real_filesystem());

// fstat of `fd` (opened from `file`): a regular file, with `expected`'s
// identity when given. Throws Error naming the file. open_checked is
// open_beneath then this; a reader that checks once after reading calls it
// itself, so a write during the read is caught by the same fstat.
void expect_identity(int fd, const fs::path& file, const std::optional<FileIdentity>& expected,
                     const FileSystem& files = real_filesystem());

// Opens `file` read-only (O_NONBLOCK, so a fifo cannot hang the open) and,
// when `expected` is given, checks it is still a regular file with that
// identity. With `root`, the file is opened by open_beneath(root, file
// relative to root). The identity is fstat of the descriptor, through `files`.
// Throws Error naming the file.
Fd open_checked(const fs::path& file, const std::optional<FileIdentity>& expected, const fs::path& root = {},
                const FileSystem& files = real_filesystem());
// The same beneath a root held open (open_root below): what a walk or a
// layer pass uses for each of its files.
Fd open_checked(const fs::path& file, const std::optional<FileIdentity>& expected, const OpenRoot& root,
                const FileSystem& files = real_filesystem());

// FileSystem::open_root, throwing Error naming the directory.
OpenRoot open_root(const fs::path& root, const FileSystem& files = real_filesystem());

}  // namespace slimbuild::util
