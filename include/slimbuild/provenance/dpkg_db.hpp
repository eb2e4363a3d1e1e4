// Which Debian package installed a file, read from a sysroot's dpkg database
// (var/lib/dpkg/info/*.list for ownership, var/lib/dpkg/status for version
// and architecture). Paths are compared after resolving the directories
// through the sysroot's own symlinks, so on merged-/usr systems a package
// that lists /lib/x86_64-linux-gnu/libc.so.6 owns
// /usr/lib/x86_64-linux-gnu/libc.so.6 as well. No dpkg database: no owners.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace slimbuild::provenance {

namespace fs = std::filesystem;

struct DpkgPackage {
  std::string name;          // "libc6"
  std::string version;       // "2.36-9+deb12u4"
  std::string architecture;  // "amd64", "all"
  std::string source;        // source package, "" when same as name
};

class DpkgDb {
 public:
  // Reads the database once; a missing database yields an empty one. With
  // `only` (absolute paths), ownership is kept for those paths alone: list
  // lines whose file name no wanted path has are skipped unresolved, so
  // time and memory follow the image, not the host's package count.
  static DpkgDb load(const fs::path& sysroot, const std::vector<std::string>& only = {});

  // The installed package owning `image_path` (absolute, inside the sysroot), or nullptr.
  const DpkgPackage* owner(const std::string& image_path) const;
  bool empty() const { return owners_.empty(); }
  // "debian", "ubuntu", ... from the sysroot's os-release (for purls); "debian" if unknown.
  const std::string& distro() const { return distro_; }

 private:
  std::string canonical(const std::string& image_path) const;

  fs::path sysroot_;
  std::string distro_ = "debian";
  std::map<std::string, DpkgPackage> packages_;       // by "name:arch" and by "name"
  std::map<std::string, std::string> owners_;         // canonical path -> package key
  mutable std::map<std::string, std::string> dirs_;   // directory -> canonical directory
};

}  // namespace slimbuild::provenance
