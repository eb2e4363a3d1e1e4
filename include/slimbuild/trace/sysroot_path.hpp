// Path lookup inside a sysroot as a process chrooted there would see it:
// every component resolved in turn, absolute symlink targets restarted at the
// sysroot, ".." stopped at the sysroot. The loader probes many candidates
// that legitimately do not exist, so the non-throwing lookup says why a path
// failed; resolve_in_sysroot (loader.hpp) is the throwing form.
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include <slimbuild/trace/loader.hpp>

namespace slimbuild::trace {

// Linux's limit (MAXSYMLINKS) before open() fails with ELOOP.
inline constexpr int kMaxSymlinkHops = 40;

struct LookupError {
  enum Kind { NotFound, Dangling, Loop } kind = NotFound;
  std::string message;  // what failed, in image paths
};

std::expected<ResolvedPath, LookupError> lookup_in_sysroot(const fs::path& sysroot, const std::string& image_path);

// Names in an image directory (resolved inside the sysroot), sorted; empty if
// it does not exist. Used for ld.so.conf include globs.
std::vector<std::string> list_image_dir(const fs::path& sysroot, const std::string& image_dir);

}  // namespace slimbuild::trace
