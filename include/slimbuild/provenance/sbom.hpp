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
  // From layer::LayerResult (borrowed: an entry per file); files missing from
  // it, or all when null, are hashed here.
  const std::map<std::string, std::string>* file_sha256 = nullptr;
  const DpkgDb* dpkg = nullptr;      // the sysroot's database, read once by the caller; null = read it here
};

enum class SbomFormat { Spdx, CycloneDx };

inline constexpr const char* kSpdxMediaType = "application/spdx+json";
inline constexpr const char* kCycloneDxMediaType = "application/vnd.cyclonedx+json";

// "spdx" / "cyclonedx"; nullopt for anything else.
std::optional<SbomFormat> parse_sbom_format(const std::string& name);
const char* media_type(SbomFormat format);

// The document in canonical JSON (util/json.hpp's bytes: what is hashed and
// pushed), written without building a DOM.
std::string sbom_document(SbomFormat format, const rootfs::Rootfs& rootfs, const SbomInput& input);

// Both formats from one walk of the rootfs and its dpkg ownership (the build
// attaches both as referrers).
struct SbomDocuments {
  std::string spdx, cyclonedx;
};
SbomDocuments sbom_documents(const rootfs::Rootfs& rootfs, const SbomInput& input);

// pkg:deb/<distro>/<name>@<version>?arch=<arch>&distro=<distro>-<version_id>[&upstream=<src>%40<srcver>]
std::string deb_purl(const DpkgPackage& package, const std::string& distro, const std::string& distro_version);

}  // namespace slimbuild::provenance
