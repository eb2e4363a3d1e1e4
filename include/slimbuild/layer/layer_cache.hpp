// A content cache of finished layers, so an unchanged rebuild compresses
// nothing. The key is a SHA-256 over everything that shapes the layer's
// bytes: the cache and tar format versions, compressor_identity() (algorithm,
// level, library and version, block size), the timestamp, and for every
// entry in order its path, type, mode, owner, size, link target and the
// SHA-256 of its content.
//
// Content hashes of source files come from a file-hash index (path, device,
// inode, size, mtime and ctime in ns -> SHA-256), as git's index does. A file
// is recorded only when its ctime is older than the start of the build that
// hashed it by more than the kernel's timestamp tick, so a write during or
// just before the build can never leave a stale hash behind. When some files
// are not in the index, they are hashed if they are few (or small);
// otherwise the layer is built and the key computed from the build's own
// hashes, so a first build still reads each input once. KeyMode::Always
// hashes them all first instead: a registry cache (--cache-ref) needs the
// key before building, and on a fresh CI runner the index is empty (SHA-256
// at ~1.3 GB/s costs far less than compressing or uploading).
//
// Entries live under the cache directory as entries/<key>.blob and
// <key>.json, written under temporary names and renamed (the .json last: it
// is the commit). The .json holds the layer's digest, sizes and media type,
// the SHA-256 of each 16 MiB part of the blob (taken while the build wrote
// it, LayerOptions::part_hashes, or while a registry cache hit arrived), and a
// seal: a SHA-256 over all of that, so no field can change unnoticed. A hit
// is verified before it is served: the seal, the blob's size, and every
// part hashed again, on up to four cores (one SHA-256 over a 300 MB blob is
// 0.19 s on one core here; the parts take half that on two). A mismatch
// deletes the entry, with a warning, and the layer is built. The check may
// start early, on threads, for the entry the build expects (the key last
// used for the same manifest and platform, under last-keys/), so it
// overlaps trace and rootfs; what it checked must still be the very file
// served, against the same record. A caller may even take the hit before
// that check ends (fetch with defer) and confirm() it before committing
// anything made from it.
// Hits refresh the entry's mtime; after a store, entries are evicted oldest
// mtime first until the total is under the size bound. Concurrent builds
// are safe: writers never overwrite a visible file, eviction and the index
// save take an flock, and a reader holding an evicted file keeps its inode.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <slimbuild/layer/layer_writer.hpp>
#include <slimbuild/rootfs/rootfs.hpp>

namespace slimbuild::layer {

namespace fs = std::filesystem;

// $XDG_CACHE_HOME/slimbuild, else $HOME/.cache/slimbuild.
fs::path default_cache_dir();

inline constexpr uint64_t kDefaultCacheBytes = 4ull << 30;

class LayerCache {
 public:
  explicit LayerCache(fs::path dir, uint64_t max_bytes = kDefaultCacheBytes);
  ~LayerCache();
  LayerCache(const LayerCache&) = delete;
  LayerCache& operator=(const LayerCache&) = delete;

  enum class KeyMode { IfCheap, Always };
  // The key for this rootfs and these options, if every file's content hash
  // is known or cheap to get (IfCheap) or always, hashing what is unknown
  // (Always); nullopt means "build, then key_from()".
  // On success, `hashes` gets the content hash of every regular file.
  std::optional<std::string> key(const rootfs::Rootfs& rootfs, const LayerOptions& options,
                                 std::map<std::string, std::string>& hashes, KeyMode mode = KeyMode::IfCheap);
  // The key from a finished layer's per-file hashes.
  std::string key_from(const rootfs::Rootfs& rootfs, const LayerOptions& options,
                       const std::map<std::string, std::string>& hashes) const;

  // The key this build is expected to compute: the last one served or
  // stored for `build_id` (the manifest and platform), if any.
  std::optional<std::string> expected_key(const std::string& build_id) const;
  void note_key(const std::string& build_id, const std::string& key) noexcept;
  // Starts checking entry `key`'s blob on threads now, so that fetch(key)
  // later finds its check done or under way (it still requires the very
  // inode it serves, and the same record). fetch of another key, or cancel_prefetch,
  // stops it.
  void prefetch(const std::string& key);
  void cancel_prefetch();

  // On a hit, puts the verified blob at `dest` (must not exist) and returns
  // its result (without file_sha256); nullopt on a miss or a bad entry.
  // With `defer`, a hit whose early check (prefetch) is still
  // running is returned at once and the check is left to confirm(), which
  // the caller must call before anything it made from the hit is committed.
  std::optional<LayerResult> fetch(const std::string& key, const fs::path& dest, bool defer = false);
  // Waits for the deferred checks: false if a served blob did not match its
  // record (that entry is deleted, with a warning; what was built from it
  // must be thrown away and built again).
  bool confirm();
  // Adds the layer at `blob` (left in place), whose part_sha256 were taken
  // as it was written or downloaded. Never throws: a cache that cannot be
  // written only costs speed, so problems are warnings.
  void store(const std::string& key, const fs::path& blob, const LayerResult& layer) noexcept;
  // Records the content hashes of this build's source files in the index.
  void remember(const rootfs::Rootfs& rootfs, const std::map<std::string, std::string>& hashes) noexcept;

  const fs::path& dir() const { return dir_; }

 private:
  struct Index;
  struct Prefetch;
  struct Pending;
  fs::path dir_;
  uint64_t max_bytes_;
  int64_t started_ns_;
  std::unique_ptr<Index> index_;
  std::unique_ptr<Prefetch> prefetch_;
  std::vector<Pending> pending_;
  void evict() noexcept;
};

}  // namespace slimbuild::layer
