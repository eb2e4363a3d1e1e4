// CycloneDX 1.5 JSON for an image, from the same model as the SPDX document.
// The image is metadata.component (type "container"); the application and
// each Debian package are components (the packages with their purls, which
// is what Grype and Dependency-Track match on), and every file is a nested
// "file" component of whoever owns it, so containment reads the same as in
// SPDX. The serial number is a name-based UUID derived from the file list,
// so the same image always yields the same bytes. Written straight as
// canonical JSON (util::JsonWriter), like the SPDX document.
#include <slimbuild/provenance/sbom.hpp>

#include <slimbuild/image/image_json.hpp>
#include <slimbuild/util/json_writer.hpp>

#include "provenance/sbom_model.hpp"

namespace slimbuild::provenance {

namespace {

using util::JsonWriter;

// RFC 4122 form (version 5 and variant bits set) from a hex digest.
std::string serial_number(const std::string& hex) {
  std::string u = hex.substr(0, 32);
  u[12] = '5';
  u[16] = "89ab"[std::stoi(u.substr(16, 1), nullptr, 16) & 3];
  return "urn:uuid:" + u.substr(0, 8) + "-" + u.substr(8, 4) + "-" + u.substr(12, 4) + "-" + u.substr(16, 4) + "-" +
         u.substr(20, 12);
}

void file_component(JsonWriter& w, const SbomFile& f) {
  w.begin_object().member("bom-ref", "file:" + f.path);
  w.key("hashes").begin_array().begin_object().member("alg", "SHA-256").member("content", f.sha256).end_object().end_array();
  w.member("name", f.path).member("type", "file").end_object();
}

void files(JsonWriter& w, const SbomModel& model, const std::vector<std::size_t>& which) {
  w.key("components").begin_array();
  for (std::size_t i : which) file_component(w, model.files[i]);
  w.end_array();
}

void property(JsonWriter& w, const char* name, const std::string& value) {
  w.key("properties").begin_array().begin_object().member("name", name).member("value", value).end_object().end_array();
}

void dependency(JsonWriter& w, const std::string& ref, const std::vector<const std::string*>& on) {
  w.begin_object().key("dependsOn").begin_array();
  for (const std::string* r : on) w.value(*r);
  w.end_array().member("ref", ref).end_object();
}

}  // namespace

std::string write_cyclonedx(const SbomModel& model, const SbomInput& input) {
  const std::string doc_name = input.image_reference.empty() ? input.name : input.image_reference;
  const std::string app_ref = "application:" + input.name;
  const std::string image_ref = "image:" + doc_name;

  // Who holds each file: a package (by dpkg key), the application, or the image itself.
  std::map<std::string, std::vector<std::size_t>> by_package;
  std::vector<std::size_t> app_files, loose;
  for (std::size_t i = 0; i < model.files.size(); ++i) {
    const SbomFile& f = model.files[i];
    if (!f.package.empty())
      by_package[f.package].push_back(i);
    else if (f.application)
      app_files.push_back(i);
    else
      loose.push_back(i);
  }

  std::string out;
  out.reserve(256 * (model.files.size() + 8));
  JsonWriter w(out);
  w.begin_object().member("bomFormat", "CycloneDX");

  w.key("components").begin_array();
  w.begin_object().member("bom-ref", app_ref);
  files(w, model, app_files);
  w.member("name", input.name);
  if (!input.binary_build_id.empty()) property(w, "slimbuild:gnu-build-id", input.binary_build_id);
  w.member("type", "application").end_object();
  static const std::vector<std::size_t> kNone;
  for (const auto& [key, p] : model.packages) {
    auto held = by_package.find(key);
    w.begin_object().member("bom-ref", p.purl);
    files(w, model, held == by_package.end() ? kNone : held->second);
    w.member("name", p.deb.name);
    if (!p.deb.source_field.empty()) property(w, "slimbuild:deb:source", p.deb.source_field);
    w.member("purl", p.purl);
    w.key("supplier").begin_object().member("name", model.distro == "ubuntu" ? "Ubuntu" : "Debian").end_object();
    w.member("type", "library").member("version", p.deb.version).end_object();
  }
  for (std::size_t i : loose) file_component(w, model.files[i]);
  w.end_array();

  std::vector<const std::string*> contained{&app_ref}, libraries;
  for (const auto& [key, p] : model.packages) {
    contained.push_back(&p.purl);
    if (p.library) libraries.push_back(&p.purl);
  }
  w.key("dependencies").begin_array();
  dependency(w, image_ref, contained);
  dependency(w, app_ref, libraries);
  for (const auto& [key, p] : model.packages) dependency(w, p.purl, {});
  w.end_array();

  w.key("metadata").begin_object();
  w.key("component").begin_object().member("bom-ref", image_ref).member("name", doc_name).member("type", "container");
  w.end_object();
  w.member("timestamp", image::rfc3339(input.created));
  w.key("tools").begin_object().key("components").begin_array();
  w.begin_object().member("name", "slimbuild").member("type", "application").member("version", SLIMBUILD_VERSION);
  w.end_object().end_array().end_object();
  w.end_object();

  w.member("serialNumber", serial_number(model.file_list_hash))
      .member("specVersion", "1.5")
      .member("version", int64_t{1})
      .end_object();
  return out;
}

}  // namespace slimbuild::provenance
