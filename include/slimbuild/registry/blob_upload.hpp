// Getting one blob of a local layout into a repository the cheapest way:
// HEAD (already there) -> cross-repository mount from a repository the cache
// says holds it -> upload, monolithic (POST + PUT ?digest=) below a threshold
// or in PATCH chunks above it, following each returned Location and Range.
// A failed upload restarts with a new session; the file is read in place.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <slimbuild/registry/mount_cache.hpp>
#include <slimbuild/registry/push.hpp>
#include <slimbuild/registry/registry_client.hpp>
#include <slimbuild/util/handles.hpp>

namespace slimbuild::registry {

struct UploadSettings {
  uint64_t monolithic_max = 8u << 20;  // larger blobs go in chunks
  // Large: distribution re-reads its hash state per PATCH, so 8 MiB chunks
  // pushed an 80 MiB layer ~2x slower than 64 MiB ones on loopback.
  uint64_t chunk_size = 64u << 20;
  bool progress = true;

  // Defaults with RegistryOptions and SLIMBUILD_CHUNK_SIZE / SLIMBUILD_MONOLITHIC_MAX applied.
  static UploadSettings from(const RegistryOptions& options);
};

// `open_blob` is called only when the blob must be uploaded; it returns the
// blob's file already checked (regular file, size, digest: LayoutReader::open_blob),
// so bytes that are not the blob never leave the machine.
using OpenBlob = std::function<util::Fd()>;

// The offset after what an upload session holds, from its Range header
// ("0-1234", inclusive end; "bytes=" tolerated); nullopt when malformed.
std::optional<uint64_t> range_end(const std::string& range);
BlobOutcome push_blob(RegistryClient& client, const OpenBlob& open_blob, const std::string& digest, uint64_t size,
                      MountCache& cache, const UploadSettings& settings);

}  // namespace slimbuild::registry
