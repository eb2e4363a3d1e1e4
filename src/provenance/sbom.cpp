// SPDX 2.3 JSON for an image. Everything in it is derived from the inputs, so
// the same image always yields the same document: `created` is the build's
// SOURCE_DATE_EPOCH, SPDXIDs come from paths and package names, and the
// documentNamespace is the image name plus a hash of the file list. The
// document DESCRIBES the image (a CONTAINER package) which CONTAINS the
// application (an APPLICATION package) and each Debian package; every
// package CONTAINS its files, and files nobody owns (generated /etc files,
// the CA bundle) are contained by the image itself. The application
// DEPENDS_ON the packages its libraries came from.
#include <slimbuild/provenance/sbom.hpp>

#include <cctype>

#include <slimbuild/image/image_json.hpp>
#include <slimbuild/util/sha256.hpp>

#include "provenance/sbom_model.hpp"

namespace slimbuild::provenance {

namespace {

using nlohmann::json;

// SPDXIDs allow only letters, digits, '.' and '-'.
std::string spdx_id(const std::string& prefix, const std::string& text) {
  std::string id = prefix;
  for (char c : text) id += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '-';
  return id;
}

// Paths can collapse to the same SPDXID ("/a_b", "/a-b"): a short hash keeps them apart.
std::string file_id(const std::string& path) {
  return spdx_id("SPDXRef-File", path) + "-" + util::sha256_hex(path).substr(0, 8);
}

std::string package_id(const DpkgPackage& p) { return spdx_id("SPDXRef-Package-deb-", p.name + "-" + p.architecture); }

json relationship(const std::string& from, const char* type, const std::string& to) {
  return {{"spdxElementId", from}, {"relationshipType", type}, {"relatedSpdxElement", to}};
}

json package(const std::string& name, const std::string& id, const char* purpose) {
  return {{"name", name},
          {"SPDXID", id},
          {"downloadLocation", "NOASSERTION"},
          {"filesAnalyzed", false},
          {"licenseConcluded", "NOASSERTION"},
          {"licenseDeclared", "NOASSERTION"},
          {"copyrightText", "NOASSERTION"},
          {"primaryPackagePurpose", purpose}};
}

json deb_package(const SbomPackage& p, const std::string& distro) {
  json j = package(p.deb.name, package_id(p.deb), "LIBRARY");
  j["versionInfo"] = p.deb.version;
  j["supplier"] = "Organization: " + std::string(distro == "ubuntu" ? "Ubuntu" : "Debian");
  if (!p.deb.source.empty() || !p.deb.source_version.empty()) j["sourceInfo"] = "built from source package " + p.deb.source_field;
  j["externalRefs"] = json::array({{{"referenceCategory", "PACKAGE-MANAGER"}, {"referenceType", "purl"}, {"referenceLocator", p.purl}}});
  return j;
}


}  // namespace

json make_spdx(const rootfs::Rootfs& rootfs, const SbomInput& input) {
  SbomModel model = sbom_model(rootfs, input);
  const std::string image_id = spdx_id("SPDXRef-Package-image-", input.name);
  const std::string app_id = spdx_id("SPDXRef-Package-app-", input.name);
  const std::string doc_name = input.image_reference.empty() ? input.name : input.image_reference;

  json image = package(doc_name, image_id, "CONTAINER");
  json app = package(input.name, app_id, "APPLICATION");
  if (!input.binary_build_id.empty()) app["comment"] = "application GNU build ID " + input.binary_build_id;
  json packages = json::array({image, app});
  json relationships = json::array({relationship("SPDXRef-DOCUMENT", "DESCRIBES", image_id),
                                    relationship(image_id, "CONTAINS", app_id)});
  for (const auto& [key, p] : model.packages) {
    packages.push_back(deb_package(p, model.distro));
    relationships.push_back(relationship(image_id, "CONTAINS", package_id(p.deb)));
  }

  json files = json::array();
  for (const auto& f : model.files) {
    std::string id = file_id(f.path);
    files.push_back({{"fileName", "." + f.path},
                     {"SPDXID", id},
                     {"checksums", json::array({{{"algorithm", "SHA256"}, {"checksumValue", f.sha256}}})},
                     {"licenseConcluded", "NOASSERTION"},
                     {"copyrightText", "NOASSERTION"}});
    const std::string& owner = !f.package.empty() ? package_id(model.packages.at(f.package).deb)
                               : f.application    ? app_id
                                                  : image_id;
    relationships.push_back(relationship(owner, "CONTAINS", id));
  }
  for (const auto& [key, p] : model.packages)
    if (p.library) relationships.push_back(relationship(app_id, "DEPENDS_ON", package_id(p.deb)));

  json doc = {{"spdxVersion", "SPDX-2.3"},
          {"dataLicense", "CC0-1.0"},
          {"SPDXID", "SPDXRef-DOCUMENT"},
          {"name", doc_name},
          {"documentNamespace", "https://slimbuild.dev/spdx/" + spdx_id("", input.name) + "-" + model.file_list_hash},
          {"creationInfo", {{"created", image::rfc3339(input.created)}, {"creators", json::array({std::string("Tool: slimbuild-") + SLIMBUILD_VERSION})}}},
          {"documentDescribes", json::array({image_id})}};
  // Moved in, not listed above: an initializer list copies, and these hold an entry per file.
  doc["packages"] = std::move(packages);
  doc["files"] = std::move(files);
  doc["relationships"] = std::move(relationships);
  return doc;
}

}  // namespace slimbuild::provenance
