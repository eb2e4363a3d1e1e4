// From a recorded run to manifest lines. `propose` turns what a program used
// on the build host into what its image still lacks: shared objects it
// mapped or opened become `libraries:` (absolute paths, so their own
// DT_NEEDED closure is traced at build time), programs it executed become
// executable `files:` entries, and data files become `files:` entries, one
// per directory tree when the run used every file in it (a Python package
// whose modules were all imported) and one per file otherwise. Left out:
// /proc, /sys, /dev, what slimbuild generates itself (passwd, group,
// nsswitch.conf; the image has no ld.so.cache), what the program wrote or
// created, directories (they come with their files), and whatever the
// manifest already puts there.
//
// `missing` is the `check` side: every path the program looked for inside
// its image and did not find (ENOENT/ENOTDIR) that exists on the build host.
//
// All file-system questions go through HostView so the rules are tested on
// recorded runs against a fake host.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <slimbuild/runtrace/events.hpp>

namespace slimbuild::runtrace {

namespace fs = std::filesystem;

enum class HostKind { Missing, File, Directory, Other };

class HostView {
 public:
  virtual ~HostView() = default;
  virtual HostKind kind(const std::string& path) const = 0;  // follows symlinks
  virtual bool exists(const std::string& path) const = 0;    // lstat: a dangling link exists too
  virtual bool is_shared_object(const std::string& path) const = 0;  // an ELF ET_DYN file
  virtual std::string real_path(const std::string& path) const = 0;  // symlinks resolved; itself when missing
  // Calls `visit` for every non-directory entry below `dir` (recursively, not
  // following links) until it returns false; returns how many were visited,
  // or nullopt when `visit` said stop.
  virtual std::optional<size_t> for_each_file(const std::string& dir,
                                              const std::function<bool(const std::string&)>& visit) const = 0;
};

// The build host (or a sysroot: every path is looked up under it).
class RealHostView final : public HostView {
 public:
  explicit RealHostView(fs::path sysroot = "/") : sysroot_(std::move(sysroot)) {}
  HostKind kind(const std::string& path) const override;
  bool exists(const std::string& path) const override;
  bool is_shared_object(const std::string& path) const override;
  std::string real_path(const std::string& path) const override;
  std::optional<size_t> for_each_file(const std::string& dir,
                                      const std::function<bool(const std::string&)>& visit) const override;

 private:
  fs::path host(const std::string& path) const;
  fs::path sysroot_;
};

struct FileLine {
  std::string src;            // host path
  std::string dest;           // image path (the same path: the image mirrors the host layout)
  bool directory = false;     // a whole tree: src and dest end with '/'
  bool executable = false;    // a program the run executed
};

struct Proposal {
  std::vector<std::string> libraries;  // sorted absolute paths
  std::vector<FileLine> files;         // data: trees and single files, sorted by src
  std::vector<FileLine> binaries;      // executed programs, sorted
  size_t used_paths = 0;               // distinct paths the run used successfully (before subtracting)
  std::vector<std::string> used_files; // the regular files among them, minus the ignored ones and the writes
  bool empty() const { return libraries.empty() && files.empty() && binaries.empty(); }
};

// Paths that never become manifest lines: kernel file systems and what
// slimbuild writes into every image itself.
bool is_ignored_path(const std::string& path);

// `present(path)` answers whether the manifest already puts `path` (or the
// real file behind it) in the image.
Proposal propose(const RunRecord& run, const HostView& host, const std::function<bool(const std::string&)>& present);

// `check`: paths the program looked for in its image and did not find, that
// exist on the host: sorted, deduplicated, without the ignored paths and
// the program's own writes.
std::vector<std::string> missing(const RunRecord& run, const HostView& host);

// The manifest lines for `missing` paths, classified like propose() does:
// single files only (a missing directory is not proposed whole).
Proposal propose_missing(const std::vector<std::string>& paths, const HostView& host);

}  // namespace slimbuild::runtrace
