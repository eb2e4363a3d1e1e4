// Reading the referrers of an image from a registry (OCI distribution 1.1):
// the referrers API, else the "sha256-<hex>" referrers tag that registries
// without it (distribution 2.8) hold. Used by verify-signature to find the
// signature bundles of a pushed image.
#pragma once

#include <string>
#include <vector>

#include <slimbuild/registry/push.hpp>

namespace slimbuild::registry {

// The content (first layer) of every referrer of `subject_digest` in the
// repository of `reference` whose artifactType is `artifact_type`. Each
// manifest and blob is digest-checked and capped at `max_size` bytes.
std::vector<std::string> fetch_referrer_contents(const std::string& reference, const std::string& subject_digest,
                                                 const std::string& artifact_type, const RegistryOptions& options,
                                                 std::size_t max_size = 16u << 20);

}  // namespace slimbuild::registry
