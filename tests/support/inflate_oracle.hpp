// zlib's inflate as the oracle for layer::scan_deflate (the unit test and
// the fuzz target): with Z_BLOCK, inflate stops after each deflate block and
// data_type gives the unused bits of the last byte read, +64 once the final
// block's header was read, +128 at a block boundary. The output is thrown
// away as it comes (inflate keeps its own window). nullopt where inflate
// refuses the stream or it ends early.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "layer/deflate_scan.hpp"

namespace slimbuild::testing {

inline std::optional<layer::DeflateExtent> inflate_extent(const unsigned char* data, std::size_t size) {
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  std::vector<unsigned char> out(1 << 16);
  z.next_in = const_cast<unsigned char*>(data);
  z.avail_in = static_cast<uInt>(size);
  uint64_t block_start = 0;
  std::optional<layer::DeflateExtent> result;
  for (;;) {
    if (z.avail_out == 0) {
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
    }
    if (inflate(&z, Z_BLOCK) != Z_OK) break;  // Z_DATA_ERROR, or Z_BUF_ERROR: the input ended early
    if (!(z.data_type & 128)) continue;
    uint64_t pos = 8 * static_cast<uint64_t>(z.total_in) - static_cast<uint64_t>(z.data_type & 63);
    if (z.data_type & 64) {
      result = layer::DeflateExtent{block_start, pos, z.total_out};
      break;
    }
    block_start = pos;
  }
  inflateEnd(&z);
  return result;
}

}  // namespace slimbuild::testing
