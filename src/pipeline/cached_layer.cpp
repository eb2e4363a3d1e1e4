// CachedLayers: key (from the file-hash index, or every file hashed first
// when a registry tier is on), a verified local hit, a verified registry hit
// (also stored locally), or a build whose blob and per-file hashes then go
// into both tiers.
#include "pipeline/cached_layer.hpp"

#include <map>
#include <string>

#include <slimbuild/util/error.hpp>
#include <slimbuild/util/interrupt.hpp>
#include <slimbuild/util/log.hpp>

namespace slimbuild::pipeline {

layer::Compression manifest_compression(const manifest::CompressionSpec& spec) {
  layer::Compression c;
  auto algorithm = layer::parse_algorithm(spec.algorithm);
  if (!algorithm) throw Error("internal: compression '" + spec.algorithm + "' passed the manifest check");
  c.algorithm = *algorithm;
  c.level = spec.level;
  return c;
}

const char* tier_name(CacheTier tier) {
  switch (tier) {
    case CacheTier::Local: return "local";
    case CacheTier::Registry: return "registry";
    case CacheTier::None: break;
  }
  return "";
}

CachedLayers::CachedLayers(const LayerCacheSettings& settings) {
  std::optional<registry::Reference> ref;
  if (settings.ref) {
    auto parsed = registry::parse_cache_ref(*settings.ref);
    if (!parsed) throw parsed.error();
    ref = *parsed;
  }
  if (!settings.dir) return;
  try {
    local_.emplace(*settings.dir);
  } catch (const Error& e) {
    util::warn(std::string(e.what()) + "; building without the cache");
    return;
  }
  int64_t started = util::wall_clock_ns();
  elf_memo_ = std::make_unique<ElfFactsMemo>(*settings.dir, started);
  secret_memo_ = std::make_unique<SecretVerdictMemo>(*settings.dir, started);
  if (!ref) return;
  remote_name_ = ref->name();
  try {
    remote_ = std::make_unique<registry::CacheRepository>(*ref, settings.registry, settings.mount_cache_file);
  } catch (const std::exception& e) {
    give_up_remote(e);
  }
}

CachedLayers::~CachedLayers() = default;

bool CachedLayers::confirm() { return !local_ || local_->confirm(); }

void CachedLayers::save_memos() noexcept {
  if (elf_memo_) elf_memo_->save();
  if (secret_memo_) secret_memo_->save();
}

void CachedLayers::give_up_remote(const std::exception& e) {
  // Ctrl-C during a transfer ends the build like anywhere else.
  if (util::interrupt_signal() != 0) util::throw_if_interrupted();
  util::warn("the registry layer cache " + remote_name_ + " is not used in this build: " + e.what());
  remote_.reset();
}

std::optional<layer::LayerResult> CachedLayers::fetch_remote(const std::string& key, const layer::LayerOptions& options,
                                                             const fs::path& dest) {
  if (!remote_) return std::nullopt;
  try {
    registry::CacheLookup found =
        remote_->fetch(key, layer::layer_media_type(options.compression.algorithm), dest);
    if (!found.rejected.empty()) {
      util::warn("ignoring the registry cache entry " + remote_->entry_name(key) + ": " + found.rejected +
                 "; building the layer, which replaces the entry");
      return std::nullopt;
    }
    if (!found.hit) {
      util::debug("layer cache: no entry " + remote_->entry_name(key) + " yet");
      return std::nullopt;
    }
    util::debug("layer from the registry cache: " + remote_->entry_name(key));
    layer::LayerResult r;
    r.digest = found.hit->digest;
    r.size = found.hit->size;
    r.media_type = found.hit->media_type;
    r.diff_id = found.hit->diff_id;
    r.tar_size = found.hit->tar_size;
    r.part_sha256 = std::move(found.part_sha256);
    return r;
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove(dest, ec);  // the build writes here next
    give_up_remote(e);
    return std::nullopt;
  }
}

void CachedLayers::store_remote(const std::string& key, const fs::path& blob, const layer::LayerResult& layer) {
  if (!remote_) return;
  try {
    remote_->store(key, blob, {layer.digest, layer.size, layer.media_type, layer.diff_id, layer.tar_size});
    util::debug("layer stored in the registry cache: " + remote_->entry_name(key));
  } catch (const std::exception& e) {
    give_up_remote(e);
  }
}

void CachedLayers::expect(const std::string& build_id) {
  build_id_ = build_id;
  if (!local_) return;
  if (auto key = local_->expected_key(build_id)) local_->prefetch(*key);
}

layer::LayerResult CachedLayers::put(image::LayoutWriter& writer, const rootfs::Rootfs& rootfs,
                                     const layer::LayerOptions& options, CacheTier& tier,
                                     const std::function<void()>& building) {
  tier = CacheTier::None;
  if (!local_) {
    if (building) building();
    return writer.put_layer(rootfs, options);
  }

  // A registry lookup needs the key before building, even on a runner whose
  // file-hash index is empty.
  std::map<std::string, std::string> hashes;
  std::optional<std::string> key =
      local_->key(rootfs, options, hashes, remote_ ? layer::LayerCache::KeyMode::Always : layer::LayerCache::KeyMode::IfCheap);
  layer::LayerResult layer = writer.put_layer_from([&](const fs::path& temp) {
    if (key) {
      if (auto hit = local_->fetch(*key, temp, /*defer=*/true)) {
        util::debug("layer from the local cache: " + *key + " in " + local_->dir().string());
        hit->file_sha256 = hashes;
        tier = CacheTier::Local;
        if (!build_id_.empty()) local_->note_key(build_id_, *key);
        return *hit;
      }
      if (auto hit = fetch_remote(*key, options, temp)) {
        hit->file_sha256 = hashes;
        local_->store(*key, temp, *hit);  // the next build on this runner is a local hit
        tier = CacheTier::Registry;
        if (!build_id_.empty()) local_->note_key(build_id_, *key);
        return *hit;
      }
    }
    local_->cancel_prefetch();  // building: the core is better spent compressing
    if (building) building();
    layer::LayerOptions hashed = options;
    hashed.part_hashes = true;  // the entry's record, taken while the blob is written
    layer::LayerResult built = layer::write_layer(rootfs, temp, hashed);
    // The build's own hashes are the truth; a key from the index that
    // disagrees means a file changed without its timestamps moving.
    std::string actual = local_->key_from(rootfs, options, built.file_sha256);
    if (key && actual != *key) util::warn("the cache's file-hash index was out of date; it is corrected now");
    local_->store(actual, temp, built);
    if (!build_id_.empty()) local_->note_key(build_id_, actual);
    store_remote(actual, temp, built);
    return built;
  });
  local_->remember(rootfs, layer.file_sha256);
  return layer;
}

}  // namespace slimbuild::pipeline
