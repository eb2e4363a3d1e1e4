// CycloneDX 1.5 JSON for an image, from the same model as the SPDX document.
// The image is metadata.component (type "container"); the application and
// each Debian package are components (the packages with their purls, which
// is what Grype and Dependency-Track match on), and every file is a nested
// "file" component of whoever owns it, so containment reads the same as in
// SPDX. The serial number is a name-based UUID derived from the file list,
// so the same image always yields the same bytes.
#include <slimbuild/provenance/sbom.hpp>

#include <slimbuild/image/image_json.hpp>

#include "provenance/sbom_model.hpp"

namespace slimbuild::provenance {

namespace {

using nlohmann::json;

// RFC 4122 form (version 5 and variant bits set) from a hex digest.
std::string serial_number(const std::string& hex) {
  std::string u = hex.substr(0, 32);
  u[12] = '5';
  u[16] = "89ab"[std::stoi(u.substr(16, 1), nullptr, 16) & 3];
  return "urn:uuid:" + u.substr(0, 8) + "-" + u.substr(8, 4) + "-" + u.substr(12, 4) + "-" + u.substr(16, 4) + "-" +
         u.substr(20, 12);
}

json file_component(const SbomFile& f) {
  return {{"type", "file"},
          {"bom-ref", "file:" + f.path},
          {"name", f.path},
          {"hashes", json::array({{{"alg", "SHA-256"}, {"content", f.sha256}}})}};
}

}  // namespace

json make_cyclonedx(const rootfs::Rootfs& rootfs, const SbomInput& input) {
  SbomModel model = sbom_model(rootfs, input);
  const std::string doc_name = input.image_reference.empty() ? input.name : input.image_reference;
  const std::string app_ref = "application:" + input.name;

  json app = {{"type", "application"}, {"bom-ref", app_ref}, {"name", input.name}, {"components", json::array()}};
  if (!input.binary_build_id.empty())
    app["properties"] = json::array({{{"name", "slimbuild:gnu-build-id"}, {"value", input.binary_build_id}}});

  std::map<std::string, json> debs;  // by dpkg key
  for (const auto& [key, p] : model.packages) {
    json c = {{"type", "library"},   {"bom-ref", p.purl},     {"name", p.deb.name},
              {"version", p.deb.version}, {"purl", p.purl}, {"components", json::array()},
              {"supplier", {{"name", model.distro == "ubuntu" ? "Ubuntu" : "Debian"}}}};
    if (!p.deb.source_field.empty())
      c["properties"] = json::array({{{"name", "slimbuild:deb:source"}, {"value", p.deb.source_field}}});
    debs.emplace(key, std::move(c));
  }
  json loose = json::array();  // files neither the application nor a package owns
  for (const auto& f : model.files) {
    if (!f.package.empty())
      debs.at(f.package)["components"].push_back(file_component(f));
    else if (f.application)
      app["components"].push_back(file_component(f));
    else
      loose.push_back(file_component(f));
  }

  const std::string image_ref = "image:" + doc_name;
  json components = json::array();
  components.push_back(std::move(app));
  json library_refs = json::array(), contained = json::array({app_ref});
  json dependencies = json::array();
  for (auto& [key, c] : debs) {
    if (model.packages.at(key).library) library_refs.push_back(c["bom-ref"]);
    dependencies.push_back({{"ref", c["bom-ref"]}, {"dependsOn", json::array()}});
    contained.push_back(c["bom-ref"]);
    components.push_back(std::move(c));
  }
  for (auto& f : loose) components.push_back(std::move(f));
  dependencies.insert(dependencies.begin(), json{{"ref", app_ref}, {"dependsOn", library_refs}});
  dependencies.insert(dependencies.begin(), json{{"ref", image_ref}, {"dependsOn", contained}});

  json doc = {{"bomFormat", "CycloneDX"},
          {"specVersion", "1.5"},
          {"serialNumber", serial_number(model.file_list_hash)},
          {"version", 1},
          {"metadata",
           {{"timestamp", image::rfc3339(input.created)},
            {"tools", {{"components", json::array({{{"type", "application"}, {"name", "slimbuild"}, {"version", SLIMBUILD_VERSION}}})}}},
            {"component", {{"type", "container"}, {"bom-ref", image_ref}, {"name", doc_name}}}}}};
  // Moved in, not listed above: an initializer list copies, and these hold an entry per file.
  doc["components"] = std::move(components);
  doc["dependencies"] = std::move(dependencies);
  return doc;
}

}  // namespace slimbuild::provenance
