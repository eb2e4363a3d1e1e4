// SPDX 2.3 JSON for an image. Everything in it is derived from the inputs, so
// the same image always yields the same document: `created` is the build's
// SOURCE_DATE_EPOCH, SPDXIDs come from paths and package names, and the
// documentNamespace is the image name plus a hash of the file list. The
// document DESCRIBES the image (a CONTAINER package) which CONTAINS the
// application (an APPLICATION package) and each Debian package; every
// package CONTAINS its files, and files nobody owns (generated /etc files,
// the CA bundle) are contained by the image itself. The application
// DEPENDS_ON the packages its libraries came from. The document is written
// straight as canonical JSON (util::JsonWriter, members in key order): it
// holds an entry per file, too many for a DOM.
#include <slimbuild/provenance/sbom.hpp>

#include <cctype>

#include <slimbuild/image/image_json.hpp>
#include <slimbuild/util/json_writer.hpp>
#include <slimbuild/util/sha256.hpp>

#include "provenance/sbom_model.hpp"

namespace slimbuild::provenance {

namespace {

using util::JsonWriter;

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

void relationship(JsonWriter& w, const std::string& from, const char* type, const std::string& to) {
  w.begin_object()
      .member("relatedSpdxElement", to)
      .member("relationshipType", type)
      .member("spdxElementId", from)
      .end_object();
}

// A package's members, in key order, with the optional ones where they sort.
struct PackageFields {
  std::string name, id;
  const char* purpose = "";
  std::string comment{}, purl{}, source_info{}, supplier{}, version{};
};

void package(JsonWriter& w, const PackageFields& p) {
  w.begin_object().member("SPDXID", p.id);
  if (!p.comment.empty()) w.member("comment", p.comment);
  w.member("copyrightText", "NOASSERTION").member("downloadLocation", "NOASSERTION");
  if (!p.purl.empty()) {
    w.key("externalRefs").begin_array().begin_object();
    w.member("referenceCategory", "PACKAGE-MANAGER").member("referenceLocator", p.purl).member("referenceType", "purl");
    w.end_object().end_array();
  }
  w.member("filesAnalyzed", false)
      .member("licenseConcluded", "NOASSERTION")
      .member("licenseDeclared", "NOASSERTION")
      .member("name", p.name)
      .member("primaryPackagePurpose", p.purpose);
  if (!p.source_info.empty()) w.member("sourceInfo", p.source_info);
  if (!p.supplier.empty()) w.member("supplier", p.supplier);
  if (!p.version.empty()) w.member("versionInfo", p.version);
  w.end_object();
}

PackageFields deb_package(const SbomPackage& p, const std::string& distro) {
  PackageFields f{p.deb.name, package_id(p.deb), "LIBRARY"};
  f.version = p.deb.version;
  f.supplier = "Organization: " + std::string(distro == "ubuntu" ? "Ubuntu" : "Debian");
  if (!p.deb.source.empty() || !p.deb.source_version.empty()) f.source_info = "built from source package " + p.deb.source_field;
  f.purl = p.purl;
  return f;
}

}  // namespace

std::string write_spdx(const SbomModel& model, const SbomInput& input) {
  const std::string image_id = spdx_id("SPDXRef-Package-image-", input.name);
  const std::string app_id = spdx_id("SPDXRef-Package-app-", input.name);
  const std::string doc_name = input.image_reference.empty() ? input.name : input.image_reference;
  std::vector<std::string> file_ids;
  file_ids.reserve(model.files.size());
  for (const auto& f : model.files) file_ids.push_back(file_id(f.path));
  std::map<std::string, std::string> package_ids;  // dpkg key -> SPDXID, made once, not once per file
  for (const auto& [key, p] : model.packages) package_ids.emplace(key, package_id(p.deb));

  std::string out;
  out.reserve(512 * (model.files.size() + 8));
  JsonWriter w(out);
  w.begin_object().member("SPDXID", "SPDXRef-DOCUMENT");
  w.key("creationInfo").begin_object().member("created", image::rfc3339(input.created));
  w.key("creators").begin_array().value(std::string("Tool: slimbuild-") + SLIMBUILD_VERSION).end_array().end_object();
  w.member("dataLicense", "CC0-1.0");
  w.key("documentDescribes").begin_array().value(image_id).end_array();
  w.member("documentNamespace", "https://slimbuild.dev/spdx/" + spdx_id("", input.name) + "-" + model.file_list_hash);

  w.key("files").begin_array();
  for (std::size_t i = 0; i < model.files.size(); ++i) {
    const SbomFile& f = model.files[i];
    w.begin_object().member("SPDXID", file_ids[i]);
    w.key("checksums").begin_array().begin_object().member("algorithm", "SHA256").member("checksumValue", f.sha256);
    w.end_object().end_array();
    w.member("copyrightText", "NOASSERTION").member("fileName", "." + f.path).member("licenseConcluded", "NOASSERTION");
    w.end_object();
  }
  w.end_array();
  w.member("name", doc_name);

  w.key("packages").begin_array();
  package(w, PackageFields{doc_name, image_id, "CONTAINER"});
  PackageFields app{input.name, app_id, "APPLICATION"};
  if (!input.binary_build_id.empty()) app.comment = "application GNU build ID " + input.binary_build_id;
  package(w, app);
  for (const auto& [key, p] : model.packages) package(w, deb_package(p, model.distro));
  w.end_array();

  w.key("relationships").begin_array();
  relationship(w, "SPDXRef-DOCUMENT", "DESCRIBES", image_id);
  relationship(w, image_id, "CONTAINS", app_id);
  for (const auto& [key, id] : package_ids) relationship(w, image_id, "CONTAINS", id);
  for (std::size_t i = 0; i < model.files.size(); ++i) {
    const SbomFile& f = model.files[i];
    const std::string& owner = !f.package.empty() ? package_ids.at(f.package) : f.application ? app_id : image_id;
    relationship(w, owner, "CONTAINS", file_ids[i]);
  }
  for (const auto& [key, p] : model.packages)
    if (p.library) relationship(w, app_id, "DEPENDS_ON", package_ids.at(key));
  w.end_array();

  w.member("spdxVersion", "SPDX-2.3").end_object();
  return out;
}

}  // namespace slimbuild::provenance
