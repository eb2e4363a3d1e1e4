// What both SBOM formats say, computed once: the image's regular files with
// their SHA-256, which Debian package owns each (entry_owner, the rule the
// dpkg records use) or whether it is the application's, the packages with
// their purls, and a digest of the file list that names the document.
// Private to src/provenance: the formats differ only in how they spell it.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include <slimbuild/provenance/dpkg_db.hpp>
#include <slimbuild/provenance/sbom.hpp>

namespace slimbuild::provenance {

struct SbomFile {
  std::string path;     // image path
  std::string sha256;   // hex
  std::string package;  // key into SbomModel::packages, "" when no package owns it
  bool application = false;  // the binary, files: entries, libraries no package installed
};

struct SbomPackage {
  DpkgPackage deb;
  std::string purl;
  bool library = false;  // the application links against it (interpreter or library)
};

struct SbomModel {
  std::vector<SbomFile> files;                 // sorted by path
  std::map<std::string, SbomPackage> packages; // by dpkg key, sorted
  std::string distro;                          // "debian"
  std::string file_list_hash;                  // sha256 of "path sha256\n"...: names the document
};

SbomModel sbom_model(const rootfs::Rootfs& rootfs, const SbomInput& input);

// The two formats' writers (sbom.cpp, cyclonedx.cpp): canonical JSON text.
std::string write_spdx(const SbomModel& model, const SbomInput& input);
std::string write_cyclonedx(const SbomModel& model, const SbomInput& input);

}  // namespace slimbuild::provenance
