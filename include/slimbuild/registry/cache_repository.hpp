// The layer cache kept in a registry repository (`build --cache-ref
// REGISTRY/REPO`), so every CI runner of a team shares it with no server of
// our own: the registry is the content-addressed store.
//
// One entry = one OCI 1.1 artifact manifest in that repository, tagged
// `slimbuild-layer-<64 hex key>` (layer::LayerCache's key), artifactType
// kLayerCacheArtifactType, a small JSON config (format, key, the layer's
// digest, size, media type, diff_id and tar size; kLayerCacheConfigType) and
// one layer: the layer blob itself with its real media type, so a later push
// of the image to the same registry mounts it from here.
//
// What a lookup trusts: the registry's content addressing, checked by us
// (the config's and the layer's bytes are hashed as they arrive and must
// match their descriptors; no more bytes than a descriptor's size are
// accepted) and the config an earlier build wrote, which must name this very
// key and this very layer. The diff_id is taken from that config, as the
// local cache takes it from its .json (see docs/cache.md). A malformed or
// mismatched entry is a miss with a reason, never served. Failures to reach
// the registry are thrown as Error; the caller (pipeline/cached_layer.cpp)
// turns them into one warning, since a cache only ever costs speed.
// Eviction is the registry's business (retention policies, garbage
// collection): a tag that disappeared is a miss.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <slimbuild/registry/mount_cache.hpp>
#include <slimbuild/registry/push.hpp>
#include <slimbuild/registry/reference.hpp>
#include <slimbuild/registry/transport.hpp>
#include <slimbuild/util/error.hpp>

namespace slimbuild::registry {

class RegistryClient;

inline constexpr const char* kLayerCacheArtifactType = "application/vnd.slimbuild.layer-cache.v1+json";
inline constexpr const char* kLayerCacheConfigType = "application/vnd.slimbuild.layer-cache.config.v1+json";
inline constexpr int kLayerCacheFormat = 1;

// "slimbuild-layer-<key>" for a 64-hex key (80 characters: inside the
// 128-character tag grammar). Throws Error for anything else.
std::string cache_tag(std::string_view key);

// --cache-ref: a repository, without tag or digest (the tags are ours).
Result<Reference> parse_cache_ref(std::string_view text);

// The layer an entry describes (what layer::LayerResult needs).
struct CachedLayer {
  std::string digest;
  uint64_t size = 0;
  std::string media_type;
  std::string diff_id;
  uint64_t tar_size = 0;
};

struct CacheLookup {
  std::optional<CachedLayer> hit;  // the verified layer is at `dest`
  // With a hit: the SHA-256 of each layer::kPartBytes part of its blob,
  // taken as it arrived (the local cache's record).
  std::vector<std::string> part_sha256;
  std::string rejected;            // an entry was there but not served: why
};

class CacheRepository {
 public:
  // `mount_cache_file`: where a hit or a store records that the repository
  // holds the layer (MountCache), so a push to another repository of the
  // same registry mounts it; empty = record nothing. `transport` = nullptr
  // uses curl.
  CacheRepository(Reference repository, const RegistryOptions& options, fs::path mount_cache_file,
                  std::unique_ptr<Transport> transport = nullptr);
  ~CacheRepository();
  CacheRepository(const CacheRepository&) = delete;
  CacheRepository& operator=(const CacheRepository&) = delete;

  // The entry for `key`, whose layer must have `media_type`, downloaded to
  // `dest` (removed again unless it is a hit). A missing tag is a plain miss.
  CacheLookup fetch(const std::string& key, const std::string& media_type, const fs::path& dest);
  // Uploads the layer at `blob` (HEAD, mount, upload), the config, and the
  // manifest under the key's tag (replacing whatever the tag named).
  void store(const std::string& key, const fs::path& blob, const CachedLayer& layer);

  // "registry/repository:slimbuild-layer-<key>", for messages.
  std::string entry_name(const std::string& key) const;

 private:
  RegistryClient& client();  // pinged on first use

  Reference repository_;
  RegistryOptions options_;
  std::unique_ptr<RegistryClient> client_;
  bool pinged_ = false;
  MountCache mounts_;
};

}  // namespace slimbuild::registry
