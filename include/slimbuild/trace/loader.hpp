// The dynamic loader's search rules (glibc ld.so), applied to a binary and
// its whole DT_NEEDED closure inside a sysroot: PT_INTERP; DT_RPATH
// (inherited down the chain, ignored when DT_RUNPATH is present) and
// DT_RUNPATH (only for the object's own needs) with $ORIGIN/$LIB/$PLATFORM;
// LD_LIBRARY_PATH is deliberately ignored (not present in the image);
// /etc/ld.so.conf with its include globs; the default and multiarch
// directories; candidates of the wrong class/machine skipped. Symlinks are
// resolved inside the sysroot (an absolute link target means sysroot + target).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <slimbuild/trace/elf_reader.hpp>
#include <slimbuild/trace/sysroot_path.hpp>
#include <slimbuild/util/filesystem.hpp>

namespace slimbuild::trace {

class ElfMemo;  // elf_memo.hpp

struct TraceOptions {
  fs::path sysroot = "/";
  // dlopen()ed libraries from the manifest: sonames searched like DT_NEEDED
  // of the main binary, or absolute image paths.
  std::vector<std::string> extra_libraries;
  // Where the binary will live in the image (manifest binary.dest). Its
  // $ORIGIN is this path's directory; libraries found through the binary's
  // $ORIGIN are read beside the host file but placed relative to this path.
  // Empty: the binary's own path inside the sysroot (or /app/<name> when it
  // is outside the sysroot).
  std::string binary_image_path;
  // Parsed ELF facts kept between builds (elf_memo.hpp); null: parse every file.
  ElfMemo* elf_memo = nullptr;
  // Every read of the binary, the sysroot and ld.so.conf goes through this
  // (tests pass tests/unit/fake_filesystem.hpp); null means the real one.
  const util::FileSystem* filesystem = &util::real_filesystem();
};

// How the loader found an object. Origin: a library found through the
// $ORIGIN of an object outside the sysroot; host_path is then the file to
// copy and no symlink chain applies.
enum class FoundVia : uint8_t {
  Binary,       // the traced program itself
  Interpreter,  // PT_INTERP
  Path,         // a name with '/'
  Rpath,        // DT_RPATH (inherited down the chain)
  Runpath,      // DT_RUNPATH
  LdSoConf,     // a directory only /etc/ld.so.conf names
  Default,      // the default and multiarch directories
  Origin,       // beside a host file outside the sysroot ($ORIGIN)
};

// The word the trace output uses: "binary", "rpath", "ld.so.conf", "origin", ...
std::string_view found_via_name(FoundVia via);

// Whether the manifest's libraries: list (what the program dlopen()s) asked
// for an object: First when that list loaded it before any ELF needed it
// (the tree shows it under "dlopen()ed"), After when an ELF loaded it first.
enum class ManifestRequest : uint8_t { None, First, After };

struct TracedObject {
  std::string image_path;  // absolute path as the loader opens it ("/lib/x86_64-linux-gnu/libc.so.6")
  fs::path host_path;      // the real file: image_path resolved inside the sysroot (no symlink left)
  std::string requested;   // the DT_NEEDED / libraries: name that found it; empty for the root binary
  ElfInfo elf;
  std::vector<std::string> needed_by;  // image paths of the ELFs that need it, loader first
  ManifestRequest manifest_request = ManifestRequest::None;  // asked for by the manifest's libraries:
  FoundVia found_via = FoundVia::Binary;
  // Symlinks crossed from image_path to the real file, in order (what
  // resolve_in_sysroot(sysroot, image_path).hops returns).
  std::vector<SymlinkHop> symlinks;
};

struct TraceResult {
  TracedObject binary;                     // the root: image_path = options.binary_image_path, else its sysroot-relative path
  std::optional<TracedObject> interpreter; // none for static binaries
  std::vector<TracedObject> libraries;     // each object once, in breadth-first order
};

// Throws Error listing every missing soname and which ELF needs it, or naming
// a malformed ELF. A static binary yields an empty closure.
TraceResult trace_binary(const fs::path& binary, const TraceOptions& options);

}  // namespace slimbuild::trace
