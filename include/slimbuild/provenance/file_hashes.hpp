// The SHA-256 of each regular file, as the SBOMs list them, and where they
// come from. The layer pass hashes every file it reads (LayerResult's
// file_sha256; on a cache hit, the hashes that made the cache key), so the
// SBOMs normally take those. When the files the walk did not hold in memory
// are few, hashing them again on another core costs less than waiting for
// the layer: then the SBOMs are written beside it and must agree with it.
#pragma once

#include <map>
#include <string>

#include <slimbuild/rootfs/rootfs.hpp>

namespace slimbuild::provenance {

using FileHashes = std::map<std::string, std::string>;  // image path -> lowercase hex

// Re-reading at most this much (page-cached; a second core hashes at over
// 1 GB/s) costs less than waiting for the layer's hashes.
inline constexpr uint64_t kHashBesideLayerMax = 64ull << 20;

// True when the regular files not held in memory total at most kHashBesideLayerMax.
bool worth_hashing_beside_layer(const rootfs::Rootfs& rootfs);

// One regular file's SHA-256: its bytes in memory, or the file opened as the
// layer opens it (rootfs::SourceOpener). Throws Error naming the file.
std::string entry_sha256(const rootfs::Entry& entry);

// Every regular file's.
FileHashes hash_files(const rootfs::Rootfs& rootfs);

// The SBOMs describe the bytes the layer holds: a file whose two hashes
// differ changed between the two reads, and fails the build.
void check_same_hashes(const FileHashes& sbom, const FileHashes& layer);

}  // namespace slimbuild::provenance
