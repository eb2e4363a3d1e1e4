// Path lookup inside a sysroot as a process chrooted there would see it:
// every component resolved in turn, absolute symlink targets restarted at the
// sysroot, ".." stopped at the sysroot. The loader probes many candidates
// that legitimately do not exist, so the non-throwing lookup says why a path
// failed; resolve_in_sysroot is the throwing form. Every lstat, readlink and
// listing goes through a util::FileSystem (the real one unless a test passes
// its fake).
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include <slimbuild/util/filesystem.hpp>

namespace slimbuild::trace {

namespace fs = std::filesystem;

// One symlink met while resolving an image path inside the sysroot.
struct SymlinkHop {
  std::string image_path;  // absolute path of the link inside the image ("/lib")
  std::string target;      // its target exactly as stored ("usr/lib")
};

// Resolves an absolute image path the way a chroot would (every component,
// following symlinks; ".." cannot climb above the sysroot). Returns the final
// host path and records every symlink crossed, in order, so the image can
// recreate the same chain (e.g. /lib -> usr/lib, libz.so.1 -> libz.so.1.2.13).
// Throws Error for loops or dangling links.
struct ResolvedPath {
  fs::path host_path;          // real file on the host
  std::string image_path;      // canonical image path of that file ("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13")
  std::vector<SymlinkHop> hops;
};
ResolvedPath resolve_in_sysroot(const fs::path& sysroot, const std::string& image_path,
                                const util::FileSystem& files = util::real_filesystem());

// Linux's limit (MAXSYMLINKS) before open() fails with ELOOP.
inline constexpr int kMaxSymlinkHops = 40;

// NotFound: a component does not exist (or is not a directory); Unreadable:
// the host refused to tell (EACCES, EIO: a searched directory the user may
// not read), which must not pass for "not there".
struct LookupError {
  enum Kind { NotFound, Dangling, Loop, Unreadable } kind = NotFound;
  std::string message;  // what failed, in image paths
};

std::expected<ResolvedPath, LookupError> lookup_in_sysroot(const fs::path& sysroot, const std::string& image_path,
                                                           const util::FileSystem& files = util::real_filesystem());

// What to do about a failed lookup of that kind ("" for NotFound).
std::string lookup_hint(LookupError::Kind kind);

// Names in an image directory (resolved inside the sysroot), sorted; empty if
// it does not exist or cannot be listed. Used for ld.so.conf include globs.
std::vector<std::string> list_image_dir(const fs::path& sysroot, const std::string& image_dir,
                                        const util::FileSystem& files = util::real_filesystem());

}  // namespace slimbuild::trace
