// The narrow interface between the tar stream and the layer blob: a
// Compressor takes the tar bytes in order and writes the compressed blob to a
// file descriptor, hashing it on the way (the layer digest). Two kinds exist,
// gzip (parallel_gzip.hpp: libdeflate in fixed blocks) and zstd
// (zstd_writer.hpp: libzstd's multi-threaded mode), chosen by a Compression.
//
// What shapes the blob's bytes is exactly: the algorithm, the level, the
// library and its version, and for gzip the block size. The thread count
// never does: 1 thread and 64 threads write the same bytes, so a build is
// reproducible on any machine with the same library versions.
// compressor_identity() spells all of that out (the content cache keys on it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <slimbuild/layer/blob_hash.hpp>

namespace slimbuild::layer {

enum class Algorithm { Gzip, Zstd };

struct Compression {
  Algorithm algorithm = Algorithm::Gzip;
  std::optional<int> level;  // unset: the algorithm's default (gzip 6, zstd 3)
  unsigned threads = 0;      // 0: every core (at most kMaxThreads); never changes the bytes
};

inline constexpr unsigned kMaxThreads = 32;

std::string_view algorithm_name(Algorithm a);                  // "gzip", "zstd"
std::optional<Algorithm> parse_algorithm(std::string_view name);
int default_level(Algorithm a);
int min_level(Algorithm a);
int max_level(Algorithm a);
int effective_level(const Compression& c);
// "gzip", "zstd", "gzip:9", "zstd:19" (the --compression flag); throws Error.
Compression parse_compression(std::string_view text);  // level or the default; throws Error if out of range
std::string layer_media_type(Algorithm a);  // application/vnd.oci.image.layer.v1.tar+gzip / +zstd
// Everything that shapes the compressed bytes, e.g. "gzip libdeflate-1.14 level-6 block-1048576".
std::string compressor_identity(const Compression& c);
// The worker count a Compression asks for: `threads`, else the cores, 1..kMaxThreads.
unsigned resolve_threads(unsigned requested);

// Writes compressed bytes to a borrowed fd, hashing and counting them (and
// with `parts`, hashing each kPartBytes part too, for the layer cache).
class BlobSink {
 public:
  BlobSink(int fd, std::string what, bool parts) : fd_(fd), what_(std::move(what)), hash_(parts) {}
  // Throws Error (with a hint on a full disk) when the bytes cannot be written.
  void put(const void* data, std::size_t size);
  // After the last put.
  void finish() { hash_.finish(); }
  const BlobHash& hash() const { return hash_; }
  uint64_t size() const { return hash_.size(); }
  const std::string& what() const { return what_; }

 private:
  int fd_;
  std::string what_;
  BlobHash hash_;
};

class Compressor {
 public:
  virtual ~Compressor() = default;
  // Compresses `size` bytes; throws Error when the output cannot be written.
  virtual void write(const void* data, std::size_t size) = 0;
  // Ends the stream and flushes everything. Call once, last.
  virtual void finish() = 0;
  // The compressed stream's digest, size and (when asked for) part hashes;
  // only after finish().
  virtual const BlobHash& blob() const = 0;
};

// `fd` is borrowed; `what` names the output in error messages; `parts`: the
// blob's part hashes are taken too. Throws Error for a level out of range.
std::unique_ptr<Compressor> make_compressor(const Compression& c, int fd, std::string what, bool parts = false);

}  // namespace slimbuild::layer
