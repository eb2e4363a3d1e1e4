// The dynamic loader's search rules (glibc ld.so), applied to a binary and
// its whole DT_NEEDED closure inside a sysroot: PT_INTERP; DT_RPATH
// (inherited down the chain, ignored when DT_RUNPATH is present) and
// DT_RUNPATH (only for the object's own needs) with $ORIGIN/$LIB/$PLATFORM;
// LD_LIBRARY_PATH is deliberately ignored (not present in the image);
// /etc/ld.so.conf with its include globs; the default and multiarch
// directories; candidates of the wrong class/machine skipped. Symlinks are
// resolved inside the sysroot (an absolute link target means sysroot + target).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/trace/elf_reader.hpp>

namespace slimbuild::trace {

struct TraceOptions {
  fs::path sysroot = "/";
  // dlopen()ed libraries from the manifest: sonames searched like DT_NEEDED
  // of the main binary, or absolute image paths.
  std::vector<std::string> extra_libraries;
};

struct TracedObject {
  std::string image_path;  // absolute path as the loader opens it ("/lib/x86_64-linux-gnu/libc.so.6")
  fs::path host_path;      // sysroot + image_path (may traverse symlinks)
  std::string requested;   // the DT_NEEDED / libraries: name that found it; empty for the root binary
  ElfInfo elf;
  std::vector<std::string> needed_by;  // image paths of the objects that need it; "manifest" for libraries:
};

struct TraceResult {
  TracedObject binary;                     // the root (image_path = where it is on the host, sysroot-relative)
  std::optional<TracedObject> interpreter; // none for static binaries
  std::vector<TracedObject> libraries;     // each object once, in breadth-first order
};

// Throws Error listing every missing soname and which ELF needs it, or naming
// a malformed ELF. A static binary yields an empty closure.
TraceResult trace_binary(const fs::path& binary, const TraceOptions& options);

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
ResolvedPath resolve_in_sysroot(const fs::path& sysroot, const std::string& image_path);

}  // namespace slimbuild::trace
