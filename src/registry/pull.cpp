// Pulling an image into a local OCI layout for inspect/verify/diff. The
// manifest is fetched with every Accept type we understand; an OCI index of
// platform images is pulled whole (every image), anything else listing
// several images is narrowed to linux/<arch>; blobs stream to disk through
// SHA-256 (blob_download.hpp) so a wrong byte is caught before the layout is
// committed (AtomicDir: nothing half-written is left at the destination).
#include <slimbuild/registry/pull.hpp>

#include "registry/blob_download.hpp"

#include <slimbuild/image/layout.hpp>
#include <slimbuild/registry/registry_client.hpp>
#include "registry/registry_error.hpp"
#include <slimbuild/util/fs.hpp>
#include <slimbuild/util/sha256.hpp>

namespace slimbuild::registry {

namespace {

constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr const char* kAccept =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

Reference parse(const std::string& reference) {
  auto r = parse_reference(reference);
  if (!r) throw r.error();
  return *r;
}

struct Fetched {
  std::string bytes, media_type, digest;
};

Fetched get_manifest(RegistryClient& client, const std::string& ref) {
  const std::string step = "fetching manifest " + ref + " from " + client.reference().name();
  HttpRequest get;
  get.url = client.repo_url("manifests/" + ref);
  get.headers = {{"Accept", kAccept}};
  HttpResponse r = client.send(get, step);
  if (r.status != 200) throw http_error(step, r.status, r.body);
  if (r.body.size() >= (8u << 20)) throw Error(step + ": the manifest is larger than 8 MiB");
  Fetched f{r.body, r.header("content-type"), util::sha256_digest(r.body)};
  f.media_type = f.media_type.substr(0, f.media_type.find(';'));
  if (ref.rfind("sha256:", 0) == 0 && f.digest != ref)
    throw Error(step + ": the registry sent content with digest " + f.digest, "the registry returned the wrong manifest");
  if (std::string d = r.header("docker-content-digest"); !d.empty() && util::is_sha256_digest(d) && d != f.digest)
    throw Error(step + ": the body does not match the registry's Docker-Content-Digest " + d);
  nlohmann::json j = nlohmann::json::parse(f.bytes, nullptr, false);
  if (!j.is_object()) throw Error(step + ": the manifest is not a JSON object");
  if (j.contains("mediaType") && j["mediaType"].is_string()) f.media_type = j["mediaType"].get<std::string>();
  return f;
}

// For an index, the digest of the linux/<arch> image; nullopt for an image manifest.
std::optional<std::string> pick_platform(const Fetched& f, const std::string& arch, const std::string& name) {
  if (f.media_type != image::kMediaTypeIndex && f.media_type != kDockerList) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(f.bytes);
  if (j.contains("manifests") && j["manifests"].is_array())
    for (const auto& m : j["manifests"]) {
      if (!m.is_object() || !m.contains("platform") || !m["platform"].is_object()) continue;
      if (m["platform"].value("os", "") == "linux" && m["platform"].value("architecture", "") == arch)
        return image::Descriptor::from_json(m).digest;
    }
  throw Error(name + " has no linux/" + arch + " image", "pick an image built for linux/" + arch);
}

}  // namespace

std::string resolve_digest(const std::string& reference, const RegistryOptions& options) {
  Reference ref = parse(reference);
  if (ref.digest) return *ref.digest;
  RegistryClient client(ref, options, RegistryClient::Access::Pull);
  return resolve_digest(client);
}

std::string resolve_digest(RegistryClient& client) {
  if (client.reference().digest) return *client.reference().digest;
  client.ping();
  return get_manifest(client, client.reference().manifest_ref()).digest;
}

namespace {

// The image manifests an OCI index lists, when every entry is an image
// manifest with a platform (what slimbuild and buildx push): the whole index
// is pulled, so inspect/diff/verify/audit work per platform as on a layout.
// nullopt for anything else (Docker manifest lists, nested indexes), which
// are narrowed to one platform instead.
std::optional<std::vector<image::Descriptor>> whole_index(const Fetched& f) {
  if (f.media_type != image::kMediaTypeIndex) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(f.bytes, nullptr, false);
  if (!j.is_object() || !j.contains("manifests") || !j["manifests"].is_array() || j["manifests"].empty())
    return std::nullopt;
  constexpr std::size_t kMaxImages = 64;
  if (j["manifests"].size() > kMaxImages) return std::nullopt;
  std::vector<image::Descriptor> out;
  for (const auto& m : j["manifests"]) {
    if (!m.is_object()) return std::nullopt;
    image::Descriptor d = image::Descriptor::from_json(m);
    if (d.media_type != image::kMediaTypeManifest || !d.platform.is_object()) return std::nullopt;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

PullResult pull_to_layout(const std::string& reference, const fs::path& out_dir, const RegistryOptions& options,
                          const std::string& architecture) {
  RegistryClient client(parse(reference), options, RegistryClient::Access::Pull);
  return pull_to_layout(client, out_dir, options.progress, architecture);
}

PullResult pull_to_layout(RegistryClient& client, const fs::path& out_dir, bool progress, const std::string& architecture) {
  const Reference& ref = client.reference();
  client.ping();

  Fetched top = get_manifest(client, ref.manifest_ref());
  std::vector<Fetched> manifests;
  std::optional<std::vector<image::Descriptor>> entries = whole_index(top);
  if (entries) {
    for (const auto& e : *entries) manifests.push_back(get_manifest(client, e.digest));
  } else {
    Fetched manifest = top;
    if (auto child = pick_platform(top, architecture, ref.str())) manifest = get_manifest(client, *child);
    manifests.push_back(std::move(manifest));
  }

  std::vector<image::Descriptor> blobs;
  for (const auto& manifest : manifests) {
    if (manifest.media_type != image::kMediaTypeManifest && manifest.media_type != kDockerManifest)
      throw Error(ref.str() + " is not an image manifest (media type '" + manifest.media_type.substr(0, 100) + "')");
    nlohmann::json j = nlohmann::json::parse(manifest.bytes);
    if (!j.contains("config")) throw Error(ref.str() + ": the manifest " + manifest.digest + " has no config");
    blobs.push_back(image::Descriptor::from_json(j["config"]));
    if (j.contains("layers") && j["layers"].is_array())
      for (const auto& l : j["layers"]) blobs.push_back(image::Descriptor::from_json(l));
  }

  util::AtomicDir out(out_dir);
  fs::path blob_dir = out.path() / "blobs" / "sha256";
  fs::create_directories(blob_dir);
  for (const auto& manifest : manifests) util::write_file_atomic(blob_dir / manifest.digest.substr(7), manifest.bytes);
  if (entries) util::write_file_atomic(blob_dir / top.digest.substr(7), top.bytes);
  for (const auto& b : blobs) {
    fs::path dest = blob_dir / b.digest.substr(7);
    if (fs::exists(dest)) continue;  // the same blob listed twice (layers shared by platforms)
    download_blob(client, b, dest, progress);
  }
  const Fetched& listed = entries ? top : manifests.front();
  image::Descriptor d;
  d.media_type = listed.media_type;
  d.digest = listed.digest;
  d.size = listed.bytes.size();
  d.annotations[image::kAnnotationRefName] = ref.tag_or_latest();
  nlohmann::json index{{"schemaVersion", 2}, {"mediaType", image::kMediaTypeIndex}, {"manifests", {d.to_json()}}};
  util::write_file_atomic(out.path() / "index.json", index.dump());
  util::write_file_atomic(out.path() / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  out.commit();
  return PullResult{ref.str(), listed.digest};
}

}  // namespace slimbuild::registry
