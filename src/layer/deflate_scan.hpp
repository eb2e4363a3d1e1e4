// scan_deflate: where the last block of a raw deflate stream (RFC 1951)
// starts and where the stream ends, in bits, found by decoding its Huffman
// symbols without producing any output. BlockDeflater needs exactly that to
// make libdeflate's final block non-final, and zlib's inflate(Z_BLOCK) gave
// it by inflating every byte into a scratch buffer: 11 to 14% of a build's
// CPU. Here a literal costs a table lookup and a match only its extra bits.
//
// It still checks what inflate would: every block type, code and length is
// valid, no distance reaches back before the start, the stream fits in the
// buffer, and the symbols add up to the length the caller expects. Any
// violation is std::nullopt, never a read outside the buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace slimbuild::layer {

struct DeflateExtent {
  uint64_t final_block = 0;  // bit offset of the header of the block with BFINAL set
  uint64_t end = 0;          // bit offset just after that block
  uint64_t output = 0;       // bytes the stream inflates to
};

std::optional<DeflateExtent> scan_deflate(const unsigned char* data, std::size_t size);

}  // namespace slimbuild::layer
