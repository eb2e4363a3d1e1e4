// The one deterministic layer: a pax tar of a Rootfs, compressed (gzip or
// zstd, see compressor.hpp), written in a single streaming pass. Every input
// file is read exactly once, in fixed chunks; the same bytes feed the
// per-file SHA-256 (for the SBOM), the tar hash (diff_id) and the
// compressor, whose output feeds the blob hash (digest) and the blob file.
// Memory does not grow with file sizes.
//
// Normalisation lives here and only here: entries in Rootfs order (bytewise,
// parents first), mtime = options.mtime, uid/gid from the entry (0 except the
// user's home), empty uname/gname, no xattrs/ACLs/atime/ctime, permission
// bits from the entry, symlinks as symlinks; the compressor pins its own header.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <slimbuild/layer/compressor.hpp>
#include <slimbuild/rootfs/rootfs.hpp>
#include <slimbuild/util/progress.hpp>

namespace slimbuild::layer {

namespace fs = std::filesystem;

// Told about the blob file while write_layer writes it, so other work can
// use the bytes before the layer is finished (build --push streams them to
// the registry during compression). The file is only ever appended to:
// every byte below its current size is final. Never changes the bytes.
class BlobObserver {
 public:
  virtual ~BlobObserver() = default;
  // The blob file was just created, empty.
  virtual void opened(const fs::path& file) = 0;
  // The blob is complete (flushed): `size` bytes whose SHA-256 is `digest`.
  virtual void closed(const std::string& digest, uint64_t size) = 0;
  // Writing failed; the file is being removed. No closed() follows.
  virtual void failed() noexcept = 0;
};

struct LayerOptions {
  int64_t mtime = 0;          // SOURCE_DATE_EPOCH (or git commit time, or 0)
  Compression compression;    // algorithm + level shape the bytes; threads do not
  // Told the rootfs's total file bytes first, then each chunk read; finished
  // at the end (also on failure). Never changes the bytes; none = silent.
  util::ProgressSink* progress = nullptr;
  BlobObserver* observer = nullptr;  // none: nobody reads the blob before it is done
  // Also hash each kPartBytes part of the blob as it is written (the layer
  // cache's record, blob_hash.hpp). Never changes the bytes.
  bool part_hashes = false;
};

struct LayerResult {
  std::string digest;      // "sha256:..." of the compressed stream (the blob)
  uint64_t size = 0;       // bytes of the compressed stream
  std::string media_type;  // application/vnd.oci.image.layer.v1.tar+gzip or +zstd
  std::string diff_id;     // "sha256:..." of the uncompressed tar
  uint64_t tar_size = 0;
  // sha256 hex of every regular file's content, keyed by image path.
  std::map<std::string, std::string> file_sha256;
  // With LayerOptions::part_hashes: the blob's part hashes, in order.
  std::vector<std::string> part_sha256;
};

// Writes the compressed tar to `out_file` (created, must not exist). Throws Error
// if a source file cannot be read or changes size while it is being read.
LayerResult write_layer(const rootfs::Rootfs& rootfs, const fs::path& out_file, const LayerOptions& options);

}  // namespace slimbuild::layer
