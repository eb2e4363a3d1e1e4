// SPDX 2.3 JSON for an image. Everything in it is derived from the inputs, so
// the same image always yields the same document: `created` is the build's
// SOURCE_DATE_EPOCH, SPDXIDs come from paths and package names, and the
// documentNamespace is the image name plus a hash of the file list. Files are
// attributed to the Debian package that installed them (dpkg_db.hpp); the
// application and the files: entries belong to an application package that
// DEPENDS_ON the packages its libraries came from.
#include <slimbuild/provenance/sbom.hpp>

#include <optional>
#include <set>

#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/provenance/dpkg_db.hpp>
#include <slimbuild/util/sha256.hpp>

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
  if (auto it = input.file_sha256.find(e.path); it != input.file_sha256.end()) return it->second;
  if (!e.source.empty()) return util::sha256_file_hex(e.source);
  return util::sha256_hex(e.content);
}

json deb_package(const DpkgPackage& p, const std::string& distro) {
  std::string purl = "pkg:deb/" + distro + "/" + purl_escape(p.name) + "@" + purl_escape(p.version) +
                     "?arch=" + purl_escape(p.architecture);
  if (!p.source.empty()) purl += "&upstream=" + purl_escape(p.source);
  return {{"name", p.name},
          {"SPDXID", spdx_id("SPDXRef-Package-deb-", p.name + "-" + p.architecture)},
          {"versionInfo", p.version},
          {"supplier", "Organization: " + std::string(distro == "ubuntu" ? "Ubuntu" : "Debian")},
          {"downloadLocation", "NOASSERTION"},
          {"filesAnalyzed", false},
          {"licenseConcluded", "NOASSERTION"},
          {"licenseDeclared", "NOASSERTION"},
          {"copyrightText", "NOASSERTION"},
          {"externalRefs", json::array({{{"referenceCategory", "PACKAGE-MANAGER"},
                                         {"referenceType", "purl"},
                                         {"referenceLocator", purl}}})}};
}


// Files from the host system belong to the package that installed them;
// the binary and files: entries are the application's own.
bool from_system(const rootfs::Entry& e) { return e.origin != "binary" && e.origin != "files" && e.origin != "generated"; }

// The source path relative to the sysroot, when it is inside it ("" if not).
std::string sysroot_relative(const rootfs::Entry& e, const fs::path& sysroot) {
  if (e.source.empty()) return "";
  std::string src = fs::path(e.source).lexically_normal().generic_string();
  std::string root = fs::path(sysroot).lexically_normal().generic_string();
  if (!root.empty() && root.back() == '/') root.pop_back();
  return src.rfind(root + "/", 0) == 0 ? src.substr(root.size()) : "";
}

}  // namespace

std::vector<std::string> dpkg_lookup_paths(const rootfs::Rootfs& rootfs, const fs::path& sysroot) {
  std::vector<std::string> paths;
  for (const auto& [path, e] : rootfs.entries()) {
    if (e.type != rootfs::EntryType::File || !from_system(e)) continue;
    paths.push_back(path);
    if (std::string rel = sysroot_relative(e, sysroot); !rel.empty()) paths.push_back(rel);
  }
  return paths;
}

json make_spdx(const rootfs::Rootfs& rootfs, const SbomInput& input) {
  std::optional<DpkgDb> loaded;
  if (!input.dpkg) loaded = DpkgDb::load(input.sysroot, dpkg_lookup_paths(rootfs, input.sysroot));
  const DpkgDb& dpkg = input.dpkg ? *input.dpkg : *loaded;
  const std::string app_id = spdx_id("SPDXRef-Package-app-", input.name);
  json files = json::array(), relationships = json::array();
  std::map<std::string, json> packages;     // SPDXID -> package, sorted for stable output
  std::set<std::string> library_packages;   // what the application DEPENDS_ON
  std::string file_list;                    // "path sha256\n"... for the namespace

  for (const auto& [path, e] : rootfs.entries()) {
    if (e.type != rootfs::EntryType::File) continue;
    std::string sha = file_sha256(e, input);
    std::string id = file_id(path);
    file_list += path + " " + sha + "\n";
    files.push_back({{"fileName", "." + path},
                     {"SPDXID", id},
                     {"checksums", json::array({{{"algorithm", "SHA256"}, {"checksumValue", sha}}})},
                     {"licenseConcluded", "NOASSERTION"},
                     {"copyrightText", "NOASSERTION"}});
    const DpkgPackage* owner = nullptr;
    if (from_system(e)) {
      owner = dpkg.owner(path);
      if (std::string rel = sysroot_relative(e, input.sysroot); !owner && !rel.empty()) owner = dpkg.owner(rel);
    }
    if (owner) {
      json pkg = deb_package(*owner, dpkg.distro());
      std::string pkg_id = pkg["SPDXID"];
      packages.emplace(pkg_id, std::move(pkg));
      relationships.push_back({{"spdxElementId", pkg_id}, {"relationshipType", "CONTAINS"}, {"relatedSpdxElement", id}});
      if (e.origin == "library" || e.origin == "interpreter") library_packages.insert(pkg_id);
    } else if (e.origin == "binary" || e.origin == "files" || e.origin == "library" || e.origin == "interpreter") {
      // Libraries no package installed ship from the application's own build.
      relationships.push_back({{"spdxElementId", app_id}, {"relationshipType", "CONTAINS"}, {"relatedSpdxElement", id}});
    }
  }

  json app = {{"name", input.name},
              {"SPDXID", app_id},
              {"downloadLocation", "NOASSERTION"},
              {"filesAnalyzed", false},
              {"licenseConcluded", "NOASSERTION"},
              {"licenseDeclared", "NOASSERTION"},
              {"copyrightText", "NOASSERTION"},
              {"primaryPackagePurpose", "CONTAINER"}};
  if (!input.image_reference.empty()) app["comment"] = "image " + input.image_reference;
  if (!input.binary_build_id.empty()) {
    app["comment"] = (app.contains("comment") ? app["comment"].get<std::string>() + "; " : std::string()) +
                     "application GNU build ID " + input.binary_build_id;
  }
  json package_list = json::array({app});
  for (auto& [id, p] : packages) package_list.push_back(std::move(p));

  json describes = {{"spdxElementId", "SPDXRef-DOCUMENT"}, {"relationshipType", "DESCRIBES"}, {"relatedSpdxElement", app_id}};
  relationships.insert(relationships.begin(), std::move(describes));
  for (const auto& id : library_packages)
    relationships.push_back({{"spdxElementId", app_id}, {"relationshipType", "DEPENDS_ON"}, {"relatedSpdxElement", id}});

  std::string doc_name = input.image_reference.empty() ? input.name : input.image_reference;
  return {{"spdxVersion", "SPDX-2.3"},
          {"dataLicense", "CC0-1.0"},
          {"SPDXID", "SPDXRef-DOCUMENT"},
          {"name", doc_name},
          {"documentNamespace", "https://slimbuild.dev/spdx/" + spdx_id("", input.name) + "-" + util::sha256_hex(file_list)},
          {"creationInfo", {{"created", image::rfc3339(input.created)}, {"creators", json::array({std::string("Tool: slimbuild-") + SLIMBUILD_VERSION})}}},
          {"documentDescribes", json::array({app_id})},
          {"packages", package_list},
          {"files", files},
          {"relationships", relationships}};
}

}  // namespace slimbuild::provenance
