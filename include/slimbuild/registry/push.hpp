// Publishing an OCI layout to a registry (distribution spec): ping, auth,
// HEAD/mount/upload each blob, PUT the manifest, check Docker-Content-Digest.
// The whole push runs over a RegistryClient it is given (so a unit test can
// drive it over a scripted Transport); the wrapper taking a reference string
// builds the curl-backed client and the on-disk mount cache for the CLI.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/registry/registry_options.hpp>

namespace slimbuild::registry {

namespace fs = std::filesystem;

class RegistryClient;
class MountCache;

struct BlobOutcome {
  std::string digest;
  uint64_t size = 0;
  std::string action;  // "exists", "mounted", "uploaded"
};

struct PushResult {
  std::string reference;        // canonical, e.g. "127.0.0.1:5000/team/app:1.0"
  std::string manifest_digest;  // as confirmed by the registry
  std::vector<BlobOutcome> blobs;
  std::vector<std::string> referrers;  // digests of referrer manifests pushed after the image
};

// An image index is pushed as every image (by digest), their referrers,
// then the index under the tag.
// Pushes the image named `layout_ref` (ref.name in index.json; nullopt = the
// only image) from the layout at `layout` to `reference`, together with any
// referrer artifacts in the layout whose subject is that image (e.g. SBOM).
// Throws Error naming the step, HTTP status and registry error on failure.
PushResult push_layout(const fs::path& layout, const std::optional<std::string>& layout_ref,
                       const std::string& reference, const RegistryOptions& options);

// The same push to the repository and tag (or digest) `client.reference()`
// names, over `client` (pinged here: it must be fresh), recording mountable
// blobs in `cache`. `options` supplies --platform and the upload settings.
PushResult push_layout(RegistryClient& client, const fs::path& layout, const std::optional<std::string>& layout_ref,
                       const RegistryOptions& options, MountCache& cache);

}  // namespace slimbuild::registry
