// Parallel, deterministic gzip: the input is cut into fixed 1 MiB blocks,
// each compressed on its own by a BlockDeflater on a pool of threads, and
// the segments are written in input order behind a fixed gzip header, then
// a final empty deflate block and the trailer (CRC-32 combined from the
// blocks' CRCs, ISIZE). The bytes depend on the input, the level and
// libdeflate's version; never on the thread count or timing.
//
// The header is pinned so nothing about the host gets in: MTIME 0, no
// FNAME/FCOMMENT/FEXTRA/FHCRC, OS 255 ("unknown", as Go's compress/gzip
// writes), XFL 2 for level 9 and 4 for level 1 as RFC 1952 says.
//
// Memory is a ring of threads + 3 blocks (input and output each), whatever
// the size of the stream; the caller's thread cuts blocks while the workers
// compress and a writer thread writes the finished ones in order, hashing
// them into the digest (on stored, incompressible input the three SHA-256
// passes, file, tar and layer, would otherwise all fall on the caller).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <slimbuild/layer/compressor.hpp>

namespace slimbuild::layer {

inline constexpr std::size_t kGzipBlockSize = 1 << 20;
inline constexpr unsigned char kGzipOsUnknown = 255;

class ParallelGzipWriter final : public Compressor {
 public:
  // `fd` is borrowed. `level` 0..9; `threads` >= 1 (1: all in the caller's
  // thread); `parts`: take the blob's part hashes too.
  ParallelGzipWriter(int fd, int level, unsigned threads, std::string what, bool parts = false);
  ~ParallelGzipWriter() override;

  void write(const void* data, std::size_t size) override;
  void finish() override;
  const BlobHash& blob() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace slimbuild::layer
