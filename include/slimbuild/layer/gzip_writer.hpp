// A deterministic gzip compressor that writes to a file descriptor and hashes
// what it writes. The gzip header is fixed so the blob depends only on the
// input bytes, the level and zlib's deflate: MTIME 0, no FNAME/FCOMMENT/FEXTRA,
// no header CRC, and OS = 255 ("unknown"), as Go's compress/gzip writes it
// (ko, crane and BuildKit layers look the same). zlib would otherwise stamp the
// build host's OS code (3 on Unix), which has no business in a digest.
// XFL follows the level as RFC 1952 says (2 for 9, 4 for 1, else 0).
//
// The compressed bytes (and so the layer digest) are those of zlib's deflate
// at the given level; zlib 1.2.x/1.3 produce identical streams, but a
// different deflate (zlib-ng, Intel's, Go's) would not. The diff_id, taken
// over the tar, does not depend on the compressor at all.
//
// Output goes through a fixed-size buffer, so memory does not depend on how
// much is compressed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <slimbuild/util/sha256.hpp>

namespace slimbuild::layer {

inline constexpr unsigned char kGzipOsUnknown = 255;

class GzipWriter {
 public:
  // `fd` is borrowed, not owned; `what` names the output in error messages.
  // Throws Error for a level outside 0..9.
  GzipWriter(int fd, int level, std::string what);
  ~GzipWriter();
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;

  // Compresses `size` bytes; throws Error when the output cannot be written.
  void write(const void* data, std::size_t size);
  // Flushes the deflate stream and the gzip trailer. Call once, last.
  void finish();

  // "sha256:<hex>" of the compressed stream; only after finish().
  std::string digest();
  uint64_t compressed_size() const { return out_size_; }

 private:
  void deflate_chunk(int flush);
  void write_out(const unsigned char* p, std::size_t n);

  struct Stream;
  std::unique_ptr<Stream> z_;
  int fd_;
  std::string what_;
  util::Sha256 hash_;
  uint64_t out_size_ = 0;
  bool finished_ = false;
};

}  // namespace slimbuild::layer
