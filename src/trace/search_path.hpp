// The directories glibc's ld.so searches, computed for one sysroot and one
// target architecture: DT_RPATH/DT_RUNPATH entries with their dynamic string
// tokens expanded ($ORIGIN, $LIB, $PLATFORM, also in ${...} form), the
// directories /etc/ld.so.conf lists (following `include` globs, the way
// ldconfig builds the cache) and the trusted default directories. Pure
// policy: the loader (loader.cpp) decides which list applies when.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/trace/elf_reader.hpp>
#include <slimbuild/util/filesystem.hpp>

namespace slimbuild::trace {

// One directory to probe. `dir` is an absolute, normalised image path.
// When the entry started with $ORIGIN, `origin_relative` holds the rest
// ("../lib"), so an object that is not inside the sysroot (the application
// binary from a build tree) can be looked up beside its host file.
struct SearchDir {
  std::string dir;
  std::optional<std::string> origin_relative;
};

class LibrarySearchPath {
 public:
  // Reads <sysroot>/etc/ld.so.conf (and its includes) once, through `files`.
  LibrarySearchPath(fs::path sysroot, const ElfInfo& binary, const util::FileSystem& files = util::real_filesystem());

  // Expands one DT_RPATH/DT_RUNPATH list for an object whose directory in
  // the image is `origin_dir`. Empty and relative entries are dropped: they
  // name the process's working directory, which an image does not fix.
  std::vector<SearchDir> expand(const std::vector<std::string>& entries, const std::string& origin_dir) const;

  const std::vector<std::string>& conf_dirs() const { return conf_dirs_; }
  const std::vector<std::string>& default_dirs() const { return default_dirs_; }
  const std::string& lib_token() const { return lib_; }
  const std::string& platform() const { return platform_; }

 private:
  fs::path sysroot_;
  std::string lib_, platform_;
  std::vector<std::string> conf_dirs_, default_dirs_;
};

// Replaces $ORIGIN/${ORIGIN}, $LIB/${LIB} and $PLATFORM/${PLATFORM}; other
// "$" sequences are kept as they are, as ld.so does.
std::string expand_tokens(const std::string& entry, const std::string& origin, const std::string& lib,
                          const std::string& platform);

// Directories listed by <sysroot>/etc/ld.so.conf in order, includes expanded
// (relative patterns are relative to the including file's directory),
// comments and `hwcap` lines ignored, duplicates dropped. Each file is read
// once, however many includes name it; unreadable, oversized (> 1 MiB) and
// non-regular ones are skipped, as ldconfig does.
std::vector<std::string> read_ld_so_conf(const fs::path& sysroot, const util::FileSystem& files = util::real_filesystem());

}  // namespace slimbuild::trace
