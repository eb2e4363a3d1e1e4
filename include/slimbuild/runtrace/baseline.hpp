// What an image already holds before the run's proposal is added: the
// files the manifest's rootfs would contain (by image path and by the real
// host file behind each entry), or, without a manifest, the program's own
// ELF closure (what a manifest naming just that binary gets). And the last
// step of a proposal: a library the build would pull in anyway, as a
// DT_NEEDED of another proposed library, is not listed twice.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace slimbuild::manifest { struct Manifest; }

namespace slimbuild::runtrace {

namespace fs = std::filesystem;

class Baseline {
 public:
  // The rootfs of `manifest` (traced and assembled exactly as build does).
  static Baseline of_manifest(const manifest::Manifest& manifest);
  // The ELF closure of `program` inside `sysroot` (searched in PATH when it has no '/').
  static Baseline of_program(const std::string& program, const fs::path& sysroot = "/");

  bool contains(const std::string& path) const { return paths_.count(path) != 0; }
  size_t size() const { return paths_.size(); }

  // `proposed` minus the libraries that the build's loader-rules trace of
  // (existing libraries + proposed) pulls in as a dependency of another one.
  std::vector<std::string> drop_dependencies(const std::vector<std::string>& proposed) const;

 private:
  void add(const std::string& image_path, const fs::path& host_path);
  std::set<std::string> paths_;
  fs::path binary_, sysroot_ = "/";
  std::string binary_dest_;
  std::vector<std::string> libraries_;  // the manifest's libraries:
};

}  // namespace slimbuild::runtrace
