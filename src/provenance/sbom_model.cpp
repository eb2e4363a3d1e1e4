// The format-neutral SBOM: one walk over the rootfs deciding, per regular
// file, its SHA-256 (from the layer writer's hashes when given, so files are
// not read twice) and its owner. The dpkg database is the caller's when it
// passes one (the build reads it once for the records and the SBOM).
#include "provenance/sbom_model.hpp"

#include <optional>
#include <cctype>
#include <cstdio>

#include <slimbuild/provenance/dpkg_records.hpp>
#include <slimbuild/provenance/file_hashes.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::provenance {

using rootfs::EntryOrigin;

namespace {

// purl components are percent-encoded except unreserved characters.
std::string purl_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string file_sha256(const rootfs::Entry& e, const SbomInput& input) {
  if (input.file_sha256)
    if (auto it = input.file_sha256->find(e.path); it != input.file_sha256->end()) return it->second;
  return entry_sha256(e);
}

bool is_application(const rootfs::Entry& e) {
  return e.origin == EntryOrigin::Binary || e.origin == EntryOrigin::Files || e.origin == EntryOrigin::Library || e.origin == EntryOrigin::Interpreter;
}

}  // namespace

std::string deb_purl(const DpkgPackage& p, const std::string& distro, const std::string& distro_version) {
  // Qualifiers in the purl spec's (sorted) order: arch, distro, upstream.
  std::string purl = "pkg:deb/" + distro + "/" + purl_escape(p.name) + "@" + purl_escape(p.version) +
                     "?arch=" + purl_escape(p.architecture);
  purl += "&distro=" + purl_escape(distro_version.empty() ? distro : distro + "-" + distro_version);
  if (!p.source.empty() || !p.source_version.empty()) {
    const std::string& src = p.source.empty() ? p.name : p.source;
    const std::string& ver = p.source_version.empty() ? p.version : p.source_version;
    purl += "&upstream=" + purl_escape(src + "@" + ver);
  }
  return purl;
}

SbomModel sbom_model(const rootfs::Rootfs& rootfs, const SbomInput& input) {
  std::optional<DpkgDb> loaded;
  if (!input.dpkg) loaded.emplace(DpkgDb::load(input.sysroot));
  const DpkgDb& dpkg = input.dpkg ? *input.dpkg : *loaded;

  SbomModel model;
  model.distro = dpkg.distro();
  std::string file_list;
  auto add_package = [&](const DpkgPackage& owner) -> SbomPackage& {
    return model.packages.try_emplace(owner.key, SbomPackage{owner, deb_purl(owner, dpkg.distro(), dpkg.distro_version()), false})
        .first->second;
  };
  for (const auto& [path, e] : rootfs.entries()) {
    if (e.type == rootfs::EntryType::Symlink) {
      // A package whose only trace is a link (/lib64) is still in the image, as in the records.
      if (const DpkgPackage* owner = entry_owner(dpkg, e, input.sysroot)) add_package(*owner);
      continue;
    }
    if (e.type != rootfs::EntryType::File) continue;
    SbomFile f{path, file_sha256(e, input), {}, false};
    file_list += path + " " + f.sha256 + "\n";
    if (const DpkgPackage* owner = entry_owner(dpkg, e, input.sysroot)) {
      f.package = owner->key;
      auto& pkg = add_package(*owner);
      if (e.origin == EntryOrigin::Library || e.origin == EntryOrigin::Interpreter) pkg.library = true;
    } else {
      // Libraries no package installed ship from the application's own build.
      f.application = is_application(e);
    }
    model.files.push_back(std::move(f));
  }
  model.file_list_hash = util::sha256_hex(file_list);
  return model;
}

std::optional<SbomFormat> parse_sbom_format(const std::string& name) {
  if (name == "spdx") return SbomFormat::Spdx;
  if (name == "cyclonedx") return SbomFormat::CycloneDx;
  return std::nullopt;
}

const char* media_type(SbomFormat format) {
  return format == SbomFormat::Spdx ? kSpdxMediaType : kCycloneDxMediaType;
}

std::string sbom_document(SbomFormat format, const rootfs::Rootfs& rootfs, const SbomInput& input) {
  SbomModel model = sbom_model(rootfs, input);
  return format == SbomFormat::Spdx ? write_spdx(model, input) : write_cyclonedx(model, input);
}

SbomDocuments sbom_documents(const rootfs::Rootfs& rootfs, const SbomInput& input) {
  SbomModel model = sbom_model(rootfs, input);
  return SbomDocuments{write_spdx(model, input), write_cyclonedx(model, input)};
}

}  // namespace slimbuild::provenance
