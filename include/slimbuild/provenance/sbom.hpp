// SPDX 2.3 JSON for an image: every file with its SHA-256, the Debian package
// (and version) owning each file taken from the system (from the sysroot's
// dpkg database), and the application binary with its GNU build ID.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include <slimbuild/provenance/dpkg_db.hpp>

#include <slimbuild/rootfs/rootfs.hpp>

namespace slimbuild::provenance {

namespace fs = std::filesystem;

struct SbomInput {
  std::string name;                  // manifest name
  std::string image_reference;       // where it will be pushed, may be ""
  fs::path sysroot = "/";
  int64_t created = 0;               // SOURCE_DATE_EPOCH: keeps the document reproducible
  std::string binary_build_id;       // hex, may be ""
  std::map<std::string, std::string> file_sha256;  // from layer::LayerResult
  const DpkgDb* dpkg = nullptr;      // loaded already (e.g. while the layer was written); else loaded here
};

// The paths make_spdx asks the dpkg database about (for DpkgDb::load's `only`).
std::vector<std::string> dpkg_lookup_paths(const rootfs::Rootfs& rootfs, const fs::path& sysroot);

inline constexpr const char* kSpdxMediaType = "application/spdx+json";

nlohmann::json make_spdx(const rootfs::Rootfs& rootfs, const SbomInput& input);

}  // namespace slimbuild::provenance
