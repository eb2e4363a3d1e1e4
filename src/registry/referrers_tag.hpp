// The OCI distribution 1.1 "referrers tag schema" fallback: a registry that
// does not index referrers itself (no OCI-Subject header on the manifest
// PUT, e.g. distribution 2.8) gets an image index tagged
// "sha256-<subject hex>" listing them, which is where oras, cosign and
// regclient look. Read-modify-write, so referrers pushed by other tools stay.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include <slimbuild/registry/registry_client.hpp>

namespace slimbuild::registry {

// "sha256-<hex>" for a "sha256:<hex>" subject digest.
std::string referrers_tag(const std::string& subject_digest);

// The descriptor a referrers index lists for `manifest` (its artifactType,
// falling back to the config media type, and its annotations).
nlohmann::json referrer_descriptor(const nlohmann::json& manifest, const std::string& digest, uint64_t size);

// Adds `descriptor` to the subject's referrers tag index (creating it).
void add_to_referrers_tag(RegistryClient& client, const std::string& subject_digest, const nlohmann::json& descriptor);

}  // namespace slimbuild::registry
