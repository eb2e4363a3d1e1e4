// The host file system as trace and rootfs see it: the few read-only things
// they do to it (lstat/stat/fstat, readlink, list a directory, open a file,
// open one beneath a tree root, read a small whole file, its real path),
// behind one narrow interface in the manner of ninja's DiskInterface. The real implementation
// (`real_filesystem()`) is one system call per method and allocates nothing
// the call's result does not need; tests pass an in-memory fake
// (tests/unit/fake_filesystem.hpp) to build sysroots and trees with loops,
// unreadable directories and files that change between two calls, and to
// count how often a path was read.
//
// Expected failures (a path that does not exist, EACCES, ELOOP) are values:
// every method returns the result or the errno, and never throws for them.
// Messages are the caller's business: it knows what the path was for.
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include <slimbuild/util/handles.hpp>

namespace slimbuild::util {

namespace fs = std::filesystem;

// Whether open_read follows a symlink in the last component.
enum class FinalLink { Follow, Refuse };

// What a directory listing says an entry is (readdir's d_type), without a
// stat; Unknown where the file system does not say (the caller lstats).
enum class ListedKind : unsigned char { Unknown, Regular, Directory, Symlink, Other };
struct Listed {
  std::string name;
  ListedKind kind = ListedKind::Unknown;
};

// A tree root held open (FileSystem::open_root), so that the many files of a
// walk or a layer pass are opened beneath it without resolving the root's
// path again each time: one system call per file instead of three. `path` is
// the root as named (for messages, and for file systems without descriptors).
struct OpenRoot {
  fs::path path;
  Fd fd;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // lstat(2): the entry itself, a final symlink not followed.
  virtual std::expected<struct stat, int> lstat(const fs::path& path) const = 0;
  // stat(2): following symlinks.
  virtual std::expected<struct stat, int> stat(const fs::path& path) const = 0;
  // fstat(2) of a descriptor this file system opened.
  virtual std::expected<struct stat, int> fstat(int fd) const = 0;
  // The target of a symlink exactly as stored; EINVAL if it is not one.
  virtual std::expected<std::string, int> readlink(const fs::path& path) const = 0;
  // The names in a directory, without "." and "..", in the order the
  // directory yields them: NOT sorted (callers that need an order sort).
  virtual std::expected<std::vector<std::string>, int> list_dir(const fs::path& dir) const = 0;
  // The same names with their kinds. The default says Unknown for each.
  virtual std::expected<std::vector<Listed>, int> list_dir_kinds(const fs::path& dir) const;
  // Opens read-only (O_CLOEXEC|O_NOCTTY|O_NONBLOCK, so a fifo cannot hang
  // the open); FinalLink::Refuse adds O_NOFOLLOW (ELOOP on a symlink).
  virtual std::expected<Fd, int> open_read(const fs::path& file, FinalLink final_link = FinalLink::Follow) const = 0;
  // Opens root/relative read-only without following any symlink below
  // `root` (root itself may be named through one), with the flags above:
  // openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) where the kernel has it,
  // else one openat(O_NOFOLLOW) per component. ELOOP: a symlink (or a
  // non-directory) on the way; EXDEV: `relative` climbs out with "..";
  // EINVAL: `relative` names the root itself.
  virtual std::expected<Fd, int> open_beneath(const fs::path& root, const fs::path& relative) const = 0;
  // The root of later open_beneath calls, opened once (following links in
  // `root` itself, as open_beneath does). ENOTDIR: not a directory.
  virtual std::expected<OpenRoot, int> open_root(const fs::path& root) const = 0;
  // open_beneath(root.path, relative), resolved from the held descriptor:
  // the same refusals, and the same directory however its path changes.
  virtual std::expected<Fd, int> open_beneath(const OpenRoot& root, const fs::path& relative) const = 0;
  // The whole of a small regular file (following symlinks). EFBIG: larger
  // than `max_bytes`; EISDIR: a directory; EINVAL: not a regular file.
  virtual std::expected<std::string, int> read_file(const fs::path& file, std::size_t max_bytes) const = 0;
  // The absolute path with every symlink resolved, of a path that exists
  // (realpath(3)); ENOENT when any component is missing.
  virtual std::expected<fs::path, int> canonical(const fs::path& path) const = 0;
  // Whether its calls may come from several threads at once (the real one;
  // a test's fake that counts calls says no, and is used from one thread).
  virtual bool concurrent() const { return false; }
};

// The host's file system through the system calls named above.
const FileSystem& real_filesystem() noexcept;

}  // namespace slimbuild::util
