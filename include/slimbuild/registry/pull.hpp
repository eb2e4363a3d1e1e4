// Fetching an image from a registry into a local OCI layout, digest-verified
// and streamed to disk, so inspect/verify/diff can treat a REF like a LAYOUT.
// Each call has a form over a given RegistryClient (what unit tests drive
// over a scripted Transport) and a wrapper that builds the curl one.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <slimbuild/registry/push.hpp>

namespace slimbuild::registry {

struct PullResult {
  std::string reference;
  std::string manifest_digest;
};

// Resolves `reference` (tag or @sha256:) and writes what it names into a new
// OCI layout at `out_dir`, listed with ref.name "latest" (or the tag): an
// image manifest with its config and layers; an OCI index of platform images
// whole (the index and every image, so readers go per platform); any other
// list (a Docker manifest list, nested indexes) narrowed to the entry for
// linux/`architecture`. `options` supplies trust and credentials.
PullResult pull_to_layout(const std::string& reference, const fs::path& out_dir, const RegistryOptions& options,
                          const std::string& architecture = "amd64");
// The same pull of `client.reference()` over `client` (pinged here: it must
// be fresh); `progress` shows blob downloads.
PullResult pull_to_layout(RegistryClient& client, const fs::path& out_dir, bool progress,
                          const std::string& architecture = "amd64");

// Only resolves the manifest digest of `reference` (HEAD/GET manifest).
std::string resolve_digest(const std::string& reference, const RegistryOptions& options);
std::string resolve_digest(RegistryClient& client);

}  // namespace slimbuild::registry
