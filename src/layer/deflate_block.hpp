// One block of the parallel gzip stream as raw deflate that can be followed
// by another: only non-final deflate blocks, ending on a byte boundary with
// the 00 00 ff ff marker of an empty stored block (what zlib's Z_SYNC_FLUSH
// writes). Concatenating such segments, then a final empty block, gives one
// valid deflate stream, so the layer stays a single gzip member that every
// reader (Go, zlib, Python, libarchive, Rust's flate2) takes.
//
// The output depends only on the input bytes and the level (and libdeflate's
// version): no state carries over from the block before, which is what lets
// blocks be compressed on any thread in any order.
//
// Inside a block, each 64 KiB piece whose bytes look uniformly random
// (integer collision test, no floating point, so every machine decides the
// same) is stored as is instead of being searched for matches; runs of the
// other pieces go through libdeflate at the level. libdeflate always marks
// its last deflate block final; scan_deflate (deflate_scan.hpp) finds where
// that block starts and ends, the BFINAL bit is cleared, and the marker
// appended.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace slimbuild::layer {

inline constexpr std::size_t kRandomProbe = 64 * 1024;

// True when `n` bytes have a byte histogram as flat as random data's:
// 256 * sum(count^2) <= n^2 * (1 + 1/64), i.e. Renyi entropy >= ~7.98 bits.
bool looks_random(const unsigned char* data, std::size_t n);

class BlockDeflater {
 public:
  explicit BlockDeflater(int level);  // 0 stores everything; 1..12 are libdeflate's levels
  ~BlockDeflater();
  BlockDeflater(const BlockDeflater&) = delete;
  BlockDeflater& operator=(const BlockDeflater&) = delete;

  // Replaces `out` with the segment for data[0..n).
  void deflate(const unsigned char* data, std::size_t n, std::vector<unsigned char>& out);

 private:
  void store(const unsigned char* data, std::size_t n, std::vector<unsigned char>& out);
  void compress(const unsigned char* data, std::size_t n, std::vector<unsigned char>& out);

  struct State;
  std::unique_ptr<State> s_;
  int level_;
};

}  // namespace slimbuild::layer
