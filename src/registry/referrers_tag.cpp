// Referrers tag index maintenance (OCI distribution spec 1.1, "Pushing
// Manifests with Subject": the fallback for registries without the API).
#include "registry/referrers_tag.hpp"

#include <slimbuild/image/layout.hpp>
#include "registry/registry_error.hpp"

namespace slimbuild::registry {

std::string referrers_tag(const std::string& subject_digest) {
  std::string tag = subject_digest;
  if (auto colon = tag.find(':'); colon != std::string::npos) tag[colon] = '-';
  return tag;
}

nlohmann::json referrer_descriptor(const nlohmann::json& manifest, const std::string& digest, uint64_t size) {
  nlohmann::json d{{"mediaType", manifest.value("mediaType", image::kMediaTypeManifest)}, {"digest", digest}, {"size", size}};
  std::string type = manifest.value("artifactType", "");
  if (type.empty() && manifest.contains("config") && manifest["config"].is_object())
    type = manifest["config"].value("mediaType", "");
  if (!type.empty()) d["artifactType"] = type;
  if (manifest.contains("annotations") && manifest["annotations"].is_object()) d["annotations"] = manifest["annotations"];
  return d;
}

void add_to_referrers_tag(RegistryClient& client, const std::string& subject_digest, const nlohmann::json& descriptor) {
  const std::string tag = referrers_tag(subject_digest);
  const std::string step = "updating the referrers index " + client.reference().name() + ":" + tag;

  HttpRequest get;
  get.url = client.repo_url("manifests/" + tag);
  get.headers = {{"Accept", image::kMediaTypeIndex}};
  HttpResponse r = client.send(get, step);
  nlohmann::json index{{"schemaVersion", 2}, {"mediaType", image::kMediaTypeIndex}, {"manifests", nlohmann::json::array()}};
  if (r.status == 200) {
    nlohmann::json existing = nlohmann::json::parse(r.body, nullptr, false);
    if (existing.is_object() && existing.contains("manifests") && existing["manifests"].is_array()) index = existing;
  } else if (r.status != 404) {
    throw http_error(step, r.status, r.body);
  }
  for (const auto& m : index["manifests"])
    if (m.is_object() && m.value("digest", std::string()) == descriptor.value("digest", std::string())) return;  // already listed
  index["manifests"].push_back(descriptor);

  HttpRequest put;
  put.method = "PUT";
  put.url = get.url;
  put.headers = {{"Content-Type", image::kMediaTypeIndex}};
  put.body = index.dump();
  HttpResponse p = client.send(put, step);
  if (p.status != 201 && p.status != 200) throw http_error(step, p.status, p.body);
}

}  // namespace slimbuild::registry
