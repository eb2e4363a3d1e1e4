// BlockDeflater: libdeflate for the compressible runs, stored blocks for the
// random-looking ones, and the bit surgery that makes a libdeflate stream
// non-final (see the header for why; scan_deflate finds the bits).
#include "layer/deflate_block.hpp"

#include "layer/deflate_scan.hpp"

#include <libdeflate.h>

#include <array>
#include <cstdint>
#include <cstring>

#include <slimbuild/util/error.hpp>

namespace slimbuild::layer {

namespace {

constexpr std::size_t kStoredMax = 65535;  // a stored deflate block holds at most this many bytes

void put_le16(std::vector<unsigned char>& out, unsigned v) {
  out.push_back(static_cast<unsigned char>(v & 0xff));
  out.push_back(static_cast<unsigned char>(v >> 8));
}

// Bytes a run costs when stored: 5 header bytes per stored block.
std::size_t stored_size(std::size_t n) { return n + 5 * ((n + kStoredMax - 1) / kStoredMax); }

}  // namespace

bool looks_random(const unsigned char* data, std::size_t n) {
  if (n == 0) return false;
  // Four tables, so consecutive bytes rarely wait on the same counter's
  // store: 1.8x the speed of one (it runs over every byte of every layer).
  std::array<std::array<uint32_t, 256>, 4> count{};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    ++count[0][w & 0xff];
    ++count[1][(w >> 8) & 0xff];
    ++count[2][(w >> 16) & 0xff];
    ++count[3][(w >> 24) & 0xff];
    ++count[0][(w >> 32) & 0xff];
    ++count[1][(w >> 40) & 0xff];
    ++count[2][(w >> 48) & 0xff];
    ++count[3][w >> 56];
  }
  for (; i < n; ++i) ++count[0][data[i]];
  unsigned __int128 sum = 0;
  for (unsigned v = 0; v < 256; ++v) {
    uint64_t c = uint64_t{count[0][v]} + count[1][v] + count[2][v] + count[3][v];
    sum += static_cast<unsigned __int128>(c) * c;
  }
  unsigned __int128 nn = static_cast<unsigned __int128>(n) * n;
  return sum * 256 * 64 <= nn * 65;
}

struct BlockDeflater::State {
  libdeflate_compressor* deflater = nullptr;
  ~State() {
    if (deflater) libdeflate_free_compressor(deflater);
  }
};

BlockDeflater::BlockDeflater(int level) : s_(std::make_unique<State>()), level_(level) {
  if (level < 0 || level > 12) throw Error("internal: libdeflate level " + std::to_string(level));
  if (level == 0) return;
  s_->deflater = libdeflate_alloc_compressor(level);
  if (!s_->deflater) throw Error("libdeflate could not allocate a compressor (out of memory?)");
}

BlockDeflater::~BlockDeflater() = default;

void BlockDeflater::deflate(const unsigned char* data, std::size_t n, std::vector<unsigned char>& out) {
  out.clear();
  if (level_ == 0) return store(data, n, out);
  // Runs of pieces of the same kind: random-looking ones stored, the rest compressed.
  std::size_t run_start = 0;
  bool run_random = false;
  for (std::size_t at = 0; at < n; at += kRandomProbe) {
    std::size_t len = std::min(kRandomProbe, n - at);
    bool random = looks_random(data + at, len);
    if (at != 0 && random != run_random) {
      (run_random ? store(data + run_start, at - run_start, out) : compress(data + run_start, at - run_start, out));
      run_start = at;
    }
    run_random = random;
  }
  if (n > run_start) (run_random ? store(data + run_start, n - run_start, out) : compress(data + run_start, n - run_start, out));
}

// Non-final stored blocks; each starts and ends on a byte boundary.
void BlockDeflater::store(const unsigned char* data, std::size_t n, std::vector<unsigned char>& out) {
  while (n > 0) {
    auto len = static_cast<unsigned>(std::min(n, kStoredMax));
    out.push_back(0x00);  // BFINAL 0, BTYPE 00, five padding bits
    put_le16(out, len);
    put_le16(out, ~len & 0xffff);
    out.insert(out.end(), data, data + len);
    data += len;
    n -= len;
  }
}

void BlockDeflater::compress(const unsigned char* data, std::size_t n, std::vector<unsigned char>& out) {
  std::size_t base = out.size();
  std::size_t bound = libdeflate_deflate_compress_bound(s_->deflater, n);
  out.resize(base + bound);
  std::size_t m = libdeflate_deflate_compress(s_->deflater, data, n, out.data() + base, bound);
  if (m == 0 || m + 5 >= stored_size(n)) {  // no gain: store it
    out.resize(base);
    return store(data, n, out);
  }
  out.resize(base + m);

  // Where libdeflate's final block starts and the stream ends (deflate_scan.hpp).
  auto extent = scan_deflate(out.data() + base, m);
  if (!extent || extent->output != n || (extent->end + 7) / 8 != m)
    throw Error("internal: libdeflate's output of " + std::to_string(n) + " bytes does not scan as deflate (" +
                (extent ? "it inflates to " + std::to_string(extent->output) + " bytes" : std::string("malformed")) +
                ")");
  const uint64_t final_start = extent->final_block, end = extent->end;
  unsigned char* seg = out.data() + base;
  seg[final_start / 8] &= static_cast<unsigned char>(~(1u << (final_start % 8)));  // clear BFINAL
  unsigned used = static_cast<unsigned>(end % 8);
  if (used != 0) seg[m - 1] &= static_cast<unsigned char>((1u << used) - 1);  // padding bits are zero
  // An empty stored block: its 3 header bits go into the padding when they
  // fit, else into one more byte; then LEN 0000, NLEN ffff on a byte boundary.
  if (used == 0 || used > 5) out.push_back(0x00);
  put_le16(out, 0x0000);
  put_le16(out, 0xffff);
}

}  // namespace slimbuild::layer
