// Everything here reads or writes the layout through image:: (checked
// digests, atomic appends); the statement is canonical JSON, so the same
// facts always give the same signed bytes.
#include <slimbuild/sign/image_signing.hpp>

#include <cstdio>
#include <ctime>

#include <slimbuild/image/image_json.hpp>
#include <slimbuild/image/layout_append.hpp>
#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/sign/bundle.hpp>
#include <slimbuild/util/json.hpp>

namespace slimbuild::sign {

using nlohmann::json;

namespace {

constexpr const char* kSpdxArtifactType = "application/spdx+json";
constexpr std::size_t kMaxDocument = 64u << 20;

// "2024-01-02T03:04:05Z" as written by image::rfc3339; nullopt otherwise.
std::optional<int64_t> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  char z = 0;
  if (text.size() != 20 || std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                       &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 || z != 'Z')
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

std::string annotation(const ImageFacts& f, const char* key) {
  auto it = f.annotations.find(key);
  return it == f.annotations.end() ? std::string() : it->second;
}

// SPDX: the Debian packages (name, version, purl) and the files that the
// application package CONTAINS (the binary, files: entries, own libraries).
void dependencies_from_sbom(const json& sbom, std::vector<Dependency>& out) {
  if (!sbom.is_object()) return;
  std::map<std::string, const json*> files;
  if (sbom.contains("files") && sbom["files"].is_array())
    for (const auto& f : sbom["files"])
      if (f.is_object() && f.contains("SPDXID") && f["SPDXID"].is_string()) files[f["SPDXID"]] = &f;
  // The application package (primaryPackagePurpose APPLICATION; the
  // document describes the image, which contains it).
  std::string app_id;
  if (sbom.contains("packages") && sbom["packages"].is_array())
    for (const auto& p : sbom["packages"])
      if (p.is_object() && p.value("primaryPackagePurpose", "") == "APPLICATION" && p.contains("SPDXID") &&
          p["SPDXID"].is_string()) {
        app_id = p["SPDXID"];
        break;
      }
  if (sbom.contains("packages") && sbom["packages"].is_array())
    for (const auto& p : sbom["packages"]) {
      if (!p.is_object() || !p.contains("externalRefs") || !p["externalRefs"].is_array()) continue;
      for (const auto& r : p["externalRefs"])
        if (r.is_object() && r.value("referenceType", "") == "purl")
          out.push_back({"deb:" + p.value("name", "") + "@" + p.value("versionInfo", ""), r.value("referenceLocator", ""), {}});
    }
  if (sbom.contains("relationships") && sbom["relationships"].is_array())
    for (const auto& r : sbom["relationships"]) {
      if (!r.is_object() || r.value("relationshipType", "") != "CONTAINS" || r.value("spdxElementId", "") != app_id) continue;
      auto it = files.find(r.value("relatedSpdxElement", ""));
      if (it == files.end()) continue;
      const json& f = *it->second;
      std::string path = f.value("fileName", "");
      if (path.rfind("./", 0) == 0) path.erase(0, 1);
      std::map<std::string, std::string> digest;
      if (f.contains("checksums") && f["checksums"].is_array())
        for (const auto& c : f["checksums"])
          if (c.is_object() && c.value("algorithm", "") == "SHA256") digest["sha256"] = c.value("checksumValue", "");
      out.push_back({"file:" + path, "", digest});
    }
}

}  // namespace

ProvenanceInput provenance_from_image(const ImageFacts& f) {
  ProvenanceInput in;
  in.subjects.push_back({f.name, f.manifest.digest});
  in.builder_version = f.builder_version;
  in.manifest_path = f.manifest_path;
  in.source_repository = annotation(f, "org.opencontainers.image.source");
  in.source_commit = annotation(f, "org.opencontainers.image.revision");
  in.platforms = f.platforms;
  in.epoch = f.created;
  dependencies_from_sbom(f.sbom, in.dependencies);
  return in;
}

ImageFacts read_image_facts(const fs::path& dir, const std::optional<std::string>& ref, const std::string& name) {
  image::LayoutReader layout(dir);
  ImageFacts f;
  f.manifest = layout.find_image(ref);
  f.name = name;
  json manifest = layout.read_json_blob(f.manifest);
  if (!manifest.is_object() || !manifest.contains("config") || !manifest["config"].is_object())
    throw Error("image " + f.manifest.digest + " in " + dir.string() + " has no config");
  if (manifest.contains("annotations") && manifest["annotations"].is_object())
    for (const auto& [k, v] : manifest["annotations"].items())
      if (v.is_string()) f.annotations[k] = v;
  json config = layout.read_json_blob(image::Descriptor::from_json(manifest["config"]));
  std::string platform = config.value("os", "linux") + "/" + config.value("architecture", "");
  if (!config.value("variant", "").empty()) platform += "/" + config.value("variant", "");
  f.platforms.push_back(platform);
  if (auto created = f.annotations.find("org.opencontainers.image.created"); created != f.annotations.end())
    f.created = parse_rfc3339(created->second).value_or(0);
  for (const auto& d : layout.referrers(f.manifest.digest, kSpdxArtifactType)) {
    json art = layout.read_json_blob(d);
    if (!art.contains("layers") || !art["layers"].is_array() || art["layers"].empty()) continue;
    image::Descriptor sbom = image::Descriptor::from_json(art["layers"][0]);
    if (sbom.size > kMaxDocument) continue;
    f.sbom = layout.read_json_blob(sbom);
    break;
  }
  return f;
}

std::string signed_bundle(const ImageFacts& facts, const PrivateKey& key) {
  std::string statement = util::canonical_json(make_provenance_statement(provenance_from_image(facts)));
  return util::canonical_json(make_bundle(key, statement));
}

std::map<std::string, std::string> bundle_annotations(const ImageFacts& facts) {
  return {{"org.opencontainers.image.created", image::rfc3339(facts.created)},
          {"dev.sigstore.bundle.predicateType", kSlsaProvenanceType}};
}

image::Descriptor sign_layout_image(const fs::path& layout, const ImageFacts& facts, const PrivateKey& key) {
  return image::append_referrer(layout, facts.manifest, kBundleMediaType, signed_bundle(facts, key), kBundleMediaType,
                                bundle_annotations(facts));
}

std::vector<json> layout_signatures(const fs::path& dir, const std::string& subject_digest) {
  image::LayoutReader layout(dir);
  std::vector<json> out;
  for (const auto& d : layout.referrers(subject_digest, kBundleMediaType)) {
    json art = layout.read_json_blob(d);
    if (!art.contains("layers") || !art["layers"].is_array() || art["layers"].empty()) continue;
    image::Descriptor blob = image::Descriptor::from_json(art["layers"][0]);
    if (blob.size > kMaxDocument) continue;
    out.push_back(layout.read_json_blob(blob));
  }
  return out;
}

Result<json> verify_signatures(const std::vector<json>& bundles, const PublicKey& key, const StatementExpectations& expect) {
  if (bundles.empty())
    return std::unexpected(Error("image " + expect.subject_digest + " has no signature (no " + std::string(kBundleMediaType) +
                                     " referrer)",
                                 "sign it with: slimbuild sign IMAGE --key KEY.pem (or build --sign-key)"));
  std::optional<Error> first;
  for (const auto& b : bundles) {
    Result<std::string> payload = verify_bundle(b, key);
    Result<json> statement = payload ? check_statement(*payload, expect) : std::unexpected(payload.error());
    if (statement) return statement;
    if (!first) first = statement.error();
  }
  return std::unexpected(*first);
}

}  // namespace slimbuild::sign
