// put_layer_cached: key from the file-hash index (or none yet), a verified
// hit, or a build whose blob and per-file hashes then go into the cache.
#include <slimbuild/pipeline/cached_layer.hpp>

#include <map>
#include <string>

#include <slimbuild/layer/layer_cache.hpp>
#include <slimbuild/util/error.hpp>
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

layer::LayerResult put_layer_cached(image::LayoutWriter& writer, const rootfs::Rootfs& rootfs,
                                    const layer::LayerOptions& options, const std::optional<fs::path>& cache_dir,
                                    bool& from_cache) {
  from_cache = false;
  if (!cache_dir) return writer.put_layer(rootfs, options);
  std::optional<layer::LayerCache> cache;
  try {
    cache.emplace(*cache_dir);
  } catch (const Error& e) {
    util::warn(std::string(e.what()) + "; building without the cache");
    return writer.put_layer(rootfs, options);
  }

  std::map<std::string, std::string> hashes;
  std::optional<std::string> key = cache->key(rootfs, options, hashes);
  layer::LayerResult layer = writer.put_layer_from([&](const fs::path& temp) {
    if (key) {
      if (auto hit = cache->fetch(*key, temp)) {
        util::debug("layer cache hit " + *key + " in " + cache->dir().string());
        hit->file_sha256 = hashes;
        from_cache = true;
        return *hit;
      }
    }
    layer::LayerResult built = layer::write_layer(rootfs, temp, options);
    // The build's own hashes are the truth; a key from the index that
    // disagrees means a file changed without its timestamps moving.
    std::string actual = cache->key_from(rootfs, options, built.file_sha256);
    if (key && actual != *key) util::warn("the cache's file-hash index was out of date; it is corrected now");
    cache->store(actual, temp, built);
    return built;
  });
  cache->remember(rootfs, layer.file_sha256);
  return layer;
}

}  // namespace slimbuild::pipeline
