// push_layout: the whole publish, in order — read the image from the layout,
// reach and authenticate to the registry, get every blob there, PUT the
// manifest by tag with its exact bytes and media type, check the digest the
// registry computed, then push referrer artifacts (SBOMs, ...) by digest.
// Success is reported only when every step has been confirmed.
#include <slimbuild/registry/push.hpp>

#include <set>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/registry/blob_upload.hpp>
#include <slimbuild/registry/referrers_tag.hpp>
#include <slimbuild/registry/registry_client.hpp>
#include <slimbuild/registry/registry_error.hpp>
#include <slimbuild/util/limits.hpp>
#include <slimbuild/util/log.hpp>

namespace slimbuild::registry {

namespace {

struct ManifestToPush {
  image::Descriptor descriptor;
  std::string bytes;
  std::string media_type;
  std::vector<image::Descriptor> blobs;  // config first, then layers
};

ManifestToPush load_manifest(const image::LayoutReader& layout, const image::Descriptor& d) {
  ManifestToPush m;
  m.descriptor = d;
  m.bytes = layout.read_blob(d);
  nlohmann::json j = util::parse_untrusted_json(m.bytes, "manifest " + d.digest);
  if (!j.is_object()) throw Error("manifest " + d.digest + " in " + layout.dir().string() + " is not a JSON object");
  image::check_described(d, j);
  m.media_type = j.contains("mediaType") && j["mediaType"].is_string() ? j["mediaType"].get<std::string>() : d.media_type;
  if (m.media_type.empty()) m.media_type = image::kMediaTypeManifest;
  if (!j.contains("config")) throw Error("manifest " + d.digest + " has no config (only image manifests can be pushed)");
  m.blobs.push_back(image::Descriptor::from_json(j["config"]));
  if (j.contains("layers") && j["layers"].is_array())
    for (const auto& l : j["layers"]) {
      // Foreign layers live elsewhere and are not ours to upload.
      if (l.is_object() && l.contains("urls") && !layout.has_blob(l.value("digest", ""))) continue;
      m.blobs.push_back(image::Descriptor::from_json(l));
    }
  for (const auto& b : m.blobs)
    if (!layout.has_blob(b.digest))
      throw Error("blob " + b.digest + " is missing from " + layout.dir().string(), "the layout is incomplete; rebuild it");
  return m;
}

// Referrers in the index whose manifest's "subject" is the image.
std::vector<ManifestToPush> find_referrers(const image::LayoutReader& layout, const std::string& image_digest) {
  std::vector<ManifestToPush> out;
  for (const auto& d : layout.manifests()) {
    if (d.digest == image_digest || d.size > (4u << 20) || !layout.has_blob(d.digest)) continue;
    if (d.media_type != image::kMediaTypeManifest) continue;
    nlohmann::json j = layout.read_json_blob(d);
    if (!j.is_object() || !j.contains("subject") || !j["subject"].is_object()) continue;
    if (j["subject"].value("digest", "") != image_digest) continue;
    out.push_back(load_manifest(layout, d));
  }
  return out;
}

// PUTs the manifest; returns the response headers' OCI-Subject (set when
// the registry indexes referrers itself).
std::string push_manifest(RegistryClient& client, const ManifestToPush& m, const std::string& ref, const std::string& what) {
  const std::string step = "pushing " + what + " " + short_digest(m.descriptor.digest) + " to " + client.reference().name() +
                           (ref.rfind("sha256:", 0) == 0 ? "" : ":" + ref);
  HttpRequest put;
  put.method = "PUT";
  put.url = client.repo_url("manifests/" + ref);
  put.headers = {{"Content-Type", m.media_type}};
  put.body = m.bytes;
  HttpResponse r = client.send(put, step);
  if (r.status != 201 && r.status != 200) throw http_error(step, r.status, r.body);
  std::string got = r.header("docker-content-digest");
  if (!got.empty() && got != m.descriptor.digest)
    throw Error(step + ": the registry computed digest " + got.substr(0, 80) + " but ours is " + m.descriptor.digest,
                "the registry rewrote the manifest; it may not support this media type (" + m.media_type + ")");
  return r.header("oci-subject");
}

}  // namespace

PushResult push_layout(const fs::path& layout_dir, const std::optional<std::string>& layout_ref, const std::string& reference,
                       const PushOptions& options) {
  // 1. What to push: the image manifest, its blobs, and its referrers.
  image::LayoutReader layout(layout_dir);
  ManifestToPush image = load_manifest(layout, layout.find_image(layout_ref));
  std::vector<ManifestToPush> referrers = find_referrers(layout, image.descriptor.digest);

  auto parsed = parse_reference(reference);
  if (!parsed) throw parsed.error();
  Reference ref = *parsed;
  if (ref.digest && *ref.digest != image.descriptor.digest)
    throw Error("the reference names digest " + *ref.digest + " but the image is " + image.descriptor.digest, "",
                kExitUsage);

  // 2. Reach the registry and learn how it authenticates.
  RegistryClient client(ref, options, RegistryClient::Access::PullPush);
  client.ping();

  // 3. Blobs, each once even when shared between the image and its referrers.
  MountCache cache(MountCache::default_path());
  UploadSettings settings = UploadSettings::from(options);
  PushResult result;
  std::set<std::string> done;
  auto push_blobs = [&](const ManifestToPush& m) {
    for (const auto& b : m.blobs) {
      if (!done.insert(b.digest).second) continue;
      try {
        auto open = [&] { return layout.open_blob(b, image::BlobCheck::Digest); };
        result.blobs.push_back(push_blob(client, open, b.digest, b.size, cache, settings));
      } catch (...) {
        cache.save();  // what did arrive can still be mounted next time
        throw;
      }
    }
  };
  push_blobs(image);

  // 4. The manifest, by tag (or by digest when the reference has no tag).
  push_manifest(client, image, ref.tag || !ref.digest ? ref.tag_or_latest() : *ref.digest, "manifest");

  // 5. Referrers after their subject, by digest.
  for (const auto& r : referrers) {
    push_blobs(r);
    if (push_manifest(client, r, r.descriptor.digest, "referrer").empty())
      add_to_referrers_tag(client, image.descriptor.digest,
                           referrer_descriptor(nlohmann::json::parse(r.bytes), r.descriptor.digest, r.descriptor.size));
    util::info("referrer " + short_digest(r.descriptor.digest) + " pushed");
    result.referrers.push_back(r.descriptor.digest);
  }
  cache.save();

  Reference shown = ref;
  if (!shown.tag && !shown.digest) shown.tag = "latest";
  result.reference = shown.str();
  result.manifest_digest = image.descriptor.digest;
  return result;
}

}  // namespace slimbuild::registry
