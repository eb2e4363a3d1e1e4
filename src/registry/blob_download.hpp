// One blob from a registry to a file, verified while it streams: the bytes
// go through SHA-256 on their way to disk, more bytes than the descriptor's
// size abort the transfer (Content-Length is never trusted), and the file
// counts only when size and digest both match. Shared by the pull into a
// layout and the registry layer cache.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <slimbuild/image/layout.hpp>
#include <slimbuild/registry/registry_client.hpp>

namespace slimbuild::registry {

// Writes the blob `d` names to `dest` (created or truncated), retrying
// transfers that broke or sent other bytes. Throws Error when it never
// arrives intact; `dest` may then hold a partial file (the caller owns it).
// With `parts`, it also gets the SHA-256 of each layer::kPartBytes part of
// the blob (the layer cache's record), from the same pass.
void download_blob(RegistryClient& client, const image::Descriptor& d, const std::filesystem::path& dest,
                   bool progress_on, std::vector<std::string>* parts = nullptr);

}  // namespace slimbuild::registry
