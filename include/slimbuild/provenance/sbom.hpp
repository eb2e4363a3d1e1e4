// SBOMs for an image, in SPDX 2.3 JSON and CycloneDX 1.5 JSON: every file
// with its SHA-256, the Debian packages owning the system files (from the
// sysroot's dpkg database, the same ownership rule as the image's dpkg
// records) with the purls scanners match
// (pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=debian-12&upstream=SRC%40SRCVER),
// the application as its own package with its GNU build ID, and the
// containment: the image contains the packages, each package its files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <slimbuild/provenance/dpkg_db.hpp>

#include <slimbuild/rootfs/rootfs.hpp>

namespace slimbuild::provenance {

namespace fs = std::filesystem;

class DpkgDb;
struct DpkgPackage;

struct SbomInput {
  std::string name;                  // manifest name
  std::string image_reference;       // where it will be pushed, may be ""
  fs::path sysroot = "/";
  int64_t created = 0;               // SOURCE_DATE_EPOCH: keeps the document reproducible
  std::string binary_build_id;       // hex, may be ""
  std::map<std::string, std::string> file_sha256;  // from layer::LayerResult
  const DpkgDb* dpkg = nullptr;      // the sysroot's database, read once by the caller; null = read it here
};

enum class SbomFormat { Spdx, CycloneDx };

inline constexpr const char* kSpdxMediaType = "application/spdx+json";
inline constexpr const char* kCycloneDxMediaType = "application/vnd.cyclonedx+json";

// "spdx" / "cyclonedx"; nullopt for anything else.
std::optional<SbomFormat> parse_sbom_format(const std::string& name);
const char* media_type(SbomFormat format);

nlohmann::json make_spdx(const rootfs::Rootfs& rootfs, const SbomInput& input);
nlohmann::json make_cyclonedx(const rootfs::Rootfs& rootfs, const SbomInput& input);
nlohmann::json make_sbom(SbomFormat format, const rootfs::Rootfs& rootfs, const SbomInput& input);

// pkg:deb/<distro>/<name>@<version>?arch=<arch>&distro=<distro>-<version_id>[&upstream=<src>%40<srcver>]
std::string deb_purl(const DpkgPackage& package, const std::string& distro, const std::string& distro_version);

}  // namespace slimbuild::provenance
