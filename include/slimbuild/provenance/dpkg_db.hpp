// Which Debian package installed a file, read from a sysroot's dpkg database
// (var/lib/dpkg/info/*.list for ownership, var/lib/dpkg/status for version
// and architecture). Paths are compared after resolving the directories
// through the sysroot's own symlinks, so on merged-/usr systems a package
// that lists /lib/x86_64-linux-gnu/libc.so.6 owns
// /usr/lib/x86_64-linux-gnu/libc.so.6 as well. No dpkg database: no owners.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slimbuild::provenance {

namespace fs = std::filesystem;

struct DpkgPackage {
  std::string name;          // "libc6"
  std::string version;       // "2.36-9+deb12u4"
  std::string architecture;  // "amd64", "all", "arm64": as the database has it, never assumed
  std::string source;        // source package, "" when same as name
  std::string source_version;  // from "Source: name (version)", "" when it is `version`
  // Verbatim fields for the image's own status.d records.
  std::string source_field;  // "glibc", "curl (7.88.1-10)", "" when absent
  std::string maintainer;
  std::string status;        // "install ok installed"
  std::string multi_arch;    // "same", "foreign", ""
  std::string description;   // the synopsis (first line), which dpkg requires of a stanza
  std::string key;           // info/ file stem: "libc6:amd64" (Multi-Arch: same) or "curl"
};

// The installed packages of a dpkg status file (or of status.d stanzas,
// concatenated): paragraphs whose Status says "installed".
std::vector<DpkgPackage> parse_dpkg_status(std::string_view text);
// The paths of an info/*.md5sums file as (absolute path, md5 hex).
std::vector<std::pair<std::string, std::string>> parse_md5sums(std::string_view text);

// `path` with its directories resolved through symlinks that `readlink`
// reports (nullopt: not a symlink), absolute targets restarting at the
// root, the file name itself kept (packages own symlinks as themselves).
// Shared by DpkgDb (a sysroot on disk) and audit (an image's file list).
std::string resolve_directories(const std::string& path,
                                const std::function<std::optional<std::string>(const std::string&)>& readlink);

class DpkgDb {
 public:
  // Reads the database once; a missing database yields an empty one. With
  // `only` (absolute paths), ownership is kept for those paths alone: list
  // lines whose file name no wanted path has are skipped unresolved, so
  // time and memory follow the image, not the host's package count.
  static DpkgDb load(const fs::path& sysroot, const std::vector<std::string>& only = {});

  // The installed package owning `image_path` (absolute, inside the sysroot), or nullptr.
  const DpkgPackage* owner(const std::string& image_path) const;
  // By "name:arch" or plain "name" (the first architecture read), or nullptr.
  const DpkgPackage* package(const std::string& key) const;
  bool empty() const { return owners_.empty(); }
  // "debian", "ubuntu", ... from the sysroot's os-release (for purls); "debian" if unknown.
  const std::string& distro() const { return distro_; }
  // VERSION_ID from os-release ("12"), "" if unknown: purls say distro=debian-12.
  const std::string& distro_version() const { return distro_version_; }

  // info/<key>.md5sums as canonical image path -> md5 hex (empty if the package has none).
  std::map<std::string, std::string> md5sums(const DpkgPackage& package) const;
  // `image_path` with its directories resolved through the sysroot's symlinks
  // (/lib/x86_64-linux-gnu/libc.so.6 -> /usr/lib/x86_64-linux-gnu/libc.so.6).
  std::string canonical(const std::string& image_path) const;

 private:
  fs::path sysroot_;
  std::string distro_ = "debian";
  std::string distro_version_;
  std::map<std::string, DpkgPackage> packages_;       // by "name:arch" and by "name"
  std::map<std::string, std::string> owners_;         // canonical path -> package key
  mutable std::map<std::string, std::string> dirs_;   // directory -> canonical directory
};

}  // namespace slimbuild::provenance
