// Both listings are image indexes of descriptors; entries of other types are
// skipped without being fetched. Nothing is trusted before its digest is
// checked: the listing only says where to look.
#include <slimbuild/registry/referrers_fetch.hpp>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/registry/reference.hpp>
#include "registry/referrers_tag.hpp"
#include <slimbuild/registry/registry_client.hpp>
#include "registry/registry_error.hpp"
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::registry {

namespace {

using nlohmann::json;

// GETs `path` (a manifest or blob by digest) and checks size and digest.
std::string get_by_digest(RegistryClient& client, const std::string& path, const std::string& digest, const char* accept,
                          std::size_t max_size, const std::string& step) {
  HttpRequest get;
  get.url = client.repo_url(path + digest);
  if (accept) get.headers = {{"Accept", accept}};
  get.follow_redirects = path == "blobs/";
  HttpResponse r = client.send(get, step);
  if (r.status != 200) throw http_error(step, r.status, r.body);
  if (r.body.size() > max_size) throw Error(step + ": larger than " + std::to_string(max_size) + " bytes");
  if (util::sha256_digest(r.body) != digest) throw Error(step + ": the registry sent content that does not match " + digest);
  return r.body;
}

json listing(RegistryClient& client, const std::string& subject_digest) {
  const std::string step = "listing the referrers of " + short_digest(subject_digest) + " in " + client.reference().name();
  HttpRequest api;
  api.url = client.repo_url("referrers/" + subject_digest);
  api.headers = {{"Accept", image::kMediaTypeIndex}};
  HttpResponse r = client.send(api, step);
  if (r.status == 200) {
    json j = json::parse(r.body, nullptr, false);
    if (j.is_object()) return j;
  } else if (r.status != 404) {
    throw http_error(step, r.status, r.body);
  }
  // No referrers API: the tag schema fallback.
  HttpRequest tag;
  tag.url = client.repo_url("manifests/" + referrers_tag(subject_digest));
  tag.headers = {{"Accept", image::kMediaTypeIndex}};
  HttpResponse t = client.send(tag, step);
  if (t.status == 404) return json::object();
  if (t.status != 200) throw http_error(step, t.status, t.body);
  json j = json::parse(t.body, nullptr, false);
  return j.is_object() ? j : json::object();
}

}  // namespace

std::vector<std::string> fetch_referrer_contents(const std::string& reference, const std::string& subject_digest,
                                                 const std::string& artifact_type, const RegistryOptions& options,
                                                 std::size_t max_size) {
  auto parsed = parse_reference(reference);
  if (!parsed) throw parsed.error();
  RegistryClient client(*parsed, options, RegistryClient::Access::Pull);
  client.ping();
  json index = listing(client, subject_digest);
  std::vector<std::string> out;
  if (!index.contains("manifests") || !index["manifests"].is_array()) return out;
  for (const auto& d : index["manifests"]) {
    if (!d.is_object() || d.value("artifactType", "") != artifact_type) continue;
    std::string digest = d.value("digest", "");
    if (!util::is_sha256_digest(digest)) continue;
    const std::string step = "fetching referrer " + short_digest(digest) + " from " + client.reference().name();
    json m = json::parse(get_by_digest(client, "manifests/", digest, image::kMediaTypeManifest, max_size, step), nullptr, false);
    if (!m.is_object() || !m.contains("subject") || !m["subject"].is_object() ||
        m["subject"].value("digest", "") != subject_digest)
      continue;  // listed for another subject: not ours to trust
    if (!m.contains("layers") || !m["layers"].is_array() || m["layers"].empty() || !m["layers"][0].is_object()) continue;
    std::string blob = m["layers"][0].value("digest", "");
    if (!util::is_sha256_digest(blob)) continue;
    out.push_back(get_by_digest(client, "blobs/", blob, nullptr, max_size, step));
  }
  return out;
}

}  // namespace slimbuild::registry
