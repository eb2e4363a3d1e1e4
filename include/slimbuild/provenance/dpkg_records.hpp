// The dpkg records a scanner needs to see the Debian packages in an image
// that has no dpkg: for every package owning a file the image holds, a
// distroless-style /var/lib/dpkg/status.d/<pkg> stanza (the fields dpkg
// keeps: Package, Status, Maintainer, Architecture, Multi-Arch, Source,
// Version), <pkg>.md5sums listing exactly that package's files in the image
// (at their image paths), and /usr/share/doc/<pkg>/copyright; plus the OS
// identity scanners key their advisories on: /etc/os-release as a link to
// /usr/lib/os-release (as Debian has it) and /etc/debian_version, taken from
// the sysroot. Trivy, Syft and Grype read exactly these files.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <slimbuild/provenance/dpkg_db.hpp>
#include <slimbuild/rootfs/rootfs.hpp>

namespace slimbuild::provenance {

namespace fs = std::filesystem;

inline constexpr const char* kStatusDir = "/var/lib/dpkg/status.d";

// The Debian package that installed `entry` (a file or symlink of the
// image), or nullptr: system files (libraries, interpreter, zoneinfo,
// os-release) by their image path, then by their host path inside the
// sysroot; the binary and `files:` entries only by their host path (an
// application built elsewhere belongs to no package, /usr/bin/curl does);
// a copyright file belongs to the package it documents. One rule for the
// SBOM and the records, so they always agree.
const DpkgPackage* entry_owner(const DpkgDb& db, const rootfs::Entry& entry, const fs::path& sysroot);

// Every path entry_owner may ask the database about, for DpkgDb::load's
// `only` (also the OS identity files add_dpkg_records adds): then the
// database holds ownership for the image's paths alone.
std::vector<std::string> owner_lookup_paths(const rootfs::Rootfs& rootfs, const fs::path& sysroot);

struct RecordedPackage {
  DpkgPackage package;
  std::string record;                  // file name under status.d ("libc6")
  std::vector<std::string> files;      // image paths of its regular files, sorted
};

// Adds the records described above to `rootfs` and returns the packages
// recorded, sorted by record name. Paths the rootfs already holds (a
// `files:` entry at /etc/os-release) are left alone.
std::vector<RecordedPackage> add_dpkg_records(rootfs::Rootfs& rootfs, const DpkgDb& db, const fs::path& sysroot);

// The status.d stanza for `package` (RFC 822, ends with a newline).
std::string status_stanza(const DpkgPackage& package);

}  // namespace slimbuild::provenance
