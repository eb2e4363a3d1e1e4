// The layer step of the pipeline: the manifest's compression settings as the
// layer stage's, and the layer put into the layout from the content cache
// (verified, nothing compressed) or written and then added to it. The cache
// has two tiers: the local directory (layer::LayerCache) and, with
// --cache-ref, a registry repository every CI runner shares
// (registry::CacheRepository). Lookup: local hit -> done; local miss ->
// registry entry, downloaded verified and kept locally too; both miss ->
// build, store locally, upload to the registry. Every registry problem is
// one warning and the build goes on without the registry tier.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <slimbuild/image/layout_writer.hpp>
#include <slimbuild/layer/compressor.hpp>
#include <slimbuild/layer/layer_cache.hpp>
#include <slimbuild/layer/layer_writer.hpp>
#include <slimbuild/manifest/manifest.hpp>
#include <slimbuild/registry/cache_repository.hpp>
#include <slimbuild/registry/push.hpp>
#include <slimbuild/rootfs/rootfs.hpp>

#include "pipeline/file_memos.hpp"

namespace slimbuild::pipeline {

namespace fs = std::filesystem;

layer::Compression manifest_compression(const manifest::CompressionSpec& spec);

// Thrown by build steps when a served cache entry failed its deferred
// check: the build is thrown away (nothing committed) and run again.
struct CacheEntryRejected : std::exception {
  const char* what() const noexcept override { return "a cached layer failed its check"; }
};

// Where a layer came from.
enum class CacheTier { None, Local, Registry };
const char* tier_name(CacheTier tier);  // "", "local", "registry"

struct LayerCacheSettings {
  std::optional<fs::path> dir;         // the local cache; none: no cache at all
  std::optional<std::string> ref;      // a registry repository (REGISTRY/REPO) shared by runners
  registry::RegistryOptions registry;      // trust and credentials for `ref`
  fs::path mount_cache_file;           // registry::MountCache to record the repository in
};

// One per build (every platform's layer goes through it), so a registry
// that fails is warned about once and then left alone.
class CachedLayers {
 public:
  // A cache that cannot be opened only costs time: a warning. A malformed
  // `ref` is an Error (usage).
  explicit CachedLayers(const LayerCacheSettings& settings);
  ~CachedLayers();
  CachedLayers(const CachedLayers&) = delete;
  CachedLayers& operator=(const CachedLayers&) = delete;

  // Before tracing: `build_id` (the manifest and platform) names the layer
  // the next put() is expected to serve, so the local entry it last used
  // starts its check now, overlapping trace and rootfs.
  void expect(const std::string& build_id);
  // Without a cache directory, exactly writer.put_layer(). A local hit may
  // come back before its check has finished: confirm() before commit.
  // `building` runs just before the layer is built rather than served, so
  // work that only a build needs (the SBOMs' own hashes) can overlap it.
  layer::LayerResult put(image::LayoutWriter& writer, const rootfs::Rootfs& rootfs, const layer::LayerOptions& options,
                         CacheTier& tier, const std::function<void()>& building = {});

  // Waits for the checks of the local hits put() served; false if one
  // failed (the entry is gone, with a warning): the build must start over.
  bool confirm();

  // The memos kept beside the local cache (file_memos.hpp); null without one.
  trace::ElfMemo* elf_memo() { return elf_memo_.get(); }
  rootfs::SecretMemo* secret_memo() { return secret_memo_.get(); }
  // Writes what the memos learnt in this build (never throws).
  void save_memos() noexcept;

 private:
  std::optional<layer::LayerResult> fetch_remote(const std::string& key, const layer::LayerOptions& options,
                                                 const fs::path& dest);
  void store_remote(const std::string& key, const fs::path& blob, const layer::LayerResult& layer);
  void give_up_remote(const std::exception& e);

  std::optional<layer::LayerCache> local_;
  std::unique_ptr<ElfFactsMemo> elf_memo_;
  std::unique_ptr<SecretVerdictMemo> secret_memo_;
  std::unique_ptr<registry::CacheRepository> remote_;
  std::string remote_name_;
  std::string build_id_;
};

}  // namespace slimbuild::pipeline
