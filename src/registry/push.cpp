// push_layout: the whole publish, in order — read the image from the layout,
// reach and authenticate to the registry, get every blob there, PUT the
// manifest by tag with its exact bytes and media type, check the digest the
// registry computed, then push referrer artifacts (SBOMs, ...) by digest.
// Success is reported only when every step has been confirmed.
#include <slimbuild/registry/push.hpp>

#include <set>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/registry/blob_upload.hpp>
#include "registry/referrers_tag.hpp"
#include <slimbuild/registry/registry_client.hpp>
#include "registry/registry_error.hpp"
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

// The layout's referrers of the image (manifests whose "subject" is it).
std::vector<ManifestToPush> find_referrers(const image::LayoutReader& layout, const std::string& image_digest) {
  std::vector<ManifestToPush> out;
  for (const auto& d : layout.referrers(image_digest)) out.push_back(load_manifest(layout, d));
  return out;
}

// An image index has no blobs of its own: its manifests are pushed first.
ManifestToPush load_index(const image::LayoutReader& layout, const image::Descriptor& d) {
  ManifestToPush m;
  m.descriptor = d;
  m.bytes = layout.read_blob(d);
  m.media_type = image::kMediaTypeIndex;
  return m;
}

// --platform: the one image of an index for that platform, pushed as a plain
// image; for a single image, a check that it is for that platform.
image::Descriptor select_platform(const image::LayoutReader& layout, const image::Descriptor& top,
                                  const std::optional<std::string>& platform) {
  if (!platform) return top;
  std::string have;
  for (const auto& d : layout.platform_images(top)) {
    if (image::platform_matches(d.platform, *platform)) {
      image::Descriptor chosen = d;
      chosen.platform = nullptr;
      return chosen;
    }
    have += (have.empty() ? "" : ", ") + image::platform_name(d.platform);
  }
  throw Error("the image in " + layout.dir().string() + " has no " + *platform + " image (it has " +
                  (have.empty() ? "no platform recorded" : have) + ")",
              "pass one of its platforms to --platform, or leave --platform out", kExitUsage);
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
                       const RegistryOptions& options) {
  auto parsed = parse_reference(reference);
  if (!parsed) throw parsed.error();
  RegistryClient client(*parsed, options, RegistryClient::Access::PullPush);
  MountCache cache(MountCache::default_path());
  return push_layout(client, layout_dir, layout_ref, options, cache);
}

PushResult push_layout(RegistryClient& client, const fs::path& layout_dir, const std::optional<std::string>& layout_ref,
                       const RegistryOptions& options, MountCache& cache) {
  // 1. What to push: the image manifest (or an index and its images), their
  //    blobs, and their referrers.
  image::LayoutReader layout(layout_dir);
  image::Descriptor top = select_platform(layout, layout.find_entry(layout_ref), options.platform);
  bool is_index = top.media_type == image::kMediaTypeIndex;
  std::vector<ManifestToPush> images;
  std::vector<ManifestToPush> referrers;
  for (const auto& d : layout.platform_images(top)) {
    images.push_back(load_manifest(layout, d));
    for (auto& r : find_referrers(layout, d.digest)) referrers.push_back(std::move(r));
  }
  std::optional<ManifestToPush> index;
  if (is_index) index = load_index(layout, top);

  const Reference& ref = client.reference();
  if (ref.digest && *ref.digest != top.digest)
    throw Error("the reference names digest " + *ref.digest + " but the image is " + top.digest, "", kExitUsage);

  // 2. Reach the registry and learn how it authenticates.
  client.ping();

  // 3. Blobs, each once even when shared between images and referrers.
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
  const std::string tag = ref.tag || !ref.digest ? ref.tag_or_latest() : *ref.digest;

  // 4. Each image manifest: by tag for a single image; by digest when an
  //    index will name them, so the tag only ever points at a complete set.
  for (const auto& image : images) {
    push_blobs(image);
    push_manifest(client, image, is_index ? image.descriptor.digest : tag,
                  is_index ? "manifest (" + image::platform_name(image.descriptor.platform) + ")" : "manifest");
  }

  // 5. Referrers after their subject, by digest.
  for (const auto& r : referrers) {
    push_blobs(r);
    std::string subject = nlohmann::json::parse(r.bytes)["subject"]["digest"];
    if (push_manifest(client, r, r.descriptor.digest, "referrer").empty())
      add_to_referrers_tag(client, subject,
                           referrer_descriptor(nlohmann::json::parse(r.bytes), r.descriptor.digest, r.descriptor.size));
    util::info("referrer " + short_digest(r.descriptor.digest) + " pushed");
    result.referrers.push_back(r.descriptor.digest);
  }

  // 6. The index last, by tag, with its own media type.
  if (index) push_manifest(client, *index, tag, "image index");
  cache.save();

  Reference shown = ref;
  if (!shown.tag && !shown.digest) shown.tag = "latest";
  result.reference = shown.str();
  result.manifest_digest = top.digest;
  return result;
}

}  // namespace slimbuild::registry
